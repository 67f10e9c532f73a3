"""Wires the FastAPI application: pipeline, keys, limits, metrics, logs, middleware, routers, error handlers."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app import __version__
from app.api.access_log import AccessLog
from app.api.auth import describe_optional_auth
from app.api.errors import InternalErrors, withheld
from app.api.headers import SecurityHeaders
from app.api.jobs import Jobs, upload_job
from app.api.limits import BodySizeLimit
from app.api.metrics import Metrics
from app.api.ratelimit import RateLimit
from app.api.readiness import Readiness
from app.api.routers import ask, docs, documents, feedback, health, jobs, metrics, ui
from app.encoders.inference import Overloaded
from app.feedback.store import FeedbackStore
from app.feeds.poller import FeedPoller, FeedWorker
from app.feeds.store import FeedStore
from app.index.snapshot import IndexMismatch
from app.index.storage import StoreUnavailable
from app.ingest.fetch import Fetcher, policy_of
from app.ingest.reader import UnreadableDocument
from app.keys import KeyRing
from app.pipeline import Pipeline, UnknownDocument
from app.settings import Settings, get_settings


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
        try:
            app.state.pipeline.check()  # fail fast on an index built by another encoder
        except StoreUnavailable as exc:  # start anyway: /ready and 503s say so until the store is back
            logging.getLogger("app").warning("index store unavailable at start-up: %s", exc)
        app.state.readiness.start()  # /health answers at once, /ready once the models are warm
        app.state.jobs.start()  # takes up the ingest jobs a restart cut short
        if app.state.fetcher.closed:  # a restarted lifespan
            app.state.fetcher = Fetcher(policy_of(settings))
        feeds = _feed_worker(app, settings)
        yield
        if feeds is not None:
            await asyncio.to_thread(feeds.stop)  # it may be finishing a fetch or a write: not on the event loop
        await asyncio.to_thread(app.state.jobs.stop)  # a job under way stays on disk and runs at the next start
        await asyncio.to_thread(app.state.readiness.stop)  # it may wait for a warm-up: not on the event loop
        app.state.feedback.close()  # folds the write-ahead log back into the feedback file
        app.state.feeds.close()
        app.state.fetcher.close()

    app = FastAPI(
        title="Border security QA",
        version=__version__,
        description="Cited extractive answers from Russian and English documents. Every answer is a verbatim span.",
        lifespan=lifespan,
        # With closed reads the API description needs a read key too: app/api/routers/docs.py serves it then.
        openapi_url=None if settings.read_auth else "/openapi.json",
        docs_url=None if settings.read_auth else "/docs",
        redoc_url=None if settings.read_auth else "/redoc",
    )
    if pipeline is None:
        pipeline = Pipeline(settings)
        pipeline.background_compaction = True  # a server keeps answering and taking uploads while it compacts
    app.state.pipeline = pipeline
    app.state.settings = settings
    app.state.writes = 0  # uploads and deletions in progress or waiting (documents router)
    app.state.keys = KeyRing(settings.keys_file)
    # Each limit counts under its own name, in the shared storage when one is configured.
    shared = settings.rate_limit_storage
    app.state.rate_limit = RateLimit(settings.rate_limit, shared)
    app.state.metrics_rate_limit = RateLimit(settings.metrics_rate_limit, shared, name="metrics")
    app.state.feedback_rate_limit = RateLimit(settings.feedback_rate_limit, shared, name="feedback")
    app.state.feedback_quota = RateLimit(settings.feedback_quota, shared, name="feedback-quota")
    app.state.metrics = Metrics(app.state.pipeline, lambda: app.state.writes)
    app.state.readiness = Readiness(app.state.pipeline)
    # Uploads that need OCR or are large: spooled under the index folder, read and indexed on one thread.
    app.state.jobs = Jobs(
        pipeline.settings.index_dir / "jobs",
        upload_job(pipeline, app.state.metrics),
        max_queued=pipeline.settings.max_queued_jobs,
        kept=pipeline.settings.jobs_kept,
        ttl_s=pipeline.settings.job_ttl_s,
    )
    # Opened at the first feedback, so that an app that never gets any creates no file.
    app.state.feedback = FeedbackStore(
        settings.feedback_file,
        settings.feedback_max_rows,
        store_text=settings.feedback_store_text,
        anonymous_max_rows=settings.feedback_anonymous_max_rows,
    )

    # The one client of outbound requests (documents by URL, feeds), under RAG_FETCH_ALLOW and the fetch limits.
    app.state.fetcher = Fetcher(policy_of(settings))
    app.state.feeds = FeedStore(settings.feeds_file, settings.feeds_max)

    def body_limit(scope) -> int:
        # Uploads may be large; questions and searches are a few kilobytes at most.
        limits = app.state.pipeline.settings
        is_upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/documents"
        return limits.max_upload_bytes if is_upload else limits.max_request_bytes

    # Added innermost first: a request passes SecurityHeaders, AccessLog (log and metrics), CORS, BodySizeLimit,
    # InternalErrors, then the routes; so every response, a 500 included, is logged, counted and given the headers.
    app.add_middleware(InternalErrors)
    app.add_middleware(BodySizeLimit, limit_for=body_limit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            # The widget sends its key (data-key) and reads Retry-After to say when to ask again.
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID"],
        )
    app.add_middleware(AccessLog, metrics=app.state.metrics, log_questions=settings.log_questions)
    app.add_middleware(SecurityHeaders)

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

    @app.exception_handler(Overloaded)
    async def overloaded(_: Request, exc: Overloaded):
        # Shed load at once: a client retrying later is better served than one answered seconds late.
        app.state.metrics.shed.labels("inference_queue").inc()
        return JSONResponse(
            status_code=503, content={"detail": str(exc)}, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(IndexMismatch)
    async def index_mismatch(_: Request, exc: IndexMismatch):
        return _error(409, str(exc))

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable):
        # The store (Milvus) is down or slow: the client may retry; its URI and error are for the server log.
        app.state.metrics.shed.labels("store").inc()
        return JSONResponse(
            status_code=503,
            content={"detail": withheld(request, "the index store is unavailable", exc)},
            headers={"Retry-After": str(exc.retry_after)},
        )

    app.include_router(ask.router)
    app.include_router(feedback.router)
    app.include_router(documents.router)
    app.include_router(jobs.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(ui.router)  # the chat page, /widget.js and their assets
    if settings.read_auth:
        app.include_router(docs.router)
    describe_optional_auth(app, settings)
    return app


def _feed_worker(app: FastAPI, settings: Settings) -> FeedWorker | None:
    """The feeds' schedule (RAG_FEEDS_INTERVAL seconds; 0: none), started on a thread of its own."""
    if settings.feeds_interval <= 0:
        return None
    poller = FeedPoller(
        app.state.pipeline,
        app.state.feeds,
        app.state.fetcher,
        settings.feeds_interval,
        settings.feeds_max_entries,
        app.state.metrics.count_fetching,
    )
    # Due feeds are looked for at least every 30 s: a feed added by the CLI is polled soon after.
    worker = FeedWorker(poller, tick=min(settings.feeds_interval, 30))
    worker.start()
    return worker


def create_app_from_env() -> FastAPI:
    """The application of one ``serve --workers N`` process, its settings read from the environment (``RAG_*``).

    uvicorn starts each worker as a fresh interpreter that imports this factory by name, so ``serve`` hands its
    options over in the environment, and each worker repeats the process set-up ``serve`` does for one process.
    """
    from app.api.logs import configure_logging
    from app.api.memory import limit_malloc_arenas

    settings = Settings()
    limit_malloc_arenas(settings.malloc_arenas)  # before the pipeline starts its thread
    configure_logging()  # the worker inherits no handlers: the JSON access and audit lines need them
    return create_app(settings)
