"""app/index/store.py + app/index/snapshot.py: versioned snapshots on disk, crash-safe writes, pruning, encoder checks."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from app.ingest.indexer import Indexer
from app.index.snapshot import IndexMismatch, Snapshot
from app.index.store import KEEP_VERSIONS, IndexStore
from tests.conftest import PYTHON, SEED_DOCS, TASHKENT, subprocess_env
from tests.crashpoints import crash_env

SNAPSHOT_FILES = {
    "manifest.json", "documents.jsonl", "sentences.npy", "chunks.npy", "sentence_vectors.npy",
    "chunk_vectors.npy", "dense.faiss", "lexical", "projection.npy", "entities.npy",
}


class InjectedCrash(RuntimeError):
    """Stands in for a process dying in the middle of a write."""


def without_tashkent(store: IndexStore, encoder, settings) -> Snapshot:
    """A different, valid snapshot built from the stored one (no embedding needed: every document is reused)."""
    old = store.load()
    indexer = Indexer(encoder, settings)
    snapshot = indexer.build([d for d in old.documents.values() if d.doc_id != TASHKENT], previous=old)
    assert indexer.embedded == 0
    return snapshot


def versions(store: IndexStore) -> list[str]:
    return sorted(p.name for p in store.versions.iterdir() if not p.name.startswith("."))


def leftovers(store: IndexStore) -> list[str]:
    return sorted(p.name for p in store.versions.glob(".tmp-*"))


def test_current_points_at_a_complete_version(workspace):
    """CURRENT names a folder under versions/ that holds every part of a snapshot, and it loads."""
    store = IndexStore(workspace.index)
    name = (workspace.index / "CURRENT").read_text().strip()
    folder = store.current()
    assert folder == store.versions / name
    assert SNAPSHOT_FILES <= {p.name for p in folder.iterdir()}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["encoder"] == "e5-small" and manifest["dim"] == 384 and manifest["documents"] == 5
    assert set(manifest["hashes"]) == set(SEED_DOCS)
    snapshot = store.load()
    assert sorted(snapshot.documents) == list(SEED_DOCS)
    assert len(snapshot.chunks) == manifest["chunks"] == snapshot.dense.index.ntotal
    assert len(snapshot.sentences) == manifest["sentences"] == len(snapshot.sentence_vectors)


def test_write_and_load_round_trip(workspace, encoder):
    """A written snapshot loads back with equal tables, vectors and documents."""
    store = IndexStore(workspace.index)
    snapshot = without_tashkent(store, encoder, workspace.settings)
    with store.lock():
        store.write(snapshot)
    loaded = store.load()
    assert loaded.documents == snapshot.documents
    np.testing.assert_array_equal(loaded.sentences, snapshot.sentences)
    np.testing.assert_array_equal(loaded.chunks, snapshot.chunks)
    np.testing.assert_allclose(loaded.chunk_vectors, snapshot.chunk_vectors)
    np.testing.assert_allclose(loaded.sentence_vectors, snapshot.sentence_vectors)
    assert loaded.lexical.num_docs == len(snapshot.chunks)


def crash_on_third_np_save(monkeypatch, snapshot):
    real, calls = np.save, []

    def save(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:
            raise InjectedCrash("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "save", save)


def crash_in_dense_save(monkeypatch, snapshot):
    def save(path):
        path.write_bytes(b"half a faiss index")
        raise InjectedCrash("killed while writing the FAISS index")

    monkeypatch.setattr(snapshot.dense, "save", save)


def crash_in_lexical_save(monkeypatch, snapshot):
    def save(folder):
        raise InjectedCrash("killed while writing the BM25 index")

    monkeypatch.setattr(snapshot.lexical, "save", save)


def crash_before_pointer_swap(monkeypatch, snapshot):
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith("CURRENT"):
            raise InjectedCrash("killed before CURRENT was replaced")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize(
    "crash", [crash_on_third_np_save, crash_in_dense_save, crash_in_lexical_save, crash_before_pointer_swap]
)
def test_crash_mid_write_keeps_previous_version(workspace, encoder, monkeypatch, crash):
    """A write that dies part-way leaves CURRENT on the old, loadable version with the old documents."""
    store = IndexStore(workspace.index)
    pointer = (workspace.index / "CURRENT").read_text()
    snapshot = without_tashkent(store, encoder, workspace.settings)
    crash(monkeypatch, snapshot)
    with pytest.raises(InjectedCrash), store.lock():
        store.write(snapshot)
    monkeypatch.undo()

    assert (workspace.index / "CURRENT").read_text() == pointer
    survivor = IndexStore(workspace.index).load()
    assert sorted(survivor.documents) == list(SEED_DOCS)
    assert TASHKENT in survivor.documents
    assert survivor.dense.index.ntotal == len(survivor.chunks)


def test_next_write_cleans_up_after_a_crash(workspace, encoder, monkeypatch):
    """The unfinished .tmp folder of a crashed write is removed by the next successful write."""
    store = IndexStore(workspace.index)
    snapshot = without_tashkent(store, encoder, workspace.settings)
    crash_on_third_np_save(monkeypatch, snapshot)
    with pytest.raises(InjectedCrash), store.lock():
        store.write(snapshot)
    monkeypatch.undo()
    tmp = leftovers(store)
    assert len(tmp) == 1
    assert not (store.versions / tmp[0] / "manifest.json").exists()  # unfinished: no manifest

    with store.lock():
        final = store.write(snapshot)
    assert leftovers(store) == []
    assert store.current() == final
    assert TASHKENT not in store.load().documents


def test_pipeline_keeps_serving_after_a_failed_write(workspace, monkeypatch):
    """An upload whose write crashes leaves the pipeline and the disk on the previous snapshot."""
    pipeline = workspace.pipeline
    before = pipeline.snapshot
    crash_on_third_np_save(monkeypatch, before)
    with pytest.raises(InjectedCrash):
        pipeline.upsert("late.txt", "A late report about a patrol near Osh with 12 officers.")
    monkeypatch.undo()
    assert pipeline.snapshot is before
    assert "late.txt" not in IndexStore(workspace.index).load().documents
    assert pipeline.search("patrol near Osh", top_k=1)[0].doc_id in SEED_DOCS
    # The store is usable again right away.
    assert pipeline.upsert("late.txt", "A late report about a patrol near Osh with 12 officers.").added == ["late.txt"]
    assert leftovers(IndexStore(workspace.index)) == []


def test_old_versions_are_pruned_to_two(workspace, encoder):
    """After several writes only the newest two versions stay; CURRENT names the newest."""
    store = IndexStore(workspace.index)
    snapshot = without_tashkent(store, encoder, workspace.settings)
    written = []
    for _ in range(3):
        with store.lock():
            written.append(store.write(snapshot).name)
    assert KEEP_VERSIONS == 2
    assert versions(store) == written[-2:]
    assert (workspace.index / "CURRENT").read_text().strip() == written[-1]


def test_version_names_sort_in_write_order(workspace, encoder):
    """Version folder names sort in the order they were written (pruning depends on it)."""
    store = IndexStore(workspace.index)
    snapshot = without_tashkent(store, encoder, workspace.settings)
    names = []
    for _ in range(4):
        with store.lock():
            names.append(store.write(snapshot).name)
    assert names == sorted(names) and len(set(names)) == 4


def test_missing_or_incomplete_current_loads_nothing(tmp_path):
    """No CURRENT, or one naming a folder without a manifest, means no index (not a crash)."""
    store = IndexStore(tmp_path)
    assert store.current() is None and store.load() is None
    (tmp_path / "versions" / "v1").mkdir(parents=True)
    (tmp_path / "CURRENT").write_text("v1")
    assert store.load() is None
    (tmp_path / "CURRENT").write_text("does-not-exist")
    assert store.load() is None


def test_format_version_mismatch_is_refused(workspace):
    """A snapshot of another format version is refused with a rebuild hint."""
    folder = IndexStore(workspace.index).current()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="rebuild"):
        IndexStore(workspace.index).load()


def test_check_encoder_names_both_encoders(pipeline):
    """A snapshot refuses another encoder (or another dimension) with a message naming both."""
    snapshot = pipeline.snapshot
    snapshot.check_encoder("e5-small", 384)
    with pytest.raises(IndexMismatch) as info:
        snapshot.check_encoder("use-m3")
    assert "'e5-small'" in str(info.value) and "'use-m3'" in str(info.value)
    with pytest.raises(IndexMismatch, match="dim 384"):
        snapshot.check_encoder("e5-small", 512)


def test_write_lock_is_exclusive_across_processes(tmp_path):
    """While one process holds the store lock, another cannot take it."""
    store = IndexStore(tmp_path)
    probe = (
        "import fcntl, sys\n"
        f"handle = open({str(tmp_path / '.lock')!r}, 'w')\n"
        "try:\n    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(3)\n"
    )
    with store.lock():
        assert subprocess.run([PYTHON, "-c", probe], timeout=60).returncode == 3
    assert subprocess.run([PYTHON, "-c", probe], timeout=60).returncode == 0


_INGEST = (
    "import sys\n"
    "from app.pipeline import Pipeline\n"
    "from app.settings import Settings\n"
    "Pipeline(Settings(index_dir=sys.argv[1], _env_file=None)).ingest_folder(sys.argv[2])\n"
    "print('done', flush=True)\n"
)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["segment:partial", "segment:staged", "segment:adopted", "current:written"])
def test_kill_9_during_ingest_leaves_a_loadable_index(workspace, point):
    """A process killed with SIGKILL at any step of an ingest's write leaves the old or the new index, never a broken
    one; the next ingest completes from whatever was left."""
    import signal

    extra = "\n\n".join(f"Report {i}. Border guards of post {i} inspected {i * 3} trucks near Osh." for i in range(60))
    (workspace.corpus / "reports.txt").write_text("Weekly reports\n\n" + extra, encoding="utf-8")
    before = sorted(IndexStore(workspace.index).load().documents)
    killed = subprocess.run(
        [PYTHON, "-c", _INGEST, str(workspace.index), str(workspace.corpus)],
        env=subprocess_env(**crash_env(point)), timeout=600, capture_output=True, text=True,
    )
    assert killed.returncode == -signal.SIGKILL, f"the ingest never reached {point}: {killed.stderr[-2000:]}"
    snapshot = IndexStore(workspace.index).load()
    # Until CURRENT is swapped the old index is served, whole; from then on the new one.
    assert sorted(snapshot.documents) == (sorted(before + ["reports.txt"]) if point == "current:written" else before)
    assert snapshot.dense.index.ntotal == len(snapshot.chunks) == len(snapshot.chunk_vectors)
    # The next ingest completes from whatever was left.
    subprocess.run([PYTHON, "-c", _INGEST, str(workspace.index), str(workspace.corpus)], check=True, timeout=600,
                   env=subprocess_env())
    assert "reports.txt" in IndexStore(workspace.index).load().documents
