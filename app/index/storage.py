"""The storage protocol both backends implement: the embedded files (``local``) and Milvus (``milvus``)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from app.index.projection import LanguageProjection
from app.index.snapshot import Snapshot
from app.models import Document, Query


class StoreUnavailable(RuntimeError):
    """The store cannot be reached or did not answer in time; the request may be retried later."""

    def __init__(self, message: str, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after


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
