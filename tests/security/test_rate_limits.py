"""Rate limits as deployed: one count per caller for every server process sharing a real Redis
(RAG_RATE_LIMIT_STORAGE), a public widget key counted per client address, and a Redis outage that is no server
error.

The servers are real `python -m app serve` processes on loopback over an empty index (GET /documents is a read that
needs no model); clients are bound to other loopback addresses (127.0.0.2, 127.0.0.3) to be different callers.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from app.api import ratelimit
from app.api.ratelimit import RateLimit
from app.keys import KeyStore
from app.settings import Settings
from tests.conftest import PYTHON, ROOT, free_port, stop, subprocess_env

LIMIT = 4  # requests per minute per caller in these tests


def start_api(folder: Path, name: str, **env: str) -> tuple[subprocess.Popen, str, Path]:
    """`python -m app serve` on a free loopback port over an empty index in ``folder``, answering /health; returns
    the process, its URL and its log (the JSON access lines are on stdout)."""
    port = free_port()
    log = folder / f"{name}.log"
    process = subprocess.Popen(
        [PYTHON, "-m", "app", "serve", "--index", str(folder / f"{name}-index"), "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        # The heuristic reader: no span reader to load, so the server is up in a second and stops at once.
        env=subprocess_env(RAG_READER="heuristic", **env),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url, log
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"{name} did not answer /health:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def client_from(address: str, **kwargs) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (any of 127.0.0.0/8)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10, **kwargs)


def access_lines(log: Path, route: str, count: int) -> list[dict]:
    """The last ``count`` access-log lines of ``route``, waiting (a few seconds at most) for the server to log them."""
    deadline = time.monotonic() + 5
    while True:
        lines = []
        for text in log.read_text(errors="replace").splitlines():
            if text.startswith("{") and f'"route": "{route}"' in text:
                lines.append(json.loads(text))
        if len(lines) >= count or time.monotonic() > deadline:
            return lines[-count:]
        time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """Debian's redis-server on a free loopback port, nothing saved to disk."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (.ci/run installs Debian's)")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=(folder / "redis.log").open("wb"), stderr=subprocess.STDOUT,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                pytest.fail(f"redis-server did not start:\n{(folder / 'redis.log').read_text(errors='replace')}")
            time.sleep(0.05)
    server = SimpleNamespace(url=f"redis://127.0.0.1:{port}/0", client=client, process=process)
    try:
        yield server
    finally:
        client.close()
        stop(server.process)  # a test that restarts Redis leaves the new process here


@pytest.fixture
def redis_url(redis_server) -> str:
    """The shared Redis, emptied: each test starts with fresh counts."""
    redis_server.client.flushall()
    return redis_server.url


@pytest.fixture(scope="module")
def servers(tmp_path_factory, redis_server) -> Iterator[SimpleNamespace]:
    """Two API servers (as two replicas) sharing one Redis for their rate limits, reads needing a key."""
    folder = tmp_path_factory.mktemp("replicas")
    store = KeyStore(folder / "keys.json")
    _, reader = store.create("read", "app")
    env = {"RAG_KEYS_FILE": str(store.path), "RAG_READ_AUTH": "true", "RAG_RATE_LIMIT": f"{LIMIT}/minute",
           "RAG_RATE_LIMIT_STORAGE": redis_server.url}
    started = []
    try:
        for name in ("a", "b"):
            started.append(start_api(folder, name, **env))
        yield SimpleNamespace(urls=[url for _, url, _ in started], logs=[log for _, _, log in started], store=store,
                              reader={"Authorization": f"Bearer {reader}"})
    finally:
        for process, _, _ in started:
            stop(process)


@pytest.mark.slow
def test_rate_limit_shared_across_processes(servers, redis_url):
    """Two server processes sharing Redis enforce one combined limit for a key: requests spread over both are
    refused once the key has made LIMIT in all, not LIMIT in each."""
    statuses = []
    with client_from("127.0.0.1", headers=servers.reader) as client:
        for i in range(LIMIT + 2):  # alternately to each server
            statuses.append(client.get(f"{servers.urls[i % 2]}/documents").status_code)
    assert statuses == [200] * LIMIT + [429, 429], statuses


