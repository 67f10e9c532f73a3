"""Listing, reading, uploading and deleting documents; every change is indexed and persisted at once."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.convertors import Convertor, register_url_convertor

from app.api.auth import READ, WRITE
from app.api.dependencies import get_pipeline
from app.api.jobs import QUEUED_RESPONSE, goes_to_job, queue_upload
from app.api.schemas import (
    DOC_ID_PATTERN,
    MAX_DOC_ID_CHARS,
    MAX_TITLE_CHARS,
    DocumentIn,
    DocumentMeta,
    DocumentOut,
    DocumentSummary,
    DocumentUrlIn,
    IngestOut,
    check_doc_id,
    error_responses,
)
from app.feeds.poller import fetch_outcome
from app.ingest.fetch import FetchError, check_url, url_doc_id
from app.ingest.reader import SUPPORTED, DocumentTooLarge, NeedsOcr, ReadLimits, UnreadableDocument, read_bytes
from app.ingest.web import WebDocument, read_url
from app.models import Document, IngestReport
from app.pipeline import Pipeline, UnknownDocument

router = APIRouter(prefix="/documents", tags=["documents"])


class _AnyPath(Convertor):
    """Starlette's ``path`` stops at a newline (its regex is ``.*``): an id holding one would be a bare 404 instead
    of the 422 that says what an id may be."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("doc_path", _AnyPath())

# A path, so that ids with slashes ("reports/2024.txt") need no escaping; checked like uploaded ids.
DocIdPath = Annotated[
    str,
    PathParam(
        max_length=MAX_DOC_ID_CHARS,
        description="The document's id (a relative path).",
        json_schema_extra={"pattern": DOC_ID_PATTERN},  # what _checked enforces (pydantic would use Rust regexes)
    ),
]


def _string(model: type[BaseModel], field: str) -> dict:
    """A form field's schema: the string one of the model's field of that name (without its null)."""
    schema = model.model_json_schema()["properties"][field]
    return next((s for s in schema.get("anyOf", []) if s.get("type") == "string"), schema)


_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {"oneOf": [DocumentIn.model_json_schema(), DocumentUrlIn.model_json_schema()]}
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": f"One of {', '.join(SUPPORTED)}"},
                        "doc_id": {**_string(DocumentIn, "doc_id"), "description": "Defaults to the file name."},
                        "title": _string(DocumentIn, "title"),
                        "date": {"type": "string", "format": "date", "description": "YYYY-MM-DD"},
                        "collection": _string(DocumentIn, "collection"),
                    },
                    "required": ["file"],
                }
            },
        },
        "required": True,
    }
}


def _summary(doc: Document, chunks: int) -> dict:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "lang": doc.lang,
        "chars": len(doc.text),
        "chunks": chunks,
        "origin": doc.origin,
        "date": doc.date,
        "collection": doc.collection,
        "url": doc.url,
    }


def _checked(doc_id: str) -> str:
    """``doc_id`` of a path, refused with 422 if no upload could have created it ('..', control characters...)."""
    try:
        check_doc_id(doc_id)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return doc_id  # looked up as given: a corpus file's id is its path, which may differ from a stripped one


def _status(report: IngestReport) -> str:
    for status in ("added", "updated", "removed"):
        if getattr(report, status):
            return status
    return "unchanged"


@router.get(
    "",
    response_model=list[DocumentSummary],
    summary="List indexed documents",
    dependencies=[READ],
    responses=error_responses(401, 409, 429),
)
def list_documents(pipeline: Pipeline = Depends(get_pipeline)) -> list[dict]:
    catalog = pipeline.catalog()
    return [_summary(d, catalog.chunks[d.doc_id]) for d in catalog.documents.values()]


@router.get(
    "/{doc_id:doc_path}",
    response_model=DocumentOut,
    summary="A document's metadata and full text",
    dependencies=[READ],
    responses=error_responses(401, 404, 409, 422, 429),
)
def get_document(doc_id: DocIdPath, pipeline: Pipeline = Depends(get_pipeline)) -> dict:
    """Offsets returned by /ask and /search index into ``text``."""
    doc_id = _checked(doc_id)
    catalog = pipeline.catalog()  # one catalog for the whole request: a concurrent delete cannot split it
    if doc_id not in catalog.documents:
        raise UnknownDocument(doc_id)
    doc = catalog.documents[doc_id]
    return {**_summary(doc, catalog.chunks[doc_id]), "text": doc.text}


