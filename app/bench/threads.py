"""Thread settings against the machine: FAISS and BLAS threads for single queries and batches, encoder threads."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

from app.bench.log import log
from app.bench.measure import raw_faiss, summarize
from app.bench.questions import QUESTIONS, questions
from app.bench.server import child_env
from app.dense import set_threads
from app.pipeline import Pipeline


def faiss_threads(pipeline: Pipeline, vectors: np.ndarray) -> dict:
    """Raw FAISS latency with 1 and 2 OpenMP threads, one question at a time and all questions in one batch."""
    snap, k = pipeline.snapshot, pipeline.settings.candidates
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
        out[str(threads)] = {"single_ms": summarize(timings),
                             "batch_ms_per_query": round((time.perf_counter() - started) * 1000 / len(vectors), 4)}
    set_threads(pipeline.settings.threads)
    return out


def blas_threads(pipeline: Pipeline, texts: list[str], sentences: list[str]) -> dict | None:
    """numpy's BLAS with 1 and 2 threads: in-process ``/ask`` latency, and NER over Russian ``sentences`` as
    ingest runs it (one document's sentences per call). None without threadpoolctl to set the threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    from app.span import entities

    batches = [sentences[at : at + 8] for at in range(0, len(sentences), 8)]
    entities(batches[0] if batches else ["Встреча прошла в Ташкенте."])  # load the model outside the timing
    out = {}
    for threads in (1, 2):
        with threadpool_limits(limits={"libscipy_openblas": threads}):
            timings = []
            for text in texts:
                started = time.perf_counter()
                pipeline.ask(text)
                timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            for batch in batches:
                entities(batch)
            ner = time.perf_counter() - started
        out[str(threads)] = {"ask_ms": summarize(timings),
                             "ner_ms_per_sentence": round(ner * 1000 / max(len(sentences), 1), 3)}
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
    def __init__(self, backend: str, threads: int):
        code = f"from app.bench.threads import encoder_worker; encoder_worker({backend!r}, {threads})"
        self.process = subprocess.Popen([sys.executable, "-c", code], env=child_env(), text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._read()

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"encoder worker exited with {self.process.wait()}")
        return json.loads(line)

    def ask(self, request: dict) -> float:
        self.process.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self.process.stdin.flush()
        return self._read()["seconds"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def encoder_threads(backend: str, passages: list[str], batch: int = 32) -> list[dict]:
    """Query latency and passage throughput with 1 and 2 encoder threads.

    Engines fix their thread count when loaded, so each count runs in its own process; requests alternate
    between the two, so that both see the same load from anything else running on the machine.
    """
    workers = {threads: _Worker(backend, threads) for threads in (1, 2)}
    try:
        asked = questions(len(QUESTIONS) * 2, round_offset=11)
        for worker in workers.values():
            worker.ask({"query": asked[0]})
        query: dict[int, list[float]] = {t: [] for t in workers}
        for text in asked:
            for threads, worker in workers.items():
                query[threads].append(worker.ask({"query": text}))
        embed: dict[int, float] = {t: 0.0 for t in workers}
        for at in range(0, len(passages), batch):
            for threads, worker in workers.items():
                embed[threads] += worker.ask({"passages": passages[at : at + batch]})
    finally:
        for worker in workers.values():
            worker.close()
    out = []
    for threads in workers:
        out.append({"threads": threads, "query_ms": summarize(query[threads]),
                    "passages_per_s": round(len(passages) / max(embed[threads], 1e-9), 2), "passages": len(passages)})
        log(f"encoder threads {threads}: query p50 {out[-1]['query_ms']['p50']} ms, {out[-1]['passages_per_s']} passages/s")
    return out
