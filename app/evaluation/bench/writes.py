"""What one write costs at scale: uploads and deletions of single documents against a real server.

Measured over a copy of the index (the writes must not change an index a later run reuses):

- upload: the POST's wall time, the server's embedding time for the document, and the difference (what
  indexing and writing the delta segment cost, the part that must not grow with the index);
- visible: from sending the upload until the first /ask sent that cites it (an /ask about the document's own fact);
- delete: the DELETE's wall time, and until the first /ask sent that no longer cites it;
- /ask latency idle, then during a paced stream of uploads (one every ``interval`` seconds), and the ratio.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx

from app.evaluation.bench.log import log
from app.evaluation.bench.measure import summarize
from app.evaluation.bench.questions import questions
from app.evaluation.bench.server import Server
from app.keys import KeyStore

# 13 sentences: four chunks of four sentences sharing one (the default chunking).
SENTENCES = 13


def document(n: int) -> tuple[str, str, str]:
    """A 4-chunk report with a fact no other document holds: ``(doc_id, text, question about the fact)``."""
    place = f"Zarbalak-{n}"
    lines = [f"Weekly report {n} from the {place} border post."]
    lines += [f"Patrol {i} of the {place} post inspected {n + i} trucks on the mountain road." for i in range(1, 11)]
    lines += [f"The {place} post received {n + 40} thermal cameras in May.", "No incidents were recorded."]
    assert len(lines) == SENTENCES
    return f"bench-writes/report-{n}.txt", " ".join(lines), f"How many thermal cameras did the {place} post receive?"


def _cited(http: httpx.Client, question: str, doc_id: str) -> bool:
    body = http.post("/ask", json={"question": question, "top_k": 3}).json()
    return any(p["doc_id"] == doc_id for p in body.get("passages", []))


def _until_cited(http: httpx.Client, question: str, doc_id: str, cited: bool, timeout: float = 30.0) -> float:
    """Seconds from now until the first /ask sent that does (or no longer does) cite ``doc_id``: 0 when the first
    one already does (the check's own latency is not the write's); ``timeout`` if none does."""
    started = time.perf_counter()
    while True:
        sent = time.perf_counter() - started
        if _cited(http, question, doc_id) == cited:
            return sent
        if sent > timeout:
            return timeout
        time.sleep(0.01)


def _asks(http: httpx.Client, texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        started = time.perf_counter()
        response = http.post("/ask", json={"question": text})
        response.raise_for_status()
        out.append(time.perf_counter() - started)
    return out


def measure_writes(
    name: str, index: Path, backend: str, workdir: Path, uploads: int = 20, asks: int = 100, interval: float = 1.0
) -> dict:
    """Upload and delete ``uploads`` single documents one at a time, then ask ``asks`` questions idle and during
    a stream of uploads; every number the write targets need (module docstring)."""
    folder = workdir / f"writes-{name.replace(' ', '-')}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(index, folder / "index")
    _, admin = KeyStore(folder / "keys.json").create("admin", "bench")
    server = Server(folder / "index", backend, folder / "server.log", {"RAG_KEYS_FILE": str(folder / "keys.json")})
    result: dict = {"uploads": uploads, "interval_seconds": interval}
    try:
        url = f"http://127.0.0.1:{server.port}"
        with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {admin}"}) as http:
            # The first upload loads the NER model: start-up, not a write's cost.
            warm_id, warm_text, _ = document(10_000)
            http.post("/documents", json={"doc_id": warm_id, "text": warm_text}).raise_for_status()
            http.delete(f"/documents/{warm_id}").raise_for_status()
            texts = questions(asks)
            _asks(http, texts[:10])
            idle = _asks(http, texts)
            posted, embedding, beyond, visible, deleted, gone = [], [], [], [], [], []
            for n in range(uploads):
                doc_id, text, question = document(n)
                started = time.perf_counter()
                response = http.post("/documents", json={"doc_id": doc_id, "text": text})
                response.raise_for_status()
                took = time.perf_counter() - started
                body = response.json()
                visible.append(took + _until_cited(http, question, doc_id, True))
                posted.append(took)
                embedding.append(body["embed_seconds"])
                beyond.append(visible[-1] - body["embed_seconds"])
            for n in range(uploads):
                doc_id, _, question = document(n)
                started = time.perf_counter()
                http.delete(f"/documents/{doc_id}").raise_for_status()
                took = time.perf_counter() - started
                deleted.append(took)
                gone.append(took + _until_cited(http, question, doc_id, False))
            during, stop = [], threading.Event()

            def stream() -> None:
                with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {admin}"}) as writer:
                    n = 1000
                    while not stop.is_set():
                        doc_id, text, _ = document(n)
                        writer.post("/documents", json={"doc_id": doc_id, "text": text})
                        n += 1
                        stop.wait(interval)

            thread = threading.Thread(target=stream, daemon=True)
            thread.start()
            try:
                during = _asks(http, texts)
            finally:
                stop.set()
                thread.join(timeout=120)
            health = http.get("/health").json()
    finally:
        server.stop()
    result.update(
        upload_ms=summarize(posted),
        embedding_ms=summarize(embedding),
        visible_ms=summarize(visible),
        visible_beyond_embedding_ms=summarize(beyond),
        delete_ms=summarize(deleted),
        gone_ms=summarize(gone),
        ask_idle_ms=summarize(idle),
        ask_during_uploads_ms=summarize(during),
        chunks_after=health.get("chunks"),
    )
    idle_p50, during_p50 = result["ask_idle_ms"]["p50"], result["ask_during_uploads_ms"]["p50"]
    result["ask_during_over_idle"] = {
        q: round(result["ask_during_uploads_ms"][q] / result["ask_idle_ms"][q], 2) for q in ("p50", "p95")
    }
    log(
        f"{name}: upload p50 {result['upload_ms']['p50']} ms (embedding {result['embedding_ms']['p50']} ms), "
        f"visible beyond embedding p95 {result['visible_beyond_embedding_ms']['p95']} ms, delete p50 "
        f"{result['delete_ms']['p50']} ms; /ask p50 idle {idle_p50} ms, during uploads {during_p50} ms "
        f"({result['ask_during_over_idle']['p50']}x)"
    )
    return result
