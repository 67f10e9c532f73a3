"""The API contract on both storage backends (RAG_STORE=local and RAG_STORE=milvus on Milvus Lite), and the gold
set answered alike by both."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.pipeline import Pipeline
from tests.conftest import BISHKEK, BOROVOE, ENGLISH_DOCS, SEED_CORPUS, SEED_DOCS, TASHKENT, make_settings

pytest.importorskip("pymilvus")

ROOT_QUESTION = "How many representatives took part in the OSCE regional meeting in Issyk-Kul?"
NEW_FACT = "The Sary-Tash border post received 23 thermal cameras and 4 drones in June 2025."


@pytest.fixture(scope="module", params=["local", "milvus"])
def backend(request, tmp_path_factory, encoder, api_keys):
    """The seed corpus ingested into one backend, with an in-process client carrying the admin key."""
    root = tmp_path_factory.mktemp(f"store-{request.param}")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    settings = make_settings(root / "index", store=request.param, milvus_uri=str(root / "milvus.db"))
    pipeline = Pipeline(settings, encoder=encoder)
    report = pipeline.ingest_folder(root / "corpus")
    assert sorted(report.added) == list(SEED_DOCS)
    with TestClient(create_app(settings, pipeline=pipeline), headers=api_keys.admin_headers) as client:
        yield SimpleNamespace(name=request.param, client=client, pipeline=pipeline, root=root)
    pipeline.store.close()


def test_answers_are_verbatim_spans_of_the_cited_document(backend):
    """/ask answers a Russian and an English question with spans of the stored text, citing the right document."""
    http = backend.client
    for question, doc_id in (
        ("Сколько человек приняли участие в конференции в Боровом?", BOROVOE),
        ("Who opened the 12th CABSI conference?", BISHKEK),
    ):
        body = http.post("/ask", json={"question": question}).json()
        answer = body["answer"]
        assert answer is not None and answer["doc_id"] == doc_id, (backend.name, question, body)
        text = http.get(f"/documents/{doc_id}").json()["text"]
        assert text[answer["start"] : answer["end"]] == answer["text"]


def test_listing_counts_and_health_agree(backend):
    """/documents lists the five seed documents with their chunk counts, and /health sums the same."""
    http = backend.client
    listing = http.get("/documents").json()
    assert sorted(d["doc_id"] for d in listing) == list(SEED_DOCS)
    assert all(d["chunks"] >= 1 for d in listing)
    health = http.get("/health").json()
    assert health["documents"] == 5 and health["chunks"] == sum(d["chunks"] for d in listing)


def test_filters_restrict_every_passage(backend):
    """A language filter and a document filter hold for every passage returned."""
    http = backend.client
    body = http.post("/search", json={"query": "border security conference", "top_k": 10, "filters": {"langs": ["en"]}})
    assert body.status_code == 200
    passages = body.json()["passages"]
    assert passages and all(p["doc_id"] in ENGLISH_DOCS for p in passages)
    body = http.post("/ask", json={"question": ROOT_QUESTION, "filters": {"doc_ids": [TASHKENT]}}).json()
    assert all(p["doc_id"] == TASHKENT for p in body["passages"])
    missing = http.post("/ask", json={"question": ROOT_QUESTION, "filters": {"doc_ids": ["nope.txt"]}})
    assert missing.status_code == 422 and "nope.txt" in missing.json()["detail"]


def test_upload_is_answered_and_delete_forgets_it(backend):
    """An uploaded document is cited at once; once deleted it is neither listed nor cited."""
    http = backend.client
    created = http.post("/documents", json={"doc_id": "sary-tash.txt", "text": NEW_FACT})
    assert created.status_code == 201 and created.json()["status"] == "added"
    body = http.post("/ask", json={"question": "How many thermal cameras did the Sary-Tash post receive?"}).json()
    assert body["answer"] is not None and body["answer"]["doc_id"] == "sary-tash.txt" and "23" in body["answer"]["text"]
    assert http.delete("/documents/sary-tash.txt").status_code == 200
    assert http.get("/documents/sary-tash.txt").status_code == 404
    body = http.post("/ask", json={"question": "How many thermal cameras did the Sary-Tash post receive?"}).json()
    assert all(p["doc_id"] != "sary-tash.txt" for p in body["passages"])
    assert http.get("/health").json()["documents"] == 5


def test_explanation_and_abstention(backend):
    """An unanswerable question abstains and explains itself on both backends."""
    body = backend.client.post(
        "/ask", json={"question": "What is the population of Ulaanbaatar in 1950?", "explain": True}
    ).json()
    assert body["answer"] is None
    assert body["explanation"]["verdict"].startswith("abstained") or body["explanation"]["stage"] in {
        "retrieval",
        "reading",
    }


@pytest.mark.slow
def test_gold_set_is_answered_alike_by_both_backends(tmp_path, encoder):
    """Every gold-set metric on Milvus Lite is within 0.02 of the embedded store's."""
    from app.evaluation.evaluate import InProcessClient, evaluate
    from app.evaluation.gold import load_gold
    from tests.conftest import ROOT

    questions = load_gold(ROOT / "eval" / "gold.jsonl")
    results = {}
    for name in ("local", "milvus"):
        shutil.copytree(SEED_CORPUS, tmp_path / name / "corpus")
        settings = make_settings(tmp_path / name / "index", store=name, milvus_uri=str(tmp_path / name / "m.db"))
        pipeline = Pipeline(settings, encoder=encoder)
        pipeline.ingest_folder(tmp_path / name / "corpus")
        results[name] = evaluate(InProcessClient(pipeline), questions)["overall"]
        pipeline.store.close()
    for metric in ("hit@1", "hit@5", "mrr@10", "containment", "f1", "citation", "abstention_recall"):
        assert abs(results["local"][metric] - results["milvus"][metric]) <= 0.02, (metric, results)


