"""app/index/dense.py: FAISS inner-product search, exact while small and HNSW above the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from app.index.dense import DenseIndex
from app.encoders.base import normalise


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return normalise(np.random.default_rng(7).normal(size=(300, 32)))


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(vectors @ query))[:k]


def test_flat_search_is_exact(vectors):
    """Below the threshold the index is flat and returns the true top k by cosine, best first."""
    dense = DenseIndex.build(vectors, hnsw_threshold=1000)
    assert dense.kind == "flat"
    query = vectors[42]
    ids, scores = dense.search(query, 10)
    assert list(ids) == list(exact_top(vectors, query, 10))
    assert ids[0] == 42 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.diff(scores) <= 1e-6)
    np.testing.assert_allclose(scores, vectors[ids] @ query, rtol=1e-5, atol=1e-6)


def test_hnsw_above_threshold_has_high_recall(vectors):
    """Above the threshold the index is HNSW and still finds nearly all of the true top 10."""
    dense = DenseIndex.build(vectors, hnsw_threshold=100, ef_search=64)
    assert dense.kind == "hnsw"
    assert dense.index.hnsw.efSearch == 64
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(20):
        query = normalise(rng.normal(size=32))
        ids, _ = dense.search(query, 10)
        hits += len(set(ids) & set(exact_top(vectors, query, 10)))
    assert hits / 200 >= 0.9


def test_k_larger_than_index_returns_all(vectors):
    """Asking for more results than vectors returns each vector once, with no -1 padding."""
    dense = DenseIndex.build(vectors[:5])
    ids, scores = dense.search(vectors[0], 50)
    assert sorted(ids.tolist()) == [0, 1, 2, 3, 4]
    assert len(scores) == 5


def test_empty_index_returns_nothing():
    """An index over zero vectors searches to empty arrays."""
    dense = DenseIndex.build(np.zeros((0, 8), dtype=np.float32))
    ids, scores = dense.search(np.ones(8, dtype=np.float32), 5)
    assert ids.size == 0 and scores.size == 0


def test_save_and_load_round_trip(vectors, tmp_path):
    """A saved HNSW index loads with the requested efSearch and gives the same results."""
    dense = DenseIndex.build(vectors, hnsw_threshold=100)
    dense.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss", ef_search=32)
    assert loaded.kind == "hnsw" and loaded.index.hnsw.efSearch == 32
    query = vectors[3]
    loaded.set_ef_search(160)
    assert list(loaded.search(query, 5)[0]) == list(dense.search(query, 5)[0])


def test_float64_queries_are_accepted(vectors):
    """A float64 query vector is converted rather than rejected by FAISS."""
    dense = DenseIndex.build(vectors.astype(np.float64))
    ids, _ = dense.search(vectors[7].astype(np.float64), 1)
    assert ids.tolist() == [7]


def test_the_ef_search_setting_defaults_to_the_measured_value():
    """RAG_HNSW_EF_SEARCH's default is the efSearch the bench measured recall 0.99 with (one fact, one value)."""
    from app.index.dense import EF_SEARCH
    from app.settings import Settings

    assert Settings(_env_file=None).hnsw_ef_search == EF_SEARCH == 640


def test_filtered_search_returns_k_hits_from_the_allowed_ids():
    """A filter is applied inside the search: exact under the limit, a FAISS selector above it, k hits either way."""
    from app.index import dense as dense_module

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex.build(vectors, hnsw_threshold=1000)
    assert index.kind == "hnsw"
    allowed = np.arange(0, 3000, 7, dtype=np.int64)
    query = vectors[5]
    exact_ids, exact_scores = index.search(query, 10, allowed)
    truth = allowed[np.argsort(-(vectors[allowed] @ query))[:10]]
    assert list(exact_ids) == list(truth)
    assert np.all(np.diff(exact_scores) <= 1e-6)
    limit = dense_module.EXACT_FILTER_LIMIT
    try:
        dense_module.EXACT_FILTER_LIMIT = 10  # force the graph search with a selector
        ids, _ = index.search(query, 10, allowed)
    finally:
        dense_module.EXACT_FILTER_LIMIT = limit
    assert len(ids) == 10 and set(ids) <= set(allowed)
    assert len(set(ids) & set(truth)) >= 8
    assert len(index.search(query, 10, np.zeros(0, dtype=np.int64))[0]) == 0
