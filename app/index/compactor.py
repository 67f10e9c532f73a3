"""Compaction: fold the deltas and the deleted rows of the embedded store into one new base segment.

The new base is built from the served view without embedding anything (vectors are reused), outside the write
lock, so uploads go on meanwhile; only the final swap takes the lock. Writes that landed during the build are
kept: their segments follow the new base, and documents deleted or replaced meanwhile are marked dead in it.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import time
from dataclasses import replace
from typing import Protocol

import numpy as np

from app.index.dense import DenseIndex, build_threads
from app.index.snapshot import Snapshot
from app.index.store import STAGING, IndexStore, ViewSpec
from app.models import Document
from app.settings import Settings

log = logging.getLogger("app")


class Builder(Protocol):
    """Builds a snapshot of documents reusing a previous one's vectors (app/ingest/indexer.py ``Indexer``)."""

    def build(self, documents: list[Document], previous: Snapshot | None = None) -> Snapshot: ...


def changed_chunks(store: IndexStore, spec: ViewSpec) -> int:
    """Chunks in delta segments plus chunks of dead documents: the work compaction would fold in."""
    total = 0
    for i, name in enumerate(spec.segments):
        segment = store.segment(name)
        if i > 0:
            total += len(segment.chunks)
        gone = spec.dead_in(name)
        if gone:
            positions = [j for j, doc_id in enumerate(segment.documents) if doc_id in gone]
            total += int(np.isin(segment.chunks[:, 0], positions).sum())
    return total


class Compactor:
    """Decides when compaction is due and runs it; one compaction at a time across processes."""

    def __init__(self, store: IndexStore, settings: Settings):
        self.store = store
        self.settings = settings
        self.runs = 0  # completed compactions (reported by /metrics and the bench)

    def due(self, spec: ViewSpec | None) -> bool:
        """Whether the deltas and dead rows have outgrown ``compact_chunks`` or ``compact_ratio`` of the base."""
        if spec is None or (len(spec.segments) == 1 and not spec.dead):
            return False
        base = len(self.store.segment(spec.segments[0]).chunks)
        limit = min(self.settings.compact_chunks, max(1.0, self.settings.compact_ratio * base))
        return changed_chunks(self.store, spec) >= limit

    def run(self, indexer: Builder, force: bool = False) -> bool:
        """Compact if due (or ``force``); False if nothing was done or another process is compacting."""
        self.store.root.mkdir(parents=True, exist_ok=True)
        with open(self.store.root / ".compaction", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            try:
                return self._run(indexer, force)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _run(self, indexer: Builder, force: bool) -> bool:
        for stale in self.store.versions.glob(f"{STAGING}*"):  # left by a compaction that died
            shutil.rmtree(stale, ignore_errors=True)
        with self.store.lock():
            before = self.store.spec()
            if before is None or not (self.due(before) or (force and (len(before.segments) > 1 or before.dead))):
                return False
            view = self.store.view(before, self.settings.hnsw_ef_search)
        started = time.perf_counter()
        # More FAISS threads for this build only: a server's questions keep theirs meanwhile.
        with build_threads(self.settings.batch_threads):
            merged = indexer.build(list(view.documents.values()), previous=view)
        staging = self.store.stage(merged, prefix=STAGING)
        with self.store.lock():
            now = self.store.spec()
            if now is None or now.segments[: len(before.segments)] != before.segments:
                # The index was replaced, or deltas were merged, meanwhile: this build no longer covers it.
                shutil.rmtree(staging, ignore_errors=True)
                log.info("compaction abandoned: the index changed underneath it")
                return False
            name = self.store.adopt(staging, merged)
            # Documents the merged base holds that were deleted or replaced after the build started.
            gone = frozenset().union(*(now.dead_in(s) - before.dead_in(s) for s in before.segments))
            segments, dead = [name], {name: gone}
            for later in now.segments[len(before.segments) :]:
                segment, kept = self.store.segment(later), later
                if not np.array_equal(segment.projection.basis, merged.projection.basis):
                    # A delta is compared in its base's space: move it into the new one (its raw vectors are kept).
                    moved = replace(
                        segment,
                        dense=DenseIndex.build(merged.projection.apply(segment.chunk_vectors), 10**9),
                        projection=merged.projection,
                        table_docs=None,
                        live=None,
                    )
                    kept = self.store.save_segment(moved, delta=True)
                segments.append(kept)
                dead[kept] = now.dead_in(later)
            self.store.publish(segments, dead)
        self.runs += 1
        log.info(
            "compaction: %d documents into a new base in %.1f s", len(merged.documents), time.perf_counter() - started
        )
        return True
