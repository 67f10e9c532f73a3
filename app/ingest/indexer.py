"""Builds a snapshot from documents: split → chunk → embed (reusing vectors of unchanged documents) → index."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

from app.encoders.base import Encoder
from app.index.dense import DenseIndex
from app.index.lexical import LexicalIndex
from app.index.projection import LanguageProjection
from app.index.snapshot import FORMAT_VERSION, Snapshot
from app.ingest.chunker import chunk_sentences
from app.models import ENTITY_LABELS, Document
from app.settings import Settings
from app.text.entities import entities
from app.text.sentences import split_sentences
from app.text.terms import terms

EMBED_BATCH = 32
# Bump when sentence splitting, chunking or entity extraction changes: every document is then processed
# again instead of mixing old and new tables in one index.
PROCESSING_VERSION = 3  # 3: terms analysed per document language (Kazakh, Kyrgyz, Uzbek, Tajik)
Progress = Callable[[int], None]  # called with the number of texts just embedded


@dataclass
class Parts:
    """One document's share of the tables, with offsets local to the document (what embedding it produces)."""

    sentences: np.ndarray  # (n, 2) start, end
    chunks: np.ndarray  # (m, 4) start, end, first sentence, last sentence (local)
    sentence_vectors: np.ndarray
    chunk_vectors: np.ndarray
    entities: np.ndarray  # (k, 4) local sentence index, label, start, end


