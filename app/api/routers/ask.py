"""Question answering and passage search."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, HTTPException, Request

from app.api.auth import READ
from app.api.dependencies import admitted, get_pipeline
from app.api.schemas import AskIn, AskResponse, QueryIn, SearchIn, SearchResponse, error_responses
from app.models import Filters, Turn
from app.pipeline import Pipeline

router = APIRouter(
    tags=["questions"], dependencies=[READ], responses=error_responses(400, 401, 409, 413, 422, 429, 503)
)


def _checked_filters(body: QueryIn, pipeline: Pipeline) -> Filters | None:
    """The request's filters; a collection the index does not have is a 422 that lists the ones it has."""
    filters = body.all_filters()
    if filters is not None and filters.collections is not None and pipeline.manifest() is not None:
        known = pipeline.catalog().collections
        unknown = [c for c in filters.collections if c not in known]
        if unknown:
            raise HTTPException(
                422,
                f"filters.collections: unknown collection(s) {', '.join(map(repr, unknown))}; "
                f"the index has: {', '.join(map(repr, known)) or 'none'}",
            )
    return filters


def _checked_history(body: AskIn, pipeline: Pipeline) -> list[Turn]:
    """The earlier turns; a doc_id among them that the index does not hold is a 422 naming it, as in filters: only
    stored documents' ids go on to the store's queries."""
    turns = [t.to_turn() for t in body.history]
    named = list(dict.fromkeys(d for t in turns for d in t.doc_ids))
    if named and pipeline.manifest() is not None:
        known = pipeline.catalog().documents
        unknown = [d for d in named if d not in known]
        if unknown:
            raise HTTPException(422, f"history doc_ids: unknown document(s) {', '.join(map(repr, unknown))}")
    return turns


@router.post(
    "/ask",
    response_model=AskResponse,
    dependencies=[Depends(admitted)],
    summary="Answer a question with a cited verbatim span",
)
def ask(body: AskIn, request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> AskResponse:
    """Retrieve passages in any language and extract the answering sentence and a short span.

    ``answer`` is null when the documents do not answer the question with enough confidence.
    """
    request.state.question = body.question  # logged only with RAG_LOG_QUESTIONS=true
    result = pipeline.ask(
        body.question,
        top_k=body.top_k,
        lang=body.lang,
        filters=_checked_filters(body, pipeline),
        history=_checked_history(body, pipeline),
        explain=body.explain,
        admit=True,
    )
    request.app.state.metrics.observe_answer(result)
    request.state.answer = (result.answer is not None, result.answer.confidence if result.answer else None)
    cited = {a.doc_id for a in result.answers} | {p.doc_id for p in result.passages}
    return AskResponse.from_result(result, request.app.state.settings.refusal_contact, _urls(pipeline, cited))


def _urls(pipeline: Pipeline, cited: set[str]) -> dict[str, str]:
    """The web pages the cited documents were fetched from (the catalog is cached until the next write)."""
    if not cited:
        return {}
    documents = pipeline.catalog().documents
    return {d: url for d in cited if d in documents and (url := documents[d].url)}


@router.post(
    "/search", response_model=SearchResponse, dependencies=[Depends(admitted)], summary="Hybrid passage search"
)
def search(body: SearchIn, request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> SearchResponse:
    started = time.perf_counter()
    request.state.question = body.query
    filters = _checked_filters(body, pipeline)
    passages = pipeline.search(body.query, top_k=body.top_k, lang=body.lang, filters=filters, admit=True)
    urls = _urls(pipeline, {p.doc_id for p in passages})
    return SearchResponse(
        passages=[{**p.public(), "url": urls.get(p.doc_id)} for p in passages],
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )
