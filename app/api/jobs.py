"""Ingest jobs: uploads too slow to answer in one request (a file that needs OCR, or a large one) are spooled to
disk under the index folder, answered 202 with a job id, and read and indexed by one worker thread, off the event
loop; ``GET /jobs/{id}`` tells how each went.

A job is two files in ``<index>/jobs/``: ``<id>.upload`` (the file, kept until the job ends) and ``<id>.json`` (what
was asked and how it went, replaced atomically at each step). So a restart loses nothing: every process serving
the folder takes up, at its start, the jobs that had not ended; one runs each (a lock on the upload file), and a
job that was running when its process died runs again, up to ``MAX_ATTEMPTS`` times in all. The queue is bounded
across processes (unended jobs are counted on disk, under a lock), and ended jobs are kept for a bounded time and
number.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Optional

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.ingest.reader import (
    IMAGE_SUFFIXES,
    SUPPORTED,
    DocumentTooLarge,
    ReadLimits,
    UnreadableDocument,
    check_image,
    ocr_options,
    read_bytes,
)

log = logging.getLogger("app")

JOB_ID = re.compile(r"[0-9a-f]{32}")
# A job that was running when its process died is run again at the next start, at most this many times in all:
# a file that kills the server (memory) must not kill it at every start.
MAX_ATTEMPTS = 3
RETRY_AFTER_S = 30  # what a full queue asks a client to wait: an OCR job takes seconds to minutes
UNENDED = ("queued", "running")


class IngestResult(BaseModel):
    """What the job's write changed (the body a synchronous upload answers with)."""

    doc_id: str
    status: Literal["added", "updated", "unchanged", "removed"]
    chunks: int = Field(description="Chunks in the whole index afterwards.")
    seconds: float
    embed_seconds: float = 0.0


class JobOut(BaseModel):
    """An ingest job: queued, running, then done (``result``) or failed (``error`` and its HTTP ``error_status``)."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    doc_id: str
    file_type: str = Field(description="The uploaded file's suffix.")
    bytes: int
    created_at: str
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    attempts: int = Field(0, description="Times the job started (it runs again after a restart that cut it short).")
    result: Optional[IngestResult] = None
    error: Optional[str] = None
    error_status: Optional[int] = Field(None, description="The status a synchronous upload would have got: 413, 422...")


class JobsFull(Exception):
    """The queue holds its maximum of unended jobs."""

    retry_after = RETRY_AFTER_S


class JobFailed(Exception):
    """A job's file could not be ingested: ``status`` is the HTTP status an upload would have got."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _age_s(stamp: str | None) -> float:
    if not stamp:
        return 0.0
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()


