"""Liveness and index status."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.api.dependencies import get_pipeline
from app.api.schemas import HealthOut
from app.pipeline import Pipeline

router = APIRouter(tags=["status"])


@router.head("/health", include_in_schema=False)  # load balancers probe with HEAD
@router.get("/health", response_model=HealthOut)
def health(pipeline: Pipeline = Depends(get_pipeline)) -> HealthOut:
    snap = pipeline.snapshot
    return HealthOut(
        status="ok",
        documents=len(snap.documents) if snap else 0,
        chunks=len(snap.chunks) if snap else 0,
        embedding_model=snap.manifest["model"] if snap else pipeline.encoder.model,
        encoder=snap.encoder if snap else pipeline.settings.encoder,
        index_built_at=snap.manifest.get("built_at") if snap else None,
    )
