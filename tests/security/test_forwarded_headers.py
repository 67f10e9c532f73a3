"""Client addresses as deployed: a client cannot choose the address that rate limits count and access logs name by
sending X-Forwarded-For, neither straight to the API (which believes the header from the proxy's address alone,
RAG_FORWARDED_ALLOW_IPS as deploy/docker-compose.yml sets it) nor through nginx (deploy/nginx.conf, which replaces the
header with the address it saw).

nginx is Debian's, run unprivileged in the foreground on loopback with the deployment's server block; only what
names Docker's network (its DNS resolver, the `api` host, port 80) is replaced by loopback addresses.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import yaml

from app.settings import Settings
from tests.conftest import ROOT, free_port, stop
from tests.security.test_rate_limits import access_lines, client_from, start_api

DEPLOY = ROOT / "deploy"
LB_ADDRESS_HERE = "127.0.0.1"  # nginx's address in these tests: it connects to the upstream from 127.0.0.1
FORGED = ["203.0.113.7", "198.51.100.23, 127.0.0.1", "10.0.0.1", "127.0.0.1", "192.0.2.44, 192.0.2.45"]


def _resolved(value) -> str:
    """A compose value with every ``${NAME:-default}`` replaced by its default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", lambda m: m.group(1), str(value))


def deployed_trust() -> str:
    """RAG_FORWARDED_ALLOW_IPS as the compose file gives the API, in this test's topology: the load balancer's own
    address there is nginx's address here; anything else (a network, '*') is kept as written."""
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    trusted = _resolved(services["api"]["environment"]["RAG_FORWARDED_ALLOW_IPS"])
    lb_networks = services["lb"]["networks"]
    lb_address = _resolved(lb_networks["front"]["ipv4_address"]) if isinstance(lb_networks, dict) else None
    return LB_ADDRESS_HERE if trusted == lb_address else trusted


def nginx_binary() -> str:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's)")
    return binary


def deployed_server_block(listen_port: int, upstream: str) -> str:
    """deploy/nginx.conf's server block, its upstream and port moved to loopback."""
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    for pattern, replacement in (
        (r"^resolver [^;]*;", ""),  # Docker's DNS: the upstream below is an address
        (r"server api:8000[^;]*;", f"server {upstream};"),
        (r"listen 80;", f"listen 127.0.0.1:{listen_port};"),
    ):
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        assert count == 1, f"deploy/nginx.conf no longer has {pattern!r}"
    return text


@pytest.fixture
def nginx(tmp_path) -> Iterator[SimpleNamespace]:
    """Start nginx with the deployment's config in front of ``upstream`` (call ``start(upstream)``)."""
    binary = nginx_binary()
    processes = []

    def start(upstream: str) -> str:
        folder = tmp_path / "nginx"
        folder.mkdir()
        port = free_port()
        (folder / "default.conf").write_text(deployed_server_block(port, upstream))
        temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
        (folder / "nginx.conf").write_text(
            # One process in the foreground, all files in the test's folder: runs as any user, stops on SIGTERM.
            "daemon off;\nmaster_process off;\nworker_processes 1;\n"
            f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
            "events { worker_connections 64; }\n"
            "http {\n    access_log off;\n"
            + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items())
            + f"    include {folder}/default.conf;\n}}\n"
        )
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"{url}/lb-health", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log = (folder / "error.log").read_text(errors="replace") if (folder / "error.log").exists() else ""
                pytest.fail(f"nginx did not start:\n{log}")
            time.sleep(0.05)

    try:
        yield SimpleNamespace(start=start)
    finally:
        for process in processes:
            stop(process)


@pytest.fixture
def recorder() -> Iterator[SimpleNamespace]:
    """An upstream on loopback that answers 200 and keeps the headers of every request it gets."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # nginx keeps its upstream connections alive

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            seen.append({name.lower(): value for name, value in self.headers.items()})
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(address=f"127.0.0.1:{server.server_address[1]}", seen=seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_forwarded_for_trust_is_never_everyone():
    """Neither the setting's default nor the deployment trusts X-Forwarded-For from any address: each names
    addresses or networks, as uvicorn parses them."""
    for trusted in (Settings(_env_file=None).forwarded_allow_ips, deployed_trust()):
        entries = [entry.strip() for entry in trusted.split(",")]
        assert "*" not in entries, trusted
        for entry in entries:
            ipaddress.ip_network(entry)  # raises on anything else


@pytest.mark.slow
def test_forged_forwarded_for_ignored_from_untrusted_peer(tmp_path):
    """A client that is not the proxy sends a different X-Forwarded-For on every request straight to the API
    configured as deployed: every request still counts against its own address (the limit holds) and the access
    log names that address."""
    process, url, log = start_api(tmp_path, "api", RAG_RATE_LIMIT="3/minute", RAG_FORWARDED_ALLOW_IPS=deployed_trust())
    try:
        with client_from("127.0.0.2") as client:
            statuses = [
                client.get(f"{url}/documents", headers={"X-Forwarded-For": forged, "X-Real-IP": "203.0.113.8"})
                .status_code for forged in FORGED[:4]
            ]
        lines = access_lines(log, "/documents", 4)
    finally:
        stop(process)
    assert statuses == [200, 200, 200, 429], statuses
    assert [line["client"] for line in lines] == ["127.0.0.2"] * 4


def test_nginx_replaces_forwarded_for(nginx, recorder):
    """Through deploy/nginx.conf, the API gets X-Forwarded-For and X-Real-IP naming the address nginx saw the client
    connect from, whatever the client sent in them."""
    url = nginx.start(recorder.address)
    with client_from("127.0.0.2") as client:
        for forged in [*FORGED, None]:
            headers = {"X-Forwarded-For": forged, "X-Real-IP": "203.0.113.8"} if forged else {}
            assert client.get(f"{url}/documents", headers=headers).status_code == 200
    assert len(recorder.seen) == len(FORGED) + 1
    for headers in recorder.seen:
        assert headers["x-forwarded-for"] == "127.0.0.2" and headers["x-real-ip"] == "127.0.0.2", headers


@pytest.mark.slow
def test_forged_forwarded_for_through_nginx(tmp_path, nginx):
    """Client → nginx (deploy/nginx.conf) → API trusting the proxy as deployed: forged X-Forwarded-For headers neither
    give a client a fresh rate-limit count nor change the client the access log names, while two clients still
    have an allowance each (the API sees each one's own address, not nginx's)."""
    process, api_url, log = start_api(tmp_path, "api", RAG_RATE_LIMIT="3/minute",
                                      RAG_FORWARDED_ALLOW_IPS=deployed_trust())
    try:
        url = nginx.start(api_url.removeprefix("http://"))
        with client_from("127.0.0.2") as forger:
            forged = [forger.get(f"{url}/documents", headers={"X-Forwarded-For": value}).status_code
                      for value in FORGED[:4]]
        with client_from("127.0.0.3") as other:
            honest = [other.get(f"{url}/documents").status_code for _ in range(2)]
        lines = access_lines(log, "/documents", 6)
    finally:
        stop(process)
    assert forged == [200, 200, 200, 429] and honest == [200, 200], (forged, honest)
    assert [line["client"] for line in lines] == ["127.0.0.2"] * 4 + ["127.0.0.3"] * 2
    assert not any(json.dumps(line).count("203.0.113.7") for line in lines)
