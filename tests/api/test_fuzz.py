"""Schemathesis over every operation of the real server's OpenAPI, with an admin key, a read key and none: no
response is a server error, and every response conforms to the schema (status, content type, body, headers)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.test_server import start_server
from tests.conftest import stop, subprocess_env, wait_healthy

pytestmark = pytest.mark.slow

ST = str(Path(sys.executable).with_name("st"))  # schemathesis' command line, installed with the test extra
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",  # what the schema allows is not refused as invalid (schemathesis.toml)
    "refused_only_for_what_the_schema_cannot_say",  # fuzz_hooks.py: a 422 to valid data names stored state
])
HERE = Path(__file__).resolve().parent
# (name, key to send, examples per operation and phase): together about 1,800 requests in well under a minute.
RUNS = [("admin", "admin", 100), ("read", "read", 60), ("anonymous", None, 100)]
MIN_REQUESTS = 1000


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, seed):
    """A server over a copy of the seed index with small upload bodies, so that generated uploads index quickly."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(seed.index, root / "index")
    log = root / "server.log"
    # No page can be fetched: an allow-list naming a host that never resolves (no request leaves the machine).
    # Generated images become OCR jobs faster than one thread reads them: a queue that holds them all, so that
    # its documented 503 (the queue is full) is not taken for a server error.
    process, url = start_server(
        root / "index", log, RAG_MAX_UPLOAD_BYTES="4096", RAG_FETCH_ALLOW='["fetch.invalid"]',
        RAG_MAX_QUEUED_JOBS="10000",
    )
    try:
        wait_healthy(process, url, log, timeout=300)
        yield url, log, root
    finally:
        stop(process)


def schemathesis(url: str, report: Path, examples: int, key: str | None) -> subprocess.CompletedProcess:
    """`st run` with a fixed seed; one worker (hypothesis parses lambdas with ast, which is not thread-safe on 3.11)."""
    command = [ST, "--config-file", str(HERE / "schemathesis.toml"),
               "run", f"{url}/openapi.json", "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
               "--max-examples", str(examples), "--seed", "20240607", "--workers", "1", "--request-timeout", "60",
               "--suppress-health-check", "all", "--warnings", "off", "--no-color",
               "--report", "har", "--report-har-path", str(report)]
    if key:
        command += ["--header", f"Authorization: Bearer {key}"]
    # In the run's own folder: schemathesis keeps an example database in .schemathesis/ of its working directory.
    env = subprocess_env(SCHEMATHESIS_HOOKS="tests.api.fuzz_hooks", PYTHONPATH=str(HERE.parents[1]))
    return subprocess.run(command, cwd=report.parent, env=env, capture_output=True, text=True, timeout=400)


def operation_of(method: str, path: str, operations: set[tuple[str, str]]) -> tuple[str, str]:
    """The schema's operation a request went to: its path matched against every template (`/jobs/{job_id}`)."""
    for op_method, template in operations:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if op_method == method and re.match(pattern, path):
            return op_method, template
    return method, path


def test_operation_of_matches_templates():
    """A request's path is named by its template, a literal path by itself, an unknown one stays as it was."""
    operations = {("GET", "/jobs/{job_id}"), ("DELETE", "/documents/{doc_id}"), ("GET", "/health")}
    assert operation_of("GET", "/jobs/0", operations) == ("GET", "/jobs/{job_id}")
    assert operation_of("DELETE", "/documents/a.txt", operations) == ("DELETE", "/documents/{doc_id}")
    assert operation_of("GET", "/health", operations) == ("GET", "/health")
    assert operation_of("GET", "/jobs/0/x", operations) == ("GET", "/jobs/0/x")


def test_schemathesis_finds_no_server_error_and_no_schema_violation(fuzz_server, api_keys):
    """≥ 1,000 generated requests over every operation, with and without keys: 0 responses ≥ 500, 0 failed checks."""
    url, log, root = fuzz_server
    operations = {(method.upper(), path) for path, item in httpx.get(f"{url}/openapi.json").json()["paths"].items()
                  for method in item}
    total, statuses, seen = 0, {}, set()
    for name, role, examples in RUNS:
        report = root / f"{name}.har"
        result = schemathesis(url, report, examples, getattr(api_keys, role) if role else None)
        assert result.returncode == 0, f"{name}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        entries = json.loads(report.read_text())["log"]["entries"]
        for entry in entries:
            status = entry["response"]["status"]
            path = "/" + entry["request"]["url"].split("/", 3)[3].split("?")[0]
            operation = operation_of(entry["request"]["method"], path, operations)
            seen.add(operation)
            if status == 502 and operation == ("POST", "/documents"):
                continue  # a page that could not be fetched (documented): the fuzz server can fetch none
            statuses[status] = statuses.get(status, 0) + 1
        total += len(entries)
    assert total >= MIN_REQUESTS, statuses
    assert not [s for s in statuses if s >= 500], statuses
    assert operations <= seen, operations - seen
    print(f"schemathesis: {total} requests, statuses {dict(sorted(statuses.items()))}")
    assert "Traceback" not in log.read_text(errors="replace")
