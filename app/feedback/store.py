"""The feedback table: one SQLite file (stdlib ``sqlite3``), written by the server, read by the CLI.

WAL mode lets ``python -m app feedback export`` read while a running server writes. One connection per store,
used under a lock: the server's request threads take turns, each insert being a few microseconds. The table is
bounded: beyond ``max_rows`` the oldest rows are dropped, so the service never refuses feedback and the file never
grows without limit (export regularly to keep older rows as gold data).
"""

from __future__ import annotations

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
    index_version TEXT                     -- the index version that was served
)
"""


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
    """One stored verdict."""

    id: int
    time: str
    question: str | None
    lang: str
    verdict: Verdict
    correction: str | None
    answer: ShownAnswer | None
    index_version: str | None


class FeedbackStore:
    """The feedback table of one SQLite file; the file is created at the first write, not before."""

    def __init__(self, path: Path, max_rows: int = 100_000, store_text: bool = True):
        self.path = Path(path)
        self.max_rows = max_rows
        self.store_text = store_text
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        """The open connection (call under the lock); raises ``sqlite3.Error`` or ``OSError`` if it cannot open."""
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: the server's worker threads share it, serialised by self._lock.
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; WAL keeps it consistent
                db.execute(_SCHEMA)
            except sqlite3.Error:
                db.close()
                raise
            self._db = db
        return self._db

    def add(
        self,
        question: str,
        lang: str,
        verdict: Verdict,
        answer: ShownAnswer | None = None,
        correction: str | None = None,
        index_version: str | None = None,
    ) -> int:
        """Store one verdict and return its id; the oldest rows beyond ``max_rows`` are dropped."""
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
            db.execute("BEGIN IMMEDIATE")  # one transaction: the insert and the trim
            try:
                cursor = db.execute(
                    "INSERT INTO feedback (time, question, lang, verdict, correction, answer_text, doc_id, start,"
                    ' "end", sentence, confidence, index_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                    row,
                )
                new_id = cursor.lastrowid
                assert new_id is not None  # an INSERT always has one
                # Ids only grow and rows leave only here, oldest first: the kept rows are the last max_rows ids,
                # found through the primary key without counting the table.
                db.execute("DELETE FROM feedback WHERE id <= ?", (new_id - self.max_rows,))
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
                " confidence, index_version FROM feedback ORDER BY id"
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


def _row(record: tuple) -> FeedbackRow:
    id_, time, question, lang, verdict, correction, text, doc_id, start, end, sentence, confidence, version = record
    answer = None
    if text is not None and doc_id is not None:
        answer = ShownAnswer(text, doc_id, int(start), int(end), sentence, confidence)
    return FeedbackRow(id_, time, question, lang, verdict, correction, answer, version)
