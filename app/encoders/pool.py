"""An encoder that embeds passages in several worker processes, one model each (parallel ingest)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
import traceback
import weakref
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType

import numpy as np

# Texts per worker in one ``passages`` call when the indexer asks for ``batch_size`` texts at a time.
PER_WORKER_BATCH = 32
STARTUP_TIMEOUT = 600.0  # seconds a worker may take to load its model
PARENT_CHECK_SECONDS = 1.0


class PoolError(RuntimeError):
    """A worker failed to start, raised while embedding, or died."""


def _watch_parent(parent: int) -> None:
    """Exit as soon as the process that started this worker is gone (killed, crashed), even mid-batch."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def _serve(conn: Connection, spec: str, threads: int, parent: int, runtime: str = "auto") -> None:
    """A worker's loop: build the encoder, then answer ``(method, argument)`` requests until ``None`` or EOF."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    try:
        from threadpoolctl import threadpool_limits

        from app.encoders.factory import create_encoder

        # Normalisation runs on numpy's BLAS: keep it to the worker's share of the cores too.
        threadpool_limits(threads)
        encoder = create_encoder(spec, threads, runtime)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        return
    conn.send(("ready", (encoder.spec, encoder.model, int(encoder.dim))))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):  # the parent closed its end or died
            return
        if request is None:
            return
        method, argument = request
        try:
            reply = ("ok", getattr(encoder, method)(argument))
        except Exception:
            reply = ("error", traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


def _shutdown(processes: list[BaseProcess], conns: list[Connection]) -> None:
    """Ask every worker to stop, then terminate the ones that do not (also run when the pool is collected)."""
    for conn in conns:
        with contextlib.suppress(OSError, ValueError):  # already closed or gone
            conn.send(None)
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
    for conn in conns:
        conn.close()


class PoolEncoder:
    """The ``Encoder`` protocol over ``workers`` spawned processes, each with its own single-threaded encoder.

    ``passages`` cuts its texts into one contiguous part per worker and joins the vectors in order; questions
    go to the first worker. Workers stop on ``close``, when the pool is collected, or when this process dies.
    """

    spec: str
    model: str
    dim: int

    def __init__(self, spec: str, workers: int, threads: int = 1, runtime: str = "auto"):
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        context = multiprocessing.get_context("spawn")  # fork would copy loaded models and thread pools
        self.workers = workers
        self.batch_size = PER_WORKER_BATCH * workers
        self._lock = threading.Lock()
        self._conns: list[Connection] = []
        self._processes: list[BaseProcess] = []
        for index in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_serve, args=(theirs, spec, threads, os.getpid(), runtime), name=f"encoder-{index}", daemon=True
            )
            process.start()
            theirs.close()  # so that a dead worker reads as EOF here
            self._conns.append(ours)
            self._processes.append(process)
        self._finalizer = weakref.finalize(self, _shutdown, self._processes, self._conns)
        try:
            described = [self._receive(i, STARTUP_TIMEOUT) for i in range(workers)]
        except BaseException:
            self.close()
            raise
        self.spec, self.model, self.dim = described[0]

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers."""
        return [p.pid for p in self._processes if p.pid is not None]

    def _receive(self, index: int, timeout: float | None = None):
        conn, process = self._conns[index], self._processes[index]
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            # Wait in steps, so that a worker that dies before answering is noticed.
            while not conn.poll(1.0):
                if not process.is_alive():
                    raise EOFError
                if deadline is not None and time.monotonic() > deadline:
                    raise PoolError(f"encoder worker {index} did not answer within {timeout:.0f} s")
            status, value = conn.recv()
        except (EOFError, OSError):
            process.join(timeout=1)  # for its exit code
            raise PoolError(f"encoder worker {index} died (exit code {process.exitcode})") from None
        if status == "error":
            raise PoolError(f"encoder worker {index} failed:\n{value}")
        return value

    def _call(self, jobs: Sequence[tuple[int, str, object]]) -> list:
        """Send every job, then collect the replies in order: the workers run at the same time."""
        if not self._finalizer.alive:
            raise PoolError("the encoder pool is closed")
        with self._lock:
            for index, method, argument in jobs:
                self._conns[index].send((method, argument))
            # Every reply is read, even after a failure, so that no stale answer is left in a pipe.
            results, failure = [], None
            for index, _, _ in jobs:
                try:
                    results.append(self._receive(index))
                except PoolError as exc:
                    failure = failure or exc
            if failure is not None:
                raise failure
            return results

    def passages(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` in contiguous parts, one per worker, in parallel; rows keep the order of ``texts``."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bounds = np.linspace(0, len(texts), min(self.workers, len(texts)) + 1).round().astype(int)
        jobs = [(i, "passages", texts[a:b]) for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
        return np.concatenate(self._call(jobs)).astype(np.float32, copy=False)

    def query(self, text: str) -> np.ndarray:
        return self._call([(0, "query", text)])[0]

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._call([(0, "queries", list(texts))])[0]

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        self._finalizer()

    def __enter__(self) -> PoolEncoder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
