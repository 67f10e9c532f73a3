"""Whether the service can answer now: the index loads and the models are warm.

The models are warmed in a background thread once the app has started, so ``/health`` (the process is alive)
answers at once while ``/ready`` says "warming up" until the first question has gone through every stage.

``/ready`` is open to anyone (container health checks send no key), so a reason is a fixed sentence; the exception
behind it, which may name a Milvus URI or a path, is kept apart for the server log.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from app.index.storage import StoreUnavailable
from app.pipeline import Pipeline

STORE_RETRY_SECONDS = 5.0
log = logging.getLogger("app")

STORE_DOWN = "the index store is unavailable"
WARM_UP_FAILED = "warm-up failed"
UNREADABLE = "the index cannot be read"


@dataclass(frozen=True)
class Problem:
    """Why the service cannot serve: ``reason`` may be shown to anyone, ``error`` only to the operator."""

    reason: str
    error: BaseException | None = None


class Readiness:
    """Warms ``pipeline`` in the background and tells, with a reason, whether it can serve."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.warm = threading.Event()
        self._failed: Problem | None = None  # one attribute: /ready never reads a reason with another's error
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._warm_up, name="warm-up", daemon=True)
        self._thread.start()

    @property
    def failure(self) -> str | None:
        """Why the warm-up failed, None while it has not."""
        return self._failed.reason if self._failed else None

    @property
    def warming(self) -> bool:
        """Whether the warm-up thread still runs (warming, or waiting for the store to come back)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """End the warm-up when the app shuts down: no attempt starts any more and one under way is awaited (up to
        ``timeout``), so that nothing uses the pipeline, or reopens its store, after the app has gone."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("warm-up still running %.0f s after shutdown began; leaving it", timeout)

    def _warm_up(self) -> None:
        while not self._stopping.is_set():
            try:
                self.pipeline.warm_up()
            except StoreUnavailable as exc:
                # The store may come back (Milvus restarting): keep trying, and say why meanwhile.
                self._failed = Problem(STORE_DOWN, exc)
                self._stopping.wait(STORE_RETRY_SECONDS)
                continue
            except Exception as exc:  # reported by /ready; requests will raise it again with their own status
                log.exception("warm-up failed")
                self._failed = Problem(WARM_UP_FAILED, exc)
            else:
                self._failed = None
                self.warm.set()
            return

    def problem(self) -> Problem | None:
        """Why the service cannot serve now, or None when it can."""
        failed = self._failed
        if failed is not None:
            return failed
        if not self.warm.is_set():
            return Problem("warming up: loading the encoder and answering a first question")
        try:
            manifest = self.pipeline.manifest()
        except StoreUnavailable as exc:
            return Problem(STORE_DOWN, exc)
        except Exception as exc:
            return Problem(UNREADABLE, exc)
        if manifest is None:
            return Problem("no index yet: run `python -m app ingest` or upload a document (RAG_INDEX_DIR)")
        return None

    def details(self) -> dict[str, str]:
        """What works beyond answering questions: OCR of scans and images needs tesseract and its languages."""
        from app.ingest.ocr import ocr_problem

        problem = ocr_problem(self.pipeline.settings.ocr_langs)  # a fixed sentence: safe for anyone to read
        return {"ocr": f"unavailable: {problem}" if problem else "available"}
