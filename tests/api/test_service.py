"""The service as deployed (`python -m app serve`, real uvicorn on loopback): JSON logs on stdout with no key in
them, readiness, raw '..' paths, keys created and revoked with the CLI while the server runs."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import time
from urllib.parse import urlsplit

import httpx
import pytest

from app.keys import KeyStore
from tests.api.test_server import start_server
from tests.conftest import BISHKEK, OCR_DETAIL, PYTHON, ROOT, stop, subprocess_env, wait_healthy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory, seed):
    """uvicorn over a copy of the seed index with its own keys file (an admin key), ready before the first test."""
    root = tmp_path_factory.mktemp("service")
    shutil.copytree(seed.index, root / "index")
    store = KeyStore(root / "keys.json")
    _, admin = store.create("admin", "svc-admin")
    log = root / "server.log"
    process, url = start_server(root / "index", log, RAG_KEYS_FILE=str(store.path), RAG_RATE_LIMIT="1000/minute")
    try:
        wait_healthy(process, url, log, timeout=300)
        with httpx.Client(base_url=url, timeout=60) as client:
            yield type("Service", (), {"client": client, "url": url, "log": log, "store": store, "admin": admin,
                                       "process": process})
    finally:
        stop(process)


def json_lines(log_path) -> list[dict]:
    out = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def keys_cli(store, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "app", "keys", *args, "--file", str(store.path)], cwd=ROOT,
                          env=subprocess_env(), capture_output=True, text=True, timeout=120)


def test_access_and_audit_lines_without_the_key(service):
    """One JSON line per request and an audit line per write on stdout; the key is named, never written."""
    c, admin = service.client, {"Authorization": f"Bearer {service.admin}"}
    assert c.post("/ask", json={"question": "Who is the head of the OSCE Centre in Bishkek?"},
                  headers={"X-Request-ID": "svc-ask-1", **admin}).status_code == 200
    assert c.post("/documents", json={"doc_id": "svc/a.txt", "text": "Guards met in Osh."},
                  headers=admin).status_code == 201
    assert c.delete("/documents/svc/a.txt", headers=admin).status_code == 200
    assert c.delete("/documents/svc/a.txt", headers={"Authorization": "Bearer bqa_wrong"}).status_code == 401
    time.sleep(0.5)  # the lines are flushed as written; give the pipe a moment
    lines = json_lines(service.log)
    ask = next(line for line in lines if line.get("request_id") == "svc-ask-1")
    assert ask["route"] == "/ask" and ask["status"] == 200 and ask["key"] == "svc-admin" and ask["answered"] is True
    audits = [line for line in lines if "action" in line]
    assert [(a["action"], a["doc_id"], a["result"], a["status"]) for a in audits[-3:]] == [
        ("upload", "svc/a.txt", "added", 201), ("delete", "svc/a.txt", "removed", 200),
        ("delete", "svc/a.txt", "refused", 401)]
    text = service.log.read_text(errors="replace")
    assert service.admin not in text and "bqa_wrong" not in text
    assert '"GET /ready HTTP/1.1" 200' not in text  # no uvicorn access lines beside ours


def test_ready_and_health_over_http(service):
    """/ready says ready with no reason once warm; /health keeps its fields and names the reader's and encoder's paths."""
    assert service.client.get("/ready").json() == {"status": "ready", "reason": None, "details": {"ocr": OCR_DETAIL}}
    health = service.client.get("/health").json()
    assert set(health) == {"status", "documents", "chunks", "embedding_model", "encoder", "index_built_at", "pid",
                           "languages", "query_encoder", "reader"}
    assert {"ru", "en", "kk", "ky", "uz", "tg"} <= set(health["languages"])
    assert health["reader"] in ("openvino-bf16", "openvino-fp32")
    # Warm: the questions' encoder is loaded, and says which engine runs e5-small's weights.
    assert "multilingual-e5-small" in health["query_encoder"] and "OpenVINO" in health["query_encoder"]


@pytest.mark.parametrize("raw", ["/documents/../keys.json", "/documents/reports/../../etc/passwd",
                                 "/documents/a/./b.txt", "/documents/%2Fetc%2Fpasswd"])
def test_raw_dot_segments_are_422(service, raw):
    """Paths sent exactly as written (no client normalisation) with '..' or '.' segments get 422 for GET and DELETE."""
    parts = urlsplit(service.url)
    for method in ("GET", "DELETE"):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request(method, raw, headers={"Authorization": f"Bearer {service.admin}"})
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        assert response.status == 422 and "doc_id" in body["detail"], (method, raw, body)
    assert len(service.client.get("/documents").json()) == 5


def test_keys_created_and_revoked_with_the_cli_apply_without_restart(service):
    """`keys create` then `keys revoke` against the running server's file: accepted, then refused."""
    created = keys_cli(service.store, "create", "--role", "read", "--name", "svc-late")
    assert created.returncode == 0, created.stderr
    headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
    assert service.client.get(f"/documents/{BISHKEK}", headers=headers).status_code == 200
    assert service.client.post("/documents", json={"doc_id": "x.txt", "text": "x"}, headers=headers).status_code == 403
    assert keys_cli(service.store, "revoke", "svc-late").returncode == 0
    assert service.client.get(f"/documents/{BISHKEK}", headers=headers).status_code == 401


def test_metrics_over_http(service):
    """/metrics is Prometheus text with route templates, counted by the real server."""
    text = service.client.get("/metrics").text
    assert 'qa_http_requests_total{method="POST",route="/ask",status="200"}' in text
    assert "qa_index_documents 5.0" in text and "qa_inference_queue_depth" in text


def test_a_server_started_without_keys_refuses_writes(tmp_path, seed):
    """`serve` with no keys file answers reads and refuses writes with the command that creates a key."""
    shutil.copytree(seed.index, tmp_path / "index")
    log = tmp_path / "server.log"
    process, url = start_server(tmp_path / "index", log, RAG_KEYS_FILE=str(tmp_path / "none.json"))
    try:
        wait_healthy(process, url, log, timeout=300)
        response = httpx.post(f"{url}/documents", json={"doc_id": "a.txt", "text": "Guards met."}, timeout=60)
        assert response.status_code == 401 and "keys create --role admin" in response.json()["detail"]
        assert httpx.get(f"{url}/documents", timeout=60).status_code == 200
    finally:
        stop(process)
