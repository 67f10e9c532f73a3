"""`python -m app serve --workers 2`: worker processes share one port and one index folder, and a document uploaded
through one worker is answered by every worker."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from tests.conftest import PYTHON, ROOT, free_port, subprocess_env, wait_healthy

pytestmark = pytest.mark.slow

FACT = "The Kara-Suu checkpoint has 47 inspection lanes."
QUESTION = "How many inspection lanes does the Kara-Suu checkpoint have?"
PARALLEL = 4  # connections opened at once per round, so that more than one worker is free to accept them


def start(index: Path, log: Path, workers: int, **env: str) -> tuple[subprocess.Popen, str]:
    """`serve --workers N` in a process group of its own (the supervisor and its workers end together)."""
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "app", "serve", "--index", str(index), "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env=subprocess_env(**env), stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL if it is not gone within 30 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def local_port(response: httpx.Response) -> int:
    """The client-side port of the TCP connection a response came on."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def on_one_connection(url: str, method: str, path: str, **kwargs) -> tuple[httpx.Response, int]:
    """A request on a new connection, then GET /health on the same one: the response and the pid of the worker
    that served it (a connection is accepted, and all its requests served, by one worker)."""
    with httpx.Client(base_url=url, timeout=120) as client:
        response = client.request(method, path, **kwargs)
        port = local_port(response)
        health = client.get("/health")
        assert local_port(health) == port, "the client opened a second connection"
    return response, health.json()["pid"]


def in_rounds(url: str, method: str, path: str, done, timeout: float = 180, **kwargs) -> list[tuple]:
    """Rounds of PARALLEL new connections until ``done(results)``; every (response, pid) so far."""
    results: list[tuple[httpx.Response, int]] = []
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(PARALLEL) as pool:
        while not done(results):
            assert time.monotonic() < deadline, f"gave up after {len(results)} requests: {[p for _, p in results]}"
            results += pool.map(lambda _: on_one_connection(url, method, path, **kwargs), range(PARALLEL))
    return results


@pytest.fixture(scope="module")
def workers(tmp_path_factory, seed) -> Iterator[SimpleNamespace]:
    """Two workers over a copy of the seed index, both ready (index loaded, models warm) before the first test."""
    root = tmp_path_factory.mktemp("workers")
    shutil.copytree(seed.index, root / "index")
    log = root / "server.log"
    # Rounds of parallel questions on a slow machine can make a worker's expected wait exceed RAG_MAX_WAIT_MS, and its
    # 503 is admission control (tested on its own), not what these tests check: only the queue's length bounds here.
    process, url = start(root / "index", log, workers=2, RAG_MAX_WAIT_MS="0")
    try:
        wait_healthy(process, url, log)
        ready = in_rounds(url, "GET", "/ready", lambda rs: len({p for r, p in rs if r.status_code == 200}) >= 2)
        yield SimpleNamespace(process=process, url=url, log=log, pids={p for r, p in ready if r.status_code == 200})
    finally:
        stop_group(process)


def test_two_workers_serve_one_port(workers):
    """Two worker processes answer on the port; the supervisor that started them serves nothing itself."""
    assert len(workers.pids) == 2 and workers.process.pid not in workers.pids


def test_upload_through_one_worker_is_answered_by_both(workers, api_keys):
    """A document uploaded through one worker is answered, with its fact, by both workers."""
    created, writer = on_one_connection(
        workers.url, "POST", "/documents", headers=api_keys.admin_headers,
        files={"file": ("kara-suu.txt", FACT.encode(), "text/plain")},
    )
    assert created.status_code == 201, created.text
    assert writer in workers.pids

    def answered(results) -> set[int]:
        ok = [(r.json()["answer"], pid) for r, pid in results if r.status_code == 200]
        return {pid for answer, pid in ok if answer and answer["doc_id"] == "kara-suu.txt"}

    results = in_rounds(workers.url, "POST", "/ask", lambda rs: len(answered(rs)) >= 2, json={"question": QUESTION})
    assert answered(results) == workers.pids
    for response, _ in results:
        assert response.status_code == 200
        answer = response.json()["answer"]
        # Every answer, from either worker and from the first request on, is the new document's fact.
        assert answer["doc_id"] == "kara-suu.txt" and "47" in answer["text"], answer


def test_workers_refuse_a_mismatched_index(tmp_path, seed):
    """With an index built by another encoder the workers cannot start and `serve` exits with uvicorn's start-up
    failure code (3), naming both encoders."""
    shutil.copytree(seed.index, tmp_path / "index")
    log = tmp_path / "server.log"
    process, _ = start(tmp_path / "index", log, workers=2, RAG_ENCODER="use-m3")
    try:
        process.wait(timeout=120)
    finally:
        stop_group(process)
    output = log.read_text(errors="replace")
    assert process.returncode == 3, output
    assert "e5-small" in output and "use-m3" in output
