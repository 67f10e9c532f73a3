"""The analyst's side of /ask and /search: filters, follow-ups, explanations, refusals, dated collections."""

from __future__ import annotations

import pytest

from tests.conftest import BISHKEK, RUSSIAN_DOCS, TASHKENT

HTML = (
    "<html><head><title>Граница</title><meta property='article:published_time' content='2019-06-02T08:00:00Z'>"
    "</head><body><p>На заставе Кызыл-Арт 1 июня прошли учения пограничников Таджикистана.</p></body></html>"
)


def test_filters_by_language_on_ask_and_search(client):
    """filters.langs keeps every passage in the chosen language on both endpoints."""
    for path, key in (("/ask", "question"), ("/search", "query")):
        body = {key: "border security cooperation", "top_k": 6, "filters": {"langs": ["ru"]}}
        response = client.post(path, json=body)
        assert response.status_code == 200, response.text
        passages = response.json()["passages"]
        assert len(passages) == 6 and {p["doc_id"] for p in passages} <= set(RUSSIAN_DOCS)


def test_filters_by_date_range(client):
    """A date range admits only documents dated inside it; the citation list shows their date."""
    body = {"query": "conference", "filters": {"date_from": "2016-01-01", "date_to": "2016-12-31"}}
    passages = client.post("/search", json=body).json()["passages"]
    assert passages and {p["doc_id"] for p in passages} == {BISHKEK}
    docs = {d["doc_id"]: d for d in client.get("/documents").json()}
    assert docs[BISHKEK]["date"] == "2016-04-28"


def test_filters_with_no_match_give_an_honest_empty_answer(client):
    """Filters no document passes: no passages, no answer, a not_found status and a filters verdict."""
    body = {"question": "Who chaired the consultations?", "explain": True, "filters": {"date_from": "2030-01-01"}}
    data = client.post("/ask", json=body).json()
    assert data["answer"] is None and data["passages"] == [] and data["status"] == "not_found"
    assert data["explanation"]["stage"] == "filters"


@pytest.mark.parametrize(
    "filters,needle",
    [
        ({"langs": ["de"]}, "'uz' or 'tg'"),
        ({"date_from": "2016-13-01"}, "date_from"),
        ({"date_from": "2017-01-01", "date_to": "2016-01-01"}, "is after"),
        ({"collections": ["nope"]}, "unknown collection"),
        ({"colour": "red"}, "colour"),
        ({"langs": []}, "langs"),
    ],
)
def test_bad_filters_are_422_naming_what_is_allowed(client, filters, needle):
    """Unknown languages, bad dates, reversed ranges, unknown collections and fields are 422 with a reason."""
    response = client.post("/ask", json={"question": "border", "filters": filters})
    assert response.status_code == 422
    assert needle in response.text


def test_follow_up_through_the_api(client):
    """history turns a pronoun question into a follow-up answered from the continued document."""
    first = client.post("/ask", json={"question": "Who chaired the consultations in Tashkent?"}).json()
    turn = {"question": first["question"], "doc_ids": [TASHKENT], "sentences": []}
    data = client.post("/ask", json={"question": "And when did they take place?", "history": [turn]}).json()
    assert data["follow_up"] is True
    assert data["passages"][0]["doc_id"] == TASHKENT


def test_history_is_bounded_and_validated(client):
    """More than five turns, or a turn without a question, is a 422."""
    turn = {"question": "Who chaired the consultations in Tashkent?"}
    assert client.post("/ask", json={"question": "And when?", "history": [turn] * 6}).status_code == 422
    assert client.post("/ask", json={"question": "And when?", "history": [{"doc_ids": []}]}).status_code == 422


def test_explain_shows_every_stage_and_a_verdict(client):
    """explain: retrievers' candidates, fused order, sentences read, confidence inputs, threshold, verdict."""
    data = client.post("/ask", json={"question": "How many officials attended the conference in Bishkek?",
                                     "explain": True}).json()
    x = data["explanation"]
    assert x["retrieval"]["dense"] and x["retrieval"]["fused"] and x["reading"]["sentences"]
    assert x["retrieval"]["fused"][0]["doc_id"] == data["passages"][0]["doc_id"]
    assert set(x["answers"][0]["inputs"]) >= {"cosine", "overlap", "passage"}
    assert 0 <= x["threshold"] <= 1
    if data["answer"]:
        assert x["verdict"].startswith("answered") and x["stage"] is None
    else:
        assert x["verdict"].startswith("abstained") and x["stage"] in ("retrieval", "reading")
    assert client.post("/ask", json={"question": "border"}).json()["explanation"] is None