def test_unreachable_milvus_is_a_503_with_retry_after_not_a_hang(tmp_path, encoder, api_keys):
    """With Milvus down, /ask and /documents answer 503 with Retry-After within the timeout, and /ready says why."""
    import time

    from tests.conftest import free_port

    settings = make_settings(
        tmp_path / "index", store="milvus", milvus_uri=f"http://127.0.0.1:{free_port()}", milvus_timeout=1.0
    )
    pipeline = Pipeline(settings, encoder=encoder)
    with TestClient(create_app(settings, pipeline=pipeline), headers=api_keys.admin_headers) as http:
        for method, path, body in (
            ("POST", "/ask", {"question": ROOT_QUESTION}),
            ("GET", "/documents", None),
            ("POST", "/documents", {"doc_id": "x.txt", "text": NEW_FACT}),
        ):
            started = time.monotonic()
            response = http.request(method, path, json=body)
            assert response.status_code == 503, (path, response.text)
            assert int(response.headers["retry-after"]) > 0
            assert "unavailable" in response.json()["detail"]
            assert time.monotonic() - started < 2 * settings.milvus_timeout + 2
        ready = http.get("/ready")
        assert ready.status_code == 503 and "unavailable" in ready.json()["reason"]
        readiness = http.app.state.readiness
        assert readiness.warming  # still retrying the store
        leaving = time.monotonic()
    assert not readiness.warming and time.monotonic() - leaving < settings.milvus_timeout + 2


def test_an_app_that_shut_down_never_reopens_its_milvus_lite_file(tmp_path, encoder):
    """An app shut down while its warm-up waits for the model thread, then its store closed: the Lite file's
    in-process server is gone and stays gone (a warm-up finishing late would restart it, a leaked server per app)."""
    import threading
    import time

    from milvus_lite.server_manager import server_manager_instance

    settings = make_settings(tmp_path / "index", store="milvus", milvus_uri=str(tmp_path / "m.db"))
    pipeline = Pipeline(settings, encoder=encoder)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "post.txt").write_text(NEW_FACT, encoding="utf-8")
    assert not pipeline.ingest_folder(tmp_path / "corpus").failed  # an index: the warm-up asks a question
    pipeline.store.close()
    gate = threading.Event()
    busy = threading.Thread(target=pipeline.inference.call, args=(gate.wait, 30))
    busy.start()  # the warm-up's question waits behind this
    threading.Timer(1.0, gate.set).start()  # ... until after the app has begun shutting down
    with TestClient(create_app(settings, pipeline=pipeline)) as http:
        assert http.get("/health").status_code == 200
    pipeline.store.close()
    busy.join()
    time.sleep(2)
    assert not http.app.state.readiness.warming
    assert str((tmp_path / "m.db").resolve()) not in server_manager_instance._servers
