"""The write side: documents → index.

A folder sync reads the folder's files and plans what changes (``plan``); an upload or a deletion names one
document. Each write takes this process's write lock and the store's (shared with other processes), lets the store
write it its own way (app/index/storage.py), then lets the store compact when small writes have piled up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.encoders import Encoder
from app.index.projection import LanguageProjection
from app.index.snapshot import Snapshot
from app.index.storage import Storage
from app.ingest.documents import corpus_files, folder_collection, make_document
from app.ingest.indexer import Indexer, Parts
from app.ingest.reader import UnreadableDocument, content_hash, read_file
from app.models import Document, IngestReport
from app.settings import Settings

# Computes the tables and vectors of documents elsewhere (worker processes, a Ray cluster).
Embedder = Callable[[list[Document]], dict[str, Parts]]
Progress = Callable[[int], None]


class Build:
    """An ``Indexer`` with one run's progress callbacks and embedding elsewhere wired in: the store's ``Builder``."""

    def __init__(
        self,
        indexer: Callable[[], Indexer],
        on_total: Progress | None = None,
        on_progress: Progress | None = None,
        embedder: Embedder | None = None,
    ):
        self._make = indexer
        self._indexer: Indexer | None = None
        self.on_total = on_total
        self.on_progress = on_progress
        self.embedder = embedder
        self.elsewhere = 0  # sentences and chunks embedded by ``embedder``

    @property
    def indexer(self) -> Indexer:
        """Made on first use: a write that embeds nothing (a deletion from Milvus) never loads the encoder."""
        if self._indexer is None:
            self._indexer = self._make()
        return self._indexer

    @property
    def processing(self) -> dict:
        return self.indexer.processing

    def can_reuse(self, previous: Snapshot | None) -> bool:
        return self.indexer.can_reuse(previous)

    def build(
        self, documents: list[Document], previous: Snapshot | None = None, projection: LanguageProjection | None = None
    ) -> Snapshot:
        """A snapshot of ``documents``: the new or changed ones are counted for the progress bar, then embedded
        (elsewhere when an ``embedder`` is given); the others keep ``previous``'s vectors."""
        fresh = self.indexer.fresh(documents, previous)
        if self.on_total:
            self.on_total(self.indexer.count_texts(fresh))
        parts = self.embedder(fresh) if self.embedder and fresh else None
        self.elsewhere += sum(len(p.sentences) + len(p.chunks) for p in (parts or {}).values())
        return self.indexer.build(documents, previous, self.on_progress, parts, projection)

    def report(self, report: IngestReport, chunks: int) -> None:
        """Put what was embedded, and the chunks now served, into ``report``."""
        report.chunks = chunks
        report.embedded = self.elsewhere + (self._indexer.embedded if self._indexer else 0)
        report.embed_seconds = self._indexer.embed_seconds if self._indexer else 0.0


def plan(folder: Path, old: dict[str, Document], report: IngestReport) -> dict[str, Document]:
    """The documents the index should hold after syncing ``folder`` (uploads kept); ``report`` says what
    changed. A file that cannot be read keeps its last good version."""
    documents: dict[str, Document] = {d.doc_id: d for d in old.values() if d.origin != "corpus"}
    files = corpus_files(folder)
    for doc_id, path in files.items():
        try:
            text, title, published = read_file(path)
        except UnreadableDocument as exc:
            report.failed[doc_id] = str(exc)
            if doc_id in old:  # keep serving the last good version
                documents[doc_id] = old[doc_id]
            continue
        sha = content_hash(text)
        if doc_id in old and old[doc_id].sha == sha:
            documents[doc_id] = old[doc_id]
            report.unchanged.append(doc_id)
            continue
        documents[doc_id] = make_document(doc_id, text, title, "corpus", published, folder_collection(doc_id))
        (report.updated if doc_id in old else report.added).append(doc_id)
    report.removed = [d for d, doc in old.items() if doc.origin == "corpus" and d not in files]
    return documents


class Writer:
    """Writes documents into ``store`` one write at a time in this process (and across processes: its lock)."""

    def __init__(self, settings: Settings, store: Storage, encoder: Callable[[], Encoder]):
        self.settings = settings
        self.store = store
        self._encoder = encoder  # created on first use: a sync with nothing to embed never loads it
        self._lock = threading.Lock()
        # A server compacts on a background thread (uploads go on); the CLI and library calls compact at once.
        self.background_compaction = False

    def _build(
        self, on_total: Progress | None = None, on_progress: Progress | None = None, embedder: Embedder | None = None
    ) -> Build:
        return Build(lambda: Indexer(self._encoder(), self.settings), on_total, on_progress, embedder)

    def sync(
        self,
        folder: Path,
        rebuild: bool = False,
        on_total: Progress | None = None,
        on_progress: Progress | None = None,
        embedder: Embedder | None = None,
    ) -> IngestReport:
        """Sync the index with ``folder``: add new files, replace changed ones, drop deleted ones.

        Documents uploaded through the API are kept. Bad files are reported and skipped. ``embedder`` computes
        the parts of the documents to embed elsewhere (worker processes, a Ray cluster).
        """
        started = time.perf_counter()
        report = IngestReport()

        def planned(old: dict[str, Document]) -> tuple[dict[str, Document], list[Document], list[str]]:
            documents = plan(Path(folder), old, report)
            return documents, [documents[d] for d in report.added + report.updated], report.removed

        build = self._build(on_total=on_total, on_progress=on_progress, embedder=embedder)
        with self._lock, self.store.lock():
            build.report(report, self.store.sync(planned, build, rebuild))
        self._after_write()
        report.seconds = time.perf_counter() - started
        return report

    def upsert(self, document: Document) -> IngestReport:
        """Add or replace one document (kept across folder syncs until deleted); with an index in place this costs
        the document alone."""
        started = time.perf_counter()
        report = IngestReport()
        build = self._build()
        with self._lock, self.store.lock():
            status, chunks = self.store.upsert(document, build)
            getattr(report, status).append(document.doc_id)
            build.report(report, chunks)
        self._after_write()
        report.seconds = time.perf_counter() - started
        return report

    def delete(self, doc_id: str) -> IngestReport:
        """Remove one document (its rows are hidden at once and dropped at the next compaction)."""
        started = time.perf_counter()
        report = IngestReport()
        build = self._build()
        with self._lock, self.store.lock():
            chunks = self.store.delete(doc_id, build)  # raises UnknownDocument
            report.removed.append(doc_id)
            build.report(report, chunks)
        self._after_write()
        report.seconds = time.perf_counter() - started
        return report

    def _after_write(self) -> None:
        self.store.after_write(self._build, self.background_compaction)

    def compact(self, force: bool = False) -> bool:
        """Fold the small writes into one (no embedding); False if nothing was done."""
        return self.store.compact(self._build(), force)