def test_refusal_names_the_closest_passages(client):
    """An unanswerable question: not_found, a refusal message in the question's language, passages kept."""
    data = client.post("/ask", json={"question": "Какая погода будет завтра в Париже?"}).json()
    assert data["answer"] is None and data["status"] == "not_found"
    assert "не найдено" in data["refusal"]["message"]
    assert data["passages"], "the closest passages are returned anyway"


def test_refusal_contact_is_configurable(workspace, api_keys):
    """RAG_REFUSAL_CONTACT per language ('*' for any) is returned with a refusal."""
    from fastapi.testclient import TestClient

    from app.api.main import create_app

    settings = workspace.settings.model_copy(update={"refusal_contact": {"en": "desk@example.org", "*": "any"}})
    with TestClient(create_app(settings, pipeline=workspace.pipeline)) as c:
        en = c.post("/ask", json={"question": "What will the weather be in Paris tomorrow?"}).json()
        ru = c.post("/ask", json={"question": "Какая погода будет завтра в Париже?"}).json()
    assert en["refusal"]["contact"] == "desk@example.org" and ru["refusal"]["contact"] == "any"


def test_upload_with_collection_and_date_then_filter(workspace_client):
    """Uploads carry a collection and a date (field, else file metadata); both filter /ask."""
    c = workspace_client
    created = c.post("/documents", json={"doc_id": "notes/a.txt", "text": "Учения прошли на заставе Кызыл-Арт.",
                                         "collection": "field-notes", "date": "2021-05-04"})
    assert created.status_code == 201, created.text
    page = c.post("/documents", files={"file": ("page.html", HTML, "text/html")}, data={"collection": "web"})
    assert page.status_code == 201, page.text
    docs = {d["doc_id"]: d for d in c.get("/documents").json()}
    assert (docs["notes/a.txt"]["collection"], docs["notes/a.txt"]["date"]) == ("field-notes", "2021-05-04")
    assert (docs["page.html"]["collection"], docs["page.html"]["date"]) == ("web", "2019-06-02")
    body = {"query": "застава Кызыл-Арт", "filters": {"collections": ["web"]}}
    assert {p["doc_id"] for p in c.post("/search", json=body).json()["passages"]} == {"page.html"}
    body["filters"] = {"collections": ["web", "field-notes"], "date_from": "2020-01-01"}
    assert {p["doc_id"] for p in c.post("/search", json=body).json()["passages"]} == {"notes/a.txt"}
    bad = c.post("/search", json={"query": "x y", "filters": {"collections": ["nope"]}})
    assert bad.status_code == 422 and "'field-notes', 'web'" in bad.text


@pytest.mark.parametrize("field,value", [("date", "04/05/2021"), ("collection", "a/b"), ("collection", "")])
def test_bad_upload_metadata_is_422(workspace_client, field, value):
    """A date that is not YYYY-MM-DD or a collection with a slash is rejected before indexing."""
    body = {"doc_id": "x.txt", "text": "Учения прошли на заставе.", field: value}
    assert workspace_client.post("/documents", json=body).status_code == 422
    multipart = workspace_client.post("/documents", files={"file": ("y.txt", b"Some text here.", "text/plain")},
                                      data={field: value or " "})
    assert multipart.status_code == 422


def test_corpus_sub_folders_are_collections(workspace):
    """A corpus file in a sub-folder belongs to that collection."""
    folder = workspace.corpus / "reports"
    folder.mkdir()
    (folder / "r1.txt").write_text("Отчёт от 12 марта 2020 г. о пограничной безопасности.", encoding="utf-8")
    workspace.pipeline.ingest_folder(workspace.corpus)
    doc = workspace.pipeline.document("reports/r1.txt")
    assert (doc.collection, doc.date) == ("reports", "2020-03-12")
