"""Milvus served: the store (app/index/milvus.py) with the ``Storage`` protocol's reads and writes.

Every document is its own atomic write and Milvus compacts its own segments, so a change of any size is committed
document by document; only a first load, a rebuild or other chunking settings write a new epoch of everything.
Questions read only the documents they need (``reader(query)``); the whole index is materialised for tools only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from app.encoders.base import Encoder
from app.index.milvus import MilvusStore
from app.index.snapshot import Snapshot, check_manifest
from app.index.storage import Builder, Catalog, Planner, Space, Storage, UnknownDocument
from app.models import Document
from app.settings import Settings


class MilvusIndex(MilvusStore):
    """A Milvus index served by this process: its catalog and whole snapshot are kept until the next write."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self._reload_lock = threading.Lock()
        self._whole: tuple[str | None, Snapshot | None] | None = None  # (version, every document)
        self._catalog: tuple[str | None, Catalog] | None = None

    # -- reads --------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot | None:
        version = self.version()
        cached = self._whole
        if cached is None or cached[0] != version:
            with self._reload_lock:
                cached = self._whole
                if cached is None or cached[0] != version:
                    cached = self._whole = (version, self.reader(None))
        return cached[1]

    def catalog(self) -> Catalog:
        """Every committed document with its chunk count (one scan, cached until the version changes)."""
        version = self.version()
        cached = self._catalog
        if cached is None or cached[0] != version:
            cached = self._catalog = (version, super().catalog())
        return cached[1]

    def stored_documents(self) -> list[Document]:
        return list(self.documents().values())

    def space(self, encoder: Callable[[], Encoder]) -> Space | None:
        manifest = self.manifest()
        projection = self.projection()
        if manifest is None or projection is None:
            return None
        model = encoder()
        check_manifest(manifest, model.spec, model.dim)

        def known() -> Collection[str]:
            return self.catalog().documents

        return Space(projection, known, self.reader)

    # -- writes (under ``lock()``) ------------------------------------------------------------------
    def sync(self, plan: Planner, builder: Builder, rebuild: bool = False) -> int:
        manifest = self.manifest()
        same = manifest is not None and manifest.get("processing") == builder.processing
        if manifest is not None and not rebuild:
            self._check(manifest)
        stored = self.documents() if manifest is not None else {}
        old = {d: doc for d, doc in stored.items() if doc.origin != "corpus"} if rebuild or not same else stored
        documents, changed, removed = plan(old)
        if manifest is None or rebuild or not same:
            # A first load or a rebuild: the language projection is fitted on everything.
            self.replace(builder.build(list(documents.values())))
        elif changed or removed:
            segment = builder.build(changed, projection=self.projection()) if changed else None
            self.commit(segment, removed)
        return self.catalog().total_chunks

    def upsert(self, document: Document, builder: Builder) -> tuple[str, int]:
        manifest = self.manifest()
        if manifest is not None:
            self._check(manifest)
        existing = self.documents().get(document.doc_id) if manifest is not None else None
        if existing is not None and existing == document:
            return "unchanged", 0
        if manifest is None:
            self.replace(builder.build([document]))
        else:
            self.commit(builder.build([document], projection=self.projection()))
        # Counting the chunks would scan every document: a write reports none.
        return ("updated" if existing else "added"), 0

    def delete(self, doc_id: str, builder: Builder) -> int:
        if doc_id not in self.documents():
            raise UnknownDocument(doc_id)
        self.commit(None, [doc_id])
        return 0

    def _check(self, manifest: dict) -> None:
        check_manifest(manifest, self.settings.encoder)

    # -- compaction: Milvus compacts its own segments ---------------------------------------------
    def after_write(self, builder: Callable[[], Builder], background: bool) -> None:
        return None

    def compact(self, builder: Builder, force: bool = False) -> bool:
        return False


if TYPE_CHECKING:
    _conforms: type[Storage] = MilvusIndex  # mypy checks the class against the protocol
