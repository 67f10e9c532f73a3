"""Shared fixtures: one real index of the seed corpus (e5-small, FAISS, bm25s on disk), built once per session,
cheap copies of it for tests that write, and in-process API clients."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.pipeline import Pipeline
from app.settings import Settings
from tests.leaks import pytest_runtest_teardown, pytest_sessionfinish, pytest_terminal_summary  # noqa: F401  (hooks)

ROOT = Path(__file__).resolve().parents[1]
QA_DATA = ROOT.parent / "shared" / "data" / "qa"  # training and validation data, beside the project
SEED_CORPUS = ROOT / "corpus"

# The seed documents by content (file names are their doc_ids).
BOROVOE = "000_5a5eb2172dcf12eb.txt"  # ru: 3rd border security conference in Borovoe, "более 50 человек"
ISSYK_KUL = "001_cbbf1589787f8c83.txt"  # en: OSCE regional meeting in Issyk-Kul province, 35 representatives
UNODC = "002_5cfd33afcd421555.txt"  # ru: UNODC seminar on UN Security Council Resolution 2396
BISHKEK = "003_e4272607314c6f95.txt"  # en: OSCE Centre in Bishkek, 12th CABSI conference, Sergey Kapinos
TASHKENT = "004_e237da839ca07bef.txt"  # ru: 5th round of Uzbek-Kazakh security consultations, 5 April
RUSSIAN_DOCS = (BOROVOE, UNODC, TASHKENT)
ENGLISH_DOCS = (ISSYK_KUL, BISHKEK)
SEED_DOCS = tuple(sorted(RUSSIAN_DOCS + ENGLISH_DOCS))


def _ocr_detail() -> str:
    from app.ingest.ocr import ocr_problem

    problem = ocr_problem("rus+eng+kaz")
    return f"unavailable: {problem}" if problem else "available"


# What /ready's details say of OCR on this machine with the default RAG_OCR_LANGS.
OCR_DETAIL = _ocr_detail()


# The keys file of every test app and server (the ``api_keys`` fixture writes it before any test runs), so that a
# keys.json in the checkout (from `make run`) never leaks into the tests.
TEST_KEYS_FILE: Path | None = None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Print a failure when it happens, not only in the summary, so that a run cut short still tells why."""
    if report.failed:
        sys.stderr.write(f"\nFAILED {report.nodeid} ({report.when}):\n{report.longreprtext[-4000:]}\n")


def make_settings(index_dir: Path, **overrides) -> Settings:
    """Settings for a test index, independent of any .env file of the checkout; keys from ``api_keys``, no rate
    limit (the tests of the limit set one)."""
    overrides.setdefault("keys_file", TEST_KEYS_FILE)
    overrides.setdefault("rate_limit", "")
    return Settings(index_dir=index_dir, _env_file=None, **overrides)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment of a `python -m app` child: no RAG_* leaking in from the shell, unbuffered output, the test keys
    and no rate limit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"PYTHONUNBUFFERED": "1", "RAG_KEYS_FILE": str(TEST_KEYS_FILE), "RAG_RATE_LIMIT": "", **extra})
    return env


PYTHON = sys.executable


@contextmanager
def full_inference_queue(client) -> Iterator[None]:
    """Inside the block the model thread of ``client``'s app is busy and no question may wait for it: every question
    is shed. The app's warm-up is awaited first: loading the reader needs that thread too."""
    import threading

    assert client.app.state.readiness.warm.wait(120), client.app.state.readiness.failure
    queue = client.app.state.pipeline.inference
    gate = threading.Event()
    blocker = threading.Thread(target=queue.call, args=(gate.wait, 30))
    blocker.start()
    saved = queue.max_waiting
    queue.max_waiting = 0
    try:
        yield
    finally:
        queue.max_waiting = saved
        gate.set()
        blocker.join()


