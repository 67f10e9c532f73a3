"""Question answering and passage search."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends

from app.api.dependencies import get_pipeline
from app.api.schemas import AskIn, AskResponse, SearchIn, SearchResponse
from app.pipeline import Pipeline

router = APIRouter(tags=["questions"])


@router.post("/ask", response_model=AskResponse, summary="Answer a question with a cited verbatim span")
def ask(body: AskIn, pipeline: Pipeline = Depends(get_pipeline)) -> AskResponse:
    """Retrieve passages in any language and extract the answering sentence and a short span.

    ``answer`` is null when the documents do not answer the question with enough confidence.
    """
    result = pipeline.ask(body.question, top_k=body.top_k, lang=body.lang, doc_ids=body.doc_ids)
    return AskResponse.from_result(result)


@router.post("/search", response_model=SearchResponse, summary="Hybrid passage search")
def search(body: SearchIn, pipeline: Pipeline = Depends(get_pipeline)) -> SearchResponse:
    started = time.perf_counter()
    passages = pipeline.search(body.query, top_k=body.top_k, lang=body.lang, doc_ids=body.doc_ids)
    return SearchResponse(
        passages=[p.public() for p in passages], took_ms=round((time.perf_counter() - started) * 1000, 2)
    )
