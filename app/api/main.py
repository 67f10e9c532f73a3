"""Wires the FastAPI application: pipeline, routers, error handlers, CORS."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app import __version__
from app.api.limits import BodySizeLimit
from app.api.routers import ask, documents, health, ui
from app.index.snapshot import IndexMismatch
from app.inference import Overloaded
from app.ingest.reader import UnreadableDocument
from app.pipeline import Pipeline, UnknownDocument
from app.settings import Settings, get_settings

log = logging.getLogger("app")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": message})


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":  # loc is ("body", <character position>) from FastAPI
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            where = f" at character {error['loc'][-1]}" if error.get("loc") else ""
            parts.append(f"body: invalid JSON{where}: {reason}")
            continue
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """Build the application; the pipeline (and its encoder) is created once per process."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pipeline.check()  # fail fast on an index built by another encoder
        app.state.pipeline.warm_up()
        yield

    app = FastAPI(
        title="Border security QA",
        version=__version__,
        description="Cited extractive answers from Russian and English documents. Every answer is a verbatim span.",
        lifespan=lifespan,
    )
    app.state.pipeline = pipeline or Pipeline(settings)

    def body_limit(scope) -> int:
        # Uploads may be large; questions and searches are a few kilobytes at most.
        limits = app.state.pipeline.settings
        is_upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/documents"
        return limits.max_upload_bytes if is_upload else limits.max_request_bytes

    app.add_middleware(BodySizeLimit, limit_for=body_limit)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError):
        return _error(422, _validation_message(exc))

    @app.exception_handler(UnknownDocument)
    async def unknown_document(request: Request, exc: UnknownDocument):
        status = 404 if request.url.path.startswith("/documents") else 422
        return _error(status, f"unknown doc_id: {exc.args[0]}")

    @app.exception_handler(UnreadableDocument)
    async def unreadable_document(_: Request, exc: UnreadableDocument):
        return _error(422, f"unreadable document: {exc}")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # Clients always get JSON with a "detail"; the traceback goes to the server log.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")

    @app.exception_handler(Overloaded)
    async def overloaded(_: Request, exc: Overloaded):
        # Shed load at once: a client retrying later is better served than one answered seconds late.
        return JSONResponse(
            status_code=503, content={"detail": str(exc)}, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(IndexMismatch)
    async def index_mismatch(_: Request, exc: IndexMismatch):
        return _error(409, str(exc))

    app.include_router(ask.router)
    app.include_router(documents.router)
    app.include_router(health.router)
    app.include_router(ui.router)  # the chat page, /widget.js and their assets
    return app
