"""``run_bench``: the real sample, the larger corpora, and every query-side measurement per scale."""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
import time
from pathlib import Path

from app.encoders import Encoder
from app.encoders.queued import QueuedEncoder
from app.evaluation.bench.corpus import SEED, TextVariator, seed_documents, write_sample_corpus
from app.evaluation.bench.ingest import build_scale, embedded_texts, measure_sample
from app.evaluation.bench.load import check_documents, run_load, run_mixed_load, touch_every_kind
from app.evaluation.bench.log import log
from app.evaluation.bench.measure import (
    folder_size,
    load_average,
    machine,
    measure_http,
    measure_in_process,
    proc_memory,
    profile_ask,
    stage_times,
)
from app.evaluation.bench.parallel import measure_parallel_ingest
from app.evaluation.bench.questions import QUESTIONS, questions
from app.evaluation.bench.recall import hnsw_quality
from app.evaluation.bench.report import METHOD, load_verdicts, print_report, verdicts, write_report
from app.evaluation.bench.server import Server
from app.evaluation.bench.threads import blas_threads, encoder_threads, faiss_threads
from app.evaluation.bench.vectors import MIX, NOISE, replica_cosines
from app.evaluation.bench.writes import measure_writes
from app.index.dense import HNSW_EF_CONSTRUCTION, HNSW_M, set_threads
from app.index.snapshot import FORMAT_VERSION, Snapshot
from app.index.store import IndexStore
from app.keys import KeyStore
from app.pipeline import Pipeline
from app.settings import Settings

DEFAULT_SCALES = (1_000, 10_000, 100_000)
DEFAULT_QUERIES = 200
SAMPLE_CHUNKS = 1_000  # embedded for real: ingest and encoder throughput are measured on these
PROFILE_QUESTIONS = 60
WARM_UP_QUESTIONS = 10
NER_SENTENCES = 160
BUILD_SETTINGS = ("chunk_sentences", "chunk_overlap", "chunk_chars", "hnsw_threshold")
SETTINGS_REPORTED = (
    "threads",
    "batch_threads",
    "encoder_threads",
    "candidates",
    "hnsw_threshold",
    "hnsw_ef_search",
    "answer_passages",
    "chunk_sentences",
    "chunk_overlap",
    "chunk_chars",
)


def measure_scale(
    name: str, index: Path, encoder: Encoder, settings: Settings, queries: int, workdir: Path, profile: bool
) -> dict:
    """Every query-side number for one index: in process (floor, stages, threads, HNSW), then over HTTP."""
    current = IndexStore(index).current()
    if current is None:
        raise RuntimeError(f"no index in {index}")
    result: dict = {"index": {"size": folder_size(current)}}
    pipeline = Pipeline(settings, encoder=encoder)
    snap = pipeline.snapshot
    assert snap is not None, "the bench needs a loaded index"
    result["index"].update(
        kind=snap.dense.kind,
        documents=len(snap.documents),
        chunks=len(snap.chunks),
        sentences=len(snap.sentences),
        vocabulary=len(snap.lexical.vocab),
    )
    pipeline.warm_up()
    for text in questions(WARM_UP_QUESTIONS, round_offset=17):
        pipeline.ask(text)

    floor, calls, vectors = measure_in_process(pipeline, queries)
    result["floor_ms"], result["in_process_ms"] = floor, calls
    ask, base = calls["ask"], floor["floor"]
    result["ask_over_floor"] = {"p50": round(ask["p50"] / base["p50"], 3), "p95": round(ask["p95"] / base["p95"], 3)}
    log(
        f"{name}: floor p50 {base['p50']} ms; /ask in process p50 {ask['p50']} p95 {ask['p95']} ms "
        f"({result['ask_over_floor']['p50']}x the floor)"
    )
    result["stages_ms"] = stage_times(pipeline, questions(min(queries, 100), 3))
    result["faiss_threads"] = faiss_threads(pipeline, vectors)
    result["blas_threads"] = blas_threads(
        pipeline, questions(min(queries, PROFILE_QUESTIONS), 4), _russian_sentences(snap, NER_SENTENCES)
    )
    result["hnsw"] = hnsw_quality(snap, vectors, settings.candidates, settings.hnsw_ef_search)
    if result["hnsw"]:
        log(f"{name}: HNSW recall@10 {result['hnsw']['recall_at_10']} at efSearch {settings.hnsw_ef_search}")
    if profile:
        result["profile_ask"] = profile_ask(pipeline, questions(min(queries, PROFILE_QUESTIONS), 7))
    del pipeline, snap
    gc.collect()

    server = Server(index, encoder.spec, workdir / f"server-{name}.log")
    try:
        result["server"] = {
            "startup_seconds": round(server.startup_seconds, 2),
            "health": server.health,
            "after_start": proc_memory(server.process.pid),
        }
        for text in questions(WARM_UP_QUESTIONS, round_offset=19):
            server.post("/ask", {"question": text})
        # took_ms is what the server reports for its own work: the rest is HTTP, validation and serialisation.
        result["http_ms"], result["server_took_ms"] = measure_http(server.post, queries)
        result["server"]["after_queries"] = proc_memory(server.process.pid)
    finally:
        server.stop()
    http = result["http_ms"]["ask"]
    took, in_process = result["server_took_ms"]["ask"], result["in_process_ms"]["ask"]
    # The server's answer against the pipeline's own speed: what HTTP and serving threads add.
    result["http_over_floor"] = {q: round(http[q] / base[q], 3) for q in ("p50", "p95")}
    result["took_over_in_process"] = {q: round(took[q] / in_process[q], 3) for q in ("p50", "p95")}
    log(
        f"{name}: /ask over HTTP p50 {http['p50']} p95 {http['p95']} p99 {http['p99']} ms "
        f"({result['http_over_floor']['p50']}x the floor; server took_ms {result['took_over_in_process']['p50']}x "
        f"in process); server peak RSS {result['server']['after_queries'].get('vmhwm_mb')} MB"
    )
    return result


