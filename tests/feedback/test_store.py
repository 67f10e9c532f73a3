"""app/feedback/store.py: the SQLite feedback table (round trip, privacy setting, bound, concurrent writers)."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

from app.feedback.store import FeedbackStore, ShownAnswer
from tests.conftest import BOROVOE

SHOWN = ShownAnswer("более 50 человек", BOROVOE, 401, 417, "… приняли участие более 50 человек …", 0.93)
QUESTION = "Сколько человек приняли участие в конференции в Боровом?"


def test_round_trip(tmp_path):
    """Rows come back as stored, oldest first, with a UTC time; the file appears at the first write, in WAL mode."""
    path = tmp_path / "data" / "feedback.sqlite3"
    store = FeedbackStore(path)
    assert store.rows() == [] and not path.exists()
    first = store.add(QUESTION, "ru", "up", answer=SHOWN, index_version="20260101T000000-000000001")
    second = store.add("Who won the 1998 World Cup?", "en", "down", correction="France")
    assert second > first
    up, down = store.rows()
    assert (up.id, up.question, up.lang, up.verdict, up.correction) == (first, QUESTION, "ru", "up", None)
    assert up.answer == SHOWN and up.index_version == "20260101T000000-000000001"
    assert (down.answer, down.correction, down.index_version) == (None, "France", None)
    stamp = datetime.fromisoformat(up.time)
    assert stamp.utcoffset().total_seconds() == 0 and abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r.id for r in FeedbackStore(path).rows()] == [first, second]  # persisted, readable by a new store


def test_store_text_off_keeps_no_typed_text(tmp_path):
    """With store_text=False the question and the correction are NULL; verdict, language and answer are kept."""
    store = FeedbackStore(tmp_path / "f.sqlite3", store_text=False)
    store.add(QUESTION, "ru", "down", answer=SHOWN, correction="более 50")
    (row,) = store.rows()
    assert row.question is None and row.correction is None
    assert (row.lang, row.verdict, row.answer) == ("ru", "down", SHOWN)
    with sqlite3.connect(tmp_path / "f.sqlite3") as db:
        stored = db.execute("SELECT * FROM feedback").fetchone()
    assert not any(isinstance(v, str) and ("Боровом" in v or v == "более 50") for v in stored), stored


def test_bound_drops_the_oldest_rows(tmp_path):
    """Beyond max_rows the oldest rows go; ids are never reused, also after reopening the file."""
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path, max_rows=3)
    ids = [store.add(f"question {i}?", "en", "up") for i in range(5)]
    assert [r.id for r in store.rows()] == ids[2:] and store.count() == 3
    store.close()
    reopened = FeedbackStore(path, max_rows=3)
    new = reopened.add("question 5?", "en", "down")
    assert new == ids[-1] + 1
    assert [r.question for r in reopened.rows()] == ["question 3?", "question 4?", "question 5?"]


def test_concurrent_writers(tmp_path):
    """Eight threads adding at once lose nothing and get distinct ids."""
    store = FeedbackStore(tmp_path / "f.sqlite3")
    ids: list[int] = []

    def write(n: int) -> None:
        for i in range(25):
            ids.append(store.add(f"q{n}-{i}?", "en", "up" if i % 2 else "down"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 200 and store.count() == 200


def test_where_feedback_is_kept(tmp_path, monkeypatch):
    """By default beside the index folder (not inside it); RAG_FEEDBACK_PATH names another file."""
    from app.settings import Settings

    assert Settings(_env_file=None, index_dir=tmp_path / "index").feedback_file == tmp_path / "feedback.sqlite3"
    monkeypatch.setenv("RAG_FEEDBACK_PATH", str(tmp_path / "elsewhere" / "f.db"))
    monkeypatch.setenv("RAG_FEEDBACK_STORE_TEXT", "false")
    settings = Settings(_env_file=None, index_dir=tmp_path / "index")
    assert settings.feedback_file == tmp_path / "elsewhere" / "f.db" and settings.feedback_store_text is False
    assert settings.feedback_max_rows == 100_000
