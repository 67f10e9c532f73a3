"""Between snapshots and Milvus rows: one document's tables, the rows that store them, and the snapshot of the
documents a question may be answered from."""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass, field

import bm25s
import numpy as np

from app.index.dense import DenseIndex
from app.index.lexical import LexicalIndex, TermStats, lucene_idf
from app.index.milvus_schema import (
    BM25_B,
    BM25_K1,
    COLLECTION_MAX,
    DOC_ID_MAX,
    EMPTY_TERM,
    PLACEHOLDER,
    TEXT_PART_CHARS,
    URL_MAX,
    VARCHAR_MAX,
    check_size,
    chunk_length,
    chunk_weights,
)
from app.index.projection import LanguageProjection
from app.index.snapshot import Snapshot
from app.models import Document
from app.text.terms import terms


@dataclass
class DocTables:
    """One document's share of the snapshot tables, with document-local offsets and sentence numbers."""

    document: Document
    sentences: np.ndarray  # (n, 2) start, end
    chunks: np.ndarray  # (m, 4) start, end, first sentence, last sentence (exclusive)
    entities: np.ndarray  # (k, 4) sentence, label, start, end within the sentence
    sentence_vectors: np.ndarray
    chunk_vectors: np.ndarray  # raw: the projection is applied when a snapshot is built
    chunk_terms: list[list[str]] = field(default_factory=list)
    postings: Postings = field(init=False)

    def __post_init__(self) -> None:
        if not self.chunk_terms and len(self.chunks):
            text = self.document.text
            lang = self.document.lang
            self.chunk_terms = [terms(text[int(s) : int(e)], lang) for s, e, _, _ in self.chunks]
        self.postings = Postings.of(self.chunk_terms)

    @property
    def nbytes(self) -> int:
        """Rough memory held (for the cache's budget): vectors, text, and about 100 bytes per term occurrence
        (Python strings in lists, and the postings)."""
        tokens = sum(len(t) for t in self.chunk_terms)
        vectors = self.sentence_vectors.nbytes + self.chunk_vectors.nbytes
        return int(vectors + 2 * len(self.document.text) + 100 * tokens + 1024)


def segment_tables(segment: Snapshot, doc_id: str) -> DocTables:
    """One document's tables out of a snapshot (as ``Indexer`` reuses them)."""
    srows, crows = segment.sentence_rows(doc_id), segment.chunk_rows(doc_id)
    first = int(srows[0]) if len(srows) else 0
    chunks = segment.chunks[crows, 1:].astype(np.int64)
    chunks[:, 2:] -= first
    found = segment.entities[segment.entity_rows(srows)].astype(np.int32)
    found[:, 0] -= first
    return DocTables(
        segment.documents[doc_id],
        segment.sentences[srows, 1:].astype(np.int64),
        chunks,
        found,
        np.asarray(segment.sentence_vectors[srows], dtype=np.float32),
        np.asarray(segment.chunk_vectors[crows], dtype=np.float32),
    )


def pack(vector: np.ndarray) -> str:
    """A float32 vector as base64 (exact, and far quicker to move than a list of floats)."""
    return base64.b64encode(np.ascontiguousarray(vector, dtype=np.float32).tobytes()).decode("ascii")


def unpack(packed: list[str], dim: int) -> np.ndarray:
    """The matrix of ``pack``-ed vectors."""
    data = b"".join(base64.b64decode(p) for p in packed)
    return np.frombuffer(data, dtype=np.float32).reshape(-1, dim).copy()


def text_parts(text: str) -> list[str]:
    """A text cut into parts that each fit a VARCHAR; the first one is stored in the document row."""
    return [text[i : i + TEXT_PART_CHARS] for i in range(0, len(text), TEXT_PART_CHARS)] or [""]


def document_row(tables: DocTables, gen: int) -> dict:
    """The row that commits a document: written after all its other rows. Raises ValueError for a value Milvus
    would refuse."""
    doc = tables.document
    check_size("a doc_id", doc.doc_id, DOC_ID_MAX)
    for what, value, limit in (
        ("title", doc.title, VARCHAR_MAX),
        ("lang", doc.lang, 16),
        ("date", doc.date or "", 10),
        ("collection", doc.collection or "", COLLECTION_MAX),
        ("sha", doc.sha, 256),
        ("origin", doc.origin, 64),
        ("url", doc.url or "", URL_MAX),
    ):
        check_size(f"the {what} of {doc.doc_id!r}", value, limit)
    parts = text_parts(doc.text)
    return {
        "doc_id": doc.doc_id,
        "gen": gen,
        "title": doc.title,
        "lang": doc.lang,
        "date": doc.date,
        "collection": doc.collection,
        "sha": doc.sha,
        "origin": doc.origin,
        "text": parts[0],
        "parts": len(parts),
        "chunks": len(tables.chunks),
        "sentences": len(tables.sentences),
        "url": doc.url,
        "placeholder": PLACEHOLDER,
    }


