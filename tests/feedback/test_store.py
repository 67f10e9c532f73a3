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
    """Beyond max_rows the oldest keyed rows go; ids are never reused, also after reopening the file."""
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path, max_rows=3)
    ids = [store.add(f"question {i}?", "en", "up", key_name="analyst") for i in range(5)]
    assert [r.id for r in store.rows()] == ids[2:] and store.count() == 3
    store.close()
    reopened = FeedbackStore(path, max_rows=3)
    new = reopened.add("question 5?", "en", "down", key_name="analyst")
    assert new == ids[-1] + 1
    assert [r.question for r in reopened.rows()] == ["question 3?", "question 4?", "question 5?"]


def test_each_allowance_drops_only_its_own_rows(tmp_path):
    """Keyed and anonymous rows have their own bounds: each drops its own oldest rows, never the other's; one
    address always hashes alike (its rows can be told apart), two addresses differently."""
    store = FeedbackStore(tmp_path / "f.sqlite3", max_rows=2, anonymous_max_rows=2)
    store.add("keyed 0?", "en", "up", key_name="analyst")
    for i in range(4):
        store.add(f"anonymous {i}?", "en", "down", client="203.0.113.5" if i % 2 else "203.0.113.6")
    for i in range(1, 3):
        store.add(f"keyed {i}?", "en", "up", key_name="analyst")
    rows = store.rows()
    assert [r.question for r in rows] == ["anonymous 2?", "anonymous 3?", "keyed 1?", "keyed 2?"]
    assert [r.keyed for r in rows] == [False, False, True, True]
    assert rows[0].given_by != rows[1].given_by and all("203.0.113" not in (r.given_by or "") for r in rows)
    store.add("anonymous 5?", "en", "down", client="203.0.113.5")
    assert store.rows()[-1].given_by == rows[1].given_by


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