@pytest.mark.slow
def test_public_key_allowance_per_client_address(servers, redis_url):
    """A public read key (the widget's, sent by every visitor) is limited per key and client address: two browsers
    with the same key each get the whole allowance, over both servers; a private key stays one caller wherever it
    calls from."""
    _, widget = servers.store.create("read", "widget", public=True)
    try:
        for address in ("127.0.0.2", "127.0.0.3"):
            with client_from(address, headers={"Authorization": f"Bearer {widget}"}) as browser:
                statuses = [browser.get(f"{servers.urls[i % 2]}/documents").status_code for i in range(LIMIT + 1)]
            assert statuses == [200] * LIMIT + [429], (address, statuses)
        private = []
        for address in ("127.0.0.2", "127.0.0.3"):
            with client_from(address, headers=servers.reader) as client:
                private += [client.get(f"{servers.urls[0]}/documents").status_code for _ in range(LIMIT // 2 + 1)]
        assert private.count(200) == LIMIT, private
    finally:
        servers.store.revoke("widget")


@pytest.mark.slow
def test_public_key_refusal_names_key_and_address(servers, redis_url):
    """The 429 of a public key says the limit is for this key from this address, and the access log names the key
    and the caller's own address."""
    _, widget = servers.store.create("read", "widget-log", public=True)
    try:
        with client_from("127.0.0.4", headers={"Authorization": f"Bearer {widget}"}) as browser:
            responses = [browser.get(f"{servers.urls[0]}/documents") for _ in range(LIMIT + 1)]
        assert responses[-1].status_code == 429 and int(responses[-1].headers["Retry-After"]) >= 1
        assert "this key from this address" in responses[-1].json()["detail"]
        lines = access_lines(servers.logs[0], "/documents", LIMIT + 1)
        assert {(line["key"], line["client"]) for line in lines} == {("widget-log", "127.0.0.4")}
    finally:
        servers.store.revoke("widget-log")


def test_rate_limit_storage_outage_falls_back_to_process_counts(redis_server, redis_url, monkeypatch, caplog):
    """When Redis stops answering, requests are counted in the process (never an exception, so never a 500) and the
    outage is logged once; when it answers again the shared counts are used again, and that is logged too."""
    monkeypatch.setattr(ratelimit, "STORAGE_RETRY_SECONDS", 0.0)
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    limit = RateLimit("3/minute", redis_url, name="outage")
    assert limit.shared
    assert limit.hit("ip:203.0.113.9") is None and limit.hit("ip:203.0.113.9") is None  # 2 of 3, in Redis
    redis_server.process.terminate()
    redis_server.process.wait(timeout=10)
    with caplog.at_level(logging.WARNING, logger="app.ratelimit"):
        local = [limit.hit("ip:203.0.113.9") for _ in range(4)]  # counted afresh in this process: 3 pass
        assert local[:3] == [None] * 3 and local[3] is not None
        assert [r.levelname for r in caplog.records] == ["ERROR"] and "unavailable" in caplog.records[0].message
        restarted = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        redis_server.process = restarted  # stopped by the fixture
        deadline = time.monotonic() + 10
        while True:
            try:
                redis_server.client.ping()
                break
            except Exception:
                assert time.monotonic() < deadline, "redis-server did not restart"
                time.sleep(0.05)
        assert limit.hit("ip:203.0.113.9") is None  # a fresh Redis: counted there again
        assert [r.levelname for r in caplog.records] == ["ERROR", "WARNING"]
        assert int(redis_server.client.dbsize()) > 0


@pytest.mark.slow
def test_rate_limit_storage_down_is_no_server_error(tmp_path):
    """A server whose Redis is not there answers reads (200), counts them itself (429 past the limit), and never
    answers 500."""
    process, url, log = start_api(tmp_path, "no-redis", RAG_RATE_LIMIT="3/minute",
                                  RAG_RATE_LIMIT_STORAGE=f"redis://127.0.0.1:{free_port()}/0")
    try:
        statuses = [httpx.get(f"{url}/documents", timeout=10).status_code for _ in range(4)]
    finally:
        stop(process)
    assert statuses == [200, 200, 200, 429], statuses
    output = log.read_text(errors="replace")
    assert output.count("rate-limit storage unavailable") == 1


def test_rate_limit_storage_setting():
    """memory:// by default; a storage that cannot serve the limit is refused when the app is built, with the
    setting's name, never on a request."""
    assert Settings(_env_file=None).rate_limit_storage == "memory://"
    assert not RateLimit("3/minute").shared and not RateLimit("", "redis://127.0.0.1:1").shared
    with pytest.raises(ValueError, match="RAG_RATE_LIMIT_STORAGE"):
        Settings(_env_file=None, rate_limit_storage="async+redis://127.0.0.1:6379")
    with pytest.raises(ValueError, match="RAG_RATE_LIMIT_STORAGE"):
        Settings(_env_file=None, rate_limit_storage="127.0.0.1:6379")
    with pytest.raises(ValueError, match="RAG_RATE_LIMIT_STORAGE"):
        RateLimit("3/minute", "nosuch://127.0.0.1:1")