def text_rows(tables: DocTables, gen: int) -> list[dict]:
    doc_id = tables.document.doc_id
    parts = text_parts(tables.document.text)
    return [
        {"doc_id": doc_id, "gen": gen, "part": i, "text": part, "placeholder": PLACEHOLDER}
        for i, part in enumerate(parts)
        if i > 0
    ]


def chunk_rows(tables: DocTables, gen: int, projected: np.ndarray, avg_length: float) -> list[dict]:
    """Chunk rows: ``projected`` holds the chunk vectors in the store's projection (what search compares)."""
    doc = tables.document
    return [
        {
            "doc_id": doc.doc_id,
            "gen": gen,
            "idx": i,
            "lang": doc.lang,
            "date": doc.date or "",
            "collection": doc.collection or "",
            "char_start": int(start),
            "char_end": int(end),
            "first_sentence": int(first),
            "last_sentence": int(last),
            "length": chunk_length(tables.chunk_terms[i]),
            "vector": projected[i],
            "raw": pack(tables.chunk_vectors[i]),
            "sparse": chunk_weights(tables.chunk_terms[i], avg_length),
        }
        for i, (start, end, first, last) in enumerate(tables.chunks)
    ]


def sentence_rows(tables: DocTables, gen: int) -> list[dict]:
    doc_id = tables.document.doc_id
    found: list[list[list[int]]] = [[] for _ in range(len(tables.sentences))]
    for row, label, start, end in tables.entities:
        found[int(row)].append([int(label), int(start), int(end)])
    rows = []
    for i, (start, end) in enumerate(tables.sentences):
        entities = json.dumps(found[i], separators=(",", ":"))
        check_size(f"the entities of sentence {i} of {doc_id!r}", entities, VARCHAR_MAX)
        rows.append(
            {
                "doc_id": doc_id,
                "gen": gen,
                "idx": i,
                "char_start": int(start),
                "char_end": int(end),
                "entities": entities,
                "vector": pack(tables.sentence_vectors[i]),
                "placeholder": PLACEHOLDER,
            }
        )
    return rows


def document_from_row(row: dict, parts: list[str]) -> Document:
    """The document of a documents row; ``parts`` are its further text parts in order."""
    return Document(
        doc_id=row["doc_id"],
        title=row["title"],
        lang=row["lang"],
        text=row["text"] + "".join(parts),
        sha=row["sha"],
        origin=row["origin"],
        date=row["date"],
        collection=row["collection"],
        url=row.get("url"),
    )


def tables_from_rows(document: Document, chunks: list[dict], sentences: list[dict], dim: int) -> DocTables:
    """A document's tables from its chunk and sentence rows (any order)."""
    chunks = sorted(chunks, key=lambda r: r["idx"])
    sentences = sorted(sentences, key=lambda r: r["idx"])
    found = [
        (i, label, start, end) for i, row in enumerate(sentences) for label, start, end in json.loads(row["entities"])
    ]
    return DocTables(
        document,
        np.array([(r["char_start"], r["char_end"]) for r in sentences], dtype=np.int64).reshape(-1, 2),
        np.array(
            [(r["char_start"], r["char_end"], r["first_sentence"], r["last_sentence"]) for r in chunks],
            dtype=np.int64,
        ).reshape(-1, 4),
        np.array(found, dtype=np.int32).reshape(-1, 4),
        unpack([r["vector"] for r in sentences], dim),
        unpack([r["raw"] for r in chunks], dim),
    )


@dataclass(frozen=True)
class Postings:
    """Term frequencies of one document's chunks, counted once (documents are cached) and merged per question."""

    vocab: list[str]  # the document's distinct terms
    rows: np.ndarray  # chunk (document-local) of each entry
    cols: np.ndarray  # term (index into ``vocab``) of each entry
    tf: np.ndarray
    lengths: np.ndarray  # BM25 length of each chunk

    @classmethod
    def of(cls, chunk_terms: list[list[str]]) -> Postings:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        for row, tokens in enumerate(chunk_terms):
            # ``LexicalIndex.build`` gives a chunk without terms a placeholder term.
            for term, count in Counter(tokens or [EMPTY_TERM]).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(count)
        return cls(
            list(vocab),
            np.asarray(rows, dtype=np.int64),
            np.asarray(cols, dtype=np.int64),
            np.asarray(tfs, dtype=np.float64),
            np.asarray([chunk_length(t) for t in chunk_terms], dtype=np.float64),
        )


