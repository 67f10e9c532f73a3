"""The HTTP API in process (FastAPI TestClient, lifespan included): contract, documents, validation, errors."""

from __future__ import annotations

import shutil
from importlib.util import find_spec
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.index.snapshot import IndexMismatch
from app.pipeline import Pipeline
from tests.conftest import (
    BISHKEK,
    BOROVOE,
    ENGLISH_DOCS,
    ISSYK_KUL,
    RUSSIAN_DOCS,
    SEED_DOCS,
    TASHKENT,
    UNODC,
    full_inference_queue,
    make_settings,
)
from tests.ingest.test_reader import fpdf_document, handmade_pdf

ASK_KEYS = {"question", "lang", "answer", "answers", "passages", "took_ms", "stages_ms", "status", "refusal",
            "follow_up", "explanation"}
ANSWER_KEYS = {"text", "sentence", "confidence", "doc_id", "title", "lang", "start", "end", "sentence_start",
               "sentence_end", "chunk_id", "url"}
PASSAGE_KEYS = {"doc_id", "title", "lang", "chunk_id", "text", "score", "start", "end", "url"}
SUMMARY_KEYS = {"doc_id", "title", "lang", "chars", "chunks", "origin", "date", "collection", "url"}



# Every test of this module runs on both stores: the embedded index and Milvus Lite (RAG_STORE=milvus).
STORES = ["local", pytest.param("milvus", marks=pytest.mark.skipif(not find_spec("pymilvus"), reason="no pymilvus"))]


@pytest.fixture(scope="module")
def milvus_seed(tmp_path_factory, seed, encoder):
    """The seed corpus ingested once into a Milvus Lite file; tests work on copies of the folder."""
    root = tmp_path_factory.mktemp("milvus-seed")
    shutil.copytree(seed.corpus, root / "corpus")
    settings = make_settings(root / "index", store="milvus", milvus_uri=str(root / "milvus.db"))
    pipeline = Pipeline(settings, encoder=encoder)
    assert not pipeline.ingest_folder(root / "corpus").failed
    pipeline.store.close()  # Milvus Lite admits one process per data file: the copies are opened, never this one
    return root