@router.post(
    "",
    response_model=IngestOut,
    status_code=201,
    summary="Add or replace a document (admin key)",
    openapi_extra=_UPLOAD_DOC,
    dependencies=[WRITE],
    responses={**QUEUED_RESPONSE, **error_responses(400, 401, 403, 409, 413, 415, 422, 429, 502, 503)},
)
async def upload_document(request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> IngestOut | JSONResponse:
    """Upload a file (multipart, field ``file``) or JSON ``{doc_id, text, title?, date?, collection?}``, or ask for
    a web page with JSON ``{url, doc_id?, title?, date?, collection?}``; it is indexed at once. Without ``date`` the
    file's or page's metadata date or the first date in its text is used. A page that cannot be fetched is a 502,
    a refused URL (an address outside RAG_FETCH_ALLOW, a redirect loop) a 422, one that is not HTML 415, one over
    RAG_FETCH_MAX_BYTES 413."""
    content_type = request.headers.get("content-type", "")
    file: tuple[bytes, str] | None = None  # an uploaded file's content and suffix, read in its place in the queue
    url: str | None = None  # a page to fetch, likewise in its place in the queue
    if content_type.startswith("multipart/form-data"):
        form = await request.form()  # the body size is limited by the BodySizeLimit middleware
        files = form.getlist("file")
        if len(files) != 1 or isinstance(files[0], str):
            raise HTTPException(422, "multipart upload needs exactly one 'file' field holding a file")
        for field in ("doc_id", "title", "date", "collection"):
            if len(form.getlist(field)) > 1 or not isinstance(form.get(field) or "", str):
                raise HTTPException(422, f"multipart field '{field}' must be given once, as text")
        upload = files[0]
        data = await upload.read()
        name = str(form.get("doc_id") or PurePosixPath(upload.filename or "").name)
        try:
            doc_id = check_doc_id(name)
        except ValueError as exc:
            raise HTTPException(422, f"doc_id: {exc}") from exc
        suffix = PurePosixPath(upload.filename or doc_id).suffix
        try:
            meta = DocumentMeta(date=form.get("date") or None, collection=form.get("collection") or None)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        file, text = (data, suffix), ""
        title: str | None = str(form.get("title") or "").strip() or None
        if title is not None and len(title) > MAX_TITLE_CHARS:  # as a JSON upload's title
            raise HTTPException(422, f"title: must be at most {MAX_TITLE_CHARS} characters (got {len(title)})")
        date = meta.iso_date
        collection = meta.collection
    elif content_type.startswith("application/json"):
        raw = await request.body()
        try:
            # {"url": ...} asks for a page to be fetched; anything else is a document given as text.
            if _names_url(raw):
                by_url = DocumentUrlIn.model_validate_json(raw)
                try:
                    url = str(check_url(by_url.url))
                except FetchError as exc:
                    raise HTTPException(exc.status, str(exc)) from None
                doc_id, text, title = by_url.doc_id or url_doc_id(url), "", by_url.title
                date, collection = by_url.iso_date, by_url.collection
            else:
                body = DocumentIn.model_validate_json(raw)
                doc_id, text, title, date, collection = (
                    body.doc_id,
                    body.text,
                    body.title,
                    body.iso_date,
                    body.collection,
                )
        except ValidationError as exc:
            # Same message format as every other invalid request (the app's RequestValidationError handler).
            raise RequestValidationError(exc.errors()) from exc
    else:
        raise HTTPException(415, "send application/json {doc_id, text, title?} or a multipart/form-data file")
    request.state.doc_id = doc_id  # for the audit line
    spec = {"title": title, "date": date, "collection": collection}
    if file is not None and goes_to_job(*file, pipeline.settings):  # an image, or a large file: 202 and a job
        return await queue_upload(request, file, doc_id, spec)
    async with _write_slot(request, pipeline):
        if file is not None:
            # Reading a file is the costly part of an upload: it takes its place in the bounded write queue first,
            # so that a burst of uploads is refused with 503 rather than parsed all at once.
            try:
                read = await run_in_threadpool(read_bytes, *file, _read_limits(pipeline))
            except DocumentTooLarge as exc:
                raise HTTPException(413, f"document too large: {exc}") from None
            except NeedsOcr as exc:  # a scan: OCR takes seconds a page, so it is answered 202 and read as a job
                return await queue_upload(request, file, doc_id, spec, exc.what)
            # Indexed as read here: the file's text is not decoded and cleaned a second time.
            report = await run_in_threadpool(pipeline.upsert_read, doc_id, read, title, date, collection)
            return _written(request, "upload", doc_id, _status(report), report)
        if url is not None:
            page = await _fetched(request, pipeline, url)
            text, title, date = page.text, title or page.title, date or page.date
        report = await run_in_threadpool(pipeline.upsert, doc_id, text, title, date, collection, url)
    return _written(request, "upload", doc_id, _status(report), report)


@router.delete(
    "/{doc_id:doc_path}",
    response_model=IngestOut,
    summary="Remove a document from the index (admin key)",
    dependencies=[WRITE],
    responses=error_responses(401, 403, 404, 409, 422, 429, 503),
)
async def delete_document(doc_id: DocIdPath, request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> IngestOut:
    doc_id = _checked(doc_id)
    async with _write_slot(request, pipeline):
        report = await run_in_threadpool(pipeline.delete, doc_id)
    return _written(request, "delete", doc_id, "removed", report)


def _names_url(raw: bytes) -> bool:
    """Whether a JSON body is an object with a ``url`` (invalid JSON is left to the model's error message)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and "url" in data


async def _fetched(request: Request, pipeline: Pipeline, url: str) -> WebDocument:
    """The page at ``url`` read, or the fetch's status and reason (413, 415, 422 refused, 502 unreachable)."""
    metrics = request.app.state.metrics
    try:
        page = await run_in_threadpool(read_url, request.app.state.fetcher, url, _read_limits(pipeline))
    except FetchError as exc:
        metrics.count_fetching("fetch:page", fetch_outcome(exc))
        raise HTTPException(exc.status, str(exc)) from None
    except DocumentTooLarge as exc:
        metrics.count_fetching("fetch:page", "too_large")
        raise HTTPException(413, f"document too large: {exc}") from None
    except UnreadableDocument:
        metrics.count_fetching("fetch:page", "unreadable")
        raise  # 422 from the app's handler
    metrics.count_fetching("fetch:page", "ok")
    return page


def _read_limits(pipeline: Pipeline) -> ReadLimits:
    settings = pipeline.settings
    return ReadLimits(settings.max_document_chars, settings.pdf_max_pages, settings.pdf_timeout_s)


def _written(request: Request, operation: str, doc_id: str, status: str, report: IngestReport) -> IngestOut:
    """The response of a write, its duration counted and its outcome left for the audit line."""
    request.app.state.metrics.writes.labels(operation).observe(report.seconds)
    request.state.write_status = status
    return IngestOut(
        doc_id=doc_id,
        status=status,
        chunks=report.chunks,
        seconds=round(report.seconds, 3),
        embed_seconds=round(report.embed_seconds, 3),
    )


@asynccontextmanager
async def _write_slot(request: Request, pipeline: Pipeline):
    """Writes run one at a time; beyond a few waiting ones, refuse (503) rather than tie up every worker thread."""
    state = request.app.state
    waiting = getattr(state, "writes", 0)
    if waiting >= pipeline.settings.max_queued_writes:
        state.metrics.shed.labels("write_queue").inc()
        raise HTTPException(
            503, f"{waiting} index updates are already queued; retry later", headers={"Retry-After": "10"}
        )
    state.writes = waiting + 1  # the event loop runs this code in one thread: no lock needed
    try:
        yield
    finally:
        state.writes -= 1
