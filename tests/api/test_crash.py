"""kill -9 of a real server while it indexes an upload: after a restart the index opens, every acknowledged upload
is there with its text, and nothing half-written is served."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import httpx
import pytest

from app.index.store import IndexStore
from tests.api.test_server import start_server
from tests.conftest import SEED_DOCS, stop, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Kill points as fractions of one upload's duration: early (reading, embedding), late (building, writing, fsync).
KILL_AT = (0.3, 0.7, 0.95)


def upload_text(n: int) -> str:
    return f"Report {n}. The Karakol-{n} outpost has {100 + n} border guards and {n + 3} patrol dogs."


class Uploader(threading.Thread):
    """Uploads documents one after another until stopped; records which ones the server acknowledged (201)."""

    def __init__(self, url: str, headers: dict, first: int):
        super().__init__(daemon=True)
        self.url, self.headers, self.n = url, headers, first
        self.acknowledged: dict[str, str] = {}
        self.current: tuple[int, float] | None = None  # (number, start) of the upload in flight: one assignment
        self.durations: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=120, headers=self.headers) as http:
            while not self.stop.is_set():
                doc_id, text = f"crash/{self.n:03d}.txt", upload_text(self.n)
                self.current = (self.n, time.monotonic())
                try:
                    response = http.post("/documents", json={"doc_id": doc_id, "text": text})
                except httpx.HTTPError:
                    return  # the server was killed mid-request: the outcome is unknown to the client
                if response.status_code == 201:
                    self.acknowledged[doc_id] = text
                    self.durations.append(time.monotonic() - self.current[1])
                self.current = None
                self.n += 1


def kill_during_an_upload(process, uploader: Uploader, fraction: float) -> int:
    """SIGKILL the server ``fraction`` of the way through an upload (timed by the last ones); its number."""
    deadline = time.monotonic() + 240
    while len(uploader.durations) < 3:  # the first upload after a start also loads the NER model: not typical
        assert time.monotonic() < deadline and uploader.is_alive(), "uploads are not acknowledged"
        time.sleep(0.01)
    seen = None
    while time.monotonic() < deadline:
        current = uploader.current
        if current is None or current == seen:
            time.sleep(0.001)
            continue
        seen = current
        recent = sorted(uploader.durations[-5:])
        target = current[1] + fraction * recent[len(recent) // 2]
        while time.monotonic() < target:
            time.sleep(0.001)
        if uploader.current == current:  # the same upload is still in flight
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            return current[0]
    raise AssertionError("no upload was in flight at the kill point")


def test_kill_9_during_uploads(tmp_path, seed, api_keys):
    """Three rounds of: upload continuously, SIGKILL mid-upload, restart; the index is always whole and complete."""
    shutil.copytree(seed.index, tmp_path / "index")
    acknowledged: dict[str, str] = {}
    maybe: dict[str, str] = {}  # in flight at the kill: may be there (complete) or not (at all)
    n = 0
    for round_, fraction in enumerate(KILL_AT):
        log = tmp_path / f"server-{round_}.log"
        process, url = start_server(tmp_path / "index", log)
        try:
            wait_healthy(process, url, log, timeout=300)
            check_served(url, tmp_path / "index", acknowledged, maybe)
            uploader = Uploader(url, api_keys.admin_headers, first=n)
            uploader.start()
            killed = kill_during_an_upload(process, uploader, fraction)
            uploader.stop.set()
            uploader.join(timeout=120)
            acknowledged.update(uploader.acknowledged)
            maybe[f"crash/{killed:03d}.txt"] = upload_text(killed)
            n = killed + 1
        finally:
            if process.poll() is None:
                stop(process)
    # A last restart: the index opens and holds everything acknowledged in any round.
    log = tmp_path / "server-last.log"
    process, url = start_server(tmp_path / "index", log)
    try:
        wait_healthy(process, url, log, timeout=300)
        check_served(url, tmp_path / "index", acknowledged, maybe)
        answer = httpx.post(f"{url}/ask", json={"question": "How many border guards does the Karakol-1 outpost have?"},
                            timeout=60).json()["answer"]
        assert answer is not None and answer["sentence"] in {**acknowledged, **maybe}.get(answer["doc_id"], "-")
        kept = sum(doc_id in {d["doc_id"] for d in httpx.get(f"{url}/documents", timeout=60).json()} for doc_id in maybe)
    finally:
        stop(process)
    assert len(acknowledged) >= 3 * len(KILL_AT)
    print(f"kill -9: {len(KILL_AT)} kills mid-upload, {len(acknowledged)} acknowledged uploads all served after "
          f"restarts; of the {len(maybe)} cut uploads {kept} were complete, {len(maybe) - kept} absent")


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
