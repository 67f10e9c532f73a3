"""HNSW against exact search over the same vectors: recall and latency for several efSearch values."""

from __future__ import annotations

import time

import faiss
import numpy as np

from app.evaluation.bench.measure import summarize
from app.index.snapshot import Snapshot

EF_SWEEP = (32, 64, 128, 160, 256, 400, 512, 640, 800)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of ``truth`` found in the same row of ``found`` (-1 = no result)."""
    return float(np.mean([len(set(f[f >= 0].tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]))


def _single_query_latency(index: faiss.Index, vectors: np.ndarray, k: int) -> dict:
    index.search(vectors[:1], k)
    timings = []
    for vector in vectors:
        started = time.perf_counter()
        index.search(vector.reshape(1, -1), k)
        timings.append(time.perf_counter() - started)
    return summarize(timings)


SENTENCE_QUERIES = 1000


def hnsw_quality(snap: Snapshot, vectors: np.ndarray, candidates: int, ef_search: int) -> dict | None:
    """Recall@10 and recall@``candidates`` of the snapshot's HNSW index against exact inner-product search.

    ``vectors`` are questions in the index's space (judged); stored sentence vectors, drawn at random, are a
    second, more varied set of queries. None when the index is exact already.
    """
    index = snap.dense.index
    if not isinstance(index, faiss.IndexHNSW):
        return None
    # The exact reference holds what FAISS holds: chunk vectors with the language directions removed.
    exact = faiss.IndexFlatIP(index.d)
    exact.add(np.ascontiguousarray(snap.chunk_matrix(np.arange(len(snap.chunks))), dtype=np.float32))
    _, truth10 = exact.search(vectors, 10)
    _, truth_k = exact.search(vectors, candidates)
    sweep = []
    for ef in sorted(set(EF_SWEEP) | {ef_search}):
        index.hnsw.efSearch = ef
        _, found10 = index.search(vectors, 10)
        _, found_k = index.search(vectors, candidates)
        sweep.append(
            {
                "ef_search": ef,
                "recall_at_10": round(recall(found10, truth10), 4),
                "recall_at_candidates": round(recall(found_k, truth_k), 4),
                "latency_ms": _single_query_latency(index, vectors, candidates),
            }
        )
    index.hnsw.efSearch = ef_search
    count = min(SENTENCE_QUERIES, len(snap.sentences))
    rows = np.random.default_rng(0).choice(len(snap.sentences), count, replace=False)
    sentences = np.ascontiguousarray(snap.sentence_matrix(np.sort(rows)), dtype=np.float32)
    sentence_recall = recall(index.search(sentences, 10)[1], exact.search(sentences, 10)[1])
    chosen = next(row for row in sweep if row["ef_search"] == ef_search)
    return {
        "queries": len(vectors),
        "candidates": candidates,
        "ef_search": ef_search,
        "recall_at_10": chosen["recall_at_10"],
        "recall_at_candidates": chosen["recall_at_candidates"],
        "sentence_queries": len(sentences),
        "sentence_recall_at_10": round(sentence_recall, 4),
        "hnsw_latency_ms": chosen["latency_ms"],
        "exact_latency_ms": _single_query_latency(exact, vectors, candidates),
        "ef_sweep": sweep,
    }
