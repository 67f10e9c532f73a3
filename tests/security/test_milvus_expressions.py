"""Milvus expressions built from document ids (app/index/milvus.py, app/index/milvus_schema.py, app/api): an id is
a value, never part of the expression, whatever quotes, brackets or backslashes it holds; the ids a request names
are checked at the API edge; a question fetches a bounded number of documents."""

# The Milvus fixtures of tests/index/test_milvus.py are imported by name, and tests take them as arguments.
# ruff: noqa: F401, F811

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from app.api.main import create_app
from app.index import milvus
from app.index.milvus import MilvusStore
from app.models import Filters, Turn
from app.pipeline import Pipeline
from tests.conftest import make_settings
from tests.index.test_milvus import build, corpus, question, store, store_settings, use_encoder

INJECTION = "x'] or doc_id not in ['y"  # closes pymilvus's quoting of a string key: every document matches
HOSTILE = (
    "O'Brien.txt",
    'double"quote.txt',
    "back\\slash\\",
    "brackets] or doc_id != [x",
    'q" or doc_id != "',
    "x'] or doc_id in ['O'Brien.txt",
)


def test_milvus_expression_injection_id_pulls_no_documents(store, corpus, use_encoder):
    """An id that would close a quoted key reads nothing: not as a document to fetch, nor as the conversation's
    document of a question, whose snapshot stays the one it has without it."""
    names = store._names(store._state())
    assert store._fetch(names, [INJECTION]) == []
    assert store._heads(names, [INJECTION]) == {}
    text = "border security conference"
    plain = set(store.reader(question(use_encoder, corpus, text)).documents)
    context = Turn("earlier", doc_ids=(INJECTION,))
    assert set(store.reader(question(use_encoder, corpus, text, context=context)).documents) == plain
    assert len(plain) < len(corpus.documents)


@pytest.fixture
def hostile_store(tmp_path, corpus, use_encoder):
    """A Milvus Lite store holding the corpus and six documents whose ids hold quotes, brackets and backslashes
    (each a copy of a corpus document's tables)."""
    store = MilvusStore(store_settings(tmp_path))
    sources = list(corpus.documents)[: len(HOSTILE)]
    docs = [replace(corpus.documents[s], doc_id=h) for h, s in zip(HOSTILE, sources, strict=True)]
    segment = build(use_encoder, docs, corpus, reuse=dict(zip(HOSTILE, sources, strict=True)))
    with store.lock():
        store.commit(corpus)
        store.commit(segment)  # a commit reads the ids' committed rows first
    yield store
    store.close()


def test_milvus_expression_injection_ids_match_only_themselves(hostile_store, corpus, monkeypatch):
    """Each hostile id reads its own document and no other; an id closing the quoting pulls nothing."""
    store = hostile_store
    monkeypatch.setattr(milvus, "SCAN_ROWS", 4, raising=False)  # scans page past the hostile ids as cursors
    names = store._names(store._state())
    assert store._fetch(names, [INJECTION]) == []
    assert store._heads(names, [INJECTION]) == {}
    for doc_id in HOSTILE:
        assert [t.document.doc_id for t in store._fetch(names, [doc_id])] == [doc_id]
        assert list(store._heads(names, [doc_id])) == [doc_id]
    listed = store.documents()
    assert len(listed) == len(corpus.documents) + len(HOSTILE) and set(HOSTILE) <= set(listed)
    assert store.corpus_stats() == store.stored_stats()


def test_milvus_expression_injection_filters_and_context(hostile_store, corpus, use_encoder):
    """A hostile id as a document filter admits that document only; as a conversation's document it adds itself
    and nothing more to the question's snapshot."""
    store = hostile_store
    for doc_id in HOSTILE:
        snapshot = store.reader(question(use_encoder, corpus, "border security", Filters(doc_ids=(doc_id,))))
        assert doc_id in snapshot.documents
    text = "border security conference"
    plain = set(store.reader(question(use_encoder, corpus, text)).documents)
    context = Turn("earlier", doc_ids=(INJECTION, "O'Brien.txt"))
    got = set(store.reader(question(use_encoder, corpus, text, context=context)).documents)
    assert got <= plain | {"O'Brien.txt"}
    assert len(got) < len(corpus.documents)


def test_milvus_expression_injection_question_fetches_bounded_documents(
    hostile_store, corpus, use_encoder, monkeypatch
):
    """A filter naming every document restricts the search without fetching them all, and a conversation naming
    every document does not fetch them all either: a question fetches at most ``2 * candidates + EXTRA_DOCUMENTS``."""
    store = hostile_store
    everything = tuple(store.documents())
    text = "Who is Sergey Kapinos?"
    filtered = store.reader(question(use_encoder, corpus, text, Filters(doc_ids=everything)))
    unfiltered = store.reader(question(use_encoder, corpus, text))
    assert set(filtered.documents) == set(unfiltered.documents)
    assert len(filtered.documents) < len(everything)

    monkeypatch.setattr(milvus, "EXTRA_DOCUMENTS", 2, raising=False)
    snapshot = store.reader(question(use_encoder, corpus, text, context=Turn("earlier", doc_ids=everything)))
    hits = 2 * store.settings.candidates  # 10 candidates: at most 10 documents from each search
    assert len(snapshot.documents) <= hits + 2 < len(everything)


@pytest.fixture
def milvus_client(tmp_path, api_keys):
    """An in-process API client over an empty Milvus Lite store (use-m3 encoder), carrying the admin key."""
    settings = make_settings(
        tmp_path / "index", store="milvus", milvus_uri=str(tmp_path / "milvus.db"), encoder="use-m3"
    )
    pipeline = Pipeline(settings)
    with TestClient(create_app(settings, pipeline=pipeline), headers=api_keys.admin_headers) as client:
        yield client
    pipeline.store.close()


FIRST = "The Sary-Tash border post received 23 thermal cameras and 4 drones in June 2025."
QUOTED = "Inspector Brien O'Brien trained 17 dog handlers at the Kordai crossing in March 2024."


@pytest.mark.slow
def test_milvus_expression_injection_quoted_upload_is_answered_and_injection_is_422(milvus_client):
    """An id with a quote is uploaded (also as a replacement) and answered from; an id that would close the store's
    quoting, in history or in a filter, is a 422 at the edge; a malformed id in history is a 422 too."""
    http = milvus_client
    assert http.post("/documents", json={"doc_id": "sary-tash.txt", "text": FIRST}).status_code == 201
    created = http.post("/documents", json={"doc_id": "O'Brien.txt", "text": QUOTED})
    assert created.status_code == 201, created.text
    again = http.post("/documents", json={"doc_id": "O'Brien.txt", "text": QUOTED + " They passed in May."})
    assert again.status_code == 201 and again.json()["status"] == "updated", again.text

    body = {"question": "How many dog handlers did O'Brien train at Kordai?"}
    asked = http.post("/ask", json=body)
    assert asked.status_code == 200, asked.text
    assert asked.json()["passages"][0]["doc_id"] == "O'Brien.txt"
    turn = {"question": "Who trained dog handlers at Kordai?", "doc_ids": ["O'Brien.txt"]}
    follow = http.post("/ask", json={"question": "And when?", "history": [turn]})
    assert follow.status_code == 200 and follow.json()["passages"][0]["doc_id"] == "O'Brien.txt", follow.text
    assert http.get("/documents/O'Brien.txt").json()["text"].startswith("Inspector")

    for history in (
        [{"question": "Who trained dog handlers?", "doc_ids": [INJECTION]}],
        [{"question": "Who trained dog handlers?", "doc_ids": ["../secret"]}],
        [{"question": "Who trained dog handlers?", "doc_ids": ["a\\b"]}],
    ):
        rejected = http.post("/ask", json={"question": "And when?", "history": history})
        assert rejected.status_code == 422, rejected.text
    rejected = http.post("/ask", json={"question": "And when?", "filters": {"doc_ids": [INJECTION]}})
    assert rejected.status_code == 422 and INJECTION in rejected.json()["detail"]
    assert http.post("/search", json={"query": "dogs", "doc_ids": ["/etc/passwd"]}).status_code == 422
