"""FAISS inner-product index over chunk vectors: exact while small, HNSW above a size threshold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property, lru_cache
from pathlib import Path

import faiss
import numpy as np

# On the 100k-chunk corpus of `python -m app bench` (~100 varied copies of each real chunk) recall@10 against
# exact search is 0.94 at efSearch 160, 0.986 at 400 and 0.991 at 640 (docs/performance.md has the sweep); M 48
# beat M 32 at the same query time, and efConstruction 400 gained less than a higher M for twice the build time.
# The default efSearch is the one that reaches recall 0.99; it is the RAG_HNSW_EF_SEARCH setting's default too.
HNSW_M = 48
HNSW_EF_CONSTRUCTION = 200
EF_SEARCH = 640
# Filtered searches over at most this many chunks are exact (20k x 384 floats: ~3 ms on one core).
EXACT_FILTER_LIMIT = 20_000


_threads = 0  # OpenMP threads asked for FAISS by set_threads; 0: the library's default


def set_threads(n: int) -> None:
    """OpenMP threads for FAISS: 1 is fastest for single queries on 2 cores, more for builds.

    numpy's own BLAS is held at one thread whatever ``n`` (see ``single_threaded_numpy_blas``).
    """
    global _threads
    _threads = max(1, n)
    faiss.omp_set_num_threads(_threads)
    single_threaded_numpy_blas()


@contextmanager
def build_threads(n: int) -> Iterator[None]:
    """FAISS on ``n`` threads for what the calling thread does inside the block (an index build), without changing
    the count serving threads use: OpenMP keeps the setting per thread."""
    faiss.omp_set_num_threads(max(1, n))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(_threads or max(1, n))


def _apply_threads() -> None:
    """Give the calling thread the count from ``set_threads``: OpenMP keeps it per thread, and a server answers
    on worker threads that never called it (they would run FAISS on every core)."""
    if _threads and faiss.omp_get_max_threads() != _threads:
        faiss.omp_set_num_threads(_threads)


@lru_cache(maxsize=1)
def single_threaded_numpy_blas() -> bool:
    """Limit numpy's OpenBLAS to one thread; False if threadpoolctl is not installed to do it.

    numpy's products here are small (a question against a few hundred vectors; NER over one document's
    sentences): on an idle 2-core machine one thread is as fast as two, and while anything else keeps a core
    busy, two spinning BLAS threads made NER at ingest ~3.5x slower. FAISS's own BLAS, used for batched
    searches, is not affected.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits={"libscipy_openblas": 1})  # the OpenBLAS numpy >= 2 wheels bundle
    return True


class DenseIndex:
    """Nearest chunks by cosine (vectors are L2-normalised, so inner product)."""

    def __init__(self, index: faiss.Index):
        self.index = index

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSW) else "flat"

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int = 50_000, ef_search: int = EF_SEARCH) -> DenseIndex:
        """Exact search up to ``hnsw_threshold`` vectors, HNSW beyond."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        index: faiss.Index
        if len(vectors) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = ef_search
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, excluded: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` ``(ids, cosines)`` among all vectors or only the ``allowed`` ids, never ``excluded`` ones
        (deleted documents' rows); missing results are dropped.

        A filter is applied inside the search, not to its results, so a narrow filter still gets ``k`` hits:
        up to ``EXACT_FILTER_LIMIT`` allowed vectors are scored exactly (a few milliseconds, and HNSW with a
        narrow selector can miss hits); above it the graph search skips the others through a FAISS selector.
        """
        if excluded is not None and len(excluded) == 0:
            excluded = None
        if excluded is not None and allowed is not None:
            allowed, excluded = np.setdiff1d(allowed, excluded), None
        if excluded is not None and self.kind == "flat":
            allowed, excluded = np.setdiff1d(np.arange(self.index.ntotal), excluded), None
        if allowed is not None and (len(allowed) <= EXACT_FILTER_LIMIT or self.kind == "flat"):
            return self._exact(query, k, allowed)
        available = self.index.ntotal - (0 if excluded is None else len(excluded))
        k = min(k, available if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        _apply_threads()
        params = None
        if allowed is not None or excluded is not None:
            hnsw = faiss.downcast_index(self.index)
            assert isinstance(hnsw, faiss.IndexHNSW)  # a flat index took the exact path above
            selector: faiss.IDSelector
            if allowed is not None:
                selector = faiss.IDSelectorBatch(allowed)
            else:
                assert excluded is not None
                listed = faiss.IDSelectorBatch(excluded)
                selector = faiss.IDSelectorNot(listed)
                selector.referenced = listed  # type: ignore[attr-defined]  # keeps the inner selector alive
            params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]  # missing from faiss's stubs
                sel=selector, efSearch=hnsw.hnsw.efSearch
            )
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _exact(self, query: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(allowed) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cos = self.vectors(allowed) @ query.astype(np.float32)
        top = np.argpartition(-cos, k - 1)[:k] if len(cos) > k else np.arange(len(cos))
        top = top[np.argsort(-cos[top])]
        return allowed[top].astype(np.int64), cos[top]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, as indexed (for exact rescoring of candidates).

        Read from the index's own memory: the raw vectors beside it on disk would have to be paged in
        (at 100k chunks that is up to 150 MB more resident memory) and projected again per query.
        """
        return self._stored[np.asarray(ids, dtype=np.int64)]

    @cached_property
    def _stored(self) -> np.ndarray:
        flat = self.index
        if not isinstance(flat, faiss.IndexFlat):
            assert isinstance(flat, faiss.IndexHNSW)  # the only other kind ``build`` makes
            flat = faiss.downcast_index(flat.storage)
            assert isinstance(flat, faiss.IndexFlat)  # an HNSWFlat index keeps its vectors in a flat index
        if flat.ntotal == 0:
            return np.zeros((0, flat.d), dtype=np.float32)
        # A view, not a copy; the index is never added to after it is built, so the buffer stays put.
        return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)

    def set_ef_search(self, ef: int) -> None:
        if isinstance(self.index, faiss.IndexHNSW):
            self.index.hnsw.efSearch = ef

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, ef_search: int = EF_SEARCH) -> DenseIndex:
        dense = cls(faiss.read_index(str(path)))
        dense.set_ef_search(ef_search)
        return dense