def measure_load(name: str, index: Path, backend: str, clients: int, seconds: float, workdir: Path) -> dict:
    """``clients`` concurrent askers against a real server for ``seconds``: throughput, latency, shed requests."""
    server = Server(index, backend, workdir / f"server-load-{name}.log")
    try:
        for text in questions(WARM_UP_QUESTIONS, round_offset=19):
            server.post("/ask", {"question": text})
        before = proc_memory(server.process.pid)
        result = run_load(f"http://127.0.0.1:{server.port}", clients, seconds)
        result["server_memory"] = {"before": before, "after": proc_memory(server.process.pid)}
    finally:
        server.stop()
    a = result["accepted_ms"]
    log(
        f"{name}: {clients} clients for {result['seconds']} s: {result['answered_per_s']} answers/s, accepted "
        f"p50 {a.get('p50')} p95 {a.get('p95')} p99 {a.get('p99')} ms, statuses {result['statuses']}"
    )
    return result


def measure_mixed_load(name: str, index: Path, backend: str, clients: int, seconds: float, workdir: Path) -> dict:
    """The mixed load (``load.REQUEST_MIX``: questions, searches, reads, uploads and deletions with an admin key)
    against a real server over a copy of ``index``; then every acknowledged upload and deletion is checked, and
    checked again after a restart. Server memory is read after a short warm-up of the same mix and at the end."""
    folder = workdir / f"mix-{name.replace(' ', '-')}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(index, folder / "index")  # uploads must not change an index a later run reuses
    _, admin = KeyStore(folder / "keys.json").create("admin", "bench")
    env = {"RAG_KEYS_FILE": str(folder / "keys.json")}
    server = Server(folder / "index", backend, folder / "server.log", env)
    try:
        url = f"http://127.0.0.1:{server.port}"
        # The NER model (first upload), thread pools, allocator arenas and caches grow during the first seconds of
        # any load: that is start-up, not growth under load.
        touch_every_kind(url, admin)
        run_mixed_load(url, clients, min(5.0, seconds / 4), admin, run="warm")
        before = proc_memory(server.process.pid)
        result = run_mixed_load(url, clients, seconds, admin, run="mix")
        result["server_memory"] = {"before": before, "after": proc_memory(server.process.pid)}
        result["check"] = check_documents(url, result["documents"])
    finally:
        server.stop()
    restarted = Server(folder / "index", backend, folder / "server-restart.log", env)
    try:
        result["check_after_restart"] = check_documents(f"http://127.0.0.1:{restarted.port}", result["documents"])
    finally:
        restarted.stop()
    rss = [result["server_memory"][k].get("vmrss_mb") for k in ("before", "after")]
    result["rss_growth_pct"] = round(100 * (rss[1] - rss[0]) / rss[0], 1) if all(rss) else None
    result["accepted_ms"] = result["kinds"]["ask"]["accepted_ms"]  # what the load targets judge
    a = result["accepted_ms"]
    log(
        f"{name}: mixed load, {clients} clients for {result['seconds']} s: {result['requests_per_s']} requests/s, "
        f"/ask p50 {a.get('p50')} p95 {a.get('p95')} p99 {a.get('p99')} ms, statuses {result['statuses']}, "
        f"errors {result['errors']}, RSS {rss[0]} -> {rss[1]} MB, uploads kept: {result['check']['ok']} "
        f"(after restart: {result['check_after_restart']['ok']})"
    )
    return result


