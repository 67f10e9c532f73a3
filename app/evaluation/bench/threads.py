"""Thread settings against the machine: FAISS and BLAS threads for single queries and batches, encoder threads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from itertools import zip_longest

import numpy as np

from app.evaluation.bench.log import log
from app.evaluation.bench.measure import raw_faiss, summarize
from app.evaluation.bench.questions import QUESTIONS, questions
from app.evaluation.bench.server import child_env
from app.index.dense import set_threads
from app.pipeline import Pipeline


def faiss_threads(pipeline: Pipeline, vectors: np.ndarray) -> dict:
    """Raw FAISS latency with 1 and 2 OpenMP threads, one question at a time and all questions in one batch."""
    snap, k = pipeline.snapshot, pipeline.settings.candidates
    assert snap is not None, "the bench needs a loaded index"
    out = {}
    for threads in (1, 2):
        set_threads(threads)
        raw_faiss(snap, vectors[0], k)
        timings = []
        for vector in vectors:
            started = time.perf_counter()
            raw_faiss(snap, vector, k)
            timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        snap.dense.index.search(vectors, k)
        out[str(threads)] = {
            "single_ms": summarize(timings),
            "batch_ms_per_query": round((time.perf_counter() - started) * 1000 / len(vectors), 4),
        }
    set_threads(pipeline.settings.threads)
    return out


def blas_threads(pipeline: Pipeline, texts: list[str], sentences: list[str]) -> dict | None:
    """numpy's BLAS with 1 and 2 threads, in turn: in-process ``/ask`` latency, and NER over Russian
    ``sentences`` as ingest runs it (a document's sentences per call). None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    from app.text.entities import entities

    batches = [sentences[at : at + 8] for at in range(0, len(sentences), 8)]
    entities(batches[0] if batches else ["Встреча прошла в Ташкенте."])  # load the model outside the timing
    ask: dict[int, list[float]] = {1: [], 2: []}
    ner: dict[int, float] = {1: 0.0, 2: 0.0}
    for i, (text, batch) in enumerate(zip_longest(texts, batches)):
        for threads in (1, 2) if i % 2 == 0 else (2, 1):  # neither goes first on the same input every time
            with threadpool_limits(limits={"libscipy_openblas": threads}):
                started = time.perf_counter()
                if text is not None:
                    pipeline.ask(text)
                    ask[threads].append(time.perf_counter() - started)
                started = time.perf_counter()
                if batch is not None:
                    entities(batch)
                    ner[threads] += time.perf_counter() - started
    out: dict = {
        str(t): {"ask_ms": summarize(ask[t]), "ner_ms_per_sentence": round(ner[t] * 1000 / max(len(sentences), 1), 3)}
        for t in (1, 2)
    }
    out["ner_sentences"] = len(sentences)
    return out


def encoder_worker(backend: str, threads: int) -> None:
    """Child process loop: load the encoder with ``threads`` threads, then embed each JSON request read from
    stdin ({"query": text} or {"passages": [texts]}) and answer with the seconds it took."""
    from app.encoders import create_encoder

    encoder = create_encoder(backend, threads)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        started = time.perf_counter()
        if "query" in request:
            encoder.query(request["query"])
        else:
            encoder.passages(request["passages"])
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)


class _Worker:
    def __init__(self, backend: str, threads: int, env: dict[str, str]):
        code = f"from app.evaluation.bench.threads import encoder_worker; encoder_worker({backend!r}, {threads})"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], env=child_env(**env), text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._read()

    def _read(self) -> dict:
        assert self.process.stdout is not None  # opened with stdout=PIPE
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"encoder worker exited with {self.process.wait()}")
        return json.loads(line)

    def ask(self, request: dict) -> float:
        assert self.process.stdin is not None  # opened with stdin=PIPE
        self.process.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        return self._read()["seconds"]

    def close(self) -> None:
        assert self.process.stdin is not None  # opened with stdin=PIPE
        self.process.stdin.close()
        self.process.wait(timeout=60)


# Encoder set-ups compared: (threads, OpenMP wait policy). With the default policy, threads waiting at a
# barrier spin; "passive" puts them to sleep, which matters when another process wants the same cores.
ENCODER_SETUPS = ((1, None), (2, None), (2, "passive"))


def encoder_threads(backend: str, passages: list[str], batch: int = 32) -> list[dict]:
    """Query latency and passage throughput of each encoder set-up in ``ENCODER_SETUPS``.

    Engines fix their threads when loaded, so each set-up runs in its own process; requests go to them in
    turn, so that all see the same load from anything else running on the machine.
    """
    workers = [
        _Worker(backend, threads, {"OMP_WAIT_POLICY": policy.upper()} if policy else {})
        for threads, policy in ENCODER_SETUPS
    ]
    try:
        asked = questions(len(QUESTIONS) * 2, round_offset=11)
        for worker in workers:
            worker.ask({"query": asked[0]})
        query: list[list[float]] = [[] for _ in workers]
        for text in asked:
            for i, worker in enumerate(workers):
                query[i].append(worker.ask({"query": text}))
        embed = [0.0 for _ in workers]
        for at in range(0, len(passages), batch):
            for i, worker in enumerate(workers):
                embed[i] += worker.ask({"passages": passages[at : at + batch]})
    finally:
        for worker in workers:
            worker.close()
    out: list[dict] = []
    for (threads, policy), timings, seconds in zip(ENCODER_SETUPS, query, embed):
        out.append(
            {
                "threads": threads,
                "wait_policy": policy or "default",
                "query_ms": summarize(timings),
                "passages_per_s": round(len(passages) / max(seconds, 1e-9), 2),
                "passages": len(passages),
            }
        )
        log(
            f"encoder {threads} thread(s), {out[-1]['wait_policy']} wait: query p50 {out[-1]['query_ms']['p50']} ms, "
            f"{out[-1]['passages_per_s']} passages/s"
        )
    return out
