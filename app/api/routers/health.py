"""Liveness (``/health``: the process answers) and readiness (``/ready``: it can serve questions now)."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.api.dependencies import get_pipeline
from app.api.schemas import HealthOut, ReadyOut
from app.pipeline import Pipeline

router = APIRouter(tags=["status"])


@router.head("/health", include_in_schema=False)  # load balancers probe with HEAD
@router.get("/health", response_model=HealthOut)
def health(pipeline: Pipeline = Depends(get_pipeline)) -> HealthOut:
    """The process is alive; index counts and encoder as far as they are known (cheap: no model call)."""
    catalog = pipeline.catalog()
    manifest = catalog.manifest
    return HealthOut(
        status="ok",
        documents=len(catalog.documents),
        chunks=catalog.total_chunks,
        embedding_model=manifest["model"] if manifest else pipeline.encoder.model,
        encoder=manifest["encoder"] if manifest else pipeline.settings.encoder,
        index_built_at=manifest.get("built_at") if manifest else None,
        pid=os.getpid(),
    )


@router.head("/ready", include_in_schema=False)
@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut, "description": "Not ready yet."}})
def ready(request: Request) -> JSONResponse:
    """200 once the index is loaded and the encoder warm; 503 with the reason before (or when the index breaks)."""
    problem = request.app.state.readiness.problem()
    if problem:
        return JSONResponse(ReadyOut(status="not ready", reason=problem).model_dump(), status_code=503)
    return JSONResponse(ReadyOut(status="ready").model_dump())
