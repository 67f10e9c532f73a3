"""Conversations, filters, "why?" and refusals of the chat in a real browser against a real server."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import BISHKEK, ENGLISH_DOCS, ISSYK_KUL, TASHKENT

pytestmark = pytest.mark.slow

ANSWER_TIMEOUT = 60_000
TASHKENT_CHAIR = "Who chaired the consultations in Tashkent?"
TASHKENT_WHEN = "And when did they take place?"
BISHKEK_HEAD_RU = "Кто возглавляет Центр ОБСЕ в Бишкеке?"
BISHKEK_END = "When did the conference in Bishkek conclude?"
BISHKEK_HEAD = "Who is the Head of the OSCE Centre in Bishkek?"
ISSYK_KUL_HOW_MANY = "How many senior representatives took part in the regional meeting in Issyk-Kul?"
WEATHER = "Какая погода будет завтра в Париже?"
CONTACT = "дежурная часть, +7 717 000 00 00"

WIDGET_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,"></head>
<body><p>A site that embeds the chat.</p><script src="{api}/widget.js" data-endpoint="{api}" defer></script></body>
</html>
"""


# ---------- helpers ----------


def documents(api_server) -> dict[str, dict]:
    response = api_server.client.get("/documents")
    response.raise_for_status()
    return {doc["doc_id"]: doc for doc in response.json()}


def record_asks(page: Page) -> list[dict]:
    """The bodies of the page's POST /ask requests, in order (explain requests included)."""
    bodies: list[dict] = []

    def seen(request) -> None:
        if request.method == "POST" and request.url.endswith("/ask"):
            bodies.append(json.loads(request.post_data))

    page.on("request", seen)
    return bodies


