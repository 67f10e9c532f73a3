"""Running as a service, in process over real index copies: rate limits, metrics, access and audit logs, request
ids, security headers, readiness, and document ids that try to leave the index."""

from __future__ import annotations

import json
import logging
import re
import shutil

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.api.main import create_app
from app.settings import Settings
from tests.conftest import BISHKEK, OCR_DETAIL, ROOT, full_inference_queue, make_settings

QUESTION = "Who is the head of the OSCE Centre in Bishkek?"


def metrics(client) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics by (name, sorted labels), read by prometheus-client's own parser."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def app_client(workspace, **overrides) -> TestClient:
    settings = make_settings(workspace.index, **overrides)
    return TestClient(create_app(settings, pipeline=workspace.pipeline), raise_server_exceptions=False)


def access_lines(caplog, logger: str = "app.access") -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == logger]


# -- rate limits -----------------------------------------------------------------------------------------------


def test_default_rate_limit_setting():
    """The default limit is per minute and per second; an invalid one is refused naming RAG_RATE_LIMIT."""
    assert Settings(_env_file=None).rate_limit == "120/minute;20/second"
    with pytest.raises(ValueError, match="RAG_RATE_LIMIT"):
        Settings(_env_file=None, rate_limit="many per hour")


def test_rate_limit_per_caller_with_retry_after(workspace, api_keys):
    """Past the limit a caller gets 429 with Retry-After; another key has its own budget; 429s are counted."""
    client = app_client(workspace, rate_limit="3/minute")
    for _ in range(3):
        assert client.get("/documents").status_code == 200
    refused = client.get("/documents")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "RAG_RATE_LIMIT" in refused.json()["detail"] and "3 per 1 minute" in refused.json()["detail"]
    assert client.post("/ask", json={"question": QUESTION}).status_code == 429  # one budget for every route
    assert client.get("/documents", headers=api_keys.read_headers).status_code == 200  # a key is its own caller
    assert client.get("/health").status_code == 200  # probes and metrics are never limited
    samples = metrics(client)
    assert samples[("qa_rate_limited_total", (("route", "/documents"),))] == 1
    assert samples[("qa_rate_limited_total", (("route", "/ask"),))] == 1


def test_empty_rate_limit_disables_it(workspace):
    """RAG_RATE_LIMIT="" lets every request through."""
    client = app_client(workspace, rate_limit="")
    assert all(client.get("/documents").status_code == 200 for _ in range(30))


# -- metrics ---------------------------------------------------------------------------------------------------


def test_metrics_after_questions_reads_and_writes(workspace, api_keys):
    """Counts by route template and status, stage times, answers, abstentions, confidence, index, writes."""
    with app_client(workspace) as client:
        assert client.post("/ask", json={"question": QUESTION}).json()["answer"] is not None
        assert client.post("/ask", json={"question": "What colour is the sky on Mars?"}).json()["answer"] is None
        assert client.get(f"/documents/{BISHKEK}").status_code == 200
        assert client.get("/documents/no/such/doc.txt").status_code == 404
        assert client.post("/documents", json={"doc_id": "m.txt", "text": "Guards met in Osh."},
                           headers=api_keys.admin_headers).status_code == 201
        samples = metrics(client)
    request = ("qa_http_requests_total", (("method", "GET"), ("route", "/documents/{doc_id:doc_path}"), ("status", "200")))
    assert samples[request] == 1  # a template, never the raw path
    assert samples[request[:1] + ((("method", "GET"), ("route", "/documents/{doc_id:doc_path}"), ("status", "404")),)] == 1
    assert not any("no/such" in str(labels) or BISHKEK in str(labels) for _, labels in samples)
    assert samples[("qa_http_request_duration_seconds_count", (("method", "POST"), ("route", "/ask")))] >= 2
    for stage in ("embed", "retrieve", "extract"):
        assert samples[("qa_ask_stage_duration_seconds_count", (("stage", stage),))] >= 2
    assert samples[("qa_answers_total", (("outcome", "answered"),))] >= 1
    assert samples[("qa_answers_total", (("outcome", "abstained"),))] >= 1
    assert samples[("qa_answer_confidence_count", ())] >= 1
    assert samples[("qa_index_write_duration_seconds_count", (("operation", "upload"),))] == 1
    assert samples[("qa_index_documents", ())] == 6
    assert samples[("qa_index_chunks", ())] == len(workspace.pipeline.snapshot.chunks)
    assert 0 <= samples[("qa_index_age_seconds", ())] < 3600
    assert samples[("qa_inference_queue_depth", ())] == 0 and samples[("qa_write_queue_depth", ())] == 0