def split_document(doc: Document, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    spans = split_sentences(doc.text, doc.lang)
    ranges = chunk_sentences(spans, settings.chunk_sentences, settings.chunk_overlap, settings.chunk_chars)
    sentences = np.array(spans, dtype=np.int64).reshape(-1, 2)
    chunks = np.array([(spans[a][0], spans[b - 1][1], a, b) for a, b in ranges], dtype=np.int64).reshape(-1, 4)
    return sentences, chunks


class Indexer:
    """Turns a document set into a ``Snapshot``; only new or changed documents are embedded."""

    def __init__(self, encoder: Encoder, settings: Settings):
        self.encoder = encoder
        self.settings = settings
        self.embedded = 0
        self.embed_seconds = 0.0

    @property
    def processing(self) -> dict:
        """What a document's stored tables depend on besides its text and the encoder."""
        return {
            "version": PROCESSING_VERSION,
            "chunk_sentences": self.settings.chunk_sentences,
            "chunk_overlap": self.settings.chunk_overlap,
            "chunk_chars": self.settings.chunk_chars,
        }

    def can_reuse(self, previous: Snapshot | None) -> TypeGuard[Snapshot]:
        """Whether unchanged documents of ``previous`` may keep their vectors and tables."""
        return (
            previous is not None
            and previous.encoder == self.encoder.spec
            and previous.manifest.get("processing") == self.processing
        )

    def fresh(self, documents: list[Document], previous: Snapshot | None) -> list[Document]:
        """The documents ``build`` has to embed: new or changed since ``previous`` (all if it cannot be reused)."""
        if not self.can_reuse(previous):
            return list(documents)
        return [d for d in documents if d.doc_id not in previous.documents or previous.documents[d.doc_id].sha != d.sha]

    def count_texts(self, documents: Iterable[Document]) -> int:
        """Texts that embedding ``documents`` will take (for a progress bar)."""
        total = 0
        for doc in documents:
            sentences, chunks = split_document(doc, self.settings)
            total += len(sentences) + len(chunks)
        return total

    def _embed(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        started = time.perf_counter()
        out = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        # A process pool encoder asks for larger blocks so that each of its workers gets a batch.
        size = getattr(self.encoder, "batch_size", EMBED_BATCH)
        for at in range(0, len(texts), size):
            batch = texts[at : at + size]
            out[at : at + len(batch)] = self.encoder.passages(batch)
            self.embedded += len(batch)
            if progress:
                progress(len(batch))
        self.embed_seconds += time.perf_counter() - started
        return out

    def parts(self, docs: list[Document], progress: Progress | None = None) -> dict[str, Parts]:
        """Split and embed ``docs``, batching texts across documents: each document's share of the tables."""
        layout, texts = [], []
        for doc in docs:
            sentences, chunks = split_document(doc, self.settings)
            layout.append((doc, sentences, chunks))
            texts += [doc.text[s:e] for s, e in sentences] + [doc.text[s:e] for s, e, _, _ in chunks]
        vectors = self._embed(texts, progress)
        parts, at = {}, 0
        for doc, sentences, chunks in layout:
            ns, nc = len(sentences), len(chunks)
            found = entities([doc.text[s:e] for s, e in sentences])
            table = np.array(
                [(i, ENTITY_LABELS.index(label), a, b) for i, spans in enumerate(found) for label, (a, b) in spans],
                dtype=np.int32,
            ).reshape(-1, 4)
            parts[doc.doc_id] = Parts(sentences, chunks, vectors[at : at + ns], vectors[at + ns : at + ns + nc], table)
            at += ns + nc
        return parts

    @staticmethod
    def _old_parts(previous: Snapshot, doc_id: str) -> Parts:
        """Reuse the tables and vectors of an unchanged document from the previous snapshot."""
        srows, crows = previous.sentence_rows(doc_id), previous.chunk_rows(doc_id)
        chunks = previous.chunks[crows, 1:].copy()
        first = srows[0] if len(srows) else 0
        chunks[:, 2:] -= first
        found = previous.entities[previous.entity_rows(srows)].copy()
        found[:, 0] -= first
        return Parts(
            previous.sentences[srows, 1:].copy(),
            chunks,
            np.asarray(previous.sentence_vectors[srows]),
            np.asarray(previous.chunk_vectors[crows]),
            found,
        )

    def build(
        self,
        documents: list[Document],
        previous: Snapshot | None = None,
        progress: Progress | None = None,
        parts: dict[str, Parts] | None = None,
        projection: LanguageProjection | None = None,
    ) -> Snapshot:
        """A snapshot of exactly ``documents``; vectors of documents whose hash is unchanged are reused.

        ``parts`` holds documents already embedded elsewhere (worker processes, a Ray cluster); ``projection``
        is kept instead of fitted (a delta segment is compared in its base's space).
        """
        started = time.perf_counter()
        given = parts or {}
        fresh = self.fresh(documents, previous)
        parts = {**given, **self.parts([d for d in fresh if d.doc_id not in given], progress)}
        for doc in documents:
            if doc.doc_id not in parts:
                assert previous is not None  # only unchanged documents of a reusable snapshot are left
                parts[doc.doc_id] = self._old_parts(previous, doc.doc_id)

        sentences, chunks, svecs, cvecs, found = [], [], [], [], []
        sentence_base = 0
        for doc_index, doc in enumerate(documents):
            p = parts[doc.doc_id]
            sentences.append(np.column_stack([np.full(len(p.sentences), doc_index), p.sentences]))
            local = p.chunks.copy()
            local[:, 2:] += sentence_base
            chunks.append(np.column_stack([np.full(len(local), doc_index), local]))
            svecs.append(p.sentence_vectors)
            cvecs.append(p.chunk_vectors)
            entity_rows = p.entities.copy()
            entity_rows[:, 0] += sentence_base
            found.append(entity_rows)
            sentence_base += len(p.sentences)

        dim = self.encoder.dim
        sentence_table = np.concatenate(sentences).astype(np.int64) if sentences else np.zeros((0, 3), np.int64)
        chunk_table = np.concatenate(chunks).astype(np.int64) if chunks else np.zeros((0, 5), np.int64)
        chunk_vectors = np.concatenate(cvecs) if cvecs else np.zeros((0, dim), np.float32)
        sentence_vectors = np.concatenate(svecs) if svecs else np.zeros((0, dim), np.float32)
        entity_table = np.concatenate(found).astype(np.int32) if found else np.zeros((0, 4), np.int32)
        docs = {d.doc_id: d for d in documents}
        chunk_texts = [documents[int(i)].text[s:e] for i, s, e, _, _ in chunk_table]
        chunk_langs = np.array([documents[int(i)].lang for i in chunk_table[:, 0]], dtype=object)
        if projection is None:
            projection = LanguageProjection.fit(chunk_vectors, chunk_langs)
        # FAISS holds projected vectors; the stored ones stay raw so the next build can refit.
        dense = DenseIndex.build(
            projection.apply(chunk_vectors), self.settings.hnsw_threshold, self.settings.hnsw_ef_search
        )
        lexical = LexicalIndex.build([terms(t, lang) for t, lang in zip(chunk_texts, chunk_langs)])
        manifest = {
            "format_version": FORMAT_VERSION,
            "encoder": self.encoder.spec,
            "processing": self.processing,
            "model": self.encoder.model,
            "dim": dim,
            "dense_index": dense.kind,
            "language_directions": projection.directions,
            "documents": len(documents),
            "chunks": len(chunk_table),
            "sentences": len(sentence_table),
            "hashes": {d.doc_id: d.sha for d in documents},
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 3),
        }
        return Snapshot(
            manifest,
            docs,
            sentence_table,
            chunk_table,
            sentence_vectors,
            chunk_vectors,
            dense,
            lexical,
            projection,
            entity_table,
        )
