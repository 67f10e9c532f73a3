"""Load: N concurrent clients over keep-alive HTTP for a fixed time, on loopback: questions only (``run_load``),
or the mix a shared service sees, writes included (``run_mixed_load``)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from urllib.parse import quote

import httpx

from app.evaluation.bench.measure import summarize
from app.evaluation.bench.questions import QUESTIONS, questions

MAX_CLIENTS = 256  # a bound on the client side: the server's own limits are what is measured
MAX_SECONDS = 900


async def _client(http: httpx.AsyncClient, texts: itertools.cycle, deadline: float, record: list) -> None:
    while time.monotonic() < deadline:
        started = time.perf_counter()
        retry_after = 0.0
        try:
            response = await http.post("/ask", json={"question": next(texts)})
            status: int | str = response.status_code
            if status in (429, 503):
                retry_after = float(response.headers.get("Retry-After", 1))
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        record.append((status, time.perf_counter() - started))
        # A refused client comes back when told to, as the chat widget does (not at once, which would measure
        # a flood rather than a load).
        await asyncio.sleep(min(retry_after, max(0.0, deadline - time.monotonic())))


async def _run(base_url: str, clients: int, seconds: float) -> tuple[list, float]:
    record: list[tuple[int | str, float]] = []
    texts = itertools.cycle(questions(997, 11))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(_client(http, texts, deadline, record) for _ in range(clients)))
        return record, time.monotonic() - started


def run_load(base_url: str, clients: int, seconds: float) -> dict:
    """Throughput and latency of ``clients`` concurrent askers for ``seconds``; statuses counted (503 is shed load;
    a refused client waits its Retry-After before asking again)."""
    if not 1 <= clients <= MAX_CLIENTS or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"clients must be 1..{MAX_CLIENTS} and seconds 0..{MAX_SECONDS}")
    record, elapsed = asyncio.run(_run(base_url, clients, seconds))
    statuses: dict[str, int] = {}
    for status, _ in record:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    answered = [seconds for status, seconds in record if status == 200]
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(record),
        "statuses": statuses,
        "answered_per_s": round(len(answered) / elapsed, 2),
        "accepted_ms": summarize(answered),
        "errors": sum(n for s, n in statuses.items() if s not in ("200", "503")),
    }


# -- mixed load: what a shared service sees ----------------------------------------------------------------------

# Each run of 50 requests: 45 questions (90%), 2 searches and 2 document reads (8%), 1 upload or deletion (2%).
# A fixed cycle rather than random draws: the shares are exact in any run, and the first request writes, so even
# a short run on a slow machine exercises every kind.
REQUEST_MIX = ("write", *["ask"] * 22, "search", "read", *["ask"] * 23, "search", "read")
KINDS = ("ask", "search", "read", "write")
# Statuses that are the service working as designed: answers, and load refused on purpose (rate limit, full queue).
INTENDED = {"ask": {200, 429, 503}, "search": {200, 429, 503}, "read": {200, 429}, "write": {200, 201, 429, 503}}
LIVE_UPLOADS = 20  # uploads kept at once: beyond this many a write deletes one, so the index stops growing

_UPLOAD_TEXTS = (
    "Отчёт {n}. На заставе «Северная-{n}» несут службу {k} пограничников. Застава охраняет {m} километров границы.",
    "Report {n}. The Naryn-{n} outpost is staffed by {k} border guards. It patrols {m} kilometres of the border.",
)


class _Mix:
    """What the clients share: the documents to read, and the uploads acknowledged and deleted so far."""

    def __init__(self, run: str, doc_ids: list[str], rng: random.Random):
        self.run = run
        self.doc_ids = doc_ids
        self.rng = rng
        self.uploads = 0
        self.sent = 0
        self.live: dict[str, str] = {}  # acknowledged (201) and not deleted: doc_id -> text sent
        self.deleted: set[str] = set()  # acknowledged deletions
        self.unknown: set[str] = set()  # writes whose outcome the client never learnt (connection errors)

    def kind(self) -> str:
        self.sent += 1
        return REQUEST_MIX[(self.sent - 1) % len(REQUEST_MIX)]

    def upload(self) -> tuple[str, str]:
        self.uploads += 1
        n = self.uploads
        text = _UPLOAD_TEXTS[n % 2].format(n=n, k=10 + n % 37, m=20 + n % 91)
        return f"load/{self.run}-{n:05d}.txt", text


async def _mixed_client(
    http: httpx.AsyncClient, mix: _Mix, texts: itertools.cycle, admin: dict, deadline: float, record: list
) -> None:
    while time.monotonic() < deadline:
        kind = mix.kind()
        doc_id, text, deleting = "", "", False
        started = time.perf_counter()
        try:
            if kind == "ask":
                response = await http.post("/ask", json={"question": next(texts)})
            elif kind == "search":
                response = await http.post("/search", json={"query": next(texts), "top_k": 5})
            elif kind == "read":
                if mix.rng.random() < 0.5:
                    response = await http.get("/documents")
                else:
                    response = await http.get("/documents/" + quote(mix.rng.choice(mix.doc_ids)))
            elif len(mix.live) >= LIVE_UPLOADS:
                (doc_id, text), deleting = mix.live.popitem(), True  # claimed: no other client deletes it too
                response = await http.delete("/documents/" + quote(doc_id), headers=admin)
            else:
                doc_id, text = mix.upload()
                response = await http.post("/documents", json={"doc_id": doc_id, "text": text}, headers=admin)
            status: int | str = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        if kind == "write":
            if status in (200, 201):
                if deleting:
                    mix.deleted.add(doc_id)
                else:
                    mix.live[doc_id] = text
            elif isinstance(status, str):
                mix.unknown.add(doc_id)  # the outcome was never learnt: checked neither way
            elif deleting:
                mix.live[doc_id] = text  # refused (429/503): still there, to delete later
        record.append((kind, status, time.perf_counter() - started))


async def _run_mixed(base_url: str, clients: int, seconds: float, admin_key: str, run: str) -> tuple[list, float, _Mix]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as http:
        doc_ids = [d["doc_id"] for d in (await http.get("/documents")).json()]
        mix = _Mix(run, doc_ids, random.Random(run))
        record: list[tuple[str, int | str, float]] = []
        texts = itertools.cycle(questions(997, 13))
        admin = {"Authorization": f"Bearer {admin_key}"}
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(_mixed_client(http, mix, texts, admin, deadline, record) for _ in range(clients)))
        return record, time.monotonic() - started, mix


def run_mixed_load(base_url: str, clients: int, seconds: float, admin_key: str, run: str = "mix") -> dict:
    """``clients`` concurrent clients for ``seconds`` sending ``REQUEST_MIX`` (writes with ``admin_key``).

    Per kind: count, statuses and latency percentiles. ``errors`` counts every status that is not ``INTENDED``;
    ``documents`` holds what the server acknowledged, for ``check_documents`` after the run (and a restart).
    """
    if not 1 <= clients <= MAX_CLIENTS or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"clients must be 1..{MAX_CLIENTS} and seconds 0..{MAX_SECONDS}")
    record, elapsed, mix = asyncio.run(_run_mixed(base_url, clients, seconds, admin_key, run))
    kinds: dict[str, dict] = {}
    errors = 0
    for kind in KINDS:
        rows = [(status, s) for k, status, s in record if k == kind]
        statuses: dict[str, int] = {}
        for status, _s in rows:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        errors += sum(1 for status, _s in rows if status not in INTENDED[kind])
        accepted = [s for status, s in rows if status in (200, 201)]
        kinds[kind] = {"requests": len(rows), "statuses": statuses, "accepted_ms": summarize(accepted)}
    overall: dict[str, int] = {}
    for _, status, _s in record:
        overall[str(status)] = overall.get(str(status), 0) + 1
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(record),
        "requests_per_s": round(len(record) / elapsed, 2),
        "answered_per_s": round(kinds["ask"]["statuses"].get("200", 0) / elapsed, 2),
        "statuses": overall,
        "kinds": kinds,
        "errors": errors,
        "documents": {"present": mix.live, "deleted": sorted(mix.deleted), "unknown": sorted(mix.unknown)},
    }


def touch_every_kind(base_url: str, admin_key: str) -> None:
    """One request of each kind, an upload and its deletion included, so that what loads on first use (the NER
    model for uploads) is loaded before memory is measured."""
    admin = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=base_url, timeout=120) as http:
        doc_id = http.get("/documents").json()[0]["doc_id"]
        for response in (
            http.post("/ask", json={"question": QUESTIONS[0]}),
            http.post("/search", json={"query": QUESTIONS[1]}),
            http.get("/documents/" + quote(doc_id)),
            http.post("/documents", json={"doc_id": "load/warm.txt", "text": _UPLOAD_TEXTS[0]}, headers=admin),
            http.delete("/documents/load/warm.txt", headers=admin),
        ):
            response.raise_for_status()


def check_documents(base_url: str, documents: dict) -> dict:
    """Whether the server holds every acknowledged upload (with the text sent) and none of the deleted ones."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        listed = {d["doc_id"] for d in http.get("/documents").json()}
        missing, changed = [], []
        for doc_id, text in documents["present"].items():
            response = http.get("/documents/" + quote(doc_id))
            if response.status_code != 200 or doc_id not in listed:
                missing.append(doc_id)
            elif text and response.json()["text"] != text:
                changed.append(doc_id)
    back = [d for d in documents["deleted"] if d in listed]
    return {
        "checked": len(documents["present"]) + len(documents["deleted"]),
        "missing": missing,
        "changed": changed,
        "deleted_but_present": back,
        "ok": not (missing or changed or back),
    }
