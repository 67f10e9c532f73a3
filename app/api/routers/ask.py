"""Question answering and passage search."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request

from app.api.auth import READ
from app.api.dependencies import get_pipeline
from app.api.schemas import AskIn, AskResponse, SearchIn, SearchResponse, error_responses
from app.pipeline import Pipeline

router = APIRouter(
    tags=["questions"], dependencies=[READ], responses=error_responses(400, 401, 409, 413, 422, 429, 503)
)


@router.post("/ask", response_model=AskResponse, summary="Answer a question with a cited verbatim span")
def ask(body: AskIn, request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> AskResponse:
    """Retrieve passages in any language and extract the answering sentence and a short span.

    ``answer`` is null when the documents do not answer the question with enough confidence.
    """
    request.state.question = body.question  # logged only with RAG_LOG_QUESTIONS=true
    result = pipeline.ask(body.question, top_k=body.top_k, lang=body.lang, doc_ids=body.doc_ids)
    request.app.state.metrics.observe_answer(result)
    request.state.answer = (result.answer is not None, result.answer.confidence if result.answer else None)
    return AskResponse.from_result(result)


@router.post("/search", response_model=SearchResponse, summary="Hybrid passage search")
def search(body: SearchIn, request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> SearchResponse:
    started = time.perf_counter()
    request.state.question = body.query
    passages = pipeline.search(body.query, top_k=body.top_k, lang=body.lang, doc_ids=body.doc_ids)
    return SearchResponse(
        passages=[p.public() for p in passages], took_ms=round((time.perf_counter() - started) * 1000, 2)
    )
