"""Liveness (``/health``: the process answers) and readiness (``/ready``: it can serve questions now).

Both answer without a key, since probes (Docker's HEALTHCHECK on ``/ready``, load balancers on ``/health``) send
none. What they tell a keyless caller is bounded: with ``RAG_READ_AUTH=true`` ``/health`` is a bare "ok" (the
counts, encoder and pid need a key, like the documents they describe), and ``/ready``'s reasons never carry an
exception's text.
"""

from __future__ import annotations

import os
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.auth import PROBE
from app.api.dependencies import get_pipeline
from app.api.errors import withheld
from app.api.schemas import HealthOut, ReadyOut, error_responses
from app.keys import ApiKey
from app.pipeline import Pipeline

router = APIRouter(tags=["status"])


class LivenessOut(BaseModel):
    """``/health`` without a key while reads need one: the process answers, nothing more."""

    status: Literal["ok"]


@router.head("/health", include_in_schema=False)  # load balancers probe with HEAD
@router.get("/health", response_model=HealthOut | LivenessOut, responses=error_responses(401))
def health(
    request: Request, key: ApiKey | None = PROBE, pipeline: Pipeline = Depends(get_pipeline)
) -> HealthOut | LivenessOut:
    """The process is alive; index counts and encoder as far as they are known (cheap: no model call), to a key
    or while reads are open."""
    if key is None and request.app.state.settings.read_auth:
        return LivenessOut(status="ok")
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
        query_encoder=pipeline.encoder_model,
        reader=pipeline.answerer.reader_path,
    )


@router.head("/ready", include_in_schema=False)
@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut, "description": "Not ready yet."}})
def ready(request: Request) -> JSONResponse:
    """200 once the index is loaded and the encoder warm; 503 with the reason before (or when the index breaks)."""
    readiness = request.app.state.readiness
    problem, details = readiness.problem(), readiness.details()
    if problem:
        reason = withheld(request, problem.reason, problem.error) if problem.error else problem.reason
        return JSONResponse(ReadyOut(status="not ready", reason=reason, details=details).model_dump(), status_code=503)
    return JSONResponse(ReadyOut(status="ready", details=details).model_dump())
