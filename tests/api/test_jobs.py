"""Uploads that need OCR, or are large, become ingest jobs: 202 with a job id, GET /jobs/{id} until done, then the
document answers. The queue is bounded (503 with Retry-After), spooled to disk and resumed by a restarted app;
a machine without tesseract still serves, says so on /ready and refuses scans with a clear 422."""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import ExitStack

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.ingest.ocr import ocr_problem
from app.pipeline import Pipeline
from tests.conftest import PYTHON, ROOT, free_port, make_settings, stop, subprocess_env, wait_healthy
from tests.ingest.test_ocr import FONT, RUSSIAN, RUSSIAN_ANSWER, RUSSIAN_QUESTION, page_image, png, scanned_pdf

needs_ocr = pytest.mark.skipif(
    ocr_problem("rus+eng+kaz") is not None or not FONT.exists(), reason="tesseract or the DejaVu font is missing"
)


def wait_job(client, job_id: str, timeout: float = 240.0) -> dict:
    """Poll GET /jobs/{id} until the job has ended (deadline ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s"
        time.sleep(0.2)


def upload(client, name: str, data: bytes):
    return client.post("/documents", files={"file": (name, data, "application/octet-stream")})


@pytest.fixture
def make_client(tmp_path, seed, encoder, api_keys):
    """``make_client(lifespan=True, **settings)``: an admin client over one private copy of the seed index (the
    same copy for every client of a test, as a restarted server would find it). Without lifespan the job worker
    never starts: jobs stay queued."""
    index = tmp_path / "index"
    shutil.copytree(seed.index, index)
    with ExitStack() as stack:

        def make(lifespan: bool = True, **overrides) -> TestClient:
            settings = make_settings(index, **overrides)
            app = create_app(settings, pipeline=Pipeline(settings, encoder=encoder))
            client = TestClient(app, raise_server_exceptions=False, headers=api_keys.admin_headers)
            return stack.enter_context(client) if lifespan else client

        yield make


@needs_ocr
def test_a_scan_is_answered_202_then_ingested_as_a_job_and_answered_from(workspace_client):
    client = workspace_client
    response = upload(client, "scan.pdf", scanned_pdf(RUSSIAN))
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] in ("queued", "running") and job["doc_id"] == "scan.pdf" and job["file_type"] == ".pdf"
    assert response.headers["location"] == f"/jobs/{job['id']}"

    ended = wait_job(client, job["id"])
    assert ended["status"] == "done", ended
    assert ended["result"]["status"] == "added" and ended["result"]["chunks"] > 0
    assert ended["started_at"] and ended["finished_at"] and ended["attempts"] == 1

    answer = client.post("/ask", json={"question": RUSSIAN_QUESTION}).json()["answer"]
    assert answer["doc_id"] == "scan.pdf" and answer["sentence"] == RUSSIAN_ANSWER
    text = client.get("/documents/scan.pdf").json()["text"]
    assert text[answer["sentence_start"] : answer["sentence_end"]] == RUSSIAN_ANSWER
    assert not list((client.workspace.index / "jobs").glob("*.upload"))  # the spooled file goes once done


def test_small_files_stay_synchronous_and_large_ones_become_jobs(make_client):
    client = make_client(job_min_bytes=1_000)
    small = upload(client, "small.txt", "Пограничники Нарына задержали трёх нарушителей.".encode())
    assert small.status_code == 201 and small.json()["status"] == "added"
    large_text = "Отряд в Оше провёл учения на перевале Талдык. " * 15  # 1,230 bytes
    large = upload(client, "large.txt", large_text.encode())
    assert large.status_code == 202, large.text
    ended = wait_job(client, large.json()["id"])
    assert ended["status"] == "done" and ended["result"]["doc_id"] == "large.txt"
    assert client.get("/documents/large.txt").json()["text"].startswith("Отряд в Оше")


def test_jobs_need_the_admin_key(make_client, api_keys):
    client = make_client(job_min_bytes=10)
    job_id = upload(client, "note.txt", "Совещание в Хоргосе прошло 3 марта.".encode()).json()["id"]
    assert client.get(f"/jobs/{job_id}", headers=api_keys.read_headers).status_code == 403
    assert client.get(f"/jobs/{job_id}", headers={"Authorization": ""}).status_code == 401
    assert wait_job(client, job_id)["status"] == "done"
    for unknown in ("0" * 32, "not-a-job", "a" * 33):
        response = client.get(f"/jobs/{unknown}")
        assert response.status_code == 404 and "unknown job" in response.json()["detail"]


@needs_ocr
def test_a_full_queue_is_503_and_a_restart_resumes_the_spooled_jobs(make_client):
    # No lifespan: no worker, so the first job stays queued and fills the queue of one.
    first = make_client(lifespan=False, max_queued_jobs=1)
    queued = upload(first, "scan.pdf", scanned_pdf(RUSSIAN))
    assert queued.status_code == 202
    full = upload(first, "other.png", png(page_image(RUSSIAN[:1], (1200, 400))))
    assert full.status_code == 503 and int(full.headers["retry-after"]) > 0
    assert "1 ingest jobs are already queued" in full.json()["detail"]
    assert first.get(f"/jobs/{queued.json()['id']}").json()["status"] == "queued"

    restarted = make_client(max_queued_jobs=1)  # a new app on the same index folder: it takes the job up
    ended = wait_job(restarted, queued.json()["id"])
    assert ended["status"] == "done", ended
    answer = restarted.post("/ask", json={"question": RUSSIAN_QUESTION}).json()["answer"]
    assert answer["doc_id"] == "scan.pdf" and answer["sentence"] == RUSSIAN_ANSWER


@needs_ocr
def test_bad_files_are_4xx_at_once_or_a_failed_job_and_lose_nothing(make_client):
    from fpdf import FPDF

    client = make_client()
    before = client.get("/documents").json()
    encrypted = FPDF()
    encrypted.add_page()
    encrypted.set_font("Helvetica", size=12)
    encrypted.multi_cell(0, 8, "Secret patrol schedule.")
    encrypted.set_encryption(owner_password="owner", user_password="user")
    response = upload(client, "locked.pdf", bytes(encrypted.output()))
    assert response.status_code == 422 and "encrypted PDF" in response.json()["detail"]

    corrupt = upload(client, "broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    assert corrupt.status_code == 422 and "unreadable image" in corrupt.json()["detail"]
    bomb = make_client(ocr_max_pixels=1_000_000)
    too_big = upload(bomb, "huge.png", png(page_image(RUSSIAN[:1], (1500, 1000))))
    assert too_big.status_code == 413 and "RAG_OCR_MAX_PIXELS" in too_big.json()["detail"]

    # A scan with nothing to read: accepted as a job, which fails with the status an upload would have had.
    blank = FPDF()
    blank.add_page()
    blank.image(png(page_image([], (1240, 1754))), x=0, y=0, w=210, h=297)
    job = upload(client, "blank.pdf", bytes(blank.output()))
    assert job.status_code == 202
    ended = wait_job(client, job.json()["id"])
    assert ended["status"] == "failed" and ended["error_status"] == 422 and "no text" in ended["error"]

    assert client.get("/documents").json() == before
    assert not list((client.app.state.pipeline.settings.index_dir / "jobs").glob("*.upload"))


@pytest.mark.slow
@pytest.mark.skipif(not FONT.exists(), reason=f"{FONT} is missing")
def test_without_tesseract_the_server_starts_and_refuses_scans_clearly(tmp_path, seed, api_keys):
    """A real server whose PATH has no tesseract: ready, /ready says OCR is unavailable, a scan gets 422."""
    index = tmp_path / "index"
    shutil.copytree(seed.index, index)
    log = tmp_path / "server.log"
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "app", "serve", "--index", str(index), "--port", str(port)],
        cwd=ROOT,
        env=subprocess_env(PATH=str(ROOT / ".venv" / "bin")),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url, log)
        ready = httpx.get(f"{url}/ready", timeout=10).json()
        assert ready["status"] == "ready"
        assert ready["details"]["ocr"] == "unavailable: tesseract is not installed"
        image = png(page_image(RUSSIAN[:1], (1200, 400)))
        for name, data in (("scan.png", image), ("scan.pdf", scanned_pdf(RUSSIAN[:1]))):
            response = httpx.post(
                f"{url}/documents",
                files={"file": (name, data, "application/octet-stream")},
                headers=api_keys.admin_headers,
                timeout=60,
            )
            assert response.status_code == 422, response.text
            assert "needs OCR, which is unavailable: tesseract is not installed" in response.json()["detail"]
        text = httpx.post(
            f"{url}/documents",
            json={"doc_id": "note.txt", "text": "Пограничники Нарына задержали трёх нарушителей."},
            headers=api_keys.admin_headers,
            timeout=60,
        )
        assert text.status_code == 201  # everything else works as before
    finally:
        stop(process)
