"""The write lease of ``MilvusStore``, kept in Milvus itself so that writers on several hosts (API replicas, an
ingest container) sharing one Milvus take turns.

Milvus has no transactions and no compare-and-set, but it numbers the rows of an ``auto_id`` collection in the order
it receives them (Milvus Lite from one counter; a Milvus server from its ID allocator, which hands out increasing
ids through one proxy, as a standalone server runs). A writer inserts a row with a random token and an expiry into
the ``lease`` collection; the writer whose first row has the smallest id among the writers whose claim has not
expired holds the lease, the others wait in that order. A writer renews its claim while it holds or waits (a new
row with a later expiry: an upsert would give an ``auto_id`` row a new id on some Milvus versions), and releases it
by deleting its rows. A writer that crashed stops renewing: its claim expires after ``LEASE_SECONDS`` and the next
writer to look deletes its rows.

A holder checks that it still holds the lease (``check``) before each step that changes shared state: one that
stalled past its expiry (a paused VM, a long GC) has been overtaken and stops with ``LeaseLost`` instead of writing
over its successor. Expiry compares the writers' clocks: they must agree to well within two thirds of
``LEASE_SECONDS`` (a claim is renewed every third of it).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.index.milvus_schema import PLACEHOLDER, literal, one_of
from app.index.storage import StoreUnavailable

log = logging.getLogger(__name__)

# How long a claim lasts without renewal: how long a crashed writer can hold up the others. It is renewed every
# third of that: two renewals may fail (a slow or restarting server) before the claim lapses.
LEASE_SECONDS = 30.0
# Waiting writers look again after this long, doubling up to ``POLL_MAX``: quick turns after short commits
# without polling Milvus many times a second during a long rebuild.
POLL_SECONDS = 0.05
POLL_MAX = 1.0
# A writer that finds itself first looks once more after this pause before it writes: an insert whose id was
# handed out just before its own may not have been visible yet to its first look.
SETTLE_SECONDS = 0.05
ROW_LIMIT = 16_384  # rows one query returns; the lease holds a few per writer


class LeaseLost(StoreUnavailable):
    """The writer no longer holds the lease (it stalled past its expiry, or its claim was removed): it stops before
    writing over the writer that took over. The write may be retried."""


@dataclass(frozen=True)
class _Claim:
    """One writer's claim as the lease rows show it."""

    token: str
    first: int  # id of its first row: its place in line
    expires: int  # milliseconds since the epoch, the latest of its rows
    rows: tuple[int, ...]


def _now_ms() -> int:
    return int(time.time() * 1000)


class MilvusLease:
    """One writer's turn at the lease: ``acquire`` waits for it, ``check`` confirms it, ``release`` gives it up.

    ``call`` makes one Milvus call (``MilvusStore._call``: timeouts and unavailability handled), ``name`` is the
    lease collection (created by the store beforehand).
    """

    def __init__(self, call: Callable[..., Any], name: str, seconds: float = LEASE_SECONDS):
        self._call = call
        self.name = name
        self.seconds = seconds
        self.renew_every = seconds / 3
        self.token = secrets.token_hex(16)
        self._rows: list[int] = []  # ids of this writer's rows, oldest first
        self._rows_guard = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    # -- the rows ------------------------------------------------------------------------------
    def _claims(self) -> dict[str, _Claim]:
        """Every writer's claim; rows of expired claims are deleted on the way (a crashed writer's)."""
        rows = self._call("query", self.name, filter="", output_fields=["pk", "token", "expires"], limit=ROW_LIMIT)
        found: dict[str, list[tuple[int, int]]] = {}
        for row in rows:
            found.setdefault(str(row["token"]), []).append((int(row["pk"]), int(row["expires"])))
        now = _now_ms()
        claims: dict[str, _Claim] = {}
        expired: list[int] = []
        for token, pairs in found.items():
            claim = _Claim(token, min(p for p, _ in pairs), max(e for _, e in pairs), tuple(p for p, _ in pairs))
            if claim.expires > now:
                claims[token] = claim
            else:
                expired += claim.rows  # by id: a renewal that lands meanwhile is kept, and it no longer comes first
        if expired:
            log.warning("removing %d expired write lease rows of a writer that stopped renewing", len(expired))
            self._call("delete", self.name, filter=one_of("pk", expired))
        return claims

    @staticmethod
    def _first(claims: dict[str, _Claim]) -> str | None:
        """The token of the writer first in line (ties, which Milvus does not make, broken by token)."""
        return min(claims.values(), key=lambda c: (c.first, c.token)).token if claims else None

    def _insert(self, fresh: bool = False) -> None:
        """Add a row claiming the lease until ``seconds`` from now; ``fresh``: a new claim (the old rows are gone)."""
        row = {"token": self.token, "expires": _now_ms() + int(self.seconds * 1000), "placeholder": PLACEHOLDER}
        result = self._call("insert", self.name, [row])
        with self._rows_guard:
            if fresh:
                self._rows.clear()
            self._rows.extend(int(pk) for pk in result["ids"])

    def _renew(self) -> None:
        """Extend the claim: a new row with a later expiry; older renewals go, the first row keeps its place."""
        self._insert()
        with self._rows_guard:
            stale = self._rows[1:-1]
            del self._rows[1:-1]
        if stale:
            self._call("delete", self.name, filter=one_of("pk", stale))

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                self._renew()
            except Exception as exc:  # the next check, or the next renewal, finds out whether the claim survived
                log.warning("could not renew the write lease: %s", exc)

    # -- the turn ------------------------------------------------------------------------------
    def acquire(self) -> None:
        """Claim the lease and wait until this writer is first in line (renewing the claim while it waits)."""
        self._insert(fresh=True)
        self._renewer = threading.Thread(target=self._renew_until_stopped, name="milvus-lease", daemon=True)
        self._renewer.start()
        try:
            delay = POLL_SECONDS
            settled = False
            while True:
                claims = self._claims()
                if self.token not in claims:
                    # Expired while waiting (renewals failed) or removed: claim again, at the end of the line.
                    self._insert(fresh=True)
                    settled = False
                    continue
                if self._first(claims) == self.token:
                    if settled:
                        return
                    settled = True
                    time.sleep(SETTLE_SECONDS)
                    continue
                settled = False
                time.sleep(delay)
                delay = min(delay * 2, POLL_MAX)
        except BaseException:
            self.release()
            raise

    def check(self) -> None:
        """Raise ``LeaseLost`` unless this writer still holds the lease."""
        if self._first(self._claims()) != self.token:
            raise LeaseLost("this writer lost the Milvus write lease (it stalled past its expiry); try again")

    def release(self) -> None:
        """Give up the lease (or the place in line): stop renewing and delete this writer's rows."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        try:
            self._call("delete", self.name, filter=f"token == {literal(self.token)}")
        except Exception as exc:  # the claim then expires by itself
            log.warning("could not release the write lease (it expires in %.0f s): %s", self.seconds, exc)
