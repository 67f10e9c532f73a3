"""The embedded store: immutable segments on disk, a view naming the served ones, an atomic ``CURRENT`` pointer.

Layout of an index folder::

    versions/<name>/     one segment: a complete snapshot folder of some documents (app/index/snapshot.py)
    views/<name>.json    {"segments": [base, delta, ...], "dead": {segment: [doc_id, ...]}}
    CURRENT              the served state: a view file's name, or a segment's name when that one segment is the index

Writing one document costs that document: its segment is written aside, then a new view (the old one plus the
segment, with the replaced or deleted documents marked dead) and then ``CURRENT`` are swapped in, each after an
fsync. A crash at any point leaves ``CURRENT`` on a complete state. Compaction (app/index/compactor.py) folds
the deltas into a new base. Several processes share a folder: writers take ``lock()``, readers follow
``CURRENT`` and keep the segments they already loaded.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.index import checkpoints
from app.index.dense import EF_SEARCH
from app.index.projection import LanguageProjection
from app.index.snapshot import Snapshot
from app.index.storage import Catalog
from app.index.view import combine
from app.models import Document

STAGING = ".building-"  # prefix of a compaction's base while it is written
KEEP_VERSIONS = 2  # served states kept on disk (a reader in another process may still be loading the previous one)
# Delta segments a view holds before the next write merges them into one: a query searches each segment.
MAX_DELTAS = 8


def catalog_of(snap: Snapshot) -> Catalog:
    """The catalog of a loaded snapshot (chunks counted by table position: deleted rows are not a document's)."""
    counts = np.bincount(snap.chunks[:, 0], minlength=len(snap.doc_order))
    chunks = {doc_id: int(counts[snap.doc_index[doc_id]]) for doc_id in snap.documents}
    return Catalog(dict(snap.documents), chunks, snap.manifest)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file, fsynced, renamed over it, and the rename made durable."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _new_name() -> str:
    """A name that sorts in write order (pruning relies on it): one clock reading, in UTC so DST cannot go back."""
    now = time.time_ns()
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000)) + f"-{now % 1_000_000_000:09d}"


@dataclass(frozen=True)
class ViewSpec:
    """The served state: its segments (base first) and the documents of each that are no longer served."""

    name: str
    segments: tuple[str, ...]
    dead: dict[str, frozenset[str]] = field(default_factory=dict)

    def dead_in(self, segment: str) -> frozenset[str]:
        return self.dead.get(segment, frozenset())

    def to_json(self) -> str:
        dead = {s: sorted(ids) for s, ids in self.dead.items() if ids}
        return json.dumps({"segments": list(self.segments), "dead": dead})