def _milvus_workspace(root, encoder, template):
    """A private copy of the Milvus Lite seed, laid out like the ``workspace`` fixture."""
    shutil.copytree(template, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock"))
    settings = make_settings(root / "index", store="milvus", milvus_uri=str(root / "milvus.db"))
    return SimpleNamespace(
        root=root, corpus=root / "corpus", index=root / "index", settings=settings,
        pipeline=Pipeline(settings, encoder=encoder),
    )


@pytest.fixture(scope="module", params=STORES)
def client(request, client, encoder, tmp_path_factory):
    """The session client (embedded store), or the same over Milvus Lite."""
    if request.param == "local":
        yield client
        return
    template = request.getfixturevalue("milvus_seed")
    ws = _milvus_workspace(tmp_path_factory.mktemp("api-milvus"), encoder, template)
    with TestClient(create_app(ws.settings, pipeline=ws.pipeline)) as test_client:
        yield test_client
    ws.pipeline.store.close()


@pytest.fixture(params=STORES)
def workspace_client(request, tmp_path, encoder, api_keys):
    """A client over a private index that the test may write to, on either store; requests carry the admin key."""
    if request.param == "local":
        ws = request.getfixturevalue("workspace")
    else:
        ws = _milvus_workspace(tmp_path, encoder, request.getfixturevalue("milvus_seed"))
    app = create_app(ws.settings, pipeline=ws.pipeline)
    with TestClient(app, raise_server_exceptions=False, headers=api_keys.admin_headers) as c:
        c.workspace = ws
        yield c
    ws.pipeline.store.close()


QUESTIONS = [
    "Сколько человек приняли участие в конференции в Боровом?",
    "Who is the head of the OSCE Centre in Bishkek?",
    "When was the fifth round of bilateral consultations held in Tashkent?",
    "Кто финансирует проект семинара УНП ООН?",
    "By how much did border incidents in Kyrgyzstan decrease?",
    "Где прошел пятый раунд консультаций между Узбекистаном и Казахстаном?",
]


def ask(client, question: str, **fields) -> dict:
    response = client.post("/ask", json={"question": question, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def document_text(client, doc_id: str) -> str:
    response = client.get(f"/documents/{doc_id}")
    assert response.status_code == 200, response.text
    return response.json()["text"]


# -- contract ------------------------------------------------------------------------------------------------


def test_health(client):
    """/health reports status, counts, the encoder and when the index was built."""
    pipeline = client.app.state.pipeline  # the store this client serves
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 5 and body["chunks"] == len(pipeline.snapshot.chunks)
    assert body["encoder"] == "e5-small" and "multilingual-e5-small" in body["embedding_model"]
    assert body["index_built_at"] == pipeline.snapshot.manifest["built_at"]


def test_ask_response_shape(client):
    """/ask returns exactly the contract's fields with the right types; answer is answers[0]."""
    body = ask(client, "Who is the head of the OSCE Centre in Bishkek?", top_k=3)
    assert set(body) == ASK_KEYS
    assert body["question"] == "Who is the head of the OSCE Centre in Bishkek?" and body["lang"] == "en"
    assert isinstance(body["took_ms"], float) and body["took_ms"] > 0
    assert set(body["answer"]) == ANSWER_KEYS
    assert body["answer"] == body["answers"][0]
    assert 1 <= len(body["answers"]) <= 3 and len(body["passages"]) == 3
    for answer in body["answers"]:
        assert set(answer) == ANSWER_KEYS
        assert isinstance(answer["confidence"], float) and 0 <= answer["confidence"] <= 1
        assert all(isinstance(answer[k], int) for k in ("start", "end", "sentence_start", "sentence_end", "chunk_id"))
    for passage in body["passages"]:
        assert set(passage) == PASSAGE_KEYS
    assert body["answer"]["text"] == "Sergey Kapinos" and body["answer"]["doc_id"] == BISHKEK


def test_search_response_shape(client):
    """/search returns ranked passages with the contract's fields."""
    response = client.post("/search", json={"query": "border security conference", "top_k": 4})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"passages", "took_ms"}
    assert len(body["passages"]) == 4
    assert all(set(p) == PASSAGE_KEYS for p in body["passages"])
    scores = [p["score"] for p in body["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_top_k_bounds_are_inclusive(client):
    """top_k=1 and top_k=50 are accepted; 50 on a small index returns every chunk once."""
    pipeline = client.app.state.pipeline  # the store this client serves
    assert len(ask(client, "граница", top_k=1)["passages"]) == 1
    passages = ask(client, "граница", top_k=50)["passages"]
    assert len(passages) == len(pipeline.snapshot.chunks)
    assert len({p["chunk_id"] for p in passages}) == len(passages)


def test_question_of_2000_characters_is_accepted(client):
    """The longest allowed question (2000 characters) is answered or abstained on, not refused."""
    question = ("Сколько человек приняли участие в конференции в Боровом? " * 40)[:2000]
    assert len(question) == 2000
    assert ask(client, question, top_k=1)["question"] == question.strip()


@pytest.mark.parametrize("question", QUESTIONS, ids=[f"q{i}" for i in range(len(QUESTIONS))])
def test_offsets_round_trip_through_get_document(client, question):
    """Every answer and passage slices GET /documents/{doc_id} text verbatim; spans lie inside their sentence."""
    body = ask(client, question, top_k=5)
    assert body["answer"] is not None
    texts: dict[str, str] = {}
    for answer in body["answers"]:
        text = texts.setdefault(answer["doc_id"], document_text(client, answer["doc_id"]))
        assert text[answer["start"]:answer["end"]] == answer["text"]
        assert text[answer["sentence_start"]:answer["sentence_end"]] == answer["sentence"]
        assert answer["sentence_start"] <= answer["start"] < answer["end"] <= answer["sentence_end"]
        assert answer["text"].strip() == answer["text"] and answer["text"]
    for passage in body["passages"]:
        text = texts.setdefault(passage["doc_id"], document_text(client, passage["doc_id"]))
        assert text[passage["start"]:passage["end"]] == passage["text"]


def test_lang_and_doc_ids_fields(client):
    """lang is echoed back; doc_ids restricts answers and passages."""
    body = ask(client, "Кто?", lang="ru", doc_ids=[UNODC, TASHKENT])
    assert body["lang"] == "ru"
    assert {p["doc_id"] for p in body["passages"]} <= {UNODC, TASHKENT}
    assert {a["doc_id"] for a in body["answers"]} <= {UNODC, TASHKENT}
    search = client.post("/search", json={"query": "OSCE", "doc_ids": [ISSYK_KUL]}).json()
    assert search["passages"] and {p["doc_id"] for p in search["passages"]} == {ISSYK_KUL}


@pytest.mark.parametrize("question", ["What is the best recipe for banana bread?",
                                      "Кто выиграл чемпионат мира по футболу 2018 года?"],
                         ids=["banana-bread", "world-cup"])
def test_unrelated_question_gets_null_answer(client, question):
    """A question the documents do not answer gets "answer": null and no answers."""
    body = ask(client, question)
    assert body["answer"] is None, body["answer"]
    assert body["answers"] == []


# -- documents -----------------------------------------------------------------------------------------------


def test_list_documents(client):
    """GET /documents lists every document with doc_id, title, lang, chars and chunks."""
    pipeline = client.app.state.pipeline  # the store this client serves
    listing = client.get("/documents").json()
    assert sorted(d["doc_id"] for d in listing) == list(SEED_DOCS)
    for item in listing:
        assert set(item) == SUMMARY_KEYS
        doc = pipeline.document(item["doc_id"])
        assert item["title"] == doc.title and item["chars"] == len(doc.text)
        assert item["chunks"] == len(pipeline.snapshot.chunk_rows(item["doc_id"])) > 0
        assert item["lang"] == ("ru" if item["doc_id"] in RUSSIAN_DOCS else "en")
        assert item["origin"] == "corpus"
    assert sum(d["chunks"] for d in listing) == client.get("/health").json()["chunks"]


def test_get_document(client):
    """GET /documents/{doc_id} returns the summary fields and the full cleaned text."""
    body = client.get(f"/documents/{BOROVOE}").json()
    assert set(body) == SUMMARY_KEYS | {"text"}
    assert body["title"].startswith("В Казахстане прошла 3-я Конференция")
    assert body["chars"] == len(body["text"]) and "пос. Боровое" in body["text"]


@pytest.mark.parametrize("method", ["get", "delete"])
def test_unknown_document_is_404(client, api_keys, method):
    """GET and DELETE (with the admin key) of an unknown doc_id are 404 with a detail naming it."""
    response = getattr(client, method)("/documents/missing-file.txt", headers=api_keys.admin_headers)
    assert response.status_code == 404
    assert "missing-file.txt" in response.json()["detail"]


@pytest.mark.parametrize("path,field", [("/ask", "question"), ("/search", "query")])
def test_unknown_doc_ids_are_422(client, path, field):
    """/ask and /search refuse unknown doc_ids with 422 naming them."""
    response = client.post(path, json={field: "border", "doc_ids": [BISHKEK, "nope.txt"]})
    assert response.status_code == 422
    assert "nope.txt" in response.json()["detail"]


def test_upload_json_ask_and_delete(workspace_client):
    """A JSON upload is indexed at once, answers a question, and is gone after DELETE."""
    c = workspace_client
    doc = {"doc_id": "reports/osh.txt", "title": "Osh patrol report",
           "text": "Osh patrol report\n\nThe joint patrol near Osh involved 27 border guards from two countries. "
                   "It lasted four days."}
    created = c.post("/documents", json=doc)
    assert created.status_code == 201, created.text
    assert created.json()["doc_id"] == "reports/osh.txt" and created.json()["status"] == "added"
    listing = {d["doc_id"]: d for d in c.get("/documents").json()}
    uploaded = listing["reports/osh.txt"]
    assert uploaded["origin"] == "upload" and uploaded["title"] == "Osh patrol report"

    body = ask(c, "How many border guards were involved in the joint patrol near Osh?")
    assert body["answer"]["doc_id"] == "reports/osh.txt"
    assert "27" in body["answer"]["text"]
    text = document_text(c, "reports/osh.txt")
    assert text[body["answer"]["start"]:body["answer"]["end"]] == body["answer"]["text"]

    assert c.post("/documents", json=doc).json()["status"] == "unchanged"
    assert c.post("/documents", json={**doc, "text": doc["text"] + " It ended well."}).json()["status"] == "updated"

    deleted = c.delete("/documents/reports/osh.txt")
    assert deleted.status_code == 200 and deleted.json()["status"] == "removed"
    assert c.get("/documents/reports/osh.txt").status_code == 404
    assert "reports/osh.txt" not in {d["doc_id"] for d in c.get("/documents").json()}
    after = ask(c, "How many border guards were involved in the joint patrol near Osh?")
    assert all(p["doc_id"] != "reports/osh.txt" for p in after["passages"])
    assert c.post("/ask", json={"question": "Osh?", "doc_ids": ["reports/osh.txt"]}).status_code == 422


def test_upload_markdown_file_multipart(workspace_client):
    """A multipart .md upload is cleaned (no markup), named after the file and answerable."""
    c = workspace_client
    markdown = ("# Учения в Баткене\n\n![фото](https://example.org/a.png)\n\n"
                "В **совместных учениях** в Баткене участвовали 64 пограничника из трёх стран.\n")
    created = c.post("/documents", files={"file": ("batken.md", markdown.encode(), "text/markdown")})
    assert created.status_code == 201, created.text
    assert created.json()["doc_id"] == "batken.md"
    doc = c.get("/documents/batken.md").json()
    assert doc["title"] == "Учения в Баткене" and doc["lang"] == "ru"
    assert "**" not in doc["text"] and "example.org" not in doc["text"]
    body = ask(c, "Сколько пограничников участвовали в учениях в Баткене?")
    assert body["answer"]["doc_id"] == "batken.md" and "64" in body["answer"]["text"]
    assert c.delete("/documents/batken.md").status_code == 200
    assert c.get("/documents/batken.md").status_code == 404


def test_uploaded_file_is_read_and_cleaned_once(workspace_client, monkeypatch):
    """A multipart upload is decoded and cleaned once, in the route: indexing takes the text as read."""
    import app.ingest.reader as reader

    calls = {"decode": 0, "clean": 0}
    for name in calls:
        original = getattr(reader, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(reader, name, counted)
    text = "Osh memo\n\nThe Osh checkpoint reopened on 4 May with 12 officers on duty.\n"
    created = workspace_client.post("/documents", files={"file": ("memo.txt", text.encode(), "text/plain")})
    assert created.status_code == 201, created.text
    assert calls == {"decode": 1, "clean": 1}
    doc = workspace_client.get("/documents/memo.txt").json()
    assert doc["title"] == "Osh memo" and "12 officers" in doc["text"]


def test_upload_html_file_with_doc_id_and_title_fields(workspace_client):
    """A multipart .html upload honours the doc_id and title form fields and drops scripts."""
    c = workspace_client
    html = (b"<html><head><title>Page title</title><script>var hidden = 1;</script></head><body>"
            b"<p>The new checkpoint at <b>Dostuk</b> opened on 12 March 2021.</p></body></html>")
    created = c.post("/documents", data={"doc_id": "news/dostuk", "title": "Dostuk checkpoint"},
                     files={"file": ("page.html", html, "text/html")})
    assert created.status_code == 201, created.text
    doc = c.get("/documents/news/dostuk").json()
    assert doc["title"] == "Dostuk checkpoint"
    assert doc["text"] == "The new checkpoint at Dostuk opened on 12 March 2021."
    body = ask(c, "When did the new checkpoint at Dostuk open?")
    assert body["answer"]["doc_id"] == "news/dostuk" and body["answer"]["text"] == "12 March 2021"


def test_upload_pdf_file(workspace_client):
    """A multipart .pdf upload is read from its text layer."""
    c = workspace_client
    data = fpdf_document("Patrol summary", "The patrol in Naryn found 9 illegal crossings during the winter.")
    created = c.post("/documents", files={"file": ("naryn.pdf", data, "application/pdf")})
    assert created.status_code == 201, created.text
    assert "9 illegal crossings" in c.get("/documents/naryn.pdf").json()["text"]


def test_uploads_persist_across_restarts(workspace_client):
    """An uploaded document is on disk: a new pipeline over the same index serves it."""
    c = workspace_client
    assert c.post("/documents", json={"doc_id": "keep.txt", "text": "Kept across restarts."}).status_code == 201
    fresh = Pipeline(c.workspace.settings, encoder=c.workspace.pipeline.encoder)
    assert fresh.document("keep.txt").text == "Kept across restarts."


def test_blank_title_falls_back_to_the_first_line(workspace_client):
    """A whitespace-only title (JSON or form field) is replaced by the document's first line."""
    c = workspace_client
    text = "Dostuk checkpoint reopened\n\nThe checkpoint reopened after repairs."
    assert c.post("/documents", json={"doc_id": "a.txt", "text": text, "title": "   "}).status_code == 201
    assert c.get("/documents/a.txt").json()["title"] == "Dostuk checkpoint reopened"
    created = c.post("/documents", data={"title": " "}, files={"file": ("b.txt", text.encode(), "text/plain")})
    assert created.status_code == 201
    assert c.get("/documents/b.txt").json()["title"] == "Dostuk checkpoint reopened"


def test_unicode_doc_id_with_reserved_characters(workspace_client):
    """A doc_id with Cyrillic, spaces, '#' and '?' round-trips through upload, GET and DELETE."""
    from urllib.parse import quote

    c = workspace_client
    doc_id = "отчёты/май 2021 #1?.txt"
    assert c.post("/documents", json={"doc_id": doc_id, "text": "Отчёт о патрулировании границы."}).status_code == 201
    assert c.get("/documents/" + quote(doc_id)).json()["doc_id"] == doc_id
    assert c.delete("/documents/" + quote(doc_id)).status_code == 200
    assert c.get("/documents/" + quote(doc_id)).status_code == 404


def test_upload_over_the_size_limit_is_413(workspace_client):
    """A body larger than max_upload_bytes is refused with 413 before it is read."""
    c = workspace_client
    c.workspace.pipeline.settings.max_upload_bytes = 100
    response = c.post("/documents", json={"doc_id": "big.txt", "text": "граница " * 50})
    assert response.status_code == 413 and "100" in response.json()["detail"]
    assert c.get("/documents/big.txt").status_code == 404


def test_cors_allows_configured_origins_only(workspace):
    """With cors_origins set, a preflight from that origin is allowed and one from another is not."""
    settings = make_settings(workspace.index, cors_origins=["https://intranet.example"])
    c = TestClient(create_app(settings, pipeline=workspace.pipeline))
    headers = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = c.options("/ask", headers={"origin": "https://intranet.example", **headers})
    assert allowed.headers.get("access-control-allow-origin") == "https://intranet.example"
    other = c.options("/ask", headers={"origin": "https://evil.example", **headers})
    assert other.headers.get("access-control-allow-origin") is None


def test_cors_default_is_same_origin_only(client):
    """Without cors_origins no other origin is allowed, neither by preflight nor on a plain request."""
    assert make_settings(client.app.state.pipeline.settings.index_dir).cors_origins == []
    headers = {"origin": "https://other.example"}
    request = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    preflight = client.options("/ask", headers={**headers, **request})
    assert "access-control-allow-origin" not in preflight.headers
    response = client.post("/ask", json={"question": QUESTIONS[1]}, headers=headers)
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers


def test_chat_page_widget_and_assets(client):
    """`/` is the chat page under a strict CSP; /widget.js and the assets are served with their types."""
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["connect-src"] == "'self'"
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert '<script type="module" src="/static/chat/main.js">' in page.text and "data-border-qa-chat" in page.text
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and widget.headers["content-type"].startswith("application/javascript")
    assert "attachShadow" in widget.text
    assert client.get("/static/chat.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/index.html").status_code == 404  # the page only with its headers, at /
    assert client.get("/static/../settings.py").status_code == 404


def test_delete_corpus_document(workspace_client):
    """A seed document can be deleted through the API and is then absent from listing and answers."""
    c = workspace_client
    assert c.delete(f"/documents/{TASHKENT}").json()["status"] == "removed"
    assert TASHKENT not in {d["doc_id"] for d in c.get("/documents").json()}
    body = ask(c, "Где прошел пятый раунд консультаций между Узбекистаном и Казахстаном?")
    assert TASHKENT not in {p["doc_id"] for p in body["passages"]}
    assert c.get("/health").json()["documents"] == 4


# -- validation: 4xx with a clear detail, never 500 ----------------------------------------------------------

BAD_ASK = [
    ("empty-question", {"question": ""}, "question"),
    ("whitespace-question", {"question": "   \n\t "}, "question"),
    ("too-long-question", {"question": "x" * 2001}, "2000"),
    ("question-number", {"question": 42}, "question"),
    ("question-null", {"question": None}, "question"),
    ("question-list", {"question": ["who?"]}, "question"),
    ("missing-question", {"top_k": 3}, "question"),
    ("top_k-string", {"question": "Кто?", "top_k": "abc"}, "top_k"),
    ("top_k-zero", {"question": "Кто?", "top_k": 0}, "top_k"),
    ("top_k-51", {"question": "Кто?", "top_k": 51}, "top_k"),
    ("top_k-negative", {"question": "Кто?", "top_k": -1}, "top_k"),
    ("top_k-float", {"question": "Кто?", "top_k": 2.5}, "top_k"),
    ("top_k-bool", {"question": "Кто?", "top_k": True}, "top_k"),
    ("top_k-numeric-string", {"question": "Кто?", "top_k": "5"}, "top_k"),
    ("lang-fr", {"question": "Qui?", "lang": "fr"}, "lang"),
    ("unknown-field", {"question": "Кто?", "foo": 1}, "foo"),
    ("doc_ids-string", {"question": "Кто?", "doc_ids": BISHKEK}, "doc_ids"),
    ("doc_ids-numbers", {"question": "Кто?", "doc_ids": [1, 2]}, "doc_ids"),
]


@pytest.mark.parametrize("body,mention", [(b, m) for _, b, m in BAD_ASK], ids=[i for i, _, _ in BAD_ASK])
def test_invalid_ask_is_422_with_detail(workspace_client, body, mention):
    """Invalid /ask bodies get 422 and a "detail" string naming the offending field."""
    response = workspace_client.post("/ask", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and mention in detail


@pytest.mark.parametrize("content", [b"{bad json", b"", b"\xff\xfe\x00", b"[1, 2]", b"null", b'"question"'],
                         ids=["malformed", "empty", "binary", "array", "null", "string"])
def test_malformed_json_is_422(workspace_client, content):
    """A body that is not a JSON object is refused with 422 and a readable detail."""
    response = workspace_client.post("/ask", content=content, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422), response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "body" in detail


def test_invalid_search_is_422(workspace_client):
    """/search validates like /ask: empty query, wrong field names and bad top_k are refused."""
    for body in ({"query": " "}, {"question": "border"}, {"query": "border", "top_k": 0}):
        response = workspace_client.post("/search", json=body)
        assert response.status_code == 422 and response.json()["detail"]


BAD_UPLOADS = [
    ("binary-txt", {"files": {"file": ("blob.txt", b"\x00\x01\x02\x03binary", "text/plain")}}, 422, "binary"),
    ("unsupported-extension", {"files": {"file": ("report.doc", b"\xd0\xcf\x11\xe0", "application/msword")}}, 422,
     "unsupported"),
    ("empty-file", {"files": {"file": ("empty.txt", b"", "text/plain")}}, 422, "empty"),
    ("corrupt-pdf", {"files": {"file": ("bad.pdf", b"%PDF-1.4\nnot a pdf", "application/pdf")}}, 422, "PDF"),
    ("damaged-pdf", {"files": {"file": ("bad.pdf", handmade_pdf(trailer=b"4< /Size 6 >>"), "application/pdf")}},
     422, "PDF"),
    ("undecodable", {"files": {"file": ("x.txt", bytes(range(0x80, 0x100)) * 3, "text/plain")}}, 422, "undecodable"),
    ("html-without-text", {"files": {"file": ("x.html", b"<script>var a=1;</script><img src=a>", "text/html")}}, 422,
     "empty"),
    ("dotdot-doc_id", {"data": {"doc_id": "../etc/passwd"}, "files": {"file": ("a.txt", b"Some text.", "text/plain")}},
     422, "doc_id"),
    ("no-file-field", {"files": {"other": ("a.txt", b"Some text.", "text/plain")}}, 422, "file"),
    ("text-plain-body", {"content": b"Some text.", "headers": {"content-type": "text/plain"}}, 415, "json"),
    ("no-content-type", {"content": b"Some text."}, 415, "multipart"),
    ("json-whitespace-text", {"json": {"doc_id": "a.txt", "text": "   "}}, 422, "empty"),
    ("json-missing-text", {"json": {"doc_id": "a.txt"}}, 422, "text"),
    ("json-unknown-field", {"json": {"doc_id": "a.txt", "text": "Some text.", "tags": []}}, 422, "tags"),
    ("json-text-number", {"json": {"doc_id": "a.txt", "text": 5}}, 422, "text"),
    ("json-empty-doc_id", {"json": {"doc_id": "  ", "text": "Some text."}}, 422, "doc_id"),
    ("json-malformed", {"content": b"{oops", "headers": {"content-type": "application/json"}}, 422, "JSON"),
]


@pytest.mark.parametrize("kwargs,status,mention", [(k, s, m) for _, k, s, m in BAD_UPLOADS],
                         ids=[i for i, *_ in BAD_UPLOADS])
def test_bad_uploads_are_refused_with_detail(workspace_client, kwargs, status, mention):
    """Bad uploads get a 4xx with a detail saying why, and the index is unchanged."""
    before = workspace_client.get("/documents").json()
    response = workspace_client.post("/documents", **kwargs)
    assert response.status_code == status, response.text
    assert mention.lower() in response.json()["detail"].lower()
    assert workspace_client.get("/documents").json() == before


def test_openapi_and_docs(client):
    """/openapi.json documents every endpoint and /docs serves the Swagger UI."""
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"]
    for path in ("/ask", "/search", "/documents", "/documents/{doc_id}", "/health"):
        assert path in spec["paths"], path
    assert "multipart/form-data" in spec["paths"]["/documents"]["post"]["requestBody"]["content"]
    ask_schema = spec["components"]["schemas"]["AskIn"]["properties"]
    assert ask_schema["top_k"]["maximum"] == 50 and ask_schema["top_k"]["minimum"] == 1
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


# -- encoder mismatch ----------------------------------------------------------------------------------------


def test_mismatched_encoder_is_409(workspace, api_keys):
    """An app configured with use-m3 over an e5-small index answers 409 naming both encoders."""
    settings = make_settings(workspace.index, encoder="use-m3")
    app = create_app(settings, pipeline=Pipeline(settings))
    # No lifespan (the start-up check is tested below); the admin key lets the upload reach the index.
    c = TestClient(app, raise_server_exceptions=False, headers=api_keys.admin_headers)
    for response in (c.post("/ask", json={"question": "Who heads the OSCE Centre in Bishkek?"}),
                     c.post("/search", json={"query": "border"}),
                     c.post("/documents", json={"doc_id": "a.txt", "text": "Some text about borders."})):
        assert response.status_code == 409, response.text
        assert "e5-small" in response.json()["detail"] and "use-m3" in response.json()["detail"]


def test_mismatched_encoder_fails_app_start(workspace):
    """With lifespan, the app refuses to start on an index built by another encoder."""
    settings = make_settings(workspace.index, encoder="use-m3")
    with pytest.raises(IndexMismatch) as info:
        with TestClient(create_app(settings, pipeline=Pipeline(settings))):
            pass
    assert "e5-small" in str(info.value) and "use-m3" in str(info.value)


def test_english_docs_have_english_titles(client):
    """Titles of the English seeds are their first lines."""
    listing = {d["doc_id"]: d for d in client.get("/documents").json()}
    for doc_id in ENGLISH_DOCS:
        assert listing[doc_id]["title"].startswith("OSCE")


def test_lone_surrogate_question_is_422(client):
    """A question with a lone UTF-16 surrogate (valid JSON, invalid text) is refused, not a 500."""
    for path, field in (("/ask", "question"), ("/search", "query")):
        response = client.post(path, content=b'{"%s": "\\ud800 border"}' % field.encode(),
                               headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        assert "surrogate" in response.json()["detail"]


def test_chunked_body_over_the_limit_is_413(workspace_client):
    """A body without Content-Length is counted as it arrives: over the limit it is refused with 413."""
    c = workspace_client
    c.workspace.pipeline.settings.max_upload_bytes = 1000

    def chunks():
        yield b'{"doc_id": "big.txt", "text": "'
        for _ in range(50):
            yield b"x" * 100
        yield b'"}'

    response = c.post("/documents", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "1000" in response.json()["detail"]
    assert "big.txt" not in c.workspace.pipeline.snapshot.documents


def test_ask_body_is_small(client):
    """/ask bodies over max_request_bytes (64 KiB) are refused with 413 before parsing."""
    response = client.post("/ask", json={"question": "Кто?", "doc_ids": ["x" * 200] * 400})
    assert response.status_code == 413


@pytest.mark.parametrize("files,data", [
    ({"file": ("a.txt", b"Border text."), "doc_id": ("fake.txt", b"zz")}, {}),
    ([("file", ("a.txt", b"One.")), ("file", ("b.txt", b"Two."))], {}),
    ({"doc_id": ("fake.txt", b"zz")}, {}),
], ids=["doc_id-as-file", "two-files", "no-file"])
def test_malformed_multipart_is_422(workspace_client, files, data):
    """A multipart upload needs exactly one file, and doc_id/title as text fields."""
    response = workspace_client.post("/documents", files=files, data=data)
    assert response.status_code == 422, response.text
    assert "UploadFile" not in "".join(workspace_client.workspace.pipeline.snapshot.documents)


@pytest.mark.parametrize("doc_id", ["./a.txt", "a//b.txt", "dir/", "..\\x.txt", "a/./b.txt"])
def test_unfetchable_doc_ids_are_refused(workspace_client, doc_id):
    """Ids that a URL client would normalise (./, //, trailing /, backslashes) are refused with 422."""
    response = workspace_client.post("/documents", json={"doc_id": doc_id, "text": "Border guards met."})
    assert response.status_code == 422 and "doc_id" in response.json()["detail"]


def test_head_health(client):
    """HEAD /health answers 200 for load balancers that probe with HEAD."""
    assert client.head("/health").status_code == 200


def test_writes_beyond_the_queue_get_503(workspace_client):
    """With the write queue full, an upload is refused with 503 and Retry-After instead of waiting."""
    c = workspace_client
    c.workspace.pipeline.settings.max_queued_writes = 1
    c.app.state.writes = 1  # one write in progress
    try:
        response = c.post("/documents", json={"doc_id": "q.txt", "text": "Border guards met in Osh."})
        assert response.status_code == 503 and response.headers["retry-after"] == "10"
        assert "queued" in response.json()["detail"]
        assert c.delete(f"/documents/{BISHKEK}").status_code == 503
    finally:
        c.app.state.writes = 0
    assert c.post("/documents", json={"doc_id": "q.txt", "text": "Border guards met in Osh."}).status_code == 201


def test_questions_beyond_the_inference_queue_get_503(workspace_client):
    """With the encoder's queue full, /ask and /search are refused at once with 503 and Retry-After."""
    c = workspace_client
    with full_inference_queue(c):
        for path, body in (("/ask", {"question": "Who heads the OSCE Centre?"}), ("/search", {"query": "border"})):
            response = c.post(path, json=body)
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            assert "waiting" in response.json()["detail"]
    assert c.post("/ask", json={"question": "Who heads the OSCE Centre?"}).status_code == 200
