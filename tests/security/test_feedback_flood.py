"""Anonymous feedback cannot wipe or poison real feedback: a flood of anonymous posts drops only anonymous rows,
feedback has its own per-caller rate limit and quota, gold export trusts keyed rows only and says who gave each
line, and a feedback file of the schema before givers were recorded opens and migrates."""

from __future__ import annotations

import json
import sqlite3

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.api.main import create_app
from app.cli import cli
from app.feedback.store import FeedbackStore, ShownAnswer
from tests.conftest import BISHKEK, BOROVOE, make_settings

EN_QUESTION = "Who is the Head of the OSCE Centre in Bishkek?"
RU_QUESTION = "Сколько человек приняли участие в конференции в Боровом?"

# The table as the first released schema created it (PRAGMA user_version 0): no giver columns.
OLD_SCHEMA = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, question TEXT, lang TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('up', 'down')), correction TEXT, answer_text TEXT, doc_id TEXT,
    start INTEGER, "end" INTEGER, sentence TEXT, confidence REAL, index_version TEXT
)
"""


def app_client(seed, tmp_path, **overrides) -> tuple[TestClient, FeedbackStore]:
    """A client of an app over the session index with its own feedback file; no feedback limits unless given."""
    overrides.setdefault("feedback_rate_limit", "")
    overrides.setdefault("feedback_quota", "")
    settings = make_settings(seed.index, feedback_path=tmp_path / "feedback.sqlite3", **overrides)
    return TestClient(create_app(settings, pipeline=seed.pipeline)), FeedbackStore(settings.feedback_file)


def shown(pipeline, doc_id: str, span: str) -> dict:
    start = pipeline.document(doc_id).text.index(span)
    return {"text": span, "doc_id": doc_id, "start": start, "end": start + len(span)}


def export(db, seed, tmp_path, *flags: str) -> list[dict]:
    out = tmp_path / "gold.jsonl"
    args = ["feedback", "export", "--gold", str(out), "--db", str(db), "--index", str(seed.index), *flags]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_anonymous_flood_beyond_the_cap_leaves_every_keyed_row(seed, tmp_path, api_keys):
    """Keyed rows, then ten times the anonymous allowance of anonymous posts: every keyed row stays, only the newest
    anonymous rows are kept; rows name the key (never the key itself) or a hash of the address."""
    client, store = app_client(seed, tmp_path, feedback_max_rows=20, feedback_anonymous_max_rows=5)
    keyed = []
    for i, headers in enumerate([api_keys.read_headers, api_keys.admin_headers, api_keys.read_headers]):
        response = client.post("/feedback", json={"question": f"real question {i}?", "verdict": "up"}, headers=headers)
        keyed.append(response.json()["id"])
    flood = [client.post("/feedback", json={"question": f"planted {i}?", "verdict": "down"}) for i in range(50)]
    assert {response.status_code for response in flood} == {201}
    rows = store.rows()
    assert set(keyed) <= {r.id for r in rows}, "keyed feedback was dropped for anonymous posts"
    assert [r.id for r in rows if r.keyed] == keyed
    assert [r.given_by for r in rows if r.keyed] == ["key:test-reader", "key:test-admin", "key:test-reader"]
    anonymous = [r for r in rows if not r.keyed]
    assert [r.question for r in anonymous] == [f"planted {i}?" for i in range(45, 50)]
    (giver,) = {r.given_by for r in anonymous}
    assert giver.startswith("anonymous:") and "testclient" not in giver  # the client address, hashed
    store.close()
    stored = b"".join(part.read_bytes() for part in tmp_path.glob("feedback.sqlite3*"))  # the file and its WAL
    assert api_keys.read.encode() not in stored and api_keys.admin.encode() not in stored


def test_anonymous_feedback_can_be_switched_off(seed, tmp_path, api_keys):
    """RAG_FEEDBACK_ANONYMOUS_MAX_ROWS=0: feedback needs a key (401 saying so); keyed feedback is stored."""
    client, store = app_client(seed, tmp_path, feedback_anonymous_max_rows=0)
    refused = client.post("/feedback", json={"question": "Who?", "verdict": "up"})
    assert refused.status_code == 401 and "RAG_FEEDBACK_ANONYMOUS_MAX_ROWS" in refused.json()["detail"]
    assert refused.headers["www-authenticate"].startswith("Bearer")
    keyed = client.post("/feedback", json={"question": "Who?", "verdict": "up"}, headers=api_keys.read_headers)
    assert keyed.status_code == 201
    assert [r.given_by for r in store.rows()] == ["key:test-reader"]


def test_feedback_rate_limit_per_caller_answers_429_with_retry_after(seed, tmp_path, api_keys):
    """Past RAG_FEEDBACK_RATE_LIMIT a caller gets 429 with Retry-After naming the setting, nothing is stored; other
    routes and other callers keep their budgets."""
    client, store = app_client(seed, tmp_path, feedback_rate_limit="2/minute", rate_limit="100/minute")
    body = {"question": "Who heads the centre?", "verdict": "up"}
    assert [client.post("/feedback", json=body).status_code for _ in range(2)] == [201, 201]
    refused = client.post("/feedback", json=body)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "RAG_FEEDBACK_RATE_LIMIT" in refused.json()["detail"]
    assert client.get("/documents").status_code == 200
    assert client.post("/feedback", json=body, headers=api_keys.read_headers).status_code == 201
    assert len(store.rows()) == 3


def test_feedback_quota_per_caller_per_day(seed, tmp_path, api_keys):
    """RAG_FEEDBACK_QUOTA caps a caller's feedback over a day: past it, 429 with the wait until the window frees."""
    client, store = app_client(seed, tmp_path, feedback_quota="3/day")
    body = {"question": "Who heads the centre?", "verdict": "down"}
    assert [client.post("/feedback", json=body).status_code for _ in range(3)] == [201] * 3
    refused = client.post("/feedback", json=body)
    assert refused.status_code == 429 and "RAG_FEEDBACK_QUOTA" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) > 3600
    assert client.post("/feedback", json=body, headers=api_keys.admin_headers).status_code == 201
    assert len(store.rows()) == 4