def _russian_sentences(snap: Snapshot, limit: int) -> list[str]:
    out: list[str] = []
    for row, doc_index in enumerate(snap.sentences[:, 0]):
        if len(out) >= limit:
            break
        if snap.documents[snap.doc_order[int(doc_index)]].lang == "ru":
            out.append(snap.sentence_text(row))
    return out


def _cached(path: Path, key: dict) -> dict | None:
    """A result stored by an earlier run in the same work folder with the same key, if any."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stored["result"] if stored.get("key") == key else None


def _store(path: Path, key: dict, result: dict) -> None:
    path.write_text(json.dumps({"key": key, "result": result}, ensure_ascii=False), encoding="utf-8")


def _sample(
    root: Path,
    key: dict,
    seed_corpus: Path,
    variator: TextVariator,
    encoder: Encoder,
    base: Settings,
    sample_chunks: int,
) -> tuple[dict, Snapshot, bool]:
    """The real sample's ingest measurements and snapshot; from an earlier run in ``root`` if it matches."""
    folder = root / "sample"
    cached = _cached(folder / "sample.json", key) if (folder / "index").exists() else None
    if cached is not None:
        log("sample: reusing the index and ingest measurements of an earlier run in this folder")
        snap = IndexStore(folder / "index").load()
        if snap is None:
            raise RuntimeError(f"no index in {folder / 'index'}")
        return cached, snap, True
    shutil.rmtree(folder, ignore_errors=True)
    corpus = write_sample_corpus(folder / "corpus", seed_corpus, variator, sample_chunks, base)
    log(f"sample corpus: {corpus}")
    measured, snap = measure_sample(encoder, folder / "corpus", _settings_for(base, folder / "index"))
    result = {"corpus": corpus, "sample": measured}
    _store(folder / "sample.json", key, result)
    return result, snap, False


def _scale_index(
    root: Path, key: dict, scale: int, sample: Snapshot, variator: TextVariator, encoder: Encoder, base: Settings
) -> tuple[Path, dict]:
    """The index of a replicated corpus of about ``scale`` chunks and how its ingest went; built unless an
    earlier run in ``root`` left a matching one."""
    folder = root / f"scale-{scale}"
    build = _cached(folder / "build.json", key) if (folder / "index").exists() else None
    if build is None:
        build = build_scale(
            scale,
            sample,
            root / "sample" / "corpus",
            variator,
            encoder,
            lambda index: _settings_for(base, index),
            folder,
        )
        _store(folder / "build.json", key, build)
    else:
        log(f"scale {scale}: reusing the index of an earlier run in this folder")
    return folder / "index", build


def _settings_for(base: Settings, index: Path) -> Settings:
    return base.model_copy(update={"index_dir": Path(index)})


