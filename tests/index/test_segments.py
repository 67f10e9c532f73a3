"""app/index/store.py + view.py + compactor.py: uploads and deletions as delta segments, views, compaction."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

from app.index.store import MAX_DELTAS, IndexStore
from app.pipeline import Pipeline
from tests.conftest import BISHKEK, PYTHON, SEED_DOCS, TASHKENT, make_settings, subprocess_env
from tests.crashpoints import crash_env

OSH = "Report from Osh. The Kara-Suu border post was staffed by 47 officers and 9 dogs in March 2024."
NARYN = "Пограничная застава Нарын получила 12 новых автомобилей в мае 2024 года."


def delta_settings(index, **overrides):
    """Settings under which one document goes into a delta (a rebuild only after 1000 changed chunks)."""
    overrides.setdefault("compact_ratio", 1.0)
    overrides.setdefault("compact_chunks", 1000)
    return make_settings(index, **overrides)


@pytest.fixture
def deltas(workspace, encoder):
    """The seed workspace with a pipeline that writes deltas instead of rebuilding."""
    workspace.pipeline = Pipeline(delta_settings(workspace.index), encoder=encoder)
    return workspace


def test_upload_writes_a_delta_and_embeds_only_the_document(deltas):
    """An upload adds a second segment named by a view; only its own sentences and chunks are embedded."""
    base = IndexStore(deltas.index).spec().segments
    report = deltas.pipeline.upsert("osh.txt", OSH)
    spec = IndexStore(deltas.index).spec()
    assert spec.name.endswith(".json") and spec.segments[:1] == base and len(spec.segments) == 2
    delta = IndexStore(deltas.index).segment(spec.segments[1])
    assert list(delta.documents) == ["osh.txt"]
    assert report.embedded == len(delta.sentences) + len(delta.chunks)
    hit = deltas.pipeline.search("How many officers staffed the Kara-Suu border post?", top_k=1)[0]
    assert hit.doc_id == "osh.txt" and "47 officers" in hit.text
    answer = deltas.pipeline.ask("How many officers staffed the Kara-Suu border post?").answer
    assert answer is not None and answer.doc_id == "osh.txt" and "47" in answer.text


def test_replaced_and_deleted_documents_are_never_found(deltas):
    """A replaced document's old rows and a deleted document's rows reach neither dense nor BM25 results."""
    pipeline = deltas.pipeline
    pipeline.upsert(BISHKEK, "A short note: the Bishkek conference was moved online.")
    pipeline.delete(TASHKENT)
    snap = pipeline.snapshot
    assert TASHKENT not in snap.documents and snap.documents[BISHKEK].text.startswith("A short note")
    assert len(IndexStore(deltas.index).spec().segments) == 2  # the delete wrote no segment
    for question in ("Sergey Kapinos CABSI conference", "узбекско-казахстанские консультации по безопасности"):
        passages = pipeline.search(question, top_k=50)
        assert all(p.doc_id != TASHKENT for p in passages)
        assert all("Kapinos" not in p.text for p in passages)
    lexical = snap.lexical.scores([("kapino",), ("cabsi",)])
    assert not lexical[~snap.live[snap.chunks[:, 0]]].any()
    listing = {d: len(snap.chunk_rows(d)) for d in snap.documents}
    assert snap.chunk_count == sum(listing.values()) < len(snap.chunks)


def test_view_answers_like_a_rebuilt_index(deltas, encoder, tmp_path):
    """After uploads, a replacement and a delete, the view ranks and answers like one index built from scratch."""
    pipeline = deltas.pipeline
    pipeline.upsert("osh.txt", OSH)
    pipeline.upsert("naryn.txt", NARYN)
    pipeline.upsert(BISHKEK, "A short note: the Bishkek conference was moved online.")
    pipeline.delete(TASHKENT)
    from app.ingest.indexer import Indexer

    rebuilt = Pipeline(make_settings(tmp_path / "rebuilt"), encoder=encoder)
    # In the base's language space, as the view (compaction refits it): what differs is only the segmentation.
    view = pipeline.snapshot
    snapshot = Indexer(encoder, rebuilt.settings).build(list(view.documents.values()), projection=view.projection)
    with rebuilt.store.lock():
        rebuilt.store.write(snapshot)
    questions = [
        "How many officers staffed the Kara-Suu border post?",
        "Сколько автомобилей получила застава Нарын?",
        "Сколько человек участвовало в конференции в Боровом?",
        "How many representatives attended the OSCE meeting in Issyk-Kul?",
    ]
    for question in questions:
        mine, theirs = pipeline.search(question, top_k=3), rebuilt.search(question, top_k=3)
        assert [p.doc_id for p in mine] == [p.doc_id for p in theirs], question
        # Only BM25's length normalisation differs (per segment); the dense side is the same vectors.
        assert abs(mine[0].score - theirs[0].score) < 0.02
        a, b = pipeline.ask(question).answer, rebuilt.ask(question).answer
        assert (a and a.text) == (b and b.text), question


def test_many_uploads_keep_few_segments(deltas):
    """Past MAX_DELTAS deltas the next upload merges them, so a query never searches more than 1 + MAX_DELTAS."""
    pipeline = deltas.pipeline
    base_name = IndexStore(deltas.index).spec().segments[0]
    base = pipeline.store.segment(base_name)
    for i in range(MAX_DELTAS + 2):
        pipeline.upsert(f"post-{i}.txt", f"Post {i} near Osh has {10 + i} guards and {i} trucks.")
        assert len(IndexStore(deltas.index).spec().segments) <= 1 + MAX_DELTAS
    # Merging the deltas never drops the loaded base: it is not read from disk again.
    assert pipeline.store.segment(base_name) is base
    snap = pipeline.snapshot
    assert {f"post-{i}.txt" for i in range(MAX_DELTAS + 2)} <= set(snap.documents)
    assert pipeline.search("Post 3 near Osh guards", top_k=1)[0].doc_id == "post-3.txt"


def test_compaction_folds_deltas_and_drops_dead_rows(deltas):
    """Compaction leaves one base segment with exactly the served documents and no dead rows, embedding nothing."""
    pipeline = deltas.pipeline
    pipeline.upsert("osh.txt", OSH)
    pipeline.delete(TASHKENT)
    before = pipeline.snapshot
    assert pipeline.compact(force=True)
    spec = IndexStore(deltas.index).spec()
    assert len(spec.segments) == 1 and not spec.dead and not spec.name.endswith(".json")
    after = pipeline.snapshot
    assert set(after.documents) == set(before.documents) and after.live.all()
    assert len(after.chunks) == before.chunk_count == after.dense.index.ntotal
    assert pipeline.search("Kara-Suu border post officers", top_k=1)[0].doc_id == "osh.txt"
    # Only the served segments stay on disk (and the states kept for readers still loading them).
    assert len([p for p in (deltas.index / "versions").iterdir() if not p.name.startswith(".")]) <= 3


def test_compaction_is_due_by_changed_chunks(workspace, encoder):
    """Uploads past compact_chunks trigger compaction right after the write (outside a server)."""
    pipeline = Pipeline(delta_settings(workspace.index, compact_chunks=3), encoder=encoder)
    pipeline.upsert("osh.txt", OSH + " " + " ".join(f"Sentence {i} about patrols." for i in range(12)))
    spec = IndexStore(workspace.index).spec()
    assert len(spec.segments) == 1 and "osh.txt" in pipeline.snapshot.documents
    assert pipeline.store.compactor.runs == 1


def test_writes_during_compaction_are_kept(deltas, encoder, monkeypatch):
    """An upload and a delete that land while compaction builds survive its swap."""
    from app.ingest import indexer as indexer_module

    pipeline = deltas.pipeline
    pipeline.upsert("osh.txt", OSH)
    other = Pipeline(delta_settings(deltas.index), encoder=encoder)  # another writer (a second API worker)
    real_build = indexer_module.Indexer.build
    landed = []

    def build(self, documents, previous=None, *args, **kwargs):
        result = real_build(self, documents, previous, *args, **kwargs)
        if not landed and previous is not None and len(documents) > 3:  # the compaction's build
            landed.append(True)
            other.upsert("naryn.txt", NARYN)
            other.delete(TASHKENT)
        return result

    monkeypatch.setattr(indexer_module.Indexer, "build", build)
    assert pipeline.compact(force=True)
    monkeypatch.undo()
    spec = IndexStore(deltas.index).spec()
    assert len(spec.segments) == 2  # the new base, then the upload that landed meanwhile
    snap = pipeline.snapshot
    assert {"osh.txt", "naryn.txt"} <= set(snap.documents) and TASHKENT not in snap.documents
    assert all(p.doc_id != TASHKENT for p in pipeline.search("консультации по безопасности", top_k=20))


def test_another_process_follows_uploads_loading_only_the_new_segment(deltas, encoder):
    """A second pipeline on the same folder serves an upload by the first, reusing the base it already loaded."""
    reader = Pipeline(delta_settings(deltas.index), encoder=encoder)
    base = reader.snapshot
    deltas.pipeline.upsert("osh.txt", OSH)
    view = reader.snapshot
    assert "osh.txt" in view.documents
    assert reader.store.segment(IndexStore(deltas.index).spec().segments[0]) is base


_COMPACT = (
    "import sys\n"
    "from app.pipeline import Pipeline\n"
    "from app.settings import Settings\n"
    "p = Pipeline(Settings(index_dir=sys.argv[1], _env_file=None, compact_ratio=1.0, compact_chunks=1000))\n"
    "print('compacted', p.compact(force=True), flush=True)\n"
)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["segment:partial", "segment:staged", "segment:adopted"])
def test_kill_9_during_compaction_leaves_a_complete_index(deltas, point):
    """A compaction killed with SIGKILL while writing its base, once it is staged, or after renaming it into place
    but before the swap, leaves the pre-compaction view served, whole; the next compaction
    completes and leaves no staging behind."""
    pipeline = deltas.pipeline
    for i in range(3):
        pipeline.upsert(f"post-{i}.txt", f"Post {i} near Osh has {10 + i} guards and {i} trucks.")
    pipeline.delete(TASHKENT)
    expected = set(pipeline.snapshot.documents)
    versions = deltas.index / "versions"
    pointer = (deltas.index / "CURRENT").read_text()

    killed = subprocess.run(
        [PYTHON, "-c", _COMPACT, str(deltas.index)], env=subprocess_env(**crash_env(point)), timeout=600,
        capture_output=True, text=True,
    )
    assert killed.returncode == -signal.SIGKILL, f"the compaction never reached {point}: {killed.stderr[-2000:]}"
    assert (deltas.index / "CURRENT").read_text() == pointer
    snap = IndexStore(deltas.index).load()
    assert set(snap.documents) == expected
    assert snap.chunk_count == sum(len(snap.chunk_rows(d)) for d in snap.documents)
    result = subprocess.run([PYTHON, "-c", _COMPACT, str(deltas.index)], timeout=600, capture_output=True, text=True,
                            env=subprocess_env())
    assert "compacted True" in result.stdout, result.stderr
    compacted = IndexStore(deltas.index).load()
    assert set(compacted.documents) == expected and compacted.live.all()
    assert not list(versions.glob(".*"))  # no staging left behind


def test_stored_documents_follow_the_view(deltas):
    """stored_documents (used by --rebuild and feedback export) lists the served documents of every segment."""
    deltas.pipeline.upsert("osh.txt", OSH)
    deltas.pipeline.delete(TASHKENT)
    stored = {d.doc_id for d in IndexStore(deltas.index).stored_documents()}
    assert stored == (set(SEED_DOCS) - {TASHKENT}) | {"osh.txt"}


def test_segmented_dense_search_matches_one_index():
    """Searching two segments with dead rows equals searching one flat index of the live rows."""
    from app.index.dense import DenseIndex
    from app.index.view import SegmentedDense

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dead = np.array([0, 5, 250, 299])
    view = SegmentedDense([DenseIndex.build(vectors[:200]), DenseIndex.build(vectors[200:])], [200, 100], dead)
    live = np.setdiff1d(np.arange(300), dead)
    query = vectors[5]
    ids, cos = view.search(query, 10)
    expected = live[np.argsort(-(vectors[live] @ query))[:10]]
    assert list(ids) == list(expected)
    allowed = np.array([1, 2, 3, 201, 202, 250])
    ids, _ = view.search(query, 10, allowed[~np.isin(allowed, dead)])
    assert set(ids) == {1, 2, 3, 201, 202}
    np.testing.assert_allclose(view.vectors(np.array([3, 201])), vectors[[3, 201]], atol=1e-6)
