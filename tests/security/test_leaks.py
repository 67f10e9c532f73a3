"""What open routes tell a caller without a key: no internal paths, URIs or credentials in errors and readiness
(the log has them, under the request id); the API description and /health's details behind a key when reads
need one; /metrics rate-limited."""

from __future__ import annotations

import logging
import shutil
import time

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.pipeline import Pipeline
from tests.conftest import OCR_DETAIL, free_port, make_settings

# Looks like a credential: any response holding it leaks the store's URI or the index's path.
SECRET = "tok_9f3KxQ2vLs7SecretMarker"


def logged(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_unreachable_milvus_uri_stays_out_of_the_503_and_ready_but_in_the_log(tmp_path, encoder, api_keys, caplog):
    """A Milvus URI with a token in it: the 503 of /ask and /ready's reason name neither it nor the token, only the
    request id; the server log has the URI under that id."""
    pytest.importorskip("pymilvus")
    uri = f"http://127.0.0.1:{free_port()}/{SECRET}"
    settings = make_settings(tmp_path / "index", store="milvus", milvus_uri=uri, milvus_timeout=1.0)
    pipeline = Pipeline(settings, encoder=encoder)
    caplog.set_level(logging.WARNING, logger="app")
    with TestClient(create_app(settings, pipeline=pipeline)) as http:
        response = http.post("/ask", json={"question": "Who?"}, headers={"X-Request-ID": "leak-ask"})
        assert response.status_code == 503 and int(response.headers["retry-after"]) > 0
        detail = response.json()["detail"]
        assert "unavailable" in detail and "leak-ask" in detail
        assert SECRET not in response.text and "127.0.0.1" not in response.text
        ready = http.get("/ready", headers={"X-Request-ID": "leak-ready"})
        assert ready.status_code == 503 and "unavailable" in ready.json()["reason"]
        assert "leak-ready" in ready.json()["reason"]
        assert SECRET not in ready.text and "127.0.0.1" not in ready.text
    log = logged(caplog)
    for rid in ("leak-ask", "leak-ready"):
        assert any(rid in line and SECRET in line for line in log.splitlines()), log


def test_unreadable_index_path_stays_out_of_ready_but_in_the_log(tmp_path, seed, encoder, caplog):
    """An index under a folder whose name looks like a secret, whose served version loses a file: /ready says the
    index cannot be read, without the path; the log has the path under the request id."""
    index = tmp_path / SECRET / "index"
    shutil.copytree(seed.index, index)
    pipeline = Pipeline(make_settings(index), encoder=encoder)
    caplog.set_level(logging.WARNING, logger="app")
    http = TestClient(create_app(make_settings(index), pipeline=pipeline))
    http.app.state.readiness.warm.set()  # as after the warm-up, which this test does not need to wait for
    store = pipeline.store
    broken = store.versions / "99999999T999999-broken"
    shutil.copytree(store.current(), broken)
    (broken / "documents.jsonl").unlink()
    (store.root / "CURRENT").write_text(broken.name)
    ready = http.get("/ready", headers={"X-Request-ID": "leak-index"})
    assert ready.status_code == 503, ready.text
    assert "index cannot be read" in ready.json()["reason"] and "leak-index" in ready.json()["reason"]
    assert SECRET not in ready.text and str(tmp_path) not in ready.text
    assert any("leak-index" in line and SECRET in line for line in logged(caplog).splitlines())


@pytest.fixture(scope="module")
def closed(seed):
    """An app over the session index whose reads need a key (RAG_READ_AUTH=true, RAG_METRICS_AUTH left unset)."""
    client = TestClient(create_app(make_settings(seed.index, read_auth=True), pipeline=seed.pipeline))
    client.app.state.readiness.warm.set()  # the session pipeline has answered questions already
    return client


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_closed_reads_close_the_api_description(closed, api_keys, path):
    """With RAG_READ_AUTH=true the route map needs a read key like the routes it describes."""
    refused = closed.get(path)
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert "paths" not in refused.text
    assert closed.get(path, headers={"Authorization": f"Bearer {api_keys.revoked}"}).status_code == 401
    allowed = closed.get(path, headers=api_keys.read_headers)
    assert allowed.status_code == 200
    if path == "/openapi.json":
        assert "/ask" in allowed.json()["paths"]


def test_closed_reads_leave_health_bare_and_ready_open_for_probes(closed, api_keys):
    """Without a key /health says only that the process lives (liveness probes send no key) and /ready still
    answers 200 (Docker's HEALTHCHECK); counts, encoder and pid need a key."""
    assert closed.get("/health").json() == {"status": "ok"}
    assert closed.head("/health").status_code == 200
    detailed = closed.get("/health", headers=api_keys.read_headers).json()
    assert detailed["status"] == "ok" and detailed["documents"] == 5 and "pid" in detailed
    assert closed.get("/health", headers={"Authorization": f"Bearer {api_keys.revoked}"}).status_code == 401
    assert closed.get("/ready").json() == {"status": "ready", "reason": None, "details": {"ocr": OCR_DETAIL}}


def test_metrics_follow_closed_reads_unless_set(seed, closed, api_keys):
    """RAG_METRICS_AUTH unset follows RAG_READ_AUTH; set to false it opens /metrics again (a scraper without a key)."""
    refused = closed.get("/metrics")
    assert refused.status_code == 401 and "RAG_METRICS_AUTH" in refused.json()["detail"]
    assert closed.get("/metrics", headers=api_keys.read_headers).status_code == 200
    settings = make_settings(seed.index, read_auth=True, metrics_auth=False)
    assert TestClient(create_app(settings, pipeline=seed.pipeline)).get("/metrics").status_code == 200


def test_metrics_are_rate_limited(seed, api_keys):
    """Past RAG_METRICS_RATE_LIMIT a scraper gets 429 with Retry-After; the budget is its own, per caller, and
    questions and scrapes never spend each other's."""
    settings = make_settings(seed.index, metrics_rate_limit="2/minute", rate_limit="2/minute")
    client = TestClient(create_app(settings, pipeline=seed.pipeline))
    assert [client.get("/metrics").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/metrics")
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "RAG_METRICS_RATE_LIMIT" in refused.json()["detail"]
    assert client.get("/documents").status_code == 200  # RAG_RATE_LIMIT's budget is untouched
    assert client.get("/metrics", headers=api_keys.read_headers).status_code == 200  # a key is its own caller
    started = time.monotonic()
    assert client.get("/health").status_code == 200 and time.monotonic() - started < 5  # probes are never limited