def corpus_lexical(postings: list[Postings], stats: TermStats | None, avg_length: float) -> LexicalIndex:
    """``LexicalIndex.build`` over the chunks of ``postings`` (in order), normalising lengths by the whole corpus's
    average ``avg_length``.

    bm25s normalises term frequencies by the average length of the chunks it indexes; over the few documents a
    question fetched that is not the corpus's, and every score would differ from the embedded index's. The score
    matrix is therefore computed here as bm25s's "lucene" method does (the local idf baked in, which
    ``LexicalIndex`` rescales to ``stats``), with ``avg_length`` as avgdl.
    """
    num_chunks = sum(len(p.lengths) for p in postings)
    if num_chunks == 0:
        return LexicalIndex.build([], stats)
    vocab: dict[str, int] = {}
    rows, cols, tfs, lengths = [], [], [], []
    offset = 0
    for p in postings:
        ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in p.vocab), dtype=np.int64, count=len(p.vocab))
        rows.append(p.rows + offset)
        cols.append(ids[p.cols])
        tfs.append(p.tf)
        lengths.append(p.lengths)
        offset += len(p.lengths)
    row, col, tf = np.concatenate(rows), np.concatenate(cols), np.concatenate(tfs)
    df = np.bincount(col, minlength=len(vocab)).astype(np.float64)
    idf = np.log(1.0 + (num_chunks - df + 0.5) / (df + 0.5))
    length = np.concatenate(lengths)[row]
    data = idf[col] * tf / (tf + BM25_K1 * (1 - BM25_B + BM25_B * length / avg_length))
    order = np.argsort(col, kind="stable")
    retriever = bm25s.BM25(method="lucene")
    retriever.scores = {
        "data": data[order].astype(np.float32),
        "indices": row[order].astype(np.int32),
        "indptr": np.concatenate([[0], np.cumsum(np.bincount(col, minlength=len(vocab)))]).astype(np.int64),
        "num_docs": num_chunks,
    }
    retriever.vocab_dict = {**vocab, "": len(vocab)}  # bm25s adds the empty token past the matrix too
    return LexicalIndex(retriever, num_chunks, stats)


def assemble(
    tables: list[DocTables],
    manifest: dict,
    projection: LanguageProjection,
    dim: int,
    stats: TermStats | None,
    avg_length: float,
) -> Snapshot:
    """A snapshot of exactly ``tables`` (in order), laid out as ``Indexer.build`` lays out its documents."""
    sentences, chunks, found, svecs, cvecs = [], [], [], [], []
    base = 0
    for doc_index, t in enumerate(tables):
        sentences.append(np.column_stack([np.full(len(t.sentences), doc_index), t.sentences]))
        local = t.chunks.copy()
        local[:, 2:] += base
        chunks.append(np.column_stack([np.full(len(local), doc_index), local]))
        entity_rows = t.entities.copy()
        entity_rows[:, 0] += base
        found.append(entity_rows)
        svecs.append(t.sentence_vectors)
        cvecs.append(t.chunk_vectors)
        base += len(t.sentences)
    chunk_vectors = np.concatenate(cvecs) if cvecs else np.zeros((0, dim), np.float32)
    return Snapshot(
        manifest=manifest,
        documents={t.document.doc_id: t.document for t in tables},
        sentences=np.concatenate(sentences).astype(np.int64) if sentences else np.zeros((0, 3), np.int64),
        chunks=np.concatenate(chunks).astype(np.int64) if chunks else np.zeros((0, 5), np.int64),
        sentence_vectors=np.concatenate(svecs) if svecs else np.zeros((0, dim), np.float32),
        chunk_vectors=chunk_vectors,
        # Flat: a question's documents hold a few thousand chunks at most, and exact search needs no build.
        dense=DenseIndex.build(projection.apply(chunk_vectors), hnsw_threshold=10**9),
        lexical=corpus_lexical([t.postings for t in tables], stats, avg_length),
        projection=projection,
        entities=np.concatenate(found).astype(np.int32) if found else np.zeros((0, 4), np.int32),
    )


def idf_weights(df: dict[int, int], num_docs: int) -> dict[int, float]:
    """Query-side BM25 weights: the corpus idf of every term id present."""
    return {key: lucene_idf(num_docs, n) for key, n in df.items() if n > 0}
