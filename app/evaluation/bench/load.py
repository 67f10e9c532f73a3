"""Load: N concurrent clients asking questions over keep-alive HTTP for a fixed time, on loopback."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx

from app.evaluation.bench.measure import summarize
from app.evaluation.bench.questions import questions

MAX_CLIENTS = 256  # a bound on the client side: the server's own limits are what is measured
MAX_SECONDS = 900


async def _client(http: httpx.AsyncClient, texts: itertools.cycle, deadline: float, record: list) -> None:
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            response = await http.post("/ask", json={"question": next(texts)})
            status: int | str = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        record.append((status, time.perf_counter() - started))


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
    """Throughput and latency of ``clients`` concurrent askers for ``seconds``; statuses counted (503 is shed load)."""
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
