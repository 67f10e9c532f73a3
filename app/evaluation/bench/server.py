"""The service as deployed: ``python -m app serve`` (uvicorn) in a child process, called over keep-alive HTTP."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

STARTUP_TIMEOUT = 600  # seconds; loading a 100k index and warming the encoder takes well under this


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """Environment for child processes; an OMP_NUM_THREADS set by an encoder loaded here is not inherited."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


class Server:
    """A uvicorn server over ``index``, started and ready on construction; ``stop()`` ends it.

    It runs without a rate limit (the benchmark measures what the server can do, not what a client may ask);
    ``env`` adds settings (``RAG_KEYS_FILE`` for the mixed load's writes).
    """

    def __init__(self, index: Path, backend: str, log_file: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.log_file = log_file
        self.conn: http.client.HTTPConnection | None = None
        started = time.perf_counter()
        with log_file.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app",
                    "serve",
                    "--index",
                    str(index),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=child_env(**{"RAG_ENCODER": backend, "RAG_RATE_LIMIT": "", **(env or {})}),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            self.health = self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - started

    def _wait_healthy(self) -> dict:
        """/health once /ready answers 200 (index loaded, encoder warmed)."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self._tail()}")
            try:
                self.get("/ready")
                return self.get("/health")
            except (OSError, http.client.HTTPException):
                self.conn = None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not become healthy:\n{self._tail()}") from None
                time.sleep(0.2)

    def _tail(self) -> str:
        return self.log_file.read_text(errors="replace")[-3000:]

    def _request(self, method: str, path: str, payload: dict | None = None) -> dict:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        body = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"} if body else {}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise http.client.HTTPException(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)

    def get(self, path: str) -> dict:
        return self._request("GET", path)

    def post(self, path: str, payload: dict) -> dict:
        return self._request("POST", path, payload)

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
