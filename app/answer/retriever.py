"""Hybrid retrieval: FAISS and BM25 candidates, rescored exactly and fused."""

from __future__ import annotations

import numpy as np

from app.answer.fusion import blend, dense_score
from app.index.snapshot import Snapshot
from app.models import Passage, Query


class HybridRetriever:
    """Finds the chunks that best match a question, in any language of the corpus."""

    def __init__(
        self,
        candidates: int = 100,
        dense_weight: float = 0.8,
        lexical_absolute: float = 0.2,
        context_bonus: float = 0.1,
    ):
        self.candidates = candidates
        self.dense_weight = dense_weight
        self.lexical_absolute = lexical_absolute
        self.context_bonus = context_bonus

    def retrieve(self, snap: Snapshot, query: Query, k: int, trace: dict | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query`` among the documents its filters admit.

        Filters restrict the candidates both retrievers draw (before ranking), so a filtered question still
        gets ``k`` passages whenever the admitted documents hold that many. A follow-up's passages from the
        documents of the turn it continues get ``context_bonus``. ``trace``, when given, receives what each
        retriever found (for explanations).
        """
        if len(snap.chunks) == 0:
            return []
        query_vector = query.vector
        lexical = snap.lexical.scores(query.terms)
        allowed = snap.allowed_chunks(query.filters)
        dense_ids, dense_cos = snap.dense.search(query_vector, self.candidates, allowed)
        if allowed is not None:
            # Only admitted chunks may come from BM25 either.
            admitted = np.zeros(len(lexical), dtype=bool)
            admitted[allowed] = True
            lexical = np.where(admitted, lexical, 0.0).astype(np.float32)
        # The best BM25 chunks, among those the question's terms reach at all.
        if np.count_nonzero(lexical) > self.candidates:
            top_lexical = np.argpartition(-lexical, self.candidates - 1)[: self.candidates]
        else:
            top_lexical = np.flatnonzero(lexical)
        candidates = np.union1d(dense_ids, top_lexical)
        context = np.zeros(0, dtype=np.int64)
        if query.context is not None and query.context.doc_ids:
            known = [snap.chunk_rows(d) for d in query.context.doc_ids if d in snap.doc_index]
            if known:
                context = np.concatenate(known)
            if allowed is not None:
                context = np.intersect1d(context, allowed)
            # The continued documents' best chunks compete even when the short follow-up alone misses them.
            candidates = np.union1d(candidates, snap.dense.search(query_vector, 20, context)[0])
        if trace is not None:
            # Both searches return their hits best first: the trace shows the head of what fusion received.
            trace["dense"] = [(int(i), float(c)) for i, c in zip(dense_ids[:10], dense_cos[:10])]
            best_lexical = top_lexical[np.argsort(-lexical[top_lexical])][:10]
            trace["lexical"] = [(int(i), float(lexical[i])) for i in best_lexical]
            trace["candidates"] = int(len(candidates))
        if len(candidates) == 0:
            return []
        candidates = candidates.astype(np.int64)
        # Exact cosines for every candidate (HNSW scores are approximate; BM25-only hits have none), from
        # the vectors FAISS holds: already in the index's language-neutral space.
        chunk_cos = snap.dense.vectors(candidates) @ query_vector
        best_sentence = self._best_sentence_cosines(snap, candidates, query_vector)
        dense = dense_score(chunk_cos, best_sentence)
        fused = blend(
            dense, lexical[candidates], snap.chunk_langs[candidates], self.dense_weight, self.lexical_absolute
        )
        if len(context):
            fused = fused + self.context_bonus * np.isin(candidates, context)
        order = np.argsort(-fused)[:k]
        passages = []
        for i in order:
            chunk_id = int(candidates[i])
            doc = snap.document_of_chunk(chunk_id)
            _, start, end, _, _ = snap.chunks[chunk_id]
            passages.append(
                Passage(
                    chunk_id=chunk_id,
                    doc_id=doc.doc_id,
                    title=doc.title,
                    lang=doc.lang,
                    text=doc.text[start:end],
                    start=int(start),
                    end=int(end),
                    score=round(float(fused[i]), 4),
                    dense=float(dense[i]),
                    lexical=float(lexical[chunk_id]),
                )
            )
        return passages

    @staticmethod
    def _best_sentence_cosines(snap: Snapshot, chunk_ids: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
        firsts, lasts = snap.chunks[chunk_ids, 3], snap.chunks[chunk_ids, 4]
        counts = lasts - firsts
        bounds = np.concatenate([[0], np.cumsum(counts)[:-1]])
        # Every chunk's contiguous run of sentence rows, laid end to end.
        rows = np.arange(counts.sum()) + np.repeat(firsts - bounds, counts)
        cos = snap.projection.cosines(snap.sentence_vectors[rows], query_vector)
        return np.maximum.reduceat(cos, bounds)  # max per chunk over its run