def is_ask(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/ask")


def ask_by_keyboard(page: Page, scope: Page | Locator, question: str) -> tuple[Locator, dict | None]:
    """Type a question into the focused question box, press Enter; the reply bubble and the server's JSON (None
    for an error status)."""
    expect(scope.locator(".bqa-input")).to_be_focused()
    replies = scope.locator(".bqa-row--bot")
    before = replies.count()
    with page.expect_response(is_ask, timeout=ANSWER_TIMEOUT) as response:
        page.keyboard.type(question)
        page.keyboard.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    expect(scope.locator(".bqa-row--pending")).to_have_count(0)
    reply = response.value.json() if response.value.ok else None
    return replies.last.locator(".bqa-msg"), reply


def focused(target: Locator) -> bool:
    return target.evaluate("e => e.getRootNode().activeElement === e")


def tab_to(page: Page, target: Locator, key: str = "Tab", limit: int = 20) -> None:
    """Move the focus with the keyboard alone until ``target`` has it."""
    for _ in range(limit):
        if focused(target):
            return
        page.keyboard.press(key)
    expect(target).to_be_focused()


def cited_doc_ids(reply: dict) -> set[str]:
    """Every document an /ask reply cites: its answers and its passages."""
    return {a["doc_id"] for a in reply["answers"]} | {p["doc_id"] for p in reply["passages"]}


# ---------- conversation ----------


def test_follow_up_question_is_sent_with_the_conversation(api_server, open_page):
    """Keyboard only: a follow-up carries the first turn as history, is marked as read with it and cites Tashkent;
    "New conversation" empties the thread and the next question goes without history."""
    docs = documents(api_server)
    page = open_page()
    asks = record_asks(page)
    page.goto(api_server.url + "/")

    first, reply = ask_by_keyboard(page, page, TASHKENT_CHAIR)
    assert asks[-1]["history"] == []
    assert reply["answer"]["doc_id"] == TASHKENT, reply["answer"]
    expect(first.locator(".bqa-followup")).to_have_count(0)

    second, follow = ask_by_keyboard(page, page, TASHKENT_WHEN)
    assert asks[-1]["history"] == [
        {"question": TASHKENT_CHAIR, "doc_ids": [TASHKENT], "sentences": [reply["answer"]["sentence"]]}
    ]
    assert follow["follow_up"] is True and follow["answer"]["doc_id"] == TASHKENT, follow["answer"]
    expect(second.locator(".bqa-followup")).to_have_text(f"Read as a follow-up to: {TASHKENT_CHAIR}")
    primary = second.locator(".bqa-candidate--primary")
    expect(primary.locator(".bqa-source-title")).to_have_text(docs[TASHKENT]["title"])
    expect(primary.locator(".bqa-sentence-text mark.bqa-span")).to_have_text(follow["answer"]["text"])

    new = page.locator(".bqa-new")
    expect(new).to_have_accessible_name("New conversation")
    tab_to(page, new)  # the send button is off while the box is empty: the next stop is this button
    page.keyboard.press("Enter")
    expect(page.locator(".bqa-row")).to_have_count(0)
    expect(page.locator(".bqa-empty")).to_be_visible()
    expect(page.locator(".bqa-input")).to_be_focused()

    third, alone = ask_by_keyboard(page, page, TASHKENT_WHEN)
    assert asks[-1]["history"] == []
    assert alone["follow_up"] is False
    expect(third.locator(".bqa-followup")).to_have_count(0)
    expect(page.locator(".bqa-row--user")).to_have_count(1)


def test_history_keeps_the_last_five_shown_turns(api_server, open_page):
    """Seven replies (one of them an error): each /ask sends at most the five latest turns shown, oldest first,
    not-found turns with their closest passage's document and no failed request."""
    page = open_page()
    asks = record_asks(page)
    calls = {"n": 0}

    def canned(route) -> None:
        calls["n"] += 1
        body = json.loads(route.request.post_data)
        n = calls["n"]
        if n == 3:
            route.fulfill(status=500, body="Internal Server Error")
            return
        passage = {"doc_id": f"d{n}.txt", "title": f"Doc {n}", "lang": "en", "chunk_id": 0, "text": f"Text {n}.",
                   "score": 0.5, "start": 0, "end": 8}
        answer = None
        if n % 2:
            answer = {"text": f"A{n}", "sentence": f"A{n} is it.", "confidence": 0.9, "doc_id": f"d{n}.txt",
                      "title": f"Doc {n}", "lang": "en", "start": 0, "end": 2, "sentence_start": 0,
                      "sentence_end": 9, "chunk_id": 0}
        route.fulfill(json={
            "question": body["question"], "lang": "en", "answer": answer, "answers": [answer] if answer else [],
            "passages": [passage], "took_ms": 1.0, "status": "answered" if answer else "not_found",
            "refusal": None if answer else {"message": "Not found.", "contact": None}, "follow_up": False,
        })

    page.route("**/ask", canned)
    page.goto(api_server.url + "/")
    for n in range(1, 9):
        ask_by_keyboard(page, page, f"Question {n}?")
    assert len(asks) == 8
    last = asks[-1]["history"]
    # Question 3 failed: no turn. The latest five turns before question 8 are 2, 4, 5, 6, 7.
    assert [turn["question"] for turn in last] == ["Question 2?", "Question 4?", "Question 5?", "Question 6?",
                                                   "Question 7?"]
    assert last[0] == {"question": "Question 2?", "doc_ids": ["d2.txt"], "sentences": []}  # not found
    assert last[-1] == {"question": "Question 7?", "doc_ids": ["d7.txt"], "sentences": ["A7 is it."]}
    assert all(len(body["history"]) <= 5 for body in asks)


# ---------- filters ----------


def test_language_and_date_filters_in_russian(api_server, open_page):
    """Russian UI, keyboard: English documents only (the request's filters, English citations), then 2016 only
    (Bishkek alone cited, its date shown), then the filters cleared and sent no more."""
    docs = documents(api_server)
    english = {d for d, doc in docs.items() if doc["lang"] == "en"}
    assert english == set(ENGLISH_DOCS)
    page = open_page(locale="ru-RU")
    asks = record_asks(page)
    page.goto(api_server.url + "/")
    box = page.locator(".bqa-input")
    toggle = page.locator(".bqa-filters-toggle")
    expect(toggle).to_have_accessible_name("Фильтры")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    row = page.locator(".bqa-filters")
    expect(row).to_be_hidden()

    tab_to(page, toggle)
    page.keyboard.press("Enter")
    expect(row).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    any_lang = row.get_by_role("radio", name="Любой")
    expect(any_lang).to_be_checked()
    expect(row.get_by_role("group", name="Язык документов")).to_be_visible()
    page.keyboard.press("Tab")
    expect(any_lang).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    english_radio = row.get_by_role("radio", name="English")
    expect(english_radio).to_be_checked()
    expect(english_radio).to_be_focused()
    expect(toggle).to_have_accessible_name("Фильтры (активно: 1)")
    expect(toggle.locator(".bqa-badge")).to_have_text("1")
    status = row.locator(".bqa-filters-status")
    expect(status).to_have_text(f"Подходят документов: {len(english)} из {len(docs)}.")

    tab_to(page, box, "Shift+Tab")
    bubble, reply = ask_by_keyboard(page, page, BISHKEK_HEAD_RU)
    assert asks[-1]["filters"] == {"langs": ["en"]}
    assert reply["answer"] and cited_doc_ids(reply) <= english, cited_doc_ids(reply)
    expect(page.locator(".bqa-row--user").last.locator(".bqa-user-filters")).to_have_text("Фильтры: English")
    badges = bubble.locator(".bqa-candidate .bqa-lang")
    assert badges.count() == len(reply["answers"]) >= 1
    assert set(badges.all_text_contents()) == {"EN"}
    titles = set(bubble.locator(".bqa-candidate .bqa-source-title").all_text_contents())
    assert titles <= {docs[d]["title"] for d in english}, titles

    page.locator(".bqa-date-input").first.fill("2016-01-01")
    page.locator(".bqa-date-input").last.fill("2016-12-31")
    expect(toggle).to_have_accessible_name("Фильтры (активно: 2)")
    expect(status).to_have_text(
        "Подходят документов: 1 из 5. Документы без даты не проходят фильтр по дате."
    )
    box.focus()
    bubble, reply = ask_by_keyboard(page, page, BISHKEK_END)
    assert asks[-1]["filters"] == {"langs": ["en"], "date_from": "2016-01-01", "date_to": "2016-12-31"}
    assert reply["answer"] and cited_doc_ids(reply) == {BISHKEK}, cited_doc_ids(reply)
    sources = bubble.locator(".bqa-candidate .bqa-source-title")
    expect(sources).to_have_count(len(reply["answers"]))
    assert set(sources.all_text_contents()) == {docs[BISHKEK]["title"]}
    date = bubble.locator(".bqa-candidate--primary .bqa-source-date")
    expect(date).to_have_attribute("datetime", docs[BISHKEK]["date"])
    expect(date).to_have_text(re.compile(r"^28 апр\.? 2016"))

    clear = row.locator(".bqa-filters-clear")
    expect(clear).to_have_accessible_name("Сбросить фильтры")
    tab_to(page, clear)
    page.keyboard.press("Enter")
    expect(any_lang).to_be_checked()
    expect(page.locator(".bqa-date-input").first).to_have_value("")
    expect(page.locator(".bqa-date-input").last).to_have_value("")
    expect(toggle).to_have_accessible_name("Фильтры")
    expect(toggle.locator(".bqa-badge")).to_be_hidden()
    page.keyboard.press("Escape")  # folds the filters away, the focus back on their button
    expect(row).to_be_hidden()
    expect(toggle).to_be_focused()
    tab_to(page, box, "Shift+Tab")
    ask_by_keyboard(page, page, BISHKEK_HEAD_RU)
    assert "filters" not in asks[-1]
    expect(page.locator(".bqa-row--user").last.locator(".bqa-user-filters")).to_have_count(0)


def test_inverted_date_range_is_explained_not_sent(api_server, open_page):
    """A start date after the end date is pointed out next to the dates and the question is not sent."""
    page = open_page()
    asks = record_asks(page)
    page.goto(api_server.url + "/")
    page.locator(".bqa-filters-toggle").click()
    page.locator(".bqa-date-input").first.fill("2017-01-01")
    page.locator(".bqa-date-input").last.fill("2016-01-01")
    status = page.locator(".bqa-filters-status")
    expect(status).to_have_text("The start date is after the end date.")
    expect(page.locator(".bqa-date-input").last).to_have_attribute("aria-invalid", "true")
    page.locator(".bqa-filters-toggle").click()  # folded away: sending unfolds it again
    page.locator(".bqa-input").fill(BISHKEK_HEAD)
    page.locator(".bqa-input").press("Enter")
    expect(page.locator(".bqa-filters")).to_be_visible()
    expect(page.locator(".bqa-date-input").last).to_be_focused()
    expect(page.locator(".bqa-input")).to_have_value(BISHKEK_HEAD)  # kept for when the dates are fixed
    page.wait_for_timeout(300)
    assert asks == [] and page.locator(".bqa-row").count() == 0


# ---------- why? ----------


@pytest.mark.parametrize("where", ["page", "widget"])
def test_why_opens_the_explanation_and_escape_closes_it(api_server, host_site, open_page, where):
    """"Why?" asks again with explain (same question, history and filters), shows the verdict, the fused passages,
    the sentences read and the best candidate's inputs; Escape closes it (in the widget: only it), Space reopens
    it without another request."""
    docs = documents(api_server)
    page = open_page()
    asks = record_asks(page)
    if where == "page":
        page.goto(api_server.url + "/")
        scope: Page | Locator = page
    else:
        (host_site.root / "why.html").write_text(WIDGET_PAGE.format(api=api_server.url), encoding="utf-8")
        page.goto(f"{host_site.origin}/why.html")
        scope = page.locator("border-qa-widget")
        scope.locator(".bqa-launcher").click()
        expect(scope.locator(".bqa-panel")).to_be_visible()
    bubble, reply = ask_by_keyboard(page, scope, BISHKEK_HEAD)
    assert reply["answer"] and reply.get("explanation") is None  # explanations only on demand

    why = bubble.locator(".bqa-why-toggle")
    expect(why).to_have_accessible_name("Why? Explain this answer")
    expect(why).to_have_attribute("aria-expanded", "false")
    panel = bubble.locator(".bqa-explain")
    expect(panel).to_be_hidden()
    tab_to(page, why, "Shift+Tab")  # from the question box: 👎, 👍, then "Why?"
    with page.expect_response(is_ask, timeout=ANSWER_TIMEOUT) as response:
        page.keyboard.press("Enter")
    explanation = response.value.json()["explanation"]
    assert asks[-1] == {**asks[0], "explain": True}
    expect(panel).to_be_visible()
    expect(why).to_have_attribute("aria-expanded", "true")
    expect(panel).to_have_accessible_name("How this reply was reached")
    verdict = panel.locator(".bqa-explain-verdict")
    expect(verdict).to_have_text(explanation["verdict"])
    assert explanation["verdict"].startswith("answered")
    stage = panel.locator(".bqa-explain-fact").first
    expect(stage.locator("dt")).to_have_text("Stage to look at")
    expect(stage.locator("dd")).to_have_text("none: the answer passed the threshold")
    expect(panel.locator(".bqa-explain-fact").nth(1)).to_contain_text(f"{explanation['threshold']:.3f}".rstrip("0"))
    fused = explanation["retrieval"]["fused"]
    assert fused
    passages = panel.locator(".bqa-explain-passage")
    expect(passages).to_have_count(min(5, len(fused)))
    expect(passages.first.locator(".bqa-explain-doc")).to_have_text(docs[fused[0]["doc_id"]]["title"])
    expect(passages.first.locator(".bqa-explain-score")).to_have_text(re.compile(r"^0\.\d{1,3}$"))
    expect(passages.first.locator(".bqa-explain-id")).to_have_text(f"{fused[0]['doc_id']} #{fused[0]['chunk_id']}")
    sentences = panel.locator(".bqa-explain-sentence")
    assert sentences.count() >= 1
    expect(sentences.first.locator(".bqa-explain-quote")).to_have_text(explanation["reading"]["sentences"][0]["sentence"])
    expect(sentences.first.locator(".bqa-figures")).to_contain_text("score")
    best = explanation["answers"][0]
    expect(panel.locator(".bqa-explain-candidate .bqa-explain-quote")).to_have_text(best["text"])
    for name in best["inputs"]:
        expect(panel.locator(".bqa-figures").last).to_contain_text(name)
    assert panel.evaluate("e => getComputedStyle(e).overflowY") == "auto"

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(why).to_be_focused()
    expect(why).to_have_attribute("aria-expanded", "false")
    if where == "widget":
        expect(scope.locator(".bqa-panel")).to_be_visible()
    page.keyboard.press("Space")
    expect(panel).to_be_visible()
    expect(verdict).to_have_text(explanation["verdict"])
    assert len(asks) == 2  # the explanation is kept, not asked for again
    panel.focus()  # the panel scrolls by keyboard and Escape closes it from inside too
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(why).to_be_focused()


# ---------- refusals ----------


def test_not_found_lists_the_closest_passages_and_opens_one(api_server, open_page):
    """An unanswerable question: the not-found sentence, the closest passages marked as not answers with title and
    excerpt, the configured contact; a passage opens in the document viewer, marked and in view."""
    page = open_page(locale="ru-RU")

    def with_contact(route) -> None:  # RAG_REFUSAL_CONTACT, as a server configured with it would reply
        response = route.fetch()
        data = response.json()
        if data.get("refusal"):
            data["refusal"]["contact"] = CONTACT
        route.fulfill(status=response.status, json=data)

    page.route("**/ask", with_contact)
    page.goto(api_server.url + "/")
    bubble, reply = ask_by_keyboard(page, page, WEATHER)
    assert reply["status"] == "not_found" and reply["answer"] is None and reply["passages"], reply
    passages = reply["passages"]

    expect(bubble).to_have_class(re.compile(r"\bbqa-notfound\b"))
    expect(bubble.locator(".bqa-notice-title")).to_have_text("В документах ответа не найдено — ближайшие фрагменты:")
    expect(bubble.locator(".bqa-candidate")).to_have_count(0)
    expect(bubble.locator("mark")).to_have_count(0)
    lists = bubble.locator("ol.bqa-closest")
    expect(lists.first).to_have_accessible_name("Ближайшие фрагменты (не ответы)")
    items = bubble.locator(".bqa-closest-open")
    expect(items).to_have_count(len(passages))
    for item, passage in zip(items.all(), passages):
        expect(item.locator(".bqa-closest-title")).to_have_text(passage["title"])
        excerpt = item.locator(".bqa-closest-excerpt").text_content()
        words = " ".join(passage["text"].split())
        assert excerpt.rstrip("…") and words.startswith(excerpt.rstrip("…")), (excerpt, words[:200])
        assert len(excerpt) <= 181
    if len(passages) > 3:
        expect(items.nth(3)).to_be_hidden()  # the rest behind "Ещё …"
        expect(bubble.locator(".bqa-closest-more summary")).to_have_text(re.compile(rf"^Ещё {len(passages) - 3} "))
    expect(bubble.locator(".bqa-refusal-contact")).to_have_text(f"К кому обратиться: {CONTACT}")
    expect(bubble.locator(".bqa-why-toggle")).to_have_accessible_name("Почему? Объяснить, почему ответа нет")

    first = items.first
    expect(first).to_have_accessible_name(f"Открыть документ на этом фрагменте: {passages[0]['title']}")
    first.click()
    viewer = page.locator("dialog.bqa-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".bqa-viewer-title")).to_have_text(passages[0]["title"])
    mark = viewer.locator(".bqa-doc-text mark.bqa-sentence")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(passages[0]["text"])
    expect(mark).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(first).to_be_focused()


# ---------- screenshot ----------


def test_screenshot_of_a_conversation(api_server, open_page, artifacts):
    """Saves tests/artifacts/chat-conversation.png: a follow-up read with the turn before it, a language filter on,
    and the explanation of the follow-up's answer open."""
    page = open_page(width=1280, height=900)
    page.emulate_media(reduced_motion="reduce")
    page.goto(api_server.url + "/")
    page.locator(".bqa-filters-toggle").click()
    page.locator(".bqa-filters").get_by_role("radio", name="English").check()
    page.locator(".bqa-filters-toggle").click()
    page.locator(".bqa-input").focus()
    _, first = ask_by_keyboard(page, page, ISSYK_KUL_HOW_MANY)
    bubble, second = ask_by_keyboard(page, page, "And when did it take place?")
    assert first["answer"]["doc_id"] == second["answer"]["doc_id"] == ISSYK_KUL
    assert second["follow_up"] is True
    with page.expect_response(is_ask, timeout=ANSWER_TIMEOUT):
        bubble.locator(".bqa-why-toggle").click()
    expect(bubble.locator(".bqa-explain-passage").first).to_be_visible()
    page.locator(".bqa-log").evaluate(
        "log => { const rows = log.querySelectorAll('.bqa-row--user');"
        " log.scrollTo({top: rows[rows.length - 1].offsetTop - 150}); }"  # the end of the first turn above
    )
    page.wait_for_timeout(300)
    for part in (".bqa-candidate--primary .bqa-sentence-text mark.bqa-span", ".bqa-followup", ".bqa-explain-verdict"):
        expect(bubble.locator(part)).to_be_in_viewport()
    expect(page.locator(".bqa-filters-toggle .bqa-badge")).to_have_text("1")
    path = artifacts / "chat-conversation.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
