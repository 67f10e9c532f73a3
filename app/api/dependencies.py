"""Shared request dependencies."""

from __future__ import annotations

from fastapi import Request

from app.pipeline import Pipeline


def get_pipeline(request: Request) -> Pipeline:
    """The process-wide pipeline created at start-up."""
    return request.app.state.pipeline


async def admitted(request: Request) -> None:
    """Refuse a question at once (503, Retry-After) when the models' queue would keep it past its bounds: on the
    event loop, before the question is parsed further or analysed, so that shedding load costs almost nothing."""
    request.app.state.pipeline.inference.admit()