def stop(process) -> None:
    """Terminate a started server, killing it if it does not exit within 20 s."""
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_healthy(process, url: str, log: Path, timeout: float = 300) -> None:
    """Wait until a started `app serve` is ready (/ready: index loaded, encoder warm), failing with its log if it
    exits or hangs."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"server did not become healthy:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


@pytest.fixture(scope="session", autouse=True)
def api_keys(tmp_path_factory) -> SimpleNamespace:
    """A keys file with an admin, a read and a revoked key, used by every test app (make_settings) and server
    (subprocess_env); ``admin_headers`` and ``read_headers`` carry the keys."""
    global TEST_KEYS_FILE
    from app.keys import KeyStore

    store = KeyStore(tmp_path_factory.mktemp("keys") / "keys.json")
    _, admin = store.create("admin", "test-admin")
    _, read = store.create("read", "test-reader")
    _, revoked = store.create("admin", "test-revoked")
    store.revoke("test-revoked")
    TEST_KEYS_FILE = store.path
    return SimpleNamespace(
        file=store.path, admin=admin, read=read, revoked=revoked,
        admin_headers={"Authorization": f"Bearer {admin}"}, read_headers={"Authorization": f"Bearer {read}"},
    )


@pytest.fixture(scope="session")
def seed(tmp_path_factory):
    """A copy of corpus/ ingested once into a temporary index with the default encoder (e5-small)."""
    root = tmp_path_factory.mktemp("seed")
    corpus = root / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = make_settings(root / "index")
    pipeline = Pipeline(settings)
    report = pipeline.ingest_folder(corpus)
    assert not report.failed, report.failed
    return SimpleNamespace(root=root, corpus=corpus, index=root / "index", settings=settings, pipeline=pipeline,
                           report=report)


@pytest.fixture(scope="session")
def pipeline(seed) -> Pipeline:
    """The session pipeline over the seed index. Read-only: tests that write use ``workspace``."""
    return seed.pipeline


@pytest.fixture(scope="session")
def encoder(pipeline):
    """The loaded e5-small encoder, shared so that every test pipeline skips the model load."""
    return pipeline.encoder


@pytest.fixture
def workspace(tmp_path, seed, encoder):
    """A private copy of the seed corpus and index with its own pipeline (same encoder instance)."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(seed.corpus, corpus)
    shutil.copytree(seed.index, index)
    settings = make_settings(index)
    return SimpleNamespace(
        root=tmp_path, corpus=corpus, index=index, settings=settings, pipeline=Pipeline(settings, encoder=encoder)
    )


@pytest.fixture(scope="session")
def client(seed):
    """In-process HTTP client over the session pipeline; lifespan (index check, warm-up) runs."""
    from fastapi.testclient import TestClient

    from app.api.main import create_app

    with TestClient(create_app(seed.settings, pipeline=seed.pipeline)) as test_client:
        yield test_client


@pytest.fixture
def workspace_client(workspace, api_keys):
    """In-process HTTP client over a private index copy, for tests that upload or delete documents: every request
    carries the admin key."""
    from fastapi.testclient import TestClient

    from app.api.main import create_app

    app = create_app(workspace.settings, pipeline=workspace.pipeline)
    with TestClient(app, raise_server_exceptions=False, headers=api_keys.admin_headers) as c:
        c.workspace = workspace
        yield c


def first_numbers(contexts: list[str], parts: list[tuple[int, int, int]] | None) -> list[tuple[int, int, int, str]]:
    """For rule readers in tests: (part, start, end, text) of the first number in each part that has one, offsets
    in the part's context; without parts each context is one part, as `NeuralReader.read` reads them."""
    found = []
    for k, (c, first, last) in enumerate(parts or [(i, 0, len(text)) for i, text in enumerate(contexts)]):
        match = re.search(r"\d+", contexts[c][first:last])
        if match:
            found.append((k, first + match.start(), first + match.end(), match.group()))
    return found
