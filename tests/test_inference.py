"""app/encoders/inference.py: one thread runs every model call; questions are bounded, batched and answered in order."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.encoders.inference import InferenceQueue, Overloaded
from app.encoders.queued import PASSAGE_SLICE, QueuedEncoder

# Generous bounds: on a loaded machine a thread may not run for seconds, and a gate that opened by itself would let
# the queue drain before the state a test waits for is ever reached (the wait would then never end).
GATE = 120.0


def _wait_until(predicate, seconds: float = GATE) -> None:
    """Poll ``predicate`` until it holds; fail (never hang) past ``seconds``."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the queue never reached the expected state"
        time.sleep(0.005)


class RecordingEncoder:
    """A tiny encoder that records which thread called it and how texts were grouped."""

    spec, model, dim = "recording", "recording", 4

    def __init__(self, gate: threading.Event | None = None):
        self.threads: set[str] = set()
        self.calls: list[list[str]] = []
        self.gate = gate
        self.entered = threading.Event()  # set once a call is under way

    def _vector(self, text: str) -> np.ndarray:
        return np.full(self.dim, float(len(text)), dtype=np.float32)

    def query(self, text: str) -> np.ndarray:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(GATE)
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
    _wait_until(encoder.entered.is_set)  # the first question is taken and blocks on the gate
    others = [threading.Thread(target=queued.query, args=(f"q{i}",)) for i in range(6)]
    for t in others:
        t.start()
    _wait_until(lambda: queue.waiting >= 6)
    gate.set()
    for t in [first, *others]:
        t.join()
    assert encoder.calls[0] == ["first"]
    assert [len(c) for c in encoder.calls[1:]] == [4, 2]


def test_a_full_queue_refuses_at_once():
    """Beyond max_waiting questions, another one raises Overloaded instead of waiting."""
    gate = threading.Event()
    queue = InferenceQueue(max_waiting=2, max_batch=1)
    encoder = RecordingEncoder(gate)
    queued = QueuedEncoder(encoder, queue)
    busy = [threading.Thread(target=queued.query, args=(f"q{i}",)) for i in range(3)]
    # The first must be taken by the models' thread before the others queue: three queued at once would refuse
    # the third, and the queue would never hold two.
    busy[0].start()
    _wait_until(encoder.entered.is_set)
    for t in busy[1:]:
        t.start()
    _wait_until(lambda: queue.waiting >= 2)
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

    def __init__(self, gate: threading.Event | None = None):
        super().__init__(gate)

    def passages(self, texts: list[str]) -> np.ndarray:
        self.entered.set()
        if self.gate is not None and not self.calls:
            self.gate.wait(GATE)
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
    _wait_until(lambda: encoder.entered.is_set())  # the first slice runs: the question must come after it
    question = threading.Thread(target=queued.query, args=("question",))
    question.start()
    _wait_until(lambda: queue.waiting >= 1)
    gate.set()
    upload.join()
    question.join()
    slices = [texts[at : at + PASSAGE_SLICE] for at in range(0, len(texts), PASSAGE_SLICE)]
    assert encoder.calls == [slices[0], ["question"], *slices[1:]]
    assert [v[0] for v in vectors[0]] == [len(t) for t in texts]


def _occupy(queue: InferenceQueue, gate: threading.Event) -> threading.Thread:
    """A thread whose call holds the models' thread until ``gate`` is set; returned once that call runs."""
    running = threading.Event()
    blocker = threading.Thread(target=queue.call, args=(lambda: (running.set(), gate.wait(GATE)),))
    blocker.start()
    _wait_until(running.is_set)
    return blocker


