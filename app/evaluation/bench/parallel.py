"""Ingest throughput of the real sample by one process, by encoder worker processes, and by the Ray Data stage."""

from __future__ import annotations

import gc
import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from app.evaluation.bench.log import log
from app.evaluation.bench.measure import load_average
from app.index.store import IndexStore
from app.pipeline import Pipeline
from app.settings import Settings


def _run(corpus: Path, settings: Settings, workers: int, ray: bool) -> tuple[dict, IndexStore]:
    """One first ingest into an empty index, as `ingest [--workers N] [--ray]` runs it.

    ``setup_seconds`` is what comes before ``ingest_folder``: loading the encoder in this process, starting the
    encoder processes, or starting the local Ray instance (and loading the encoder here, which the index manifest
    describes); ``total_seconds`` adds the ingest, which includes the Ray actors' start and model loads.
    """
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    load = load_average()
    started = time.perf_counter()
    with ExitStack() as stack:
        embedder = None
        if ray:
            import ray as ray_module

            from app.ingest.distributed import connect_ray, ray_embedder

            # Started here so that its start-up is timed apart; the embedder leaves an instance it did not start.
            if connect_ray(None, workers):
                stack.callback(ray_module.shutdown)
            embedder = ray_embedder(settings, None, workers)
            pipeline = Pipeline(settings)
        else:
            pipeline = Pipeline.with_encoder_processes(settings, workers, stack)
        pipeline.encoder  # noqa: B018  (loads the model here, or wraps the pool: ingest times what follows)
        setup = time.perf_counter() - started
        report = pipeline.ingest_folder(corpus, embedder=embedder)
        total = time.perf_counter() - started
    snapshot = IndexStore(settings.index_dir).load()
    assert snapshot is not None, "ingest left no index"
    del pipeline
    gc.collect()
    if report.failed:
        raise RuntimeError(f"parallel ingest failed on {sorted(report.failed)}")
    result = {
        "workers": workers,
        "ray": ray,
        "chunks": report.chunks,
        # Every sentence and chunk of a first ingest is embedded (the report counts only those embedded here).
        "texts_embedded": len(snapshot.sentences) + len(snapshot.chunks),
        "setup_seconds": round(setup, 2),
        "ingest_seconds": round(report.seconds, 2),
        "total_seconds": round(total, 2),
        "ingest_chunks_per_s": round(report.chunks / max(report.seconds, 1e-9), 2),
        "total_chunks_per_s": round(report.chunks / max(total, 1e-9), 2),
        "load_average": {"start": load, "end": load_average()},
    }
    return result, IndexStore(settings.index_dir)


def _same_index(store: IndexStore, reference: IndexStore) -> dict:
    """Whether a run built the tables of the one-process run, and how far its vectors are from them."""
    got, want = store.load(), reference.load()
    assert got is not None and want is not None, "ingest left no index"
    tables = (
        all(np.array_equal(getattr(got, t), getattr(want, t)) for t in ("sentences", "chunks", "entities"))
        and got.doc_order == want.doc_order
    )
    drift = float(np.abs(got.chunk_vectors - want.chunk_vectors).max()) if tables and len(got.chunks) else None
    return {"same_tables": tables, "max_vector_difference": drift}


def measure_parallel_ingest(corpus: Path, settings: Settings, workers: list[int], ray: bool, folder: Path) -> dict:
    """First ingest of ``corpus`` with each worker count (1 is the plain in-process loop), then with the Ray
    stage using the largest count as actors; each index is compared with the one-process one."""
    counts = sorted(set(workers) | {1})
    runs: list[tuple[str, int, bool]] = [(f"{w} worker{'s' if w > 1 else ''}", w, False) for w in counts]
    if ray:
        runs.append((f"ray, {max(counts)} actors", max(counts), True))
    results: dict[str, dict] = {}
    reference: IndexStore | None = None
    for name, count, on_ray in runs:
        result, store = _run(corpus, settings.model_copy(update={"index_dir": folder / name}), count, on_ray)
        if reference is None:
            reference = store
            result["encoder_threads"] = settings.encoder_threads  # the plain loop embeds with these
        else:
            result.update(_same_index(store, reference))
        results[name] = result
        log(
            f"parallel ingest, {name}: {result['chunks']} chunks, setup {result['setup_seconds']} s, ingest "
            f"{result['ingest_seconds']} s ({result['ingest_chunks_per_s']} chunks/s; "
            f"{result['total_chunks_per_s']} with setup)"
        )
    one = results[runs[0][0]]["total_seconds"]
    for result in results.values():
        result["speedup_with_setup"] = round(one / max(result["total_seconds"], 1e-9), 3)
    shutil.rmtree(folder, ignore_errors=True)
    return results