class Jobs:
    """The job folder and its worker thread. ``run(job, spec, data)`` reads and indexes one file, returning its
    ``IngestResult`` or raising ``JobFailed``."""

    def __init__(
        self,
        folder: Path,
        run: Callable[[JobOut, dict[str, Any], bytes], IngestResult],
        max_queued: int,
        kept: int,
        ttl_s: float,
    ):
        self.folder = folder
        self.run = run
        self.max_queued = max_queued
        self.kept = kept
        self.ttl_s = ttl_s
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    # -- the folder ----------------------------------------------------------------------------------------------

    def _meta(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def _upload(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.upload"

    def _write(self, job: JobOut) -> None:
        """Replace the job's record atomically: a reader sees the old one or the new one."""
        path = self._meta(job.id)
        tmp = path.with_name(f".{job.id}.json.tmp")
        tmp.write_text(job.model_dump_json())
        os.replace(tmp, path)

    def get(self, job_id: str) -> JobOut | None:
        """The job's record, None when there is none (never was, or pruned)."""
        if not JOB_ID.fullmatch(job_id):
            return None
        try:
            return JobOut.model_validate_json(self._meta(job_id).read_bytes())
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def _folder_lock(self) -> Iterator[None]:
        """Held while counting and adding jobs, so that several processes on the folder keep one bound."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield  # closing the file releases the lock

    def unended(self) -> int:
        """Jobs queued or running in every process of the folder: each keeps its upload until it ends."""
        return sum(1 for _ in self.folder.glob("*.upload")) if self.folder.exists() else 0

    # -- submitting ----------------------------------------------------------------------------------------------

    def submit(self, data: bytes, doc_id: str, suffix: str, spec: dict[str, Any]) -> JobOut:
        """Spool ``data`` and queue its job (``JobsFull`` when the queue is full). ``spec`` holds the upload's
        title, date and collection. Blocking (disk writes): call it off the event loop."""
        job_id = uuid.uuid4().hex
        with self._folder_lock():
            if self.unended() >= self.max_queued:
                raise JobsFull(f"{self.max_queued} ingest jobs are already queued or running; retry later")
            upload = self._upload(job_id)
            tmp = upload.with_name(f".{job_id}.upload.tmp")
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())  # the 202 promises the file survives a crash
            os.replace(tmp, upload)
            job = JobOut(
                id=job_id, status="queued", doc_id=doc_id, file_type=suffix, bytes=len(data), created_at=_now()
            )
            self._write(job)
            (self.folder / f"{job_id}.spec.json").write_text(json.dumps(spec))
        self._queue.put(job_id)
        return job

    def spec(self, job_id: str) -> dict[str, Any]:
        """The title, date and collection the upload gave."""
        try:
            return json.loads((self.folder / f"{job_id}.spec.json").read_text())
        except FileNotFoundError:
            return {}

    # -- the worker ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Take up the jobs left unended in the folder (oldest first), prune old ones, and start the worker."""
        if self.folder.exists():
            pending = [job for job in self._records() if job.status in UNENDED]
            for job in sorted(pending, key=lambda j: j.created_at):
                self._queue.put(job.id)
            if pending:
                log.info("resuming %d ingest jobs", len(pending))
            self.prune()
        self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs. A job under way is not waited for beyond ``timeout``: it stays "running" on disk and
        runs again at the next start."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def wait_idle(self, timeout: float) -> bool:
        """Whether every queued job of this process ended within ``timeout`` seconds (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.05)
        return False

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                if job_id is None:
                    return
                self._claim_and_run(job_id)
            except Exception:  # a job never ends the worker
                log.exception("ingest job %s", job_id)
            finally:
                self._queue.task_done()

    def _claim_and_run(self, job_id: str) -> None:
        """Run the job unless another process runs it or it has ended; the lock on its upload says who runs it."""
        try:
            handle = open(self._upload(job_id), "rb")  # noqa: SIM115 (closed by the with below)
        except FileNotFoundError:  # ended (and its upload removed) meanwhile
            return
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process of the folder runs it
                return
            job = self.get(job_id)
            if job is None or job.status not in UNENDED:
                return
            if job.attempts >= MAX_ATTEMPTS:
                self._end(job, error=JobFailed(500, f"gave up after {job.attempts} attempts cut short by restarts"))
                return
            job = job.model_copy(update={"status": "running", "started_at": _now(), "attempts": job.attempts + 1})
            self._write(job)
            try:
                result = self.run(job, self.spec(job_id), handle.read())
            except JobFailed as exc:
                self._end(job, error=exc)
            except Exception as exc:
                log.exception("ingest job %s failed", job_id)
                self._end(job, error=JobFailed(500, f"internal error ({type(exc).__name__})"))
            else:
                self._end(job, result=result)

    def _end(self, job: JobOut, result: IngestResult | None = None, error: JobFailed | None = None) -> None:
        ended = job.model_copy(
            update={
                "status": "failed" if error else "done",
                "finished_at": _now(),
                "result": result,
                "error": str(error) if error else None,
                "error_status": error.status if error else None,
            }
        )
        self._write(ended)  # before the upload goes: a job without its upload is one that ended
        self._upload(job.id).unlink(missing_ok=True)
        (self.folder / f"{job.id}.spec.json").unlink(missing_ok=True)
        self.prune()

    def _records(self) -> list[JobOut]:
        jobs = []
        for path in self.folder.glob("*.json"):
            if not JOB_ID.fullmatch(path.stem):
                continue  # the spec files
            with contextlib.suppress(FileNotFoundError, ValueError):
                jobs.append(JobOut.model_validate_json(path.read_bytes()))
        return jobs

    def prune(self) -> None:
        """Forget ended jobs past ``ttl_s``, and the oldest beyond ``kept``; and uploads no job record names (a
        crash between spooling a file and recording its job)."""
        ended = sorted((job for job in self._records() if job.status not in UNENDED), key=lambda j: j.finished_at or "")
        excess = len(ended) - self.kept
        for number, job in enumerate(ended):
            if number < excess or _age_s(job.finished_at) > self.ttl_s:
                self._meta(job.id).unlink(missing_ok=True)
        for upload in self.folder.glob("*.upload"):
            if not self._meta(upload.stem).exists() and time.time() - upload.stat().st_mtime > 60:
                upload.unlink(missing_ok=True)


def read_limits(settings: Any) -> ReadLimits:
    """The bounds on reading an uploaded file, from ``settings``."""
    return ReadLimits(settings.max_document_chars, settings.pdf_max_pages, settings.pdf_timeout_s)


def upload_job(pipeline: Any, metrics: Any) -> Callable[[JobOut, dict[str, Any], bytes], IngestResult]:
    """The job of an uploaded file: read it (OCR included, within the upload limits) and index it."""

    def run(job: JobOut, spec: dict[str, Any], data: bytes) -> IngestResult:
        settings = pipeline.settings
        try:
            read = read_bytes(data, job.file_type, read_limits(settings), ocr_options(settings))
            # Indexed as read here: the text is not decoded and cleaned a second time.
            report = pipeline.upsert_read(
                job.doc_id, read, title=spec.get("title"), date=spec.get("date"), collection=spec.get("collection")
            )
        except DocumentTooLarge as exc:
            raise JobFailed(413, f"document too large: {exc}") from None
        except UnreadableDocument as exc:
            raise JobFailed(422, f"unreadable document: {exc}") from None
        metrics.writes.labels("upload").observe(report.seconds)
        status = next((s for s in ("added", "updated", "removed") if getattr(report, s)), "unchanged")
        return IngestResult(
            doc_id=job.doc_id,
            status=status,
            chunks=report.chunks,
            seconds=round(report.seconds, 3),
            embed_seconds=round(report.embed_seconds, 3),
        )

    return run


# The OpenAPI description of an upload answered with a job.
QUEUED_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "model": JobOut,
        "description": "Queued as an ingest job (an image or scan to read by OCR, or a file of RAG_JOB_MIN_BYTES "
        "or more): follow GET /jobs/{id} (the Location header).",
        "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
    }
}


def goes_to_job(data: bytes, suffix: str, settings: Any) -> bool:
    """Whether an uploaded file is ingested as a job from the start: an image (always OCR) or a large file of a
    supported type. A PDF learns it needs OCR only once parsed (``NeedsOcr``)."""
    suffix = suffix.lower()
    return suffix in IMAGE_SUFFIXES or (suffix in SUPPORTED and len(data) >= settings.job_min_bytes)


async def queue_upload(
    request: Request, file: tuple[bytes, str], doc_id: str, spec: dict[str, Any], needs_ocr: str | None = None
) -> JSONResponse:
    """Answer an upload with 202 and its job (``Location: /jobs/{id}``); 422 at once when the file needs OCR
    (``needs_ocr`` says what it is; images always do) that this machine cannot do, 503 with Retry-After when the
    queue is full."""
    from app.ingest.ocr import require_ocr

    data, suffix = file
    settings = request.app.state.pipeline.settings
    if suffix.lower() in IMAGE_SUFFIXES:
        needs_ocr = "an image"
    if needs_ocr:
        require_ocr(ocr_options(settings), needs_ocr)  # OcrUnavailable: a 422
    if suffix.lower() in IMAGE_SUFFIXES:  # a corrupt image or a decompression bomb is refused now, not as a job
        try:
            await run_in_threadpool(check_image, data, read_limits(settings), ocr_options(settings))
        except DocumentTooLarge as exc:
            raise HTTPException(413, f"document too large: {exc}") from None
    jobs: Jobs = request.app.state.jobs
    try:
        job = await run_in_threadpool(jobs.submit, data, doc_id, suffix.lower(), spec)
    except JobsFull as exc:
        request.app.state.metrics.shed.labels("job_queue").inc()
        return JSONResponse(
            status_code=503, content={"detail": str(exc)}, headers={"Retry-After": str(exc.retry_after)}
        )
    request.state.write_status = "queued"
    return JSONResponse(status_code=202, content=job.model_dump(), headers={"Location": f"/jobs/{job.id}"})