def test_an_admitted_questions_reading_goes_before_new_questions():
    """A read queued after a question's embedding still runs first: questions already admitted finish first."""
    gate = threading.Event()
    queue = InferenceQueue(max_waiting=8)
    encoder = RecordingEncoder()
    queued = QueuedEncoder(encoder, queue)
    blocker = _occupy(queue, gate)
    asking = threading.Thread(target=queued.query, args=("new question",))
    asking.start()
    _wait_until(lambda: queue.waiting == 1)
    # The read records itself on the models' thread, where the encoder records the embedding.
    reading = threading.Thread(target=queue.read, args=(lambda items: [encoder.calls.append(["read"])], None))
    reading.start()
    _wait_until(lambda: len(queue._reads) == 1)
    gate.set()
    for t in (blocker, asking, reading):
        t.join(10)
    assert encoder.calls == [["read"], ["new question"]]


def test_a_question_expected_to_wait_too_long_is_refused_at_once():
    """With reads of 0.4 s queued ahead, a question that would wait past max_wait gets Overloaded and a Retry-After
    of about the queued work; once the queue drains it is admitted."""
    gate = threading.Event()
    queue = InferenceQueue(max_waiting=32, max_wait=1.0)
    queued = QueuedEncoder(RecordingEncoder(), queue)
    queue._cost.update(embed=0.01, read=0.4)  # as measured on earlier questions
    assert queue.expected_wait() == pytest.approx(0.81)  # the step under way, its own embedding and reading
    blocker = _occupy(queue, gate)
    # Three readings of different functions: each is its own call (0.4 s each in the running cost).
    readers = [threading.Thread(target=queue.read, args=(lambda items: [None], None)) for _ in range(3)]
    for t in readers:
        t.start()
    _wait_until(lambda: len(queue._reads) == 3)
    expected = queue.expected_wait()
    assert expected == pytest.approx(4 * 0.4 + 0.41)
    with pytest.raises(Overloaded) as refused:
        queued.query("one question too many")
    assert refused.value.retry_after == 3 and "expected wait of 2.0 s" in str(refused.value)
    gate.set()
    for t in [blocker, *readers]:
        t.join(10)
    assert queued.query("asked again later")[0] == len("asked again later")


def test_a_question_with_nothing_queued_ahead_is_admitted_whatever_the_cost():
    """A slow first read (a cold model) inflates the running cost; with no work queued ahead a question is still
    admitted, so the estimate can never lock questions out."""
    queue = InferenceQueue(max_wait=0.5)
    queued = QueuedEncoder(RecordingEncoder(), queue)
    queue._cost.update(embed=0.2, read=3.0)
    assert queue.expected_wait() > queue.max_wait
    assert queued.query("admitted")[0] == len("admitted")


def test_reads_and_embeddings_update_their_running_cost():
    """Each step's cost is the running average of its measured durations (what admission is decided on)."""
    queue = InferenceQueue()
    queued = QueuedEncoder(RecordingEncoder(), queue)
    assert queue._cost == {"embed": 0.0, "read": 0.0}  # nothing measured: every question is admitted
    queue.read(lambda items: [time.sleep(0.05)], None)
    queued.query("a question")
    assert 0.04 < queue._cost["read"] < 1.0 and queue._cost["embed"] > 0
    queue.read(lambda items: [time.sleep(0.15)], None)
    assert queue._cost["read"] == pytest.approx(0.05 + 0.2 * 0.1, abs=0.03)


def _in_flight(queue: InferenceQueue, n: int, then: float = 0.0) -> tuple[list[threading.Thread], threading.Event]:
    """``n`` threads holding an admitted question each until the returned event is set (then ``then`` s more);
    returned once all of them are in flight."""
    holding, release = threading.Barrier(n + 1), threading.Event()

    def hold() -> None:
        with queue.question():
            holding.wait(GATE)
            release.wait(GATE)
            time.sleep(then)

    threads = [threading.Thread(target=hold) for _ in range(n)]
    for t in threads:
        t.start()
    holding.wait(GATE)
    return threads, release


