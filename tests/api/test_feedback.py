"""POST /feedback in process (TestClient over the seed index, a feedback file per test): storing verdicts,
validation against the served index, keys, the rate limit, the privacy setting, an unwritable store."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.feedback.store import FeedbackStore
from tests.conftest import BISHKEK, BOROVOE, make_settings

RU_QUESTION = "Сколько человек приняли участие в конференции в Боровом?"


def app_client(seed, pipeline, tmp_path, **overrides) -> tuple[TestClient, FeedbackStore]:
    """A client of an app over the session index whose feedback goes to a file of this test, and that file."""
    settings = make_settings(seed.index, feedback_path=tmp_path / "feedback.sqlite3", **overrides)
    app = create_app(settings, pipeline=pipeline)
    return TestClient(app, raise_server_exceptions=False), FeedbackStore(settings.feedback_file)


def shown(pipeline, doc_id: str = BOROVOE, span: str = "более 50 человек") -> dict:
    """An answer as /ask shows it: a span of a stored document with its offsets."""
    text = pipeline.document(doc_id).text
    start = text.index(span)
    return {"text": span, "doc_id": doc_id, "start": start, "end": start + len(span)}


def test_a_verdict_on_an_asked_answer_is_stored(seed, pipeline, tmp_path):
    """The answer of /ask sent back as it came is stored with the question, its language and the index version."""
    client, store = app_client(seed, pipeline, tmp_path)
    answer = client.post("/ask", json={"question": RU_QUESTION}).json()["answer"]
    assert answer is not None
    body = {
        "question": RU_QUESTION,
        "verdict": "up",
        "answer": {k: answer[k] for k in ("text", "doc_id", "start", "end", "sentence", "confidence")},
    }
    response = client.post("/feedback", json=body)
    assert response.status_code == 201, response.text
    (row,) = store.rows()
    assert response.json() == {"id": row.id}
    assert (row.question, row.lang, row.verdict, row.correction) == (RU_QUESTION, "ru", "up", None)
    assert (row.answer.text, row.answer.doc_id, row.answer.start, row.answer.end) == (
        answer["text"],
        answer["doc_id"],
        answer["start"],
        answer["end"],
    )
    assert row.answer.sentence == answer["sentence"] and row.answer.confidence == answer["confidence"]
    assert row.index_version == pipeline.store.version() is not None


def test_not_found_with_a_correction(seed, pipeline, tmp_path):
    """A "down" on a "not found" answer keeps the correction; the given lang wins over detection."""
    client, store = app_client(seed, pipeline, tmp_path)
    response = client.post(
        "/feedback",
        json={
            "question": "Who heads the centre?",
            "verdict": "down",
            "answer": None,
            "correction": "  Sergey Kapinos ",
            "lang": "ru",
        },
    )
    assert response.status_code == 201, response.text
    (row,) = store.rows()
    assert (row.answer, row.correction, row.lang, row.verdict) == (None, "Sergey Kapinos", "ru", "down")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"verdict": "meh"}, "verdict"),
        ({"verdict": None}, "verdict"),
        ({"question": "   "}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"correction": "y" * 1001}, "correction"),
        ({"mood": "happy"}, "mood"),
    ],
)
def test_invalid_bodies_are_refused(seed, pipeline, tmp_path, change, message):
    """A bad verdict, an empty or over-long question or correction, an unknown field: 422 naming it, nothing kept."""
    client, store = app_client(seed, pipeline, tmp_path)
    response = client.post("/feedback", json={"question": RU_QUESTION, "verdict": "up", **change})
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert store.rows() == []


def test_unknown_document_is_refused_by_name(seed, pipeline, tmp_path):
    """An answer citing a document the index does not hold: 422 naming the doc_id."""
    client, store = app_client(seed, pipeline, tmp_path)
    answer = {**shown(pipeline), "doc_id": "reports/no-such-file.txt"}
    response = client.post("/feedback", json={"question": RU_QUESTION, "verdict": "up", "answer": answer})
    assert response.status_code == 422
    assert "reports/no-such-file.txt" in response.json()["detail"]
    assert store.rows() == []


@pytest.mark.parametrize(
    "offsets, message",
    [
        ({"start": 0, "end": 10**6}, "must satisfy"),
        ({"start": 20, "end": 10}, "must satisfy"),
        ({"start": -1}, "start"),
        ({"end": "12"}, "end"),
        ({"start": 0, "end": 16}, "is not the text at 0:16"),
    ],
)
def test_offsets_outside_the_document_or_the_span_are_refused(seed, pipeline, tmp_path, offsets, message):
    """Offsets past the document's end, reversed, negative, not integers, or not holding answer.text: 422."""
    client, store = app_client(seed, pipeline, tmp_path)
    answer = {**shown(pipeline), **offsets}
    response = client.post("/feedback", json={"question": RU_QUESTION, "verdict": "up", "answer": answer})
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert store.rows() == []