def test_grafana_dashboard_uses_only_metrics_the_service_exports(client):
    """Every metric deploy/grafana-dashboard.json queries is one /metrics exports (the dashboard cannot drift)."""
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    queried = {m for panel in dashboard["panels"] for target in panel.get("targets", [])
               for m in re.findall(r"\bqa_[a-z_]+", target["expr"])}
    exported = {family.name for family in text_string_to_metric_families(client.get("/metrics").text)}
    exported |= {f"{name}{suffix}" for name in exported for suffix in ("_total", "_bucket", "_count", "_sum")}
    assert queried and queried <= exported, queried - exported


def test_shed_requests_are_counted(workspace_client):
    """503s of a full inference queue and of a full write queue are counted by reason."""
    c = workspace_client
    with full_inference_queue(c):
        assert c.post("/ask", json={"question": QUESTION}).status_code == 503
    c.workspace.pipeline.settings.max_queued_writes = 1
    c.app.state.writes = 1
    try:
        assert c.post("/documents", json={"doc_id": "q.txt", "text": "Guards met."}).status_code == 503
    finally:
        c.app.state.writes = 0
    samples = metrics(c)
    assert samples[("qa_shed_requests_total", (("reason", "inference_queue"),))] == 1
    assert samples[("qa_shed_requests_total", (("reason", "write_queue"),))] == 1


# -- logs and request ids --------------------------------------------------------------------------------------


def test_access_line_per_request_with_request_id(workspace, api_keys, caplog):
    """One JSON line per request; a plain X-Request-ID is kept and echoed, anything else replaced."""
    caplog.set_level(logging.INFO, logger="app.access")
    client = app_client(workspace)
    ok = client.post("/ask", json={"question": QUESTION}, headers={"X-Request-ID": "req-1.A_b", **api_keys.read_headers})
    assert ok.headers["x-request-id"] == "req-1.A_b"
    bad_ids = ["has space", "x" * 65, "semi;colon", "ünicode"]
    echoed = [client.get("/health", headers={"X-Request-ID": bad.encode()}).headers["x-request-id"] for bad in bad_ids]
    assert all(len(rid) == 32 and rid.isalnum() and rid not in bad_ids for rid in echoed)
    assert len(set(echoed)) == len(echoed)
    lines = access_lines(caplog)
    assert len(lines) == 1 + len(bad_ids)
    line = lines[0]
    assert line["request_id"] == "req-1.A_b" and line["method"] == "POST" and line["route"] == "/ask"
    assert line["status"] == 200 and line["latency_ms"] > 0 and line["key"] == "test-reader"
    assert line["answered"] is True and 0 < line["confidence"] <= 1 and "time" in line
    assert "question" not in line  # RAG_LOG_QUESTIONS is off by default
    assert [entry["request_id"] for entry in lines[1:]] == echoed
    assert api_keys.read not in caplog.text


def test_questions_are_logged_only_when_asked_to(workspace, caplog):
    """With RAG_LOG_QUESTIONS=true the access line of /ask and /search carries the question."""
    caplog.set_level(logging.INFO, logger="app.access")
    client = app_client(workspace, log_questions=True)
    client.post("/ask", json={"question": QUESTION})
    client.post("/search", json={"query": "border conference"})
    assert [line.get("question") for line in access_lines(caplog)] == [QUESTION, "border conference"]


def test_audit_line_for_every_write(workspace, api_keys, caplog):
    """Uploads and deletions, done or refused, leave an audit line naming the key, the document and the result."""
    caplog.set_level(logging.INFO, logger="app.audit")
    client = app_client(workspace)
    doc = {"doc_id": "audit/a.txt", "text": "Guards met in Osh."}
    assert client.post("/documents", json=doc, headers=api_keys.admin_headers).status_code == 201
    assert client.post("/documents", json=doc, headers=api_keys.read_headers).status_code == 403
    assert client.delete("/documents/audit/a.txt").status_code == 401
    assert client.delete("/documents/audit/a.txt", headers=api_keys.admin_headers).status_code == 200
    assert client.delete("/documents/audit/a.txt", headers=api_keys.admin_headers).status_code == 404
    audit = [(a["action"], a["key"], a["doc_id"], a["result"], a["status"]) for a in access_lines(caplog, "app.audit")]
    assert audit == [
        ("upload", "test-admin", "audit/a.txt", "added", 201),
        ("upload", "test-reader", None, "refused", 403),
        ("delete", None, "audit/a.txt", "refused", 401),
        ("delete", "test-admin", "audit/a.txt", "removed", 200),
        ("delete", "test-admin", "audit/a.txt", "failed", 404),
    ]
    assert api_keys.admin not in caplog.text and api_keys.read not in caplog.text


# -- security headers ------------------------------------------------------------------------------------------


