"""Schemathesis over every operation of the real server's OpenAPI, with an admin key, a read key and none: no
response is a server error, and every response conforms to the schema (status, content type, body, headers)."""

from __future__ import annotations

import json
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
    process, url = start_server(
        root / "index", log, RAG_MAX_UPLOAD_BYTES="4096", RAG_FETCH_ALLOW='["fetch.invalid"]'
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
            operation = (entry["request"]["method"], "/documents/{doc_id}" if path.startswith("/documents/") else path)
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