def test_needs_a_read_key_when_reads_need_one(seed, pipeline, tmp_path, api_keys):
    """With RAG_READ_AUTH=true feedback needs a read (or admin) key like /ask; a revoked key is refused."""
    client, store = app_client(seed, pipeline, tmp_path, read_auth=True)
    body = {"question": RU_QUESTION, "verdict": "down"}
    refused = client.post("/feedback", json=body)
    assert refused.status_code == 401 and "RAG_READ_AUTH" in refused.json()["detail"]
    revoked = {"Authorization": f"Bearer {api_keys.revoked}"}
    assert client.post("/feedback", json=body, headers=revoked).status_code == 401
    assert client.post("/feedback", json=body, headers=api_keys.read_headers).status_code == 201
    assert client.post("/feedback", json=body, headers=api_keys.admin_headers).status_code == 201
    assert len(store.rows()) == 2


def test_rate_limited_like_ask(seed, pipeline, tmp_path, api_keys):
    """Feedback counts against the caller's RAG_RATE_LIMIT budget: past it, 429 with Retry-After."""
    client, store = app_client(seed, pipeline, tmp_path, rate_limit="2/minute")
    body = {"question": RU_QUESTION, "verdict": "up"}
    assert [client.post("/feedback", json=body).status_code for _ in range(2)] == [201, 201]
    refused = client.post("/feedback", json=body)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "RAG_RATE_LIMIT" in refused.json()["detail"]
    assert client.get("/documents").status_code == 429  # one budget for every route
    assert client.post("/feedback", json=body, headers=api_keys.read_headers).status_code == 201  # a key's own
    assert len(store.rows()) == 3


def test_store_text_off_over_http(seed, pipeline, tmp_path):
    """RAG_FEEDBACK_STORE_TEXT=false: the verdict and the answer are kept, the question and correction are not."""
    client, store = app_client(seed, pipeline, tmp_path, feedback_store_text=False)
    response = client.post(
        "/feedback",
        json={"question": RU_QUESTION, "verdict": "down", "answer": shown(pipeline), "correction": "более 50 человек"},
    )
    assert response.status_code == 201
    (row,) = store.rows()
    assert row.question is None and row.correction is None
    assert row.lang == "ru" and row.answer.doc_id == BOROVOE


def test_an_unwritable_store_is_503_not_500(seed, pipeline, tmp_path):
    """A feedback path that cannot be opened (here a folder) gives 503 with Retry-After, never a 500."""
    (tmp_path / "feedback.sqlite3").mkdir()
    client, _ = app_client(seed, pipeline, tmp_path)
    response = client.post(
        "/feedback",
        json={
            "question": "Who heads the OSCE Centre?",
            "verdict": "up",
            "answer": shown(pipeline, BISHKEK, "Sergey Kapinos"),
        },
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "60" and "retry" in response.json()["detail"]
