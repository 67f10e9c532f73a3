"""Ingest jobs: how an upload answered 202 is going (admin key, like the upload that made it)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from app.api.auth import WRITE
from app.api.jobs import JobOut
from app.api.schemas import ErrorOut, error_responses

router = APIRouter(prefix="/jobs", tags=["documents"])


@router.get(
    "/{job_id}",
    response_model=JobOut,
    summary="An ingest job's status and report (admin key)",
    dependencies=[WRITE],
    responses={
        **error_responses(401, 403, 429),
        404: {"model": ErrorOut, "description": "No job with this id (never created, or its report expired)."},
    },
)
def get_job(job_id: str, request: Request) -> JobOut:
    """``queued``, ``running``, then ``done`` with the upload's report or ``failed`` with the error and the status
    a synchronous upload would have got. Ended jobs are kept ``RAG_JOB_TTL_S`` (at most ``RAG_JOBS_KEPT``)."""
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, "unknown job id (never created, or its report has expired)")
    return job