class IndexStore:
    """An index folder of segments and views; see the module docstring for the layout and the guarantees."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.versions = self.root / "versions"
        self.views = self.root / "views"
        self._segments: dict[str, Snapshot] = {}  # loaded segments by name, shared by successive views
        self._cache_lock = threading.Lock()
        self._composed: tuple[ViewSpec, int, Snapshot] | None = None  # the last served view: listings reuse it

    # -- reading ------------------------------------------------------------------------------
    def version(self) -> str | None:
        """Name of the served state (cheap: one small read), to notice writes by other processes."""
        try:
            return (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None

    def _complete(self, segment: str) -> bool:
        return (self.versions / segment / "manifest.json").exists()

    def _parse(self, name: str) -> ViewSpec | None:
        """The state ``name`` names, or None if it is missing or incomplete."""
        if name.endswith(".json"):
            try:
                raw = json.loads((self.views / name).read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                return None
            spec = ViewSpec(name, tuple(raw["segments"]), {s: frozenset(d) for s, d in raw["dead"].items()})
            return spec if all(self._complete(s) for s in spec.segments) else None
        return ViewSpec(name, (name,)) if self._complete(name) else None

    def spec(self) -> ViewSpec | None:
        """The served state, or None if nothing was ever written.

        If ``CURRENT`` names a state that is missing or incomplete (a power loss between a rename reaching the disk
        and the pointer's), the newest complete one is served instead.
        """
        name = self.version()
        if name is None:
            return None
        spec = self._parse(name)
        if spec is not None:
            return spec
        for candidate in reversed(self._states()):
            spec = self._parse(candidate)
            if spec is not None:
                return spec
        return None

    def _states(self) -> list[str]:
        """Every state on disk in write order: view files and base segments (a delta is never served alone)."""
        views = [p.name for p in self.views.glob("*.json")] if self.views.exists() else []
        bases = (
            [
                p.name
                for p in self.versions.iterdir()
                if not p.name.startswith(".") and (p / "manifest.json").exists() and not self._is_delta(p.name)
            ]
            if self.versions.exists()
            else []
        )
        return sorted(views + bases)

    def _is_delta(self, segment: str) -> bool:
        try:
            return bool(json.loads((self.versions / segment / "manifest.json").read_text()).get("delta"))
        except (FileNotFoundError, json.JSONDecodeError):
            return False

    def current(self) -> Path | None:
        """Folder of the served base segment, or None if nothing was ever written."""
        spec = self.spec()
        return self.versions / spec.segments[0] if spec else None

    def segment(self, name: str, ef_search: int = EF_SEARCH) -> Snapshot:
        """One segment, loaded once per process."""
        with self._cache_lock:
            loaded = self._segments.get(name)
        if loaded is None:
            loaded = Snapshot.load(self.versions / name, ef_search)
            with self._cache_lock:
                self._segments[name] = loaded
        return loaded

    def load(self, ef_search: int = EF_SEARCH) -> Snapshot | None:
        """The served snapshot: the view over the current segments."""
        for attempt in range(3):
            spec = self.spec()
            if spec is None:
                return None
            try:
                return self.view(spec, ef_search)
            except FileNotFoundError:
                # Another process pruned a state between our reading CURRENT and its files: read CURRENT again.
                if attempt == 2:
                    raise
        return None

    def view(self, spec: ViewSpec, ef_search: int = EF_SEARCH, served: bool = True) -> Snapshot:
        """The snapshot of ``spec``. For the ``served`` state, segments it no longer names leave the cache (a view
        of some segments only, such as the deltas being merged, keeps the others loaded)."""
        composed = self._composed
        if served and composed is not None and composed[0] == spec and composed[1] == ef_search:
            return composed[2]
        segments = [self.segment(name, ef_search) for name in spec.segments]
        snap = combine(segments, [spec.dead_in(name) for name in spec.segments])
        if served:
            with self._cache_lock:
                for name in [n for n in self._segments if n not in spec.segments]:
                    del self._segments[name]
                self._composed = (spec, ef_search, snap)
        return snap

    def stored_documents(self) -> list[Document]:
        """The served documents, read without their vectors (also from an index of an older format)."""
        spec = self.spec()
        if spec is None:
            return []
        fields = set(Document.__dataclass_fields__)
        documents: dict[str, Document] = {}
        for name in spec.segments:
            path = self.versions / name / "documents.jsonl"
            if not path.exists():
                continue
            with open(path, encoding="utf-8") as lines:
                for line in lines:
                    doc = Document(**{k: v for k, v in json.loads(line).items() if k in fields})
                    if doc.doc_id not in spec.dead_in(name):
                        documents[doc.doc_id] = doc
        return list(documents.values())

    def projection(self) -> LanguageProjection | None:
        snap = self.load()
        return snap.projection if snap is not None else None

    def manifest(self) -> dict | None:
        snap = self.load()
        return snap.manifest if snap is not None else None

    def documents(self) -> dict[str, Document]:
        snap = self.load()
        return dict(snap.documents) if snap is not None else {}

    def catalog(self) -> Catalog:
        snap = self.load()
        return catalog_of(snap) if snap is not None else Catalog({}, {}, {})

    def reader(self, query: object = None) -> Snapshot | None:
        """The whole index: every question is answered from the same in-memory view."""
        return self.load()

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive write lock across processes (CLI ingest, API workers, compaction's final swap)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stage(self, snapshot: Snapshot, delta: bool = False, prefix: str = ".tmp-") -> Path:
        """Write ``snapshot`` into a hidden folder, fsynced; ``adopt`` moves it into place.

        Compaction stages its large base outside the write lock under ``STAGING`` (which pruning leaves alone).
        """
        self.versions.mkdir(parents=True, exist_ok=True)
        staging = self.versions / f"{prefix}{_new_name()}"
        if delta:
            snapshot.manifest = {**snapshot.manifest, "delta": True}
        snapshot.save(staging)
        _fsync_tree(staging)
        checkpoints.reached("segment:staged")
        return staging

    def adopt(self, staging: Path, snapshot: Snapshot) -> str:
        """Rename a staged segment into place (call under ``lock()``); its name."""
        name = _new_name()
        os.rename(staging, self.versions / name)
        _fsync_dir(self.versions)  # the rename must be durable before a view may name it
        checkpoints.reached("segment:adopted")
        with self._cache_lock:
            self._segments[name] = snapshot
        return name

    def save_segment(self, snapshot: Snapshot, delta: bool = False) -> str:
        """Write ``snapshot`` as a new immutable segment (aside, fsynced, renamed into place); its name."""
        return self.adopt(self.stage(snapshot, delta), snapshot)

    def publish(self, segments: Iterable[str], dead: dict[str, frozenset[str]]) -> ViewSpec:
        """Make the state of ``segments`` (base first) with ``dead`` documents the served one. Call under ``lock()``."""
        segments = tuple(segments)
        dead = {s: d for s, d in dead.items() if d and s in segments}
        if len(segments) == 1 and not dead:
            spec = ViewSpec(segments[0], segments)
        else:
            self.views.mkdir(parents=True, exist_ok=True)
            spec = ViewSpec(_new_name() + ".json", segments, dead)
            _write_durably(self.views / spec.name, spec.to_json())
            checkpoints.reached("view:written")
        _write_durably(self.root / "CURRENT", spec.name)
        checkpoints.reached("current:written")
        self._prune(spec)
        return spec

    def write(self, snapshot: Snapshot) -> Path:
        """Persist ``snapshot`` as the whole index (a rebuild or a compaction). Call under ``lock()``."""
        name = self.save_segment(snapshot)
        self.publish([name], {})
        return self.versions / name

    replace = write

    def commit(self, segment: Snapshot | None, deletes: Iterable[str] = (), drop: Iterable[str] = ()) -> ViewSpec:
        """Remove ``deletes`` and add every document of ``segment`` (replacing those of the same id) in one step.

        ``drop`` names delta segments whose live documents ``segment`` carries over (merged deltas). Call under
        ``lock()``. The first write of an empty store makes ``segment`` the base.
        """
        spec = self.spec()
        if spec is None:
            if segment is None:
                raise ValueError("nothing to commit to an empty store")
            return self.publish([self.save_segment(segment)], {})
        dropped = set(drop)
        gone = set(deletes) | (set(segment.documents) if segment is not None else set())
        segments = [name for name in spec.segments if name not in dropped]
        dead = {name: set(spec.dead_in(name)) for name in segments}
        for name in segments:
            alive = set(self.segment(name).documents) - dead[name]
            dead[name] |= alive & gone
        if segment is not None:
            segments.append(self.save_segment(segment, delta=True))
        return self.publish(segments, {s: frozenset(d) for s, d in dead.items()})

    def _prune(self, served: ViewSpec) -> None:
        """Drop leftovers of crashed writes and the states (and segments only they use) older than the newest two."""
        if self.versions.exists():
            for tmp in self.versions.glob(".tmp-*"):
                shutil.rmtree(tmp, ignore_errors=True)
        states = self._states()
        keep = set(states[-KEEP_VERSIONS:]) | {served.name}
        used: set[str] = set()
        for name in keep:
            spec = self._parse(name)
            if spec is not None:
                used |= set(spec.segments)
        for name in states:
            if name not in keep and name.endswith(".json"):
                (self.views / name).unlink(missing_ok=True)
        if self.versions.exists():
            for folder in self.versions.iterdir():
                if not folder.name.startswith(".") and folder.name not in used:
                    shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        with self._cache_lock:
            self._segments.clear()
            self._composed = None
