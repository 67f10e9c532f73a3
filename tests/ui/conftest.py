"""Fixtures of the browser tests: a real API server over a fresh index of the seed corpus, a plain static
server on another port for a third-party host page, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from tests.conftest import ROOT, free_port, stop, wait_healthy

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="session")
def host_site(tmp_path_factory):
    """A plain http.server on its own port, standing in for a third-party site that embeds the widget."""
    root = tmp_path_factory.mktemp("host-site")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    # `other_origin` is the same server under another host name: an origin the API does not allow.
    yield SimpleNamespace(root=root, origin=f"http://127.0.0.1:{port}", other_origin=f"http://localhost:{port}")
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_endpoint() -> str:
    """The URL of a local port nothing listens on: a server that is down."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def api_server(tmp_path_factory, host_site, api_keys):
    """`python -m app ingest` of a copy of corpus/, then `python -m app serve` (uvicorn) on a free port; its
    ``client`` carries the admin key (the tests upload documents)."""
    work = tmp_path_factory.mktemp("api")
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    env = {
        **os.environ,
        "RAG_INDEX_DIR": str(index),
        "RAG_CORS_ORIGINS": json.dumps([host_site.origin]),
        "RAG_KEYS_FILE": str(api_keys.file),
        "RAG_RATE_LIMIT": "",
        "PYTHONUNBUFFERED": "1",
    }
    ingest = subprocess.run(
        [sys.executable, "-m", "app", "ingest", "--corpus", str(corpus), "--index", str(index)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if ingest.returncode != 0:
        pytest.fail(f"ingest failed ({ingest.returncode}):\n{ingest.stdout}\n{ingest.stderr}")

    port = free_port()
    log_path = work / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--index", str(index), "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url, log_path)
        client = httpx.Client(base_url=url, timeout=60, headers=api_keys.admin_headers)
        yield SimpleNamespace(url=url, log=log_path, client=client, index=index, env=env)
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def keyed_server(tmp_path_factory, api_server, host_site):
    """A second server over the same index with RAG_READ_AUTH=true and RAG_RATE_LIMIT=3/minute, and a keys file of
    read keys for the widget's data-key (one per test, so each has its own budget)."""
    from app.keys import KeyStore

    work = tmp_path_factory.mktemp("keyed")
    store = KeyStore(work / "keys.json")
    keys = {name: store.create("read", name)[1] for name in ("widget-en", "widget-ru")}
    env = {**api_server.env, "RAG_KEYS_FILE": str(store.path), "RAG_READ_AUTH": "true", "RAG_RATE_LIMIT": "3/minute"}
    port = free_port()
    log_path = work / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--index", str(api_server.index), "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url, log_path)
        yield SimpleNamespace(url=url, log=log_path, keys=keys)
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium (`apt-get install -y chromium`), headless."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium):
    """Factory of pages in fresh browser contexts; fails the test on any uncaught JavaScript error."""
    contexts, errors = [], []

    def make(locale: str = "en-US", width: int = 1280, height: int = 900):
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": height})
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
