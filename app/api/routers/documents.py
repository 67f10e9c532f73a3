"""Listing, reading, uploading and deleting documents; every change is indexed and persisted at once."""

from __future__ import annotations

from pathlib import PurePosixPath

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from app.api.dependencies import get_pipeline
from app.api.schemas import DocumentIn, DocumentOut, DocumentSummary, IngestOut, check_doc_id
from app.models import Document, IngestReport
from app.pipeline import Pipeline
from app.reader import SUPPORTED, UnreadableDocument, read_bytes

router = APIRouter(prefix="/documents", tags=["documents"])

_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": f"One of {', '.join(SUPPORTED)}"},
                        "doc_id": {"type": "string", "description": "Defaults to the file name."},
                        "title": {"type": "string"},
                    },
                    "required": ["file"],
                }
            },
        },
        "required": True,
    }
}


def _summary(pipeline: Pipeline, doc: Document) -> dict:
    snap = pipeline.snapshot
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "lang": doc.lang,
        "chars": len(doc.text),
        "chunks": int(len(snap.chunk_rows(doc.doc_id))) if snap else 0,
        "origin": doc.origin,
    }


def _status(report: IngestReport) -> str:
    for status in ("added", "updated", "removed"):
        if getattr(report, status):
            return status
    return "unchanged"


@router.get("", response_model=list[DocumentSummary], summary="List indexed documents")
def list_documents(pipeline: Pipeline = Depends(get_pipeline)) -> list[dict]:
    snap = pipeline.snapshot
    if snap is None:
        return []
    counts: dict[int, int] = {}
    for doc_index in snap.chunks[:, 0].tolist():
        counts[doc_index] = counts.get(doc_index, 0) + 1
    return [
        {"doc_id": d.doc_id, "title": d.title, "lang": d.lang, "chars": len(d.text),
         "chunks": counts.get(i, 0), "origin": d.origin}
        for i, d in enumerate(snap.documents.values())
    ]


@router.get("/{doc_id:path}", response_model=DocumentOut, summary="A document's metadata and full text")
def get_document(doc_id: str, pipeline: Pipeline = Depends(get_pipeline)) -> dict:
    """Offsets returned by /ask and /search index into ``text``."""
    doc = pipeline.document(doc_id)
    return {**_summary(pipeline, doc), "text": doc.text}


@router.post("", response_model=IngestOut, status_code=201, summary="Add or replace a document",
             openapi_extra=_UPLOAD_DOC)
async def upload_document(request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> IngestOut:
    """Upload a file (multipart, field ``file``) or JSON ``{doc_id, text, title?}``; it is indexed at once."""
    content_type = request.headers.get("content-type", "")
    limit = pipeline.settings.max_upload_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        raise HTTPException(413, f"upload larger than {limit} bytes")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "multipart upload needs a 'file' field")
        data = await upload.read()
        name = str(form.get("doc_id") or PurePosixPath(upload.filename or "").name)
        try:
            doc_id = check_doc_id(name)
        except ValueError as exc:
            raise HTTPException(422, f"doc_id: {exc}") from exc
        suffix = PurePosixPath(upload.filename or doc_id).suffix
        text, derived = await run_in_threadpool(read_bytes, data, suffix)
        title = str(form.get("title") or "").strip() or derived
    elif content_type.startswith("application/json"):
        try:
            body = DocumentIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise HTTPException(422, "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())) from exc
        doc_id, text, title = body.doc_id, body.text, body.title
    else:
        raise HTTPException(415, "send application/json {doc_id, text, title?} or a multipart/form-data file")
    report = await run_in_threadpool(pipeline.upsert, doc_id, text, title)
    return IngestOut(doc_id=doc_id, status=_status(report), chunks=report.chunks, seconds=round(report.seconds, 3))


@router.delete("/{doc_id:path}", response_model=IngestOut, summary="Remove a document from the index")
def delete_document(doc_id: str, pipeline: Pipeline = Depends(get_pipeline)) -> IngestOut:
    report = pipeline.delete(doc_id)
    return IngestOut(doc_id=doc_id, status="removed", chunks=len(pipeline.snapshot.chunks), seconds=round(report.seconds, 3))


