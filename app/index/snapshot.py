"""One immutable version of the index: documents, sentence and chunk tables, vectors, FAISS and BM25."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from app.index import checkpoints
from app.index.dense import EF_SEARCH, DenseIndex
from app.index.lexical import LexicalIndex
from app.index.projection import LanguageProjection
from app.models import ENTITY_LABELS, Document, Filters

# 2: vectors are compared after removing language directions (projection.npy).
# 3: named entities of every sentence are stored (entities.npy).
FORMAT_VERSION = 3


class IndexMismatch(RuntimeError):
    """The index was built by another encoder than the one configured."""


def check_manifest(manifest: dict, spec: str, dim: int | None = None) -> None:
    """Raise ``IndexMismatch`` unless the index of ``manifest`` was built by encoder ``spec`` (of ``dim``)."""
    built = manifest["encoder"]
    if built != spec or (dim is not None and dim != manifest["dim"]):
        raise IndexMismatch(
            f"the index was built with encoder '{built}' (dim {manifest['dim']}), "
            f"but '{spec}' is configured; set RAG_ENCODER='{built}' or rebuild the index "
            f"with `python -m app ingest --rebuild`"
        )


@dataclass
class Snapshot:
    """Everything a query needs. Never mutated after construction: writers build a new one and swap it in."""

    manifest: dict
    documents: dict[str, Document]
    # sentences[i] = (doc_index, start, end); chunks[i] = (doc_index, start, end, first_sentence, last_sentence)
    sentences: np.ndarray
    chunks: np.ndarray
    sentence_vectors: np.ndarray
    chunk_vectors: np.ndarray
    dense: DenseIndex
    lexical: LexicalIndex
    projection: LanguageProjection
    # entities[i] = (sentence_row, label index in models.ENTITY_LABELS, start, end within the sentence), by row
    entities: np.ndarray
    # The document of each doc_index of the tables, when they hold more than ``documents`` (a view over segments
    # keeps deleted or replaced documents' rows until compaction): ``live`` marks the served ones.
    table_docs: list[Document] | None = None
    live: np.ndarray | None = None
    doc_order: list[str] = field(init=False)
    doc_index: dict[str, int] = field(init=False)  # doc_id -> position in doc_order (and in the tables)
    chunk_langs: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.table_docs is None:
            self.table_docs = list(self.documents.values())
        if self.live is None:
            self.live = np.ones(len(self.table_docs), dtype=bool)
        table_docs = self.table_docs
        self.doc_order = [d.doc_id for d in table_docs]
        self.doc_index = {d.doc_id: i for i, d in enumerate(table_docs) if self.live[i]}
        doc_langs = np.array([d.lang for d in table_docs], dtype=object)
        # Per-document columns that filters compare whole arrays against (no Python loop per query).
        self._doc_langs = doc_langs
        self._doc_dates = np.array([d.date or "" for d in table_docs], dtype="U10")
        self._doc_collections = np.array([d.collection or "" for d in table_docs], dtype=object)
        self.chunk_langs = doc_langs[self.chunks[:, 0]] if len(self.chunks) else np.zeros(0, dtype=object)
        # Tables are written document by document, so each document owns one contiguous run of rows:
        # bounds[i]..bounds[i + 1] (a lookup costs the document's rows, not a scan of the table).
        positions = np.arange(len(self.doc_order) + 1)
        self._chunk_bounds = np.searchsorted(self.chunks[:, 0], positions)
        self._sentence_bounds = np.searchsorted(self.sentences[:, 0], positions)
        self._entity_bounds = np.searchsorted(self.entities[:, 0], np.arange(len(self.sentences) + 1))

    # -- lookups ---------------------------------------------------------------------------
    @property
    def encoder(self) -> str:
        return self.manifest["encoder"]

    @property
    def chunk_count(self) -> int:
        """Chunks of the served documents (the tables may still hold deleted ones' rows)."""
        if self.live is None or self.live.all():
            return len(self.chunks)
        return int(np.count_nonzero(self.live[self.chunks[:, 0]]))

    def document_of_chunk(self, chunk_id: int) -> Document:
        assert self.table_docs is not None  # set in __post_init__
        return self.table_docs[int(self.chunks[chunk_id, 0])]

    def chunk_text(self, chunk_id: int) -> str:
        _, start, end, _, _ = self.chunks[chunk_id]
        return self.document_of_chunk(chunk_id).text[start:end]

    def sentence_text(self, sentence_id: int) -> str:
        assert self.table_docs is not None
        doc_index, start, end = self.sentences[sentence_id]
        return self.table_docs[int(doc_index)].text[start:end]

    def chunk_matrix(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """Chunk vectors of ``rows`` in the language-neutral space queries are compared in."""
        return self.projection.apply(self.chunk_vectors[rows])

    def sentence_matrix(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """Sentence vectors of ``rows`` in the language-neutral space."""
        return self.projection.apply(self.sentence_vectors[rows])

    def sentence_entities(self, row: int) -> list[tuple[str, tuple[int, int]]]:
        """The named entities found in sentence ``row`` at ingest."""
        a, b = self._entity_bounds[row], self._entity_bounds[row + 1]
        return [(ENTITY_LABELS[int(label)], (int(start), int(end))) for _, label, start, end in self.entities[a:b]]

    def document_mask(self, filters: Filters) -> np.ndarray:
        """Which documents (in ``doc_order``) pass ``filters``: every given field must match; a document without a
        date fails a date filter."""
        assert self.live is not None
        mask = self.live.copy()
        if filters.langs is not None:
            mask &= np.isin(self._doc_langs, list(filters.langs))
        if filters.collections is not None:
            mask &= np.isin(self._doc_collections, list(filters.collections))
        if filters.date_from is not None or filters.date_to is not None:
            mask &= self._doc_dates != ""
            if filters.date_from is not None:
                mask &= self._doc_dates >= filters.date_from
            if filters.date_to is not None:
                mask &= self._doc_dates <= filters.date_to
        if filters.doc_ids is not None:
            listed = np.zeros(len(self.doc_order), dtype=bool)
            listed[[self.doc_index[d] for d in filters.doc_ids if d in self.doc_index]] = True
            mask &= listed
        return mask

    def allowed_chunks(self, filters: Filters) -> np.ndarray | None:
        """Chunk ids that ``filters`` admit, in order; None when nothing is filtered."""
        if not filters.active:
            return None
        return np.flatnonzero(self.document_mask(filters)[self.chunks[:, 0]]).astype(np.int64)

    @cached_property
    def collections(self) -> list[str]:
        """Collection names present in the index (computed once: a snapshot never changes)."""
        assert self.live is not None
        return sorted({c for c in self._doc_collections[self.live] if c})

    def chunk_rows(self, doc_id: str) -> np.ndarray:
        """Chunk ids of one document."""
        i = self.doc_index[doc_id]
        return np.arange(self._chunk_bounds[i], self._chunk_bounds[i + 1])

    def sentence_rows(self, doc_id: str) -> np.ndarray:
        """Sentence rows of one document."""
        i = self.doc_index[doc_id]
        return np.arange(self._sentence_bounds[i], self._sentence_bounds[i + 1])

    def entity_rows(self, sentence_rows: np.ndarray) -> slice:
        """Rows of the entity table found in a contiguous run of sentence rows."""
        if len(sentence_rows) == 0:
            return slice(0, 0)
        return slice(int(self._entity_bounds[sentence_rows[0]]), int(self._entity_bounds[sentence_rows[-1] + 1]))

    def check_encoder(self, spec: str, dim: int | None = None) -> None:
        """Refuse to serve queries embedded by another model than the index was built with."""
        check_manifest(self.manifest, spec, dim)

    # -- persistence -----------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write every part into an empty folder (a view over segments is never saved: its segments are)."""
        assert self.live is None or self.live.all(), "a view with deleted rows is saved through its segments"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "documents.jsonl", "w", encoding="utf-8") as out:
            for doc in self.documents.values():
                out.write(json.dumps(doc.__dict__, ensure_ascii=False) + "\n")
        np.save(folder / "sentences.npy", self.sentences)
        np.save(folder / "chunks.npy", self.chunks)
        np.save(folder / "sentence_vectors.npy", self.sentence_vectors)
        np.save(folder / "chunk_vectors.npy", self.chunk_vectors)
        np.save(folder / "entities.npy", self.entities)
        self.dense.save(folder / "dense.faiss")
        checkpoints.reached("segment:partial")
        self.projection.save(folder / "projection.npy")
        (folder / "lexical").mkdir(exist_ok=True)
        self.lexical.save(folder / "lexical")
        # The manifest goes last: a folder without one is an unfinished write.
        (folder / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, folder: Path, ef_search: int = EF_SEARCH) -> Snapshot:
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"index format {manifest.get('format_version')} is not supported (expected {FORMAT_VERSION}); "
                "rebuild it with `python -m app ingest --rebuild`"
            )
        documents = {}
        with open(folder / "documents.jsonl", encoding="utf-8") as lines:
            for line in lines:
                doc = Document(**json.loads(line))
                documents[doc.doc_id] = doc
        return cls(
            manifest=manifest,
            documents=documents,
            sentences=np.load(folder / "sentences.npy"),
            chunks=np.load(folder / "chunks.npy"),
            # Sentence vectors are only read for a few candidates per query: map them, don't load them.
            # np.asarray: a plain array over the map (numpy.memmap adds overhead to every slice), still paged lazily.
            sentence_vectors=np.asarray(np.load(folder / "sentence_vectors.npy", mmap_mode="r")),
            chunk_vectors=np.asarray(np.load(folder / "chunk_vectors.npy", mmap_mode="r")),
            dense=DenseIndex.load(folder / "dense.faiss", ef_search),
            lexical=LexicalIndex.load(folder / "lexical"),
            projection=LanguageProjection.load(folder / "projection.npy", manifest["dim"]),
            entities=np.load(folder / "entities.npy"),
        )
