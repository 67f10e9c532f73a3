"""kill -9 of a real server while it indexes an upload: after a restart the index opens, every acknowledged upload
is there with its text, and nothing half-written is served."""

from __future__ import annotations

import os
import shutil
import signal

import httpx
import pytest

from app.index.store import IndexStore
from tests.api.test_server import start_server
from tests.conftest import SEED_DOCS, stop, wait_healthy
from tests.crashpoints import crash_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Where the server dies, one point per round: while writing the upload's segment, with its view written but not
# served, and with it served but not acknowledged. The server reaches each point once per upload: it dies on the
# upload after ``ACKNOWLEDGED`` ones (compaction, which writes segments too, is kept out of these rounds).
KILL_AT = ("segment:partial", "view:written", "current:written")
ACKNOWLEDGED = 3
NO_COMPACTION = {"RAG_COMPACT_RATIO": "1", "RAG_COMPACT_CHUNKS": "1000000"}  # the seed has more chunks than 12 uploads


def upload_text(n: int) -> str:
    return f"Report {n}. The Karakol-{n} outpost has {100 + n} border guards and {n + 3} patrol dogs."


def upload_until_killed(url: str, headers: dict, first: int) -> tuple[dict[str, str], int]:
    """Upload documents one after another until the server dies; the acknowledged (201) ones and the number of the
    one cut by the kill."""
    acknowledged: dict[str, str] = {}
    n = first
    with httpx.Client(base_url=url, timeout=120, headers=headers) as http:
        while n < first + ACKNOWLEDGED + 1:
            doc_id, text = f"crash/{n:03d}.txt", upload_text(n)
            try:
                response = http.post("/documents", json={"doc_id": doc_id, "text": text})
            except httpx.HTTPError:
                return acknowledged, n  # the server was killed mid-request: the outcome is unknown to the client
            assert response.status_code == 201, response.text
            acknowledged[doc_id] = text
            n += 1
    raise AssertionError(f"the server survived {ACKNOWLEDGED + 1} uploads")


def test_kill_9_during_uploads(tmp_path, seed, api_keys):
    """Three rounds of: upload, SIGKILL at a named step of an upload's write, restart; the index is always whole
    and complete, and an upload killed after its state was served is kept."""
    shutil.copytree(seed.index, tmp_path / "index")
    acknowledged: dict[str, str] = {}
    maybe: dict[str, str] = {}  # in flight at the kill: may be there (complete) or not (at all)
    n = 0
    for round_, point in enumerate(KILL_AT):
        log = tmp_path / f"server-{round_}.log"
        env = {**crash_env(point, nth=ACKNOWLEDGED + 1), **NO_COMPACTION}
        process, url = start_server(tmp_path / "index", log, **env)
        try:
            wait_healthy(process, url, log, timeout=300)
            check_served(url, tmp_path / "index", acknowledged, maybe)
            done, killed = upload_until_killed(url, api_keys.admin_headers, first=n)
            assert process.wait(timeout=60) == -signal.SIGKILL
            assert len(done) == ACKNOWLEDGED
            acknowledged.update(done)
            if point == "current:written":  # served before the kill: it must survive it
                acknowledged[f"crash/{killed:03d}.txt"] = upload_text(killed)
            else:
                maybe[f"crash/{killed:03d}.txt"] = upload_text(killed)
            n = killed + 1
        finally:
            if process.poll() is None:
                stop(process)
    # A last restart: the index opens and holds everything acknowledged in any round.
    log = tmp_path / "server-last.log"
    process, url = start_server(tmp_path / "index", log, **NO_COMPACTION)
    try:
        wait_healthy(process, url, log, timeout=300)
        check_served(url, tmp_path / "index", acknowledged, maybe)
        answer = httpx.post(f"{url}/ask", json={"question": "How many border guards does the Karakol-1 outpost have?"},
                            timeout=60).json()["answer"]
        assert answer is not None and answer["sentence"] in {**acknowledged, **maybe}.get(answer["doc_id"], "-")
        kept = sum(doc_id in {d["doc_id"] for d in httpx.get(f"{url}/documents", timeout=60).json()} for doc_id in maybe)
    finally:
        stop(process)
    assert kept == 0, "an upload killed before its state was served must not be served"
    print(f"kill -9 at {', '.join(KILL_AT)}: {len(acknowledged)} uploads served after restarts, "
          f"{len(maybe)} cut before being served absent")


def check_served(url: str, index, acknowledged: dict[str, str], maybe: dict[str, str]) -> None:
    """Every acknowledged upload is served with its text; an upload cut by the kill is whole or absent; the
    version on disk loads completely and is the one served."""
    with httpx.Client(base_url=url, timeout=60) as http:
        listing = {d["doc_id"]: d for d in http.get("/documents").json()}
        assert set(SEED_DOCS) <= set(listing)
        for doc_id, text in acknowledged.items():
            response = http.get(f"/documents/{doc_id}")
            assert response.status_code == 200, f"acknowledged upload {doc_id} lost"
            assert response.json()["text"] == text
        for doc_id, text in maybe.items():
            if doc_id in listing:
                assert http.get(f"/documents/{doc_id}").json()["text"] == text
        for doc_id, summary in listing.items():
            assert summary["chunks"] >= 1, f"{doc_id} listed without chunks"
        health = http.get("/health").json()
    store = IndexStore(index)
    current = store.current()
    assert current is not None and not current.name.startswith(".")
    snap = store.load()
    assert set(snap.documents) == set(listing) and len(snap.chunks) == health["chunks"]
    assert int(snap.chunks[:, 0].max()) == len(snap.documents) - 1
