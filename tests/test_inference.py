"""app/inference.py: one thread runs every model call; questions are bounded, batched and answered in order."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.encoders.queued import PASSAGE_SLICE, QueuedEncoder
from app.inference import InferenceQueue, Overloaded


class RecordingEncoder:
    """A tiny encoder that records which thread called it and how texts were grouped."""

    spec, model, dim = "recording", "recording", 4

    def __init__(self, gate: threading.Event | None = None):
        self.threads: set[str] = set()
        self.calls: list[list[str]] = []
        self.gate = gate

    def _vector(self, text: str) -> np.ndarray:
        return np.full(self.dim, float(len(text)), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        if self.gate is not None:
            self.gate.wait(10)
        self.threads.add(threading.current_thread().name)
        self.calls.append([text])
        return self._vector(text)

    def queries(self, texts: list[str]) -> np.ndarray:
        self.threads.add(threading.current_thread().name)
        self.calls.append(list(texts))
        return np.stack([self._vector(t) for t in texts])

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.queries(texts)


def test_every_call_runs_on_the_one_inference_thread():
    """Questions asked from many threads are all embedded by the single inference thread."""
    encoder = RecordingEncoder()
    queued = QueuedEncoder(encoder, InferenceQueue(max_waiting=64))
    results: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        results[i] = queued.query("x" * (i + 1))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert encoder.threads == {"inference"}
    for i, vector in results.items():
        assert vector[0] == i + 1  # each caller got its own question's vector back


def test_waiting_questions_are_batched_up_to_the_cap():
    """Questions that queue while the encoder is busy are embedded together, at most max_batch per call."""
    gate = threading.Event()
    encoder = RecordingEncoder(gate)
    queue = InferenceQueue(max_waiting=64, max_batch=4)
    queued = QueuedEncoder(encoder, queue)
    first = threading.Thread(target=queued.query, args=("first",))
    first.start()
    while queue.waiting:  # the first question is taken and blocks on the gate
        pass
    others = [threading.Thread(target=queued.query, args=(f"q{i}",)) for i in range(6)]
    for t in others:
        t.start()
    while queue.waiting < 6:
        threading.Event().wait(0.01)
    gate.set()
    for t in [first, *others]:
        t.join()
    assert encoder.calls[0] == ["first"]
    assert [len(c) for c in encoder.calls[1:]] == [4, 2]


def test_a_full_queue_refuses_at_once():
    """Beyond max_waiting questions, another one raises Overloaded instead of waiting."""
    gate = threading.Event()
    queue = InferenceQueue(max_waiting=2, max_batch=1)
    queued = QueuedEncoder(RecordingEncoder(gate), queue)
    busy = [threading.Thread(target=queued.query, args=(f"q{i}",)) for i in range(3)]
    for t in busy:
        t.start()
    while queue.waiting < 2:
        threading.Event().wait(0.01)
    with pytest.raises(Overloaded) as refused:
        queued.query("one too many")
    assert refused.value.retry_after >= 1
    gate.set()
    for t in busy:
        t.join()


def test_errors_reach_the_caller_and_the_thread_lives_on():
    """An exception inside a model call is raised to its caller; later calls still work."""
    queue = InferenceQueue()

    def fail() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        queue.call(fail)
    assert queue.call(lambda: threading.current_thread().name) == "inference"


class GatedPassages(RecordingEncoder):
    """Its first passages call waits for the gate."""

    def passages(self, texts: list[str]) -> np.ndarray:
        if self.gate is not None and not self.calls:
            self.gate.wait(10)
        return self.queries(texts)


def test_passages_go_in_slices_and_a_question_goes_between_them():
    """An upload's passages reach the model thread a slice at a time, come back in order, and a question asked
    meanwhile is embedded after the slice running now, not after the whole upload."""
    gate = threading.Event()
    encoder = GatedPassages(gate)
    queue = InferenceQueue()
    queued = QueuedEncoder(encoder, queue)
    texts = ["p" * n for n in range(1, 2 * PASSAGE_SLICE + 3)]
    vectors: list[np.ndarray] = []
    upload = threading.Thread(target=lambda: vectors.append(queued.passages(texts)))
    upload.start()
    question = threading.Thread(target=queued.query, args=("question",))
    question.start()
    while queue.waiting < 1:
        threading.Event().wait(0.01)
    gate.set()
    upload.join()
    question.join()
    slices = [texts[at : at + PASSAGE_SLICE] for at in range(0, len(texts), PASSAGE_SLICE)]
    assert encoder.calls == [slices[0], ["question"], *slices[1:]]
    assert [v[0] for v in vectors[0]] == [len(t) for t in texts]
