"""The feeds to poll and the entries already indexed: one SQLite file beside the index folder (stdlib ``sqlite3``).

Written by ``python -m app feeds`` and by the server's poller, possibly several processes at once (``serve
--workers N``): WAL mode and a busy timeout let them take turns, and a feed is *claimed* before it is polled (its
``next_poll`` moved forward with a compare-and-set), so that each due feed is polled by one process. Bounded: at
most ``max_feeds`` feeds, and the ``seen`` table keeps the newest ``max_seen`` entries (an older entry seen again
is fetched again and found unchanged by the index).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS feeds (
        url TEXT PRIMARY KEY,
        collection TEXT,
        added REAL NOT NULL,          -- Unix time
        next_poll REAL NOT NULL,      -- when it is due (0: at once)
        failures INTEGER NOT NULL DEFAULT 0,  -- consecutive failed polls: the backoff's exponent
        last_polled REAL,
        last_error TEXT,
        entries INTEGER NOT NULL DEFAULT 0    -- entries indexed from it so far
    )""",
    """CREATE TABLE IF NOT EXISTS seen (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        feed TEXT NOT NULL,
        url TEXT NOT NULL,            -- the entry's link (or its id when it has no link)
        sha TEXT,                     -- the indexed text's content hash
        doc_id TEXT,
        time REAL NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS seen_url ON seen (url)",
    "CREATE INDEX IF NOT EXISTS seen_sha ON seen (sha)",
)


class TooManyFeeds(ValueError):
    """Adding a feed beyond ``max_feeds``."""


@dataclass(frozen=True)
class Feed:
    url: str
    collection: str | None
    added: float
    next_poll: float
    failures: int
    last_polled: float | None
    last_error: str | None
    entries: int


class FeedStore:
    """The feeds table and the seen entries; thread-safe (one connection, used under a lock)."""

    def __init__(self, path: Path, max_feeds: int = 100, max_seen: int = 100_000):
        self.path = path
        self.max_feeds = max_feeds
        self.max_seen = max_seen
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=10000")
            for statement in _SCHEMA:
                db.execute(statement)
            self._db = db
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- feeds ---------------------------------------------------------------------------------
    def add(self, url: str, collection: str | None = None) -> bool:
        """Add a feed (due at once); False when it is already there (its collection is updated)."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")  # the count and the insert together, against other processes
            try:
                if db.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone():
                    db.execute("UPDATE feeds SET collection = ? WHERE url = ?", (collection, url))
                    db.execute("COMMIT")
                    return False
                (count,) = db.execute("SELECT count(*) FROM feeds").fetchone()
                if count >= self.max_feeds:
                    raise TooManyFeeds(f"already {count} feeds, the most RAG_FEEDS_MAX allows; remove one first")
                db.execute(
                    "INSERT INTO feeds (url, collection, added, next_poll) VALUES (?, ?, ?, 0)",
                    (url, collection, time.time()),
                )
                db.execute("COMMIT")
                return True
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def remove(self, url: str) -> bool:
        """Remove a feed (its indexed entries stay in the index); False when there was none."""
        with self._lock:
            cursor = self._conn().execute("DELETE FROM feeds WHERE url = ?", (url,))
            return cursor.rowcount > 0

    def feeds(self) -> list[Feed]:
        with self._lock:
            rows = self._conn().execute(
                "SELECT url, collection, added, next_poll, failures, last_polled, last_error, entries "
                "FROM feeds ORDER BY added, url"
            )
            return [Feed(*row) for row in rows.fetchall()]

    def claim_due(self, now: float, hold: float) -> list[Feed]:
        """The feeds due at ``now``, each moved to ``now + hold`` first so that no other process polls it too."""
        claimed = []
        with self._lock:
            if self._db is None and not self.path.exists():
                return []  # no feed was ever added: a server polling nothing creates no file
            db = self._conn()
            due = db.execute(
                "SELECT url, collection, added, next_poll, failures, last_polled, last_error, entries "
                "FROM feeds WHERE next_poll <= ? ORDER BY next_poll",
                (now,),
            ).fetchall()
            for row in due:
                feed = Feed(*row)
                taken = db.execute(
                    "UPDATE feeds SET next_poll = ? WHERE url = ? AND next_poll = ?",
                    (now + hold, feed.url, feed.next_poll),
                )
                if taken.rowcount == 1:
                    claimed.append(feed)
        return claimed

    def polled(self, url: str, now: float, next_poll: float, error: str | None, new_entries: int) -> None:
        """Record a poll: success resets the failure count, a failure adds one (``next_poll`` holds the backoff)."""
        with self._lock:
            self._conn().execute(
                "UPDATE feeds SET last_polled = ?, next_poll = ?, last_error = ?, entries = entries + ?, "
                "failures = CASE WHEN ? IS NULL THEN 0 ELSE failures + 1 END WHERE url = ?",
                (now, next_poll, error, new_entries, error, url),
            )

    # -- entries -------------------------------------------------------------------------------
    def seen_url(self, url: str) -> bool:
        with self._lock:
            return self._conn().execute("SELECT 1 FROM seen WHERE url = ?", (url,)).fetchone() is not None

    def seen_sha(self, sha: str) -> bool:
        with self._lock:
            return self._conn().execute("SELECT 1 FROM seen WHERE sha = ?", (sha,)).fetchone() is not None

    def mark_seen(self, feed: str, url: str, sha: str | None, doc_id: str | None) -> None:
        """Remember an entry (indexed, or a copy of one already indexed); the oldest beyond ``max_seen`` go."""
        with self._lock:
            db = self._conn()
            db.execute(
                "INSERT OR REPLACE INTO seen (feed, url, sha, doc_id, time) VALUES (?, ?, ?, ?, ?)",
                (feed, url, sha, doc_id, time.time()),
            )
            db.execute(
                "DELETE FROM seen WHERE id <= (SELECT id FROM seen ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.max_seen,),
            )
