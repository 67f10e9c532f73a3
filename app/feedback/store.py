"""The feedback table: one SQLite file (stdlib ``sqlite3``), written by the server, read by the CLI.

WAL mode lets ``python -m app feedback export`` read while a running server writes. One connection per store,
used under a lock: the server's request threads take turns, each insert and its trim taking under 2 ms (measured
with 100,000 keyed and 10,000 anonymous rows; feedback's own rate limit keeps them rare).

Every row records who gave it: ``key:<key name>`` (never the key), or ``anonymous:<hash>`` of the client's address
(a keyed hash whose salt stays in the file, so that one address's rows can be told apart without storing it). The
table is bounded in two separate allowances: beyond ``max_rows`` keyed rows the oldest keyed rows are dropped, and
beyond ``anonymous_max_rows`` anonymous rows the oldest anonymous ones, so that a flood of anonymous posts can
never push out feedback given with a key. Rows stored before givers were recorded have ``given_by`` NULL and count
with the keyed rows (they are never dropped for anonymous ones). Export regularly to keep older rows as gold data.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Verdict = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so exported gold ids stay unique over time
    time TEXT NOT NULL,                    -- UTC, ISO 8601
    question TEXT,                         -- NULL when RAG_FEEDBACK_STORE_TEXT=false
    lang TEXT NOT NULL,                    -- the question's language
    verdict TEXT NOT NULL CHECK (verdict IN ('up', 'down')),
    correction TEXT,                       -- the user's "the answer is ..." (NULL without one, or without text)
    answer_text TEXT,                      -- the answer shown; NULL when the service said "not found"
    doc_id TEXT,
    start INTEGER,
    "end" INTEGER,
    sentence TEXT,
    confidence REAL,
    index_version TEXT,                    -- the index version that was served
    given_by TEXT,                         -- 'key:<name>' or 'anonymous:<hash>'; NULL: stored before schema 1
    anonymous INTEGER NOT NULL DEFAULT 0   -- 1: counted in the anonymous allowance
)
"""
# Schema 1 added given_by and anonymous; files of schema 0 (PRAGMA user_version 0) are migrated when opened.
SCHEMA_VERSION = 1
_MIGRATE_TO_1 = (
    "ALTER TABLE feedback ADD COLUMN given_by TEXT",
    "ALTER TABLE feedback ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0",
)
_SCHEMA_1 = (
    # Each allowance is trimmed through this index, newest first, without scanning the other's rows.
    "CREATE INDEX IF NOT EXISTS feedback_allowance ON feedback (anonymous, id)",
    "CREATE TABLE IF NOT EXISTS feedback_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
ANONYMOUS = "anonymous:"
KEYED = "key:"


@dataclass(frozen=True)
class ShownAnswer:
    """The answer a verdict is about: a verbatim span ``text`` at ``start:end`` of document ``doc_id``."""

    text: str
    doc_id: str
    start: int
    end: int
    sentence: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class FeedbackRow:
    """One stored verdict; ``given_by`` is None for rows stored before givers were recorded."""

    id: int
    time: str
    question: str | None
    lang: str
    verdict: Verdict
    correction: str | None
    answer: ShownAnswer | None
    index_version: str | None
    given_by: str | None = None

    @property
    def keyed(self) -> bool:
        """Given with an API key: the only rows trusted as gold data by default."""
        return self.given_by is not None and self.given_by.startswith(KEYED)


class FeedbackStore:
    """The feedback table of one SQLite file; the file is created at the first write, not before."""

    def __init__(self, path: Path, max_rows: int = 100_000, store_text: bool = True, anonymous_max_rows: int = 10_000):
        self.path = Path(path)
        self.max_rows = max_rows
        self.anonymous_max_rows = anonymous_max_rows
        self.store_text = store_text
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._salt = b""

    def _connect(self) -> sqlite3.Connection:
        """The open connection (call under the lock); raises ``sqlite3.Error`` or ``OSError`` if it cannot open."""
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: the server's worker threads share it, serialised by self._lock.
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; WAL keeps it consistent
                self._salt = _prepare(db)
            except sqlite3.Error:
                db.close()
                raise
            self._db = db
        return self._db

    def giver(self, key_name: str | None, client: str | None) -> str:
        """Who gave a row: the key's name, else a salted hash of the client's address (call under the lock)."""
        if key_name is not None:
            return KEYED + key_name
        digest = hashlib.blake2b((client or "-").encode(), key=self._salt, digest_size=8).hexdigest()
        return ANONYMOUS + digest

    def add(
        self,
        question: str,
        lang: str,
        verdict: Verdict,
        answer: ShownAnswer | None = None,
        correction: str | None = None,
        index_version: str | None = None,
        key_name: str | None = None,
        client: str | None = None,
    ) -> int:
        """Store one verdict and return its id.

        Given with the key named ``key_name``, the row is keyed; without one it is anonymous, from the address
        ``client``. The oldest rows of the same allowance beyond its bound are dropped, never those of the other.
        """
        anonymous = key_name is None
        bound = self.anonymous_max_rows if anonymous else self.max_rows
        keep_text = self.store_text
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            question if keep_text else None,
            lang,
            verdict,
            correction if keep_text else None,  # users' free text too: withheld with the question
            answer.text if answer else None,
            answer.doc_id if answer else None,
            answer.start if answer else None,
            answer.end if answer else None,
            answer.sentence if answer else None,
            answer.confidence if answer else None,
            index_version,
        )
        with self._lock:
            db = self._connect()
            given_by = self.giver(key_name, client)
            db.execute("BEGIN IMMEDIATE")  # one transaction: the insert and the trim
            try:
                cursor = db.execute(
                    "INSERT INTO feedback (time, question, lang, verdict, correction, answer_text, doc_id, start,"
                    ' "end", sentence, confidence, index_version, given_by, anonymous)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, given_by, int(anonymous)),
                )
                new_id = cursor.lastrowid
                assert new_id is not None  # an INSERT always has one
                # Only this row's allowance is trimmed, oldest first: the newest `bound` of its rows are kept,
                # found by walking the (anonymous, id) index from the newest, not by counting the table.
                db.execute(
                    "DELETE FROM feedback WHERE anonymous = ?1 AND id <= (SELECT id FROM feedback"
                    " WHERE anonymous = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                    (int(anonymous), bound),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return new_id

    def rows(self) -> list[FeedbackRow]:
        """Every stored row, oldest first ([] before the first write)."""
        if not self.path.exists():
            return []
        with self._lock:
            records = self._connect().execute(
                'SELECT id, time, question, lang, verdict, correction, answer_text, doc_id, start, "end", sentence,'
                " confidence, index_version, given_by FROM feedback ORDER BY id"
            )
            return [_row(record) for record in records.fetchall()]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._lock:
            return int(self._connect().execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _prepare(db: sqlite3.Connection) -> bytes:
    """Create or migrate the schema of an open file and return its salt for anonymous givers.

    One transaction, taken before looking: two processes opening an old file at once migrate it once.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'").fetchone()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if not exists:
            db.execute(_SCHEMA)
        elif version < 1:
            for statement in _MIGRATE_TO_1:
                db.execute(statement)
        for statement in _SCHEMA_1:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("INSERT OR IGNORE INTO feedback_meta VALUES ('salt', ?)", (secrets.token_hex(16),))
        salt = db.execute("SELECT value FROM feedback_meta WHERE name = 'salt'").fetchone()[0]
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return bytes.fromhex(salt)


def _row(record: tuple) -> FeedbackRow:
    id_, time, question, lang, verdict, correction, text, doc_id, start, end, sentence, confidence = record[:12]
    version, given_by = record[12:]
    answer = None
    if text is not None and doc_id is not None:
        answer = ShownAnswer(text, doc_id, int(start), int(end), sentence, confidence)
    return FeedbackRow(id_, time, question, lang, verdict, correction, answer, version, given_by)
