"""One readable snapshot over several segments: a large base plus small deltas, with deleted documents hidden.

Writing one document adds a small segment (its own tables, flat FAISS index and BM25 postings) instead of
rebuilding the whole index; a view lays the segments' tables end to end so that the read path sees one
``Snapshot``. Deleted and replaced documents keep their rows until compaction (``app/index/compactor.py``)
folds everything into a new base; until then they are marked dead: never searched, never scored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property

import numpy as np

from app.index.dense import DenseIndex
from app.index.lexical import LexicalIndex, TermStats
from app.index.snapshot import Snapshot
from app.models import Document


def _owner(offsets: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Which segment each global row id falls in (``offsets`` are the segments' first rows)."""
    return np.searchsorted(offsets, ids, side="right") - 1


class StackedRows:
    """Row access to several segments' vector tables as if they were one (rows are gathered, never copied whole)."""

    def __init__(self, parts: Sequence[np.ndarray]):
        self.parts = list(parts)
        sizes = [len(p) for p in self.parts]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.dim = self.parts[0].shape[1]
        self.shape = (int(sum(sizes)), self.dim)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: np.ndarray | list[int]) -> np.ndarray:
        ids = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        owners = _owner(self.offsets, ids)
        for i in np.unique(owners):
            mask = owners == i
            out[mask] = self.parts[i][ids[mask] - self.offsets[i]]
        return out


