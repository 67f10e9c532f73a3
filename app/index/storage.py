"""The storage protocol both backends implement: the embedded files (``local``) and Milvus (``milvus``).

Everything in which the two differ lives behind it: how the served index is cached, what a question is embedded
against, how a folder sync, an upload and a deletion are written (delta segments and compaction, or one atomic
write per document). The read side (app/answer/answerer.py) and the write side (app/ingest/writer.py) never ask
which backend they hold.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from app.encoders.base import Encoder
from app.index.projection import LanguageProjection
from app.index.snapshot import Snapshot
from app.models import Document, Query


class StoreUnavailable(RuntimeError):
    """The store cannot be reached or did not answer in time; the request may be retried later."""

    def __init__(self, message: str, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after


class UnknownDocument(KeyError):
    """A doc_id that is not in the index."""


class Builder(Protocol):
    """Builds snapshots of documents: ``app/ingest/writer.py``'s ``Build`` (an indexer with the run's progress
    callbacks and its documents embedded elsewhere wired in)."""

    @property
    def processing(self) -> dict:
        """What stored tables depend on besides the text and the encoder (chunking settings, code version)."""
        ...

    def can_reuse(self, previous: Snapshot | None) -> bool:
        """Whether unchanged documents of ``previous`` may keep their vectors and tables."""
        ...

    def build(
        self, documents: list[Document], previous: Snapshot | None = None, projection: LanguageProjection | None = None
    ) -> Snapshot:
        """A snapshot of exactly ``documents``, reusing ``previous``'s vectors; ``projection`` kept, not fitted."""
        ...


# The documents a folder holds given those stored (``old``): every document the index should then hold, the new or
# changed ones, and the ids of the removed ones.
Planner = Callable[[dict[str, Document]], tuple[dict[str, Document], list[Document], list[str]]]


@dataclass(frozen=True)
class Space:
    """What a question is embedded and checked against before it is read."""

    projection: LanguageProjection  # moves its vector into the index's language-neutral space
    documents: Callable[[], Collection[str]]  # the ids filters may name (called only when they name some)
    reader: Callable[[Query], Snapshot | None]  # the snapshot the embedded question is answered from
    whole: Snapshot | None = None  # the whole index when it is held in memory (read without a vector)


@dataclass(frozen=True)
class Catalog:
    """What the index holds, without vectors: for listings, the document viewer, health and metrics."""

    documents: dict[str, Document]
    chunks: dict[str, int]  # chunks per document
    manifest: dict = field(default_factory=dict)

    @property
    def total_chunks(self) -> int:
        return sum(self.chunks.values())

    @property
    def collections(self) -> list[str]:
        return sorted({d.collection for d in self.documents.values() if d.collection})


class Storage(Protocol):
    """Where the index lives. Writes are per document and atomic: a reader sees all of a document or none of it."""

    def version(self) -> str | None:
        """A cheap marker that changes with every write (also by other processes); None when nothing is stored."""
        ...

    def documents(self) -> dict[str, Document]:
        """Every stored document (with its text), for syncs, listings and the document viewer."""
        ...

    def stored_documents(self) -> list[Document]:
        """Every stored document read without vectors (the embedded store: also from an older format)."""
        ...

    def catalog(self) -> Catalog:
        """Every stored document with its chunk count, and the manifest (empty before the first write)."""
        ...

    def projection(self) -> LanguageProjection | None:
        """The language projection new vectors are compared in; None before the first write."""
        ...

    def manifest(self) -> dict | None:
        """What the index was built with (encoder, dim, model, processing); None before the first write."""
        ...

    def reader(self, query: Query | None = None) -> Snapshot | None:
        """A snapshot holding every document ``query`` may be answered from (the embedded store: all of them)."""
        ...

    def commit(self, segment: Snapshot | None, deletes: Iterable[str] = ()) -> object:
        """Remove the documents in ``deletes``, then add every document of ``segment`` (replacing those of the same
        id) in one atomic step. Call under ``lock()``."""
        ...

    def replace(self, snapshot: Snapshot) -> object:
        """Make ``snapshot`` the whole index (a rebuild). Call under ``lock()``."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Exclusive write lock across the processes sharing the store."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...

    # -- what the read side asks ----------------------------------------------------------------
    def snapshot(self) -> Snapshot | None:
        """The whole index as one snapshot, cached until the next write (with Milvus: every document, for tools and
        small indexes). Raises ``IndexMismatch`` for an index of another format version."""
        ...

    def space(self, encoder: Callable[[], Encoder]) -> Space | None:
        """What questions are embedded against; None when nothing is indexed (``encoder`` is then not loaded).
        Raises ``IndexMismatch`` when the index was built by another encoder."""
        ...

    # -- what the write side asks (each under ``lock()`` and the caller's own write lock) --------
    def sync(self, plan: Planner, builder: Builder, rebuild: bool = False) -> int:
        """Write what ``plan`` makes of the stored documents (all of them built again with ``rebuild``, uploads
        kept); the chunks then served."""
        ...

    def upsert(self, document: Document, builder: Builder) -> tuple[str, int]:
        """Add or replace one document: "added", "updated" or "unchanged", and the chunks then served."""
        ...

    def delete(self, doc_id: str, builder: Builder) -> int:
        """Remove one document (``UnknownDocument`` if it is not stored); the chunks then served."""
        ...

    def after_write(self, builder: Callable[[], Builder], background: bool) -> None:
        """Fold small writes together when they have grown (at once, or on a ``background`` thread)."""
        ...

    def compact(self, builder: Builder, force: bool = False) -> bool:
        """Fold the small writes into one (no embedding); False if nothing was done."""
        ...