def run_bench(
    scales: list[int],
    backend: str,
    queries: int,
    out: Path,
    *,
    sample_chunks: int = SAMPLE_CHUNKS,
    workdir: Path | None = None,
    corpus: Path | None = None,
    thread_probes: bool = True,
    show: bool = True,
    load: int = 0,
    load_seconds: float = 60.0,
    mix: bool = False,
    ingest_workers: list[int] | None = None,
    ray: bool = False,
    writes: int = 0,
) -> dict:
    """Run the benchmark, write the JSON report to ``out`` and return it.

    With ``workdir`` the corpora and indexes are kept there, and a later run with the same folder and
    settings reuses them (with the ingest numbers measured when they were built) and measures the query side
    again; without it everything goes in a temporary folder that is removed. With ``load`` clients, each
    scale is measured under that load for ``load_seconds`` instead; with ``mix`` the load is the mix of a shared
    service (``measure_mixed_load``) rather than questions only. With ``writes``, that many single documents are
    uploaded and deleted per scale (``measure_writes``). With ``ingest_workers`` (and ``ray``), the sample
    is also ingested by that many encoder processes (and by the Ray Data stage) to compare throughput.
    """
    scales = sorted({int(s) for s in scales})
    if not scales or scales[0] <= 0 or queries <= 0 or sample_chunks <= 0:
        raise ValueError("scales, queries and sample chunks must be positive")
    base = Settings(encoder=backend)
    seed_corpus = Path(corpus or base.corpus_dir)
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="qa-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    settings = {k: getattr(base, k) for k in SETTINGS_REPORTED}
    # What an index kept in the work folder was built from: it is reused only if all of it still holds.
    sample_key = {
        "seed": SEED,
        "format": FORMAT_VERSION,
        "backend": backend,
        "sample_chunks": sample_chunks,
        "corpus": str(seed_corpus.resolve()),
        **{k: settings[k] for k in BUILD_SETTINGS},
    }
    build_key = {**sample_key, "perturbation": [MIX, NOISE], "hnsw": [HNSW_M, HNSW_EF_CONSTRUCTION]}

    started = time.perf_counter()
    report: dict = {
        "backend": backend,
        "queries": queries,
        "distinct_base_questions": len(QUESTIONS),
        "machine": machine(),
        "load_average": {"start": load_average()},
        "settings": settings,
        "method": METHOD,
        "scales": {},
    }
    try:
        variator = TextVariator(seed_documents(seed_corpus))
        # Built and run on an inference thread, as the server does, so in-process numbers compare with it.
        encoder = QueuedEncoder.create(backend, base.encoder_threads, runtime=base.encoder_runtime)
        set_threads(base.threads)
        report["encoder"] = {"spec": encoder.spec, "model": encoder.model, "dim": encoder.dim}
        sample_result, sample, reused = _sample(root, sample_key, seed_corpus, variator, encoder, base, sample_chunks)
        report.update(sample_corpus=sample_result["corpus"], sample=sample_result["sample"], reused_sample=reused)
        if ingest_workers or ray:
            report["parallel_ingest"] = measure_parallel_ingest(
                root / "sample" / "corpus", base, ingest_workers or [1], ray, root / "parallel"
            )
        if thread_probes and not load:
            report["encoder_threads"] = encoder_threads(backend, embedded_texts(sample)[:96])
        in_sample = max(len(sample.chunks), sample_chunks)
        if scales[-1] > in_sample:
            report["replica_cosines"] = replica_cosines(encoder, sample, variator)
            log(f"replica cosine to source, real vs synthetic: {report['replica_cosines']}")
        for scale in scales:
            if scale <= in_sample:
                index, build = root / "sample" / "index", None
            else:
                index, build = _scale_index(root, build_key, scale, sample, variator, encoder, base)
            result = {"requested_chunks": scale, "build": build}
            if load:
                measure = measure_mixed_load if mix else measure_load
                report.setdefault("load", {})[str(scale)] = measure(
                    f"scale {scale}", index, backend, load, load_seconds, root
                )
                continue
            result.update(
                measure_scale(
                    f"scale {scale}",
                    index,
                    encoder,
                    _settings_for(base, index),
                    queries,
                    root,
                    profile=scale == scales[-1],
                )
            )
            if writes:
                result["writes"] = measure_writes(f"scale {scale}", index, backend, root, uploads=writes, asks=queries)
            report["scales"][str(scale)] = result
        report["bench_process_memory"] = proc_memory()
        report["load_average"]["end"] = load_average()
        report["targets"] = verdicts(report) if report["scales"] else load_verdicts(report)
        report["seconds"] = round(time.perf_counter() - started, 1)
        write_report(report, Path(out))
        if show:
            print_report(report)
            log(f"report written to {out} in {report['seconds']:.0f}s")
        return report
    finally:
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)
