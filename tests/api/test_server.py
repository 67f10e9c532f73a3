"""The API served by a real uvicorn process (`python -m app serve`), as deployed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import BISHKEK, BOROVOE, PYTHON, ROOT, TASHKENT, free_port, stop, subprocess_env, wait_healthy

pytestmark = pytest.mark.slow


def start_server(index: Path, log: Path, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "app", "serve", "--index", str(index), "--port", str(port)],
        cwd=ROOT, env=subprocess_env(**env), stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed):
    """uvicorn over a copy of the seed index on a free port, healthy before the first test."""
    root = tmp_path_factory.mktemp("server")
    shutil.copytree(seed.index, root / "index")
    log = root / "server.log"
    process, url = start_server(root / "index", log)
    try:
        wait_healthy(process, url, log, timeout=120)
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client
    finally:
        stop(process)


def test_health_over_http(server):
    """The served index reports its five documents and the e5-small encoder."""
    body = server.get("/health").json()
    assert body["status"] == "ok" and body["documents"] == 5 and body["encoder"] == "e5-small"


def test_ask_in_russian_over_http(server):
    """A Russian question is answered with the count from the Borovoe seed."""
    response = server.post("/ask", json={"question": "Сколько человек приняли участие в конференции в Боровом?"})
    assert response.status_code == 200
    answer = response.json()["answer"]
    assert answer["doc_id"] == BOROVOE and "50" in answer["text"]
    text = server.get(f"/documents/{BOROVOE}").json()["text"]
    assert text[answer["start"]:answer["end"]] == answer["text"]


def test_ask_in_english_over_http(server):
    """An English question is answered with the name from the Bishkek seed."""
    body = server.post("/ask", json={"question": "Who is the head of the OSCE Centre in Bishkek?", "top_k": 2}).json()
    assert body["answer"]["doc_id"] == BISHKEK and body["answer"]["text"] == "Sergey Kapinos"
    assert len(body["passages"]) == 2


def test_cross_language_over_http(server):
    """An English question is answered from a Russian document over HTTP too."""
    question = "When was the fifth round of bilateral consultations held in Tashkent?"
    body = server.post("/ask", json={"question": question}).json()
    assert body["answer"] is not None and body["answer"]["doc_id"] == TASHKENT
    assert "5 апреля" in body["answer"]["text"]


def test_upload_and_delete_over_http(server, api_keys):
    """A multipart upload with the admin key is answerable at once and gone after DELETE."""
    created = server.post("/documents", files={"file": ("naryn.txt", "The Naryn outpost has 31 guards.".encode(),
                                                        "text/plain")}, headers=api_keys.admin_headers)
    assert created.status_code == 201, created.text
    body = server.post("/ask", json={"question": "How many guards does the Naryn outpost have?"}).json()
    assert body["answer"]["doc_id"] == "naryn.txt" and "31" in body["answer"]["text"]
    assert server.delete("/documents/naryn.txt", headers=api_keys.admin_headers).status_code == 200
    assert server.get("/documents/naryn.txt").status_code == 404


def test_errors_over_http(server):
    """Validation errors keep their status and detail through uvicorn."""
    response = server.post("/ask", json={"question": "", "top_k": 5})
    assert response.status_code == 422 and "question" in response.json()["detail"]
    assert server.get("/openapi.json").status_code == 200


def test_server_refuses_to_start_on_mismatched_index(tmp_path, seed):
    """`serve` with RAG_ENCODER=use-m3 on an e5-small index exits with an error naming both encoders."""
    shutil.copytree(seed.index, tmp_path / "index")
    log = tmp_path / "server.log"
    process, url = start_server(tmp_path / "index", log, RAG_ENCODER="use-m3")
    try:
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            stop(process)
    output = log.read_text(errors="replace")
    assert process.returncode != 0
    assert "e5-small" in output and "use-m3" in output