class SegmentedDense:
    """Nearest chunks over every segment's FAISS index, deleted rows excluded inside each search."""

    def __init__(self, parts: Sequence[DenseIndex], sizes: Sequence[int], dead: np.ndarray):
        self.parts = list(parts)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.ends = self.offsets + np.asarray(sizes, dtype=np.int64)
        # Per segment: its deleted rows, in its own ids.
        self.dead = [dead[(dead >= a) & (dead < b)] - a for a, b in zip(self.offsets, self.ends)]
        self.index = self.parts[0].index  # the base's, for reports (kind, efSearch)

    @property
    def kind(self) -> str:
        return self.parts[0].kind

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, excluded: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` ``(ids, cosines)`` over all segments (or the ``allowed`` global ids), best first."""
        found_ids, found_cos = [], []
        for part, start, end, dead in zip(self.parts, self.offsets, self.ends, self.dead):
            local = None
            if allowed is not None:
                local = allowed[(allowed >= start) & (allowed < end)] - start
                if len(local) == 0:
                    continue
            ids, cos = part.search(query, k, local, dead)
            found_ids.append(ids + start)
            found_cos.append(cos)
        if not found_ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids, cos = np.concatenate(found_ids), np.concatenate(found_cos)
        if excluded is not None and len(excluded):
            keep = ~np.isin(ids, excluded)
            ids, cos = ids[keep], cos[keep]
        top = np.argsort(-cos, kind="stable")[:k]
        return ids[top].astype(np.int64), cos[top]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The indexed (projected) vectors of global ``ids``."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.empty((len(ids), self.index.d), dtype=np.float32)
        owners = _owner(self.offsets, ids)
        for i in np.unique(owners):
            mask = owners == i
            out[mask] = self.parts[i].vectors(ids[mask] - self.offsets[i])
        return out

    def set_ef_search(self, ef: int) -> None:
        for part in self.parts:
            part.set_ef_search(ef)


class SummedDf(Mapping[str, float]):
    """Document frequencies over several lexical indexes, computed per term when asked."""

    def __init__(self, parts: Sequence[LexicalIndex]):
        self.parts = list(parts)

    def __getitem__(self, term: str) -> float:
        return sum(p.local_df(term) for p in self.parts)

    def get(self, term: str, default: float | None = 0.0) -> float:  # type: ignore[override]
        return self[term]

    def __iter__(self) -> Iterator[str]:
        return iter({t for p in self.parts for t in p.vocab})

    def __len__(self) -> int:
        return len({t for p in self.parts for t in p.vocab})


class SegmentedLexical:
    """BM25 over every segment with corpus-wide idf; deleted chunks score zero."""

    def __init__(self, parts: Sequence[LexicalIndex], live_chunks: np.ndarray):
        self.stats = TermStats(int(np.count_nonzero(live_chunks)), SummedDf(parts))
        self.parts = [p.with_stats(self.stats) for p in parts]
        self.live = live_chunks
        self.num_docs = len(live_chunks)

    @cached_property
    def vocab(self) -> dict[str, int]:
        """Every term of any segment (for reports: the vocabulary size); built on first use, not per view."""
        return {t: 0 for p in self.parts for t in p.vocab}

    def idf(self, term: str) -> float:
        return self.parts[0].idf(term)

    def group_bound(self, group: tuple[str, ...]) -> float:
        """Best score of the group's best spelling in any segment; a group no segment holds gets its idf."""
        bounds = [p.term_bound(t) for p in self.parts for t in group if t in p.vocab]
        return max(bounds) if bounds else self.idf(group[0])

    def upper_bound(self, groups: list[tuple[str, ...]]) -> float:
        return sum(self.group_bound(g) for g in groups)

    def scores(self, groups: list[tuple[str, ...]]) -> np.ndarray:
        """Normalised BM25 score of every chunk of the view in [0, 1]."""
        raw = np.concatenate([p.raw_scores(groups) for p in self.parts])
        raw[~self.live] = 0.0
        return raw / max(self.upper_bound(groups), 1e-9)


def combine(segments: Sequence[Snapshot], dead: Sequence[frozenset[str] | set[str]]) -> Snapshot:
    """One snapshot over ``segments`` (the first is the base) with the documents in ``dead[i]`` of segment i hidden.

    A single segment with nothing dead is returned as it is.
    """
    if len(segments) == 1 and not dead[0]:
        return segments[0]
    table_docs: list[Document] = []
    live_docs: list[bool] = []
    sentences, chunks, entities = [], [], []
    doc_base = sentence_base = 0
    for segment, gone in zip(segments, dead):
        docs = list(segment.documents.values())
        table_docs += docs
        live_docs += [d.doc_id not in gone for d in docs]
        sentences.append(segment.sentences + np.array([doc_base, 0, 0]))
        chunks.append(segment.chunks + np.array([doc_base, 0, 0, sentence_base, sentence_base]))
        entities.append(segment.entities + np.array([sentence_base, 0, 0, 0], dtype=segment.entities.dtype))
        doc_base += len(docs)
        sentence_base += len(segment.sentences)
    live = np.array(live_docs, dtype=bool)
    chunk_table = np.concatenate(chunks).astype(np.int64)
    live_chunks = live[chunk_table[:, 0]] if len(chunk_table) else np.zeros(0, dtype=bool)
    base = segments[0]
    documents = {d.doc_id: d for d, alive in zip(table_docs, live_docs) if alive}
    manifest = {
        **base.manifest,
        "segments": len(segments),
        "documents": len(documents),
        "chunks": int(np.count_nonzero(live_chunks)),
        "built_at": max(s.manifest.get("built_at", "") for s in segments),
    }
    return Snapshot(
        manifest=manifest,
        documents=documents,
        sentences=np.concatenate(sentences).astype(np.int64),
        chunks=chunk_table,
        sentence_vectors=StackedRows([s.sentence_vectors for s in segments]),  # type: ignore[arg-type]
        chunk_vectors=StackedRows([s.chunk_vectors for s in segments]),  # type: ignore[arg-type]
        dense=SegmentedDense(  # type: ignore[arg-type]  # the same search and vectors as one DenseIndex
            [s.dense for s in segments], [len(s.chunks) for s in segments], np.flatnonzero(~live_chunks)
        ),
        lexical=SegmentedLexical([s.lexical for s in segments], live_chunks),  # type: ignore[arg-type]
        projection=base.projection,
        entities=np.concatenate(entities).astype(np.int32),
        table_docs=table_docs,
        live=live,
    )