def test_exported_gold_names_givers_and_leaves_anonymous_out_by_default(seed, pipeline, tmp_path, api_keys):
    """Gold lines carry given_by; anonymous rows are left out (a newer planted verdict cannot move a keyed question
    to another document) unless --include-anonymous asks for them."""
    client, store = app_client(seed, tmp_path)
    kapinos = {"question": EN_QUESTION, "verdict": "up", "answer": shown(pipeline, BISHKEK, "Sergey Kapinos")}
    assert client.post("/feedback", json=kapinos, headers=api_keys.read_headers).status_code == 201
    planted = {"question": EN_QUESTION, "verdict": "up", "answer": shown(pipeline, BOROVOE, "Боровое")}
    anonymous_only = {"question": RU_QUESTION, "verdict": "up", "answer": shown(pipeline, BOROVOE, "более 50 человек")}
    for body in (planted, anonymous_only):
        assert client.post("/feedback", json=body).status_code == 201
    (line,) = export(store.path, seed, tmp_path)
    assert (line["question"], line["doc_id"], line["answers"]) == (EN_QUESTION, BISHKEK, ["Sergey Kapinos"])
    assert line["given_by"] == ["key:test-reader"]
    lines = export(store.path, seed, tmp_path, "--include-anonymous")
    assert [line["question"] for line in lines] == [EN_QUESTION, RU_QUESTION]
    assert lines[0]["doc_id"] == BOROVOE  # with anonymous rows trusted, the newest verdict decides, as before
    assert all(giver.startswith("anonymous:") for giver in lines[1]["given_by"])


def test_old_schema_file_opens_and_migrates(seed, pipeline, tmp_path):
    """A feedback file of the schema before givers were recorded: its rows read back (given_by None), new rows
    are stored with their giver, it is migrated once, its rows are never dropped for anonymous ones, and export
    takes them only when asked."""
    path = tmp_path / "feedback.sqlite3"
    start = pipeline.document(BISHKEK).text.index("Sergey Kapinos")
    span = ShownAnswer("Sergey Kapinos", BISHKEK, start, start + len("Sergey Kapinos"))
    with sqlite3.connect(path) as db:
        db.execute(OLD_SCHEMA)
        db.execute(
            'INSERT INTO feedback (time, question, lang, verdict, answer_text, doc_id, start, "end", index_version)'
            " VALUES ('2025-01-01T00:00:00+00:00', ?, 'en', 'up', ?, ?, ?, ?, 'v1')",
            (EN_QUESTION, span.text, span.doc_id, span.start, span.end),
        )
    db.close()
    store = FeedbackStore(path, max_rows=10, anonymous_max_rows=2)
    (old,) = store.rows()
    assert (old.question, old.answer, old.given_by, old.keyed) == (EN_QUESTION, span, None, False)
    store.add("keyed?", "en", "up", key_name="analyst")
    for i in range(5):
        store.add(f"anonymous {i}?", "en", "down", client="198.51.100.7")
    rows = store.rows()
    assert [r.given_by for r in rows[:2]] == [None, "key:analyst"]
    assert [r.question for r in rows[2:]] == ["anonymous 3?", "anonymous 4?"]
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    db.close()
    assert [r.id for r in FeedbackStore(path).rows()] == [r.id for r in rows]  # reopening migrates nothing again
    assert export(path, seed, tmp_path) == []
    (line,) = export(path, seed, tmp_path, "--include-anonymous")
    assert line["id"] == f"fb{old.id}" and line["given_by"] == ["unknown"]


def test_feedback_with_a_public_key_counts_as_anonymous(seed, tmp_path):
    """A public key is in every visitor's page, so it vouches for nobody: its feedback goes to the anonymous
    allowance and is left out of export like anonymous feedback."""
    from app.keys import KeyStore

    keys = KeyStore(tmp_path / "keys.json")
    _, widget = keys.create("read", "widget", public=True)
    client, store = app_client(seed, tmp_path, keys_file=keys.path, feedback_anonymous_max_rows=1)
    for i in range(3):
        response = client.post("/feedback", json={"question": f"q{i}?", "verdict": "up"}, headers={"X-API-Key": widget})
        assert response.status_code == 201
    (row,) = store.rows()
    assert row.question == "q2?" and not row.keyed and row.given_by.startswith("anonymous:")