def test_security_headers_on_every_response(workspace, api_keys):
    """nosniff and no-referrer on JSON, errors, the page, assets, metrics and 413s; the page keeps its CSP."""
    client = app_client(workspace)
    responses = [
        client.post("/ask", json={"question": QUESTION}),
        client.get("/documents/missing.txt"),
        client.post("/ask", json={"question": ""}),
        client.post("/documents", json={"doc_id": "a.txt", "text": "x"}),
        client.post("/search", content=b"x" * 70_000, headers={"content-type": "application/json"}),
        client.get("/"),
        client.get("/static/chat.css"),
        client.get("/metrics"),
        client.get("/nowhere"),
    ]
    assert [r.status_code for r in responses] == [200, 404, 422, 401, 413, 200, 200, 200, 404]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-request-id"]
    assert "default-src 'self'" in responses[5].headers["content-security-policy"]
    assert len(responses[5].headers.get_list("x-content-type-options")) == 1  # not doubled by the page's own


def test_an_unreadable_index_is_a_500_with_headers_and_makes_the_service_unready(workspace):
    """A corrupted index version answers JSON 500s that still carry the headers and request id; /ready says why."""
    with app_client(workspace) as client:
        client.app.state.readiness.warm.wait(120)
        store = workspace.pipeline.store
        broken = store.versions / "99999999T999999-broken"
        shutil.copytree(store.current(), broken)
        (broken / "chunks.npy").write_bytes(b"not an array")
        (store.root / "CURRENT").write_text(broken.name)
        response = client.post("/ask", json={"question": QUESTION}, headers={"X-Request-ID": "broken-1"})
        assert response.status_code == 500
        assert "broken-1" in response.json()["detail"] and response.headers["x-request-id"] == "broken-1"
        assert response.headers["x-content-type-options"] == "nosniff"
        ready = client.get("/ready")
        assert ready.status_code == 503 and "index cannot be read" in ready.json()["reason"]
        assert client.get("/metrics").status_code == 200  # the scrape survives a broken index


# -- readiness -------------------------------------------------------------------------------------------------


def test_ready_after_warm_up_and_health_always(workspace):
    """Before start-up /ready is 503 "warming up" while /health is 200; once warm, /ready is 200."""
    app = create_app(make_settings(workspace.index), pipeline=workspace.pipeline)
    cold = TestClient(app)  # no lifespan yet: nothing has warmed the models
    assert cold.get("/health").status_code == 200
    response = cold.get("/ready")
    assert response.status_code == 503 and response.json() == {
        "status": "not ready", "reason": response.json()["reason"], "details": {"ocr": OCR_DETAIL}
    }
    assert "warming up" in response.json()["reason"]
    with TestClient(app) as warm:
        app.state.readiness.warm.wait(120)
        assert warm.get("/ready").json() == {"status": "ready", "reason": None, "details": {"ocr": OCR_DETAIL}}
        assert warm.head("/ready").status_code == 200


def test_not_ready_without_an_index(tmp_path):
    """A server over an empty index folder is alive but not ready, and says how to fix it."""
    with TestClient(create_app(make_settings(tmp_path / "index"))) as client:
        assert client.get("/health").json()["documents"] == 0
        client.app.state.readiness.warm.wait(120)
        response = client.get("/ready")
        assert response.status_code == 503 and "python -m app ingest" in response.json()["reason"]


# -- document ids ----------------------------------------------------------------------------------------------

# httpx removes literal "/../" segments before sending (tests/api/test_service.py sends them raw to a real server).
ESCAPING_IDS = [
    ("dotdot", "..%2Fetc%2Fpasswd"),
    ("encoded-dotdot", "%2e%2e/%2e%2e/etc/passwd"),
    ("inner-dotdot", "reports%2F..%2F..%2Fsecret.txt"),
    ("absolute", "/etc/passwd"),
    ("backslash", "..%5Cwindows%5Cwin.ini"),
    ("control", "a%01b.txt"),
    ("newline", "a%0Ab.txt"),
    ("too-long", "a" * 513),
]


@pytest.mark.parametrize("path", [p for _, p in ESCAPING_IDS], ids=[i for i, _ in ESCAPING_IDS])
def test_path_doc_ids_that_escape_are_422(workspace_client, path):
    """GET and DELETE of ids that escape ('..', absolute, backslash, control character, > 512) are 422."""
    before = workspace_client.get("/documents").json()
    for method in ("get", "delete"):
        response = getattr(workspace_client, method)("/documents/" + path)
        assert response.status_code == 422, (method, response.text)
        assert "doc_id" in response.json()["detail"]
    assert workspace_client.get("/documents").json() == before


def test_upload_ids_over_512_characters_are_422(workspace_client):
    """An uploaded id may be 512 characters, not more."""
    ok = workspace_client.post("/documents", json={"doc_id": "b" * 512, "text": "Guards met in Osh."})
    assert ok.status_code == 201
    long = workspace_client.post("/documents", json={"doc_id": "b" * 513, "text": "Guards met in Osh."})
    assert long.status_code == 422 and "512" in long.json()["detail"]