def test_questions_between_their_steps_count_for_admission():
    """Questions admitted for their whole answering and not yet queued (retrieving, say) still have their read
    ahead: with three of them in flight and reads costing 0.2 s, a fourth would wait 1.01 s and is refused (before
    and inside `question()`), and admitted again once they are done."""
    queue = InferenceQueue(max_waiting=32, max_wait=1.0)
    queue._cost.update(embed=0.01, read=0.2)
    threads, release = _in_flight(queue, 3)
    assert queue.expected_wait() == pytest.approx(4 * 0.2 + 0.21)
    with pytest.raises(Overloaded):
        queue.admit()
    with pytest.raises(Overloaded), queue.question():
        pass
    release.set()
    for t in threads:
        t.join(10)
    queue.admit()
    with queue.question():
        assert queue._in_flight == 1
    assert queue._in_flight == 0


def test_an_admitted_question_is_not_refused_when_it_is_embedded():
    """`question()` admits once: the embedding inside it is queued whatever the queue holds by then."""
    queue = InferenceQueue(max_waiting=1)
    queued = QueuedEncoder(RecordingEncoder(), queue)
    with queue.question():
        assert queued.query("admitted once")[0] == len("admitted once")


def test_the_cost_per_question_under_load_scales_the_expected_wait():
    """Each admitted question's latency, divided by the questions in flight when it came in plus itself, is the
    cost per question; when that is more than the steps' own costs (request threads holding the interpreter
    between steps), the questions in flight count at that cost."""
    queue = InferenceQueue(max_wait=1.0)
    threads, release = _in_flight(queue, 2, then=0.1)
    release.set()
    for t in threads:
        t.join(10)
    # about 0.1 s each, divided by 1 (the first) or 2 (the second came in behind it)
    assert 0.04 < queue._per_question < 0.2
    queue._cost.update(embed=0.0, read=0.1)
    queue._per_question = 0.05  # cheaper than the steps: the steps' estimate stands
    assert queue.expected_wait() == pytest.approx(0.2)
    queue._in_flight = 3  # as if three questions were between their steps
    queue._per_question = 0.3
    assert queue.expected_wait() == pytest.approx(4 * 0.3)
    queue._in_flight = 0


def test_readings_waiting_together_are_read_in_one_call():
    """Readings queued behind a busy models' thread for the same function run as one call, in order, each caller
    getting its own result."""
    gate = threading.Event()
    queue = InferenceQueue(max_batch=8)
    calls: list[list[str]] = []

    def read_many(items: list[str]) -> list[str]:
        calls.append(list(items))
        return [item.upper() for item in items]

    blocker = _occupy(queue, gate)
    results: dict[str, str] = {}
    threads = [
        threading.Thread(target=lambda i=i: results.__setitem__(i, queue.read(read_many, i))) for i in ("a", "b", "c")
    ]
    for k, t in enumerate(threads):  # one at a time: the batch keeps their order
        t.start()
        _wait_until(lambda k=k: len(queue._reads) == k + 1)
    gate.set()
    for t in [blocker, *threads]:
        t.join(10)
    assert calls == [["a", "b", "c"]] and results == {"a": "A", "b": "B", "c": "C"}


def test_readings_of_one_readers_method_are_read_in_one_call():
    """A reader's method, named afresh by each caller (a new bound-method object each time, as the answerer passes
    `reader.read_many`), still batches: equal methods of one reader are one function."""
    gate = threading.Event()
    queue = InferenceQueue(max_batch=8)

    class Reader:
        calls: list[list[str]] = []

        def read_many(self, items: list[str]) -> list[str]:
            self.calls.append(list(items))
            return [item.upper() for item in items]

    reader, other = Reader(), Reader()
    blocker = _occupy(queue, gate)
    results: dict[str, str] = {}
    callers = [(reader, "a"), (reader, "b"), (other, "c"), (reader, "d")]
    threads = [threading.Thread(target=lambda r=r, i=i: results.__setitem__(i, queue.read(r.read_many, i)))
               for r, i in callers]
    for k, t in enumerate(threads):
        t.start()
        _wait_until(lambda k=k: len(queue._reads) == k + 1)
    gate.set()
    for t in [blocker, *threads]:
        t.join(10)
    # Another reader's method is another function: the batch stops there, in queue order.
    assert Reader.calls == [["a", "b"], ["c"], ["d"]]
    assert results == {"a": "A", "b": "B", "c": "C", "d": "D"}
