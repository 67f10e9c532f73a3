"""Writers on several hosts sharing one Milvus (app/index/milvus.py, app/index/milvus_lease.py): two stores with
their own clients and their own file locks, as two API replicas have, against one Milvus Lite server reached by
address. Their commits take turns through the lease in Milvus: no lost document, no lost term statistics, no commit
writing an epoch back over a rebuild, and a crashed or stalled holder neither blocks nor corrupts the others."""

# The Milvus fixtures of tests/index/test_milvus.py are imported by name, and tests take them as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from milvus_lite.server_manager import server_manager_instance

from app.index import checkpoints
from app.index.milvus import MilvusStore
from tests.index.test_milvus import build, corpus, scratch_stats, store_settings, use_encoder


@pytest.fixture
def hosts(tmp_path, corpus, use_encoder):
    """Two stores on one Milvus Lite server reached by address, each with its own client and lock folder; the
    server holds four corpus documents."""
    path = str(tmp_path / "server.db")
    uri = server_manager_instance.start_and_get_uri(path)
    assert uri is not None
    one = MilvusStore(store_settings(tmp_path / "one", milvus_uri=uri))
    two = MilvusStore(store_settings(tmp_path / "two", milvus_uri=uri))
    docs = list(corpus.documents.values())
    with one.lock():
        one.commit(build(use_encoder, docs[:4], corpus, reuse={d.doc_id: d.doc_id for d in docs[:4]}))
    yield SimpleNamespace(one=one, two=two, docs=docs)
    one.close()
    two.close()
    server_manager_instance.release_server(path)


def single(encoder, corpus, doc):
    """A segment of one corpus document (its tables reused: nothing is embedded)."""
    return build(encoder, [doc], corpus, reuse={doc.doc_id: doc.doc_id})


def claims(store: MilvusStore) -> int:
    """Writers holding or waiting for the lease (0 where the store keeps none)."""
    if not store._call("has_collection", f"{store.prefix}_lease"):
        return 0
    rows = store._call("query", f"{store.prefix}_lease", filter="", output_fields=["token"], limit=1000)
    return len({r["token"] for r in rows})


def assert_consistent(store: MilvusStore, expected_docs, corpus) -> None:
    """The store serves exactly ``expected_docs``, whole, and its totals and df equal a rebuild's."""
    state = store._state()
    assert state is not None and state.pending is None
    assert sorted(store.documents()) == sorted(d.doc_id for d in expected_docs)
    assert sorted(store.reader().documents) == sorted(d.doc_id for d in expected_docs)
    count, length, df = scratch_stats(expected_docs, corpus)
    stored = store.stored_stats()
    assert (stored.num_docs, stored.total_length, stored.df) == (count, length, dict(df))
    assert store.corpus_stats() == stored
    assert state.documents == len(expected_docs)


def test_milvus_lost_writes_interleaved_uploads_are_all_kept(hosts, corpus, use_encoder):
    """Two hosts upload interleaved documents at once, one per commit: every document is served and the term
    statistics equal those of a rebuild from the same documents."""
    docs = hosts.docs[:20]
    segments = [single(use_encoder, corpus, doc) for doc in docs[4:]]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def upload(store: MilvusStore, mine: list) -> None:
        try:
            start.wait()
            for segment in mine:
                with store.lock():
                    store.commit(segment)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    writers = [
        threading.Thread(target=upload, args=(hosts.one, segments[0::2])),
        threading.Thread(target=upload, args=(hosts.two, segments[1::2])),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert not errors, errors
    assert claims(hosts.one) == 0  # every lease released
    for store in (hosts.one, hosts.two):
        assert_consistent(store, docs, corpus)


def test_milvus_lost_writes_commit_racing_replace_keeps_new_epoch(hosts, corpus, use_encoder):
    """A rebuild on one host while a commit on another is half written: the rebuild waits for the commit, and
    the epoch it switched to is the one served afterwards, whole."""
    docs = hosts.docs
    rebuilt = docs[10:14]
    replacement = build(use_encoder, rebuilt, corpus, reuse={d.doc_id: d.doc_id for d in rebuilt})
    started, replaced = threading.Event(), threading.Event()
    epochs: list[str] = []
    errors: list[BaseException] = []

    def pause(step: str) -> None:
        # The commit's rows are written: let the rebuild run now, until it is done or waits for its turn.
        if step == "milvus:rows" and not started.is_set():  # the first is host one's: the rebuild waits for it
            started.set()
            deadline = time.monotonic() + 30
            while not replaced.is_set() and claims(hosts.one) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)

    def rebuild() -> None:
        try:
            assert started.wait(30)
            with hosts.two.lock():
                hosts.two.replace(replacement)
                state = hosts.two._state()
                assert state is not None
                epochs.append(state.epoch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            replaced.set()

    rebuilder = threading.Thread(target=rebuild)
    rebuilder.start()
    checkpoints.install(pause)
    try:
        with hosts.one.lock():
            hosts.one.commit(single(use_encoder, corpus, docs[5]))
    finally:
        checkpoints.install(None)
        rebuilder.join(timeout=60)
    assert not errors, errors
    state = hosts.one._state()
    assert state is not None and [state.epoch] == epochs
    assert_consistent(hosts.one, rebuilt, corpus)


def test_milvus_lost_writes_crashed_holder_expires_and_stalled_holder_stops(hosts, corpus, use_encoder):
    """A claim nobody renews (a crashed writer) holds the others up until it expires, then is removed; a holder
    that stalled past its expiry and was overtaken stops before its first write (LeaseLost), writing nothing."""
    from app.index.milvus_lease import LeaseLost

    one, two = hosts.one, hosts.two
    one.lease_seconds = two.lease_seconds = 1.0
    before = one._state()
    # A writer that crashed while holding the lease: its claim is first in line and never renewed.
    crashed = {"token": "crashed", "expires": int(time.time() * 1000) + 1_500, "placeholder": [0.0, 0.0]}
    with one.lock():
        pass  # the lease collection exists from here on
    one._call("insert", f"{one.prefix}_lease", [crashed])
    started = time.monotonic()
    with one.lock():
        waited = time.monotonic() - started
        assert claims(one) == 1  # the crashed claim is gone
        lease = one._lease
        assert lease is not None
        lease._stop.set()  # stalls: no more renewals
        time.sleep(1.3)
        holding, done = threading.Event(), threading.Event()

        def overtake() -> None:
            with two.lock():
                holding.set()
                done.wait(30)

        other = threading.Thread(target=overtake)
        other.start()
        try:
            assert holding.wait(30)
            with pytest.raises(LeaseLost):
                one.commit(single(use_encoder, corpus, hosts.docs[7]))
        finally:
            done.set()
            other.join(timeout=30)
    assert 1.0 <= waited < 10
    assert one._state() == before
    assert hosts.docs[7].doc_id not in one.documents()
    assert_consistent(one, hosts.docs[:4], corpus)
