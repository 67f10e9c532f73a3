"""The embedded store served: its files (app/index/store.py) with the ``Storage`` protocol's reads and writes.

A write of a few documents goes into a small delta segment; a write of many, a first one or one the stored tables
cannot take (another chunking) builds a new base segment, reusing the vectors of unchanged documents. When the
deltas have grown, compaction (app/index/compactor.py) folds them into a new base.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from app.encoders.base import Encoder
from app.index.compactor import Compactor
from app.index.dense import set_threads
from app.index.projection import LanguageProjection
from app.index.snapshot import Snapshot
from app.index.storage import Builder, Catalog, Planner, Space, Storage, UnknownDocument
from app.index.store import MAX_DELTAS, IndexStore, ViewSpec, catalog_of
from app.models import Document, Query
from app.settings import Settings

log = logging.getLogger("app")


class EmbeddedIndex(IndexStore):
    """An index folder served by this process: the snapshot of the current state is kept until another is written
    (by this process, or noticed on the next read when another process wrote it)."""

    def __init__(self, settings: Settings):
        super().__init__(settings.index_dir)
        self.settings = settings
        self.ef_search = settings.hnsw_ef_search
        self.compactor = Compactor(self, settings)
        self._compacting = threading.Event()
        self._reload_lock = threading.Lock()
        self._served: tuple[str | None, Snapshot | None] | None = None  # (CURRENT's name, its snapshot)
        self._catalog: tuple[str | None, Catalog] | None = None

    # -- reads --------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot | None:
        """The served snapshot; loaded again only when ``CURRENT`` names another state (one small read)."""
        version = self.version()
        served = self._served
        if served is None or served[0] != version:
            with self._reload_lock:
                served = self._served
                if served is None or served[0] != version:
                    served = self._served = (version, self.load(self.ef_search))
        return served[1]

    def catalog(self) -> Catalog:
        version = self.version()
        cached = self._catalog
        if cached is None or cached[0] != version:
            snap = self.snapshot()
            cached = self._catalog = (version, catalog_of(snap) if snap is not None else Catalog({}, {}, {}))
        return cached[1]

    def manifest(self) -> dict | None:
        snap = self.snapshot()
        return snap.manifest if snap is not None else None

    def projection(self) -> LanguageProjection | None:
        snap = self.snapshot()
        return snap.projection if snap is not None else None

    def documents(self) -> dict[str, Document]:
        snap = self.snapshot()
        return dict(snap.documents) if snap is not None else {}

    def reader(self, query: object = None) -> Snapshot | None:
        """The whole index: every question is answered from the same in-memory snapshot."""
        return self.snapshot()

    def space(self, encoder: Callable[[], Encoder]) -> Space | None:
        snap = self.snapshot()
        if snap is None:
            return None
        model = encoder()
        snap.check_encoder(model.spec, model.dim)
        known: Collection[str] = snap.documents

        def whole(query: Query) -> Snapshot:
            return snap

        return Space(snap.projection, lambda: known, whole, snap)

    # -- writes (under ``lock()``) ------------------------------------------------------------------
    def sync(self, plan: Planner, builder: Builder, rebuild: bool = False) -> int:
        if rebuild:
            # Everything is embedded again; uploaded documents are carried over (re-read as records).
            previous = None
            old = {d.doc_id: d for d in self.stored_documents() if d.origin != "corpus"}
        else:
            previous = self._previous()
            old = previous.documents if previous else {}
        documents, changed, removed = plan(old)
        if self._small_change(previous, builder, len(changed) + len(removed)):
            assert previous is not None
            return self._commit(changed, removed, previous, builder)
        if changed or removed or previous is None or not builder.can_reuse(previous):
            # Also when chunk settings or processing code differ from the index's: everything is processed again.
            return self._rebuild(list(documents.values()), previous, builder)
        return previous.chunk_count

    def upsert(self, document: Document, builder: Builder) -> tuple[str, int]:
        previous = self._previous()
        existing = previous.documents.get(document.doc_id) if previous else None
        if existing is not None and existing == document:
            assert previous is not None  # ``existing`` came from it
            return "unchanged", previous.chunk_count
        status = "updated" if existing else "added"
        if self._small_change(previous, builder, 1):
            assert previous is not None
            return status, self._commit([document], [], previous, builder)
        documents = dict(previous.documents) if previous else {}
        documents[document.doc_id] = document
        return status, self._rebuild(list(documents.values()), previous, builder)

    def delete(self, doc_id: str, builder: Builder) -> int:
        previous = self.load(self.ef_search)
        if previous is None or doc_id not in previous.documents:
            raise UnknownDocument(doc_id)
        return self._commit([], [doc_id], previous, builder)

    def _previous(self) -> Snapshot | None:
        """The stored snapshot a write starts from, refused if another encoder built it."""
        previous = self.load(self.ef_search)
        if previous is not None:
            previous.check_encoder(self.settings.encoder)
        return previous

    def _small_change(self, previous: Snapshot | None, builder: Builder, documents: int) -> bool:
        """Whether a change of ``documents`` goes into a delta segment rather than a rebuild of the whole index.

        A rebuild is cheaper than a delta that compaction would fold in right away (a first ingest, a bulk load).
        """
        if previous is None or not builder.can_reuse(previous):
            return False
        return documents < max(1.0, self.settings.compact_ratio * len(previous.documents))

    def _commit(self, changed: list[Document], removed: list[str], previous: Snapshot, builder: Builder) -> int:
        """Embed ``changed`` into a delta segment and commit it with the deletion of ``removed``; serve the result."""
        segment: Snapshot | None = None
        drop: tuple[str, ...] = ()
        if changed:
            spec = self.spec()
            deltas = spec.segments[1:] if spec else ()
            if len(deltas) >= MAX_DELTAS and not self._compacting.is_set():
                # Too many small segments slow every query down: merge them with this one (no embedding).
                assert spec is not None
                old = self.view(ViewSpec("deltas", deltas, spec.dead), self.ef_search, served=False)
                fresh = {d.doc_id for d in changed}
                keep = [d for d in old.documents.values() if d.doc_id not in fresh and d.doc_id not in removed]
                segment = builder.build(keep + changed, old, projection=previous.projection)
                drop = deltas
            else:
                segment = builder.build(changed, None, projection=previous.projection)
        spec = self.commit(segment, removed, drop)
        view = self.view(spec, self.ef_search)  # served at once, without waiting for the next read
        with self._reload_lock:
            self._served = (spec.name, view)
        return view.chunk_count

    def _rebuild(self, documents: list[Document], previous: Snapshot | None, builder: Builder) -> int:
        """Build a snapshot of ``documents`` (reusing ``previous`` where possible), persist it and serve it."""
        set_threads(self.settings.batch_threads)
        try:
            snapshot = builder.build(documents, previous)
        finally:
            set_threads(self.settings.threads)
        with self._reload_lock:
            self._served = (self.write(snapshot).name, snapshot)  # readers holding the old one finish with it
        return len(snapshot.chunks)

    # -- compaction ---------------------------------------------------------------------------
    def after_write(self, builder: Callable[[], Builder], background: bool) -> None:
        """Compact when the deltas have grown: at once for the CLI, on a background thread in a server."""
        if not self.compactor.due(self.spec()):
            return
        if not background:
            self.compact(builder())
        elif not self._compacting.is_set():
            self._compacting.set()
            worker = threading.Thread(
                target=self._compact_in_background, args=(builder,), name="compaction", daemon=True
            )
            worker.start()

    def _compact_in_background(self, builder: Callable[[], Builder]) -> None:
        try:
            self.compact(builder())
        except Exception:  # the deltas keep being served; the next write tries again
            log.exception("compaction failed")
        finally:
            self._compacting.clear()

    def compact(self, builder: Builder, force: bool = False) -> bool:
        """Fold the deltas and deleted rows into a new base segment (no embedding); the next read serves it."""
        return self.compactor.run(builder, force)


if TYPE_CHECKING:
    _conforms: type[Storage] = EmbeddedIndex  # mypy checks the class against the protocol
