"""Shared request dependencies."""

from __future__ import annotations

from fastapi import Request

from app.pipeline import Pipeline


def get_pipeline(request: Request) -> Pipeline:
    """The process-wide pipeline created at start-up."""
    return request.app.state.pipeline
