"""Versioned, crash-safe persistence of snapshots: write aside, then atomically repoint ``CURRENT``."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.index.dense import EF_SEARCH
from app.index.snapshot import Snapshot
from app.models import Document

KEEP_VERSIONS = 2


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


class IndexStore:
    """An index folder: ``versions/<name>/`` holds complete snapshots, ``CURRENT`` names the served one.

    A crash before the ``CURRENT`` swap leaves only an unreferenced temporary folder behind, so the
    previous version stays loadable.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.versions = self.root / "versions"

    def current(self) -> Path | None:
        """Folder of the served version, or None if nothing was ever written.

        If ``CURRENT`` names a folder that is missing or incomplete (a power loss between the version's
        rename reaching the disk and the pointer's), the newest complete version is served instead.
        """
        pointer = self.root / "CURRENT"
        if not pointer.exists():
            return None
        folder = self.versions / pointer.read_text().strip()
        if (folder / "manifest.json").exists():
            return folder
        complete = (
            sorted(p for p in self.versions.glob("*") if not p.name.startswith(".") and (p / "manifest.json").exists())
            if self.versions.exists()
            else []
        )
        return complete[-1] if complete else None

    def version(self) -> str | None:
        """Name of the served version (cheap: one small read), to notice writes by other processes."""
        try:
            return (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None

    def load(self, ef_search: int = EF_SEARCH) -> Snapshot | None:
        folder = self.current()
        return Snapshot.load(folder, ef_search) if folder else None

    def stored_documents(self) -> list[Document]:
        """The documents of the served version, read without its vectors (also from an older format)."""
        folder = self.current()
        if folder is None or not (folder / "documents.jsonl").exists():
            return []
        fields = set(Document.__dataclass_fields__)
        with open(folder / "documents.jsonl", encoding="utf-8") as lines:
            return [Document(**{k: v for k, v in json.loads(line).items() if k in fields}) for line in lines]

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive write lock across processes (CLI ingest and a running server)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def write(self, snapshot: Snapshot) -> Path:
        """Persist ``snapshot`` as a new version and make it current. Call under ``lock()``."""
        self.versions.mkdir(parents=True, exist_ok=True)
        # Names sort in write order (pruning relies on it): one clock reading, in UTC so DST cannot go back.
        now = time.time_ns()
        name = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000)) + f"-{now % 1_000_000_000:09d}"
        staging = self.versions / f".tmp-{name}"
        snapshot.save(staging)
        _fsync_tree(staging)
        final = self.versions / name
        os.rename(staging, final)
        _fsync_dir(self.versions)  # the rename must be durable before CURRENT may name it
        pointer = self.root / "CURRENT.tmp"
        pointer.write_text(name)
        with open(pointer, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pointer, self.root / "CURRENT")
        _fsync_dir(self.root)
        self._prune(keep=final)
        return final

    def _prune(self, keep: Path) -> None:
        """Drop leftovers of crashed writes and all but the newest versions (a reader may still map one)."""
        for tmp in self.versions.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        done = sorted(p for p in self.versions.iterdir() if not p.name.startswith("."))
        for old in done[:-KEEP_VERSIONS]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)
