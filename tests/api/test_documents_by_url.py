"""POST /documents {"url": ...} and `ingest --url` against a web server on loopback: the page indexed, answered
and cited with its URL; refused, unreachable, oversize and non-HTML pages answered 4xx/502 with nothing indexed."""

from __future__ import annotations

import subprocess

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.pipeline import Pipeline
from tests.conftest import PYTHON, ROOT, make_settings, subprocess_env
from tests.ingest.local_web import ARTICLE, ARTICLE_TITLE, Reply, local_web

DOC_ID = "127.0.0.1/news/torugart"


@pytest.fixture
def web():
    with local_web() as server:
        server.routes["/news/torugart"] = Reply(body=ARTICLE.encode())
        server.routes["/loop"] = Reply(302, headers={"Location": "/loop2"})
        server.routes["/loop2"] = Reply(302, headers={"Location": "/loop"})
        server.routes["/big"] = Reply(body=b"<html><body><p>" + b"word " * 400_000 + b"</p></body></html>")
        server.routes["/report.zip"] = Reply(content_type="application/zip", body=b"PK\x03\x04")
        yield server


def _client(workspace, api_keys, **settings) -> TestClient:
    app = create_app(
        make_settings(workspace.index, **settings), pipeline=Pipeline(workspace.settings, encoder=workspace.pipeline.encoder)
    )
    return TestClient(app, raise_server_exceptions=False, headers=api_keys.admin_headers)


def test_article_by_url_is_indexed_answered_and_cited(workspace, web, api_keys):
    url = web.url("/news/torugart")
    with _client(workspace, api_keys, fetch_allow=["127.0.0.1"]) as client:
        created = client.post("/documents", json={"url": url, "collection": "news"})
        assert created.status_code == 201, created.text
        assert created.json()["doc_id"] == DOC_ID and created.json()["status"] == "added"
        doc = client.get(f"/documents/{DOC_ID}").json()
        assert doc["url"] == url and doc["title"] == ARTICLE_TITLE and doc["date"] == "2024-03-14"
        assert doc["collection"] == "news" and doc["lang"] == "en"
        answer = client.post(
            "/ask", json={"question": "How many officers were assigned to the new checkpoint at Torugart?"}
        ).json()
        metrics = client.get("/metrics").text
        assert client.post("/documents", json={"url": url, "collection": "news"}).json()["status"] == "unchanged"
    assert answer["status"] == "answered", answer
    assert answer["answer"]["doc_id"] == DOC_ID and answer["answer"]["url"] == url
    assert "Forty-two officers" in answer["answer"]["sentence"]
    cited = {p["doc_id"]: p["url"] for p in answer["passages"]}
    assert cited[DOC_ID] == url and all(u is None for d, u in cited.items() if d != DOC_ID)  # corpus files: none
    assert 'qa_url_fetches_total{kind="page",outcome="ok"} 1.0' in metrics


@pytest.mark.parametrize(
    "target, status, message",
    [
        ("http://127.0.0.1:{port}/news/torugart", 422, "loopback, private or reserved"),
        ("http://localhost:{port}/news/torugart", 422, "localhost resolves to 127.0.0.1"),
        ("http://[::1]:{port}/news/torugart", 422, "loopback, private or reserved"),
        ("http://10.1.2.3:{port}/news/torugart", 422, "loopback, private or reserved"),
        ("file:///etc/passwd", 422, "only http and https"),
        ("not a url", 422, "only http and https"),
    ],
)
def test_ssrf_attempts_are_refused_by_default(workspace, web, api_keys, target, status, message):
    with _client(workspace, api_keys) as client:
        before = len(client.get("/documents").json())
        response = client.post("/documents", json={"url": target.format(port=web.port)})
        after = len(client.get("/documents").json())
    assert response.status_code == status and message in response.json()["detail"], response.text
    assert after == before and web.hits == {}


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/big", 413, "RAG_FETCH_MAX_BYTES"),
        ("/loop", 422, "redirect loop"),
        ("/report.zip", 415, "application/zip"),
        ("/missing", 502, "404"),
    ],
)
def test_bad_pages_get_a_clear_status_and_lose_nothing(workspace, web, api_keys, path, status, message):
    with _client(workspace, api_keys, fetch_allow=["127.0.0.0/8"], fetch_max_bytes=1_000_000) as client:
        before = client.get("/documents").json()
        response = client.post("/documents", json={"url": web.url(path)})
        assert response.status_code == status and message in response.json()["detail"], response.text
        assert client.get("/documents").json() == before
        assert client.post("/ask", json={"question": "Where is the conference?"}).status_code == 200


def test_url_uploads_need_an_admin_key_and_a_valid_body(workspace, web, api_keys):
    with _client(workspace, api_keys, fetch_allow=["127.0.0.0/8"]) as client:
        anonymous = client.post("/documents", json={"url": web.url("/news/torugart")}, headers={"Authorization": ""})
        reader = client.post("/documents", json={"url": web.url("/news/torugart")}, headers=api_keys.read_headers)
        extra = client.post("/documents", json={"url": web.url("/news/torugart"), "text": "x"})
        long = client.post("/documents", json={"url": "http://x.org/" + "a" * 3000})
    assert anonymous.status_code == 401 and reader.status_code == 403
    assert extra.status_code == 422 and "text" in extra.json()["detail"]
    assert long.status_code == 422
    assert web.hits == {}


def test_ingest_url_command(workspace, web):
    def ingest(*urls: str, **env: str) -> subprocess.CompletedProcess:
        args = [a for u in urls for a in ("--url", u)]
        return subprocess.run(
            [PYTHON, "-m", "app", "ingest", "--index", str(workspace.index), *args, "--collection", "web"],
            cwd=ROOT, env=subprocess_env(**env), capture_output=True, text=True, timeout=300,
        )

    refused = ingest(web.url("/news/torugart"))  # loopback needs the allow-list
    assert refused.returncode == 1 and "RAG_FETCH_ALLOW" in refused.stderr
    done = ingest(web.url("/news/torugart"), web.url("/missing"), RAG_FETCH_ALLOW='["127.0.0.1"]')
    assert done.returncode == 1, done.stderr  # one of the two failed
    assert done.stdout.split() == [DOC_ID] and "404" in done.stderr
    doc = Pipeline(workspace.settings).catalog().documents[DOC_ID]
    assert doc.url == web.url("/news/torugart") and doc.collection == "web" and doc.title == ARTICLE_TITLE
