"""Prometheus metrics: a key when ``RAG_METRICS_AUTH`` (default: ``RAG_READ_AUTH``) says so, and a rate limit of
their own (``RAG_METRICS_RATE_LIMIT``), since each scrape renders every series."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.auth import METRICS
from app.api.metrics import CONTENT_TYPE
from app.api.schemas import error_responses

router = APIRouter(tags=["status"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    dependencies=[METRICS],
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **error_responses(401, 429)},
)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)
