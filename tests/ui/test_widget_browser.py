"""The chat page and the embeddable widget in a real browser against a real server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.slow

RU_QUESTION = "Сколько человек приняли участие в конференции в Боровом?"
EN_QUESTION = "Who is the Head of the OSCE Centre in Bishkek?"
UNANSWERABLE = "What is the best recipe for banana bread?"
ANSWER_TIMEOUT = 60_000

XSS_DOC = {
    "doc_id": "xss.txt",
    "title": "<img src=x onerror=window.__pwned=3>",
    "text": (
        "Border post notes\n\n"
        "The secret border post code is 7741. <script>window.__pwned=1</script> "
        "The post is staffed day and night. <img src=x onerror=\"window.__pwned=2\"> "
        "Visitors must register at the gate."
    ),
}

HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Host site</title>
  <link rel="icon" href="data:,">
  <style>
    body {{ font: 28px/1.2 serif; color: rgb(200, 0, 0); letter-spacing: 3px; }}
    p {{ color: red !important; font-size: 40px; }}
    button {{ background: red !important; border: 5px solid lime; }}
    mark {{ background: lime; }}
    .bqa-msg {{ border: 10px solid lime; }}
  </style>
</head>
<body>
  <h1>Host site</h1>
  <p id="host-text">This paragraph belongs to the host page.</p>
  <div class="bqa-msg" id="host-box">A host element that happens to use a widget class name.</div>
  <script src="{api}/widget.js"{endpoint} defer></script>
</body>
</html>
"""


# A third-party page mounting the chat script on an element, with an endpoint of its choosing.
DOWN_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Chat with a dead endpoint</title><link rel="icon" href="data:,"></head>
<body>
  <div data-border-qa-chat data-endpoint="{endpoint}" data-autofocus></div>
  <link rel="stylesheet" href="{api}/static/chat.css">
  <script src="{api}/static/chat.js" defer></script>
</body>
</html>
"""


# ---------- helpers ----------


def ask(scope: Page | Locator, question: str) -> Locator:
    """Type a question, press Enter and return the assistant's reply bubble once it is there."""
    replies = scope.locator(".bqa-row--bot")
    before = replies.count()
    box = scope.locator(".bqa-input")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    expect(scope.locator(".bqa-row--pending")).to_have_count(0)
    return replies.last.locator(".bqa-msg")


CSP_WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def api_answer(api_server, question: str) -> dict:
    response = api_server.client.post("/ask", json={"question": question})
    response.raise_for_status()
    return response.json()


def check_answer_bubble(bubble: Locator, expected: dict) -> None:
    """The bubble shows the sentence with the span marked, the confidence and the citation of `expected`."""
    primary = bubble.locator(".bqa-candidate--primary")
    mark = primary.locator(".bqa-sentence-text mark.bqa-span")
    expect(mark).to_have_count(1)
    assert mark.inner_text().strip(), "the highlighted span is empty"
    assert mark.text_content() == expected["text"]
    assert primary.locator(".bqa-sentence-text").text_content() == expected["sentence"]
    expect(primary.locator(".bqa-confidence-text")).to_have_text(re.compile(r"\d{1,3}\s?%"))
    expect(primary.locator(".bqa-source-title")).to_have_text(expected["title"])
    expect(primary.locator(".bqa-lang")).to_have_text(expected["lang"].upper())
    passage = primary.locator("details.bqa-passage .bqa-passage-text")
    expect(passage.locator("mark.bqa-sentence")).to_have_text(expected["sentence"])
    expect(passage.locator("mark.bqa-sentence mark.bqa-span")).to_have_text(expected["text"])
    expect(primary.locator(".bqa-open")).to_be_visible()


def open_widget(
    page: Page, api_server, host_site, name: str = "index.html", endpoint: bool = True, origin: str | None = None
) -> Locator:
    """Serve the host page from the other origin, load it and open the widget's panel."""
    attribute = f' data-endpoint="{api_server.url}"' if endpoint else ""
    (host_site.root / name).write_text(HOST_PAGE.format(api=api_server.url, endpoint=attribute), encoding="utf-8")
    page.goto(f"{origin or host_site.origin}/{name}")
    widget = page.locator("border-qa-widget")
    launcher = widget.locator(".bqa-launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(widget.locator(".bqa-panel")).to_be_visible()
    return widget


# ---------- the full page ----------


def test_answers_russian_and_english_questions(api_server, open_page):
    """Russian and English questions get answer bubbles with the span marked, the confidence and the citation."""
    page = open_page()
    page.add_init_script(CSP_WATCH)
    page.goto(api_server.url + "/")
    for question in (RU_QUESTION, EN_QUESTION):
        response = api_answer(api_server, question)
        expected = response["answer"]
        assert expected and expected["text"].strip(), f"the service abstained on a seed question: {question}"
        bubble = ask(page, question)
        expect(bubble).to_have_class(re.compile(r"\bbqa-answer\b"))
        check_answer_bubble(bubble, expected)
        expect(page.locator(".bqa-row--user").last).to_contain_text(question)

    # The English question has further candidates: collapsed at first, listed with their own citations.
    others = response["answers"][1:]
    assert others, "the seed question should have further candidate answers"
    more = bubble.locator("details.bqa-more")
    items = more.locator(".bqa-more-item")
    expect(items.first).to_be_hidden()
    plural = "s" if len(others) > 1 else ""
    expect(more.locator("summary.bqa-more-summary")).to_have_text(f"{len(others)} more possible answer{plural}")
    more.locator("summary.bqa-more-summary").click()
    expect(items).to_have_count(len(others))
    for item, other in zip(items.all(), others):
        expect(item).to_be_visible()
        expect(item.locator(".bqa-sentence-text mark.bqa-span")).to_have_text(other["text"])
        expect(item.locator(".bqa-source-title")).to_have_text(other["title"])
        expect(item.locator(".bqa-open")).to_be_visible()
    assert page.evaluate("window.__csp") == [], "the page breaks its own Content-Security-Policy"


def test_loading_state_disables_sending(api_server, open_page):
    """While a question is pending a typing indicator shows, the log is busy, sending is off and focus stays put."""
    page = open_page()
    page.goto(api_server.url + "/")
    held = []
    page.route("**/ask", lambda route: held.append(route))
    page.locator(".bqa-input").fill(EN_QUESTION)
    page.locator(".bqa-send").click()
    expect(page.locator(".bqa-typing")).to_be_visible()
    expect(page.locator(".bqa-input")).to_be_focused()  # not lost with the disabled send button
    expect(page.locator(".bqa-log")).to_have_attribute("aria-busy", "true")
    page.locator(".bqa-input").fill("another question")
    expect(page.locator(".bqa-send")).to_be_disabled()
    page.locator(".bqa-input").press("Enter")  # ignored while busy
    expect(page.locator(".bqa-row--user")).to_have_count(1)
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator(".bqa-row--bot .bqa-answer")).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(page.locator(".bqa-typing")).to_have_count(0)
    expect(page.locator(".bqa-send")).to_be_enabled()


@pytest.mark.parametrize(
    "locale, message",
    [("en-US", "Not found in the documents"), ("ru-RU", "В документах ответа не найдено")],
)
def test_unanswerable_question_shows_not_found(api_server, open_page, locale, message):
    """A question the documents do not answer gives a clear not-found bubble in the interface language."""
    page = open_page(locale=locale)
    page.goto(api_server.url + "/")
    bubble = ask(page, UNANSWERABLE)
    expect(bubble).to_have_class(re.compile(r"\bbqa-notfound\b"))
    expect(bubble.locator(".bqa-notice-title")).to_contain_text(message)
    expect(bubble.locator("mark")).to_have_count(0)


def test_abstention_response_renders_not_found(api_server, open_page):
    """An `answer: null` response (whatever the question) renders the not-found bubble, not an empty one."""
    page = open_page(locale="ru-RU")
    page.goto(api_server.url + "/")
    abstained = {"question": "?", "lang": "ru", "answer": None, "answers": [], "passages": [], "took_ms": 3.0}
    page.route("**/ask", lambda route: route.fulfill(json=abstained))
    bubble = ask(page, "Какой рецепт бананового хлеба лучший?")
    expect(bubble).to_have_class(re.compile(r"\bbqa-notfound\b"))
    expect(bubble.locator(".bqa-notice-title")).to_have_text("В документах ответ не найден.")
    expect(bubble.locator(".bqa-notice-text")).not_to_be_empty()


@pytest.fixture
def long_document(api_server):
    """A document whose answer sentence comes after more text than the document viewer shows at once."""
    sections = [
        f"Section {i}. The annual report of the regional customs training school describes course number {i}, "
        "its lecturers, the classrooms used and the feedback of the trainees on the study materials."
        for i in range(1, 17)
    ]
    doc = {
        "doc_id": "long-report.txt",
        "title": "Customs training school annual report",
        "text": "Customs training school annual report\n\n" + "\n\n".join(sections[:14])
        + "\n\nThe Kordai border checkpoint processed 4312 lorries in March. " + "\n\n".join(sections[14:]),
    }
    response = api_server.client.post("/documents", json=doc)
    assert response.status_code == 201, response.text
    yield {**doc, "question": "How many lorries did the Kordai border checkpoint process in March?"}
    api_server.client.delete(f"/documents/{doc['doc_id']}")


def test_citation_opens_document_at_the_sentence(api_server, open_page, long_document, artifacts):
    """"Open document" shows the full text in a dialog, scrolled to the cited sentence with the span marked."""
    expected = api_answer(api_server, long_document["question"])["answer"]
    assert expected and expected["doc_id"] == long_document["doc_id"], expected
    page = open_page(height=600)
    page.goto(api_server.url + "/")
    bubble = ask(page, long_document["question"])
    opener = bubble.locator(".bqa-candidate--primary .bqa-open")
    expect(opener).to_have_accessible_name(re.compile(re.escape(long_document["title"])))
    opener.click()
    viewer = page.locator("dialog.bqa-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".bqa-viewer-title")).to_have_text(long_document["title"])
    text = viewer.locator(".bqa-doc-text")
    expect(text).to_be_visible()
    assert text.text_content() == long_document["text"]
    sentence = text.locator("mark.bqa-sentence")
    expect(sentence).to_have_count(1)
    expect(sentence).to_have_text(expected["sentence"])
    assert long_document["text"][expected["sentence_start"]:expected["sentence_end"]] == expected["sentence"]
    # the mark starts exactly at the cited offset of the document
    offset = text.evaluate(
        "(box) => { const r = document.createRange(); r.selectNodeContents(box);"
        " r.setEndBefore(box.querySelector('mark.bqa-sentence')); return r.toString().length; }"
    )
    assert offset == expected["sentence_start"]
    expect(sentence.locator("mark.bqa-span")).to_have_text(expected["text"])
    body = viewer.locator(".bqa-viewer-body")
    expect(sentence).to_be_in_viewport()
    assert body.evaluate("e => e.scrollHeight > e.clientHeight"), "the document fits; nothing to scroll to"
    assert body.evaluate("e => e.scrollTop") > 0, "the viewer did not scroll to the sentence"
    box, mark = body.bounding_box(), sentence.bounding_box()
    assert box["y"] <= mark["y"] and mark["y"] + mark["height"] <= box["y"] + box["height"], "sentence out of view"
    page.screenshot(path=str(artifacts / "chat-document.png"))
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(opener).to_be_focused()


def test_client_error_shows_server_detail(api_server, open_page):
    """A rejected question (4xx) shows the server's own detail message."""
    question = "Why? " * 500  # 2500 characters, over the server's limit
    response = api_server.client.post("/ask", json={"question": question.strip()})
    assert 400 <= response.status_code < 500
    detail = response.json()["detail"]
    page = open_page()
    page.goto(api_server.url + "/")
    bubble = ask(page, question)
    expect(bubble).to_have_class(re.compile(r"\bbqa-error\b"))
    expect(bubble).to_have_attribute("role", "alert")
    assert isinstance(detail, str) and detail
    expect(bubble.locator(".bqa-error-detail")).to_have_text(detail)


def test_server_down_shows_network_error(api_server, host_site, dead_endpoint, open_page):
    """A chat whose server is down (nothing listens on its port) says the server cannot be reached."""
    (host_site.root / "down.html").write_text(
        DOWN_PAGE.format(api=api_server.url, endpoint=dead_endpoint), encoding="utf-8"
    )
    page = open_page()
    page.goto(f"{host_site.origin}/down.html")
    bubble = ask(page, EN_QUESTION)
    expect(bubble).to_have_class(re.compile(r"\bbqa-error\b"))
    expect(bubble).to_have_attribute("role", "alert")
    expect(bubble.locator(".bqa-notice-title")).to_have_text("Cannot reach the server.")
    expect(bubble.locator("mark")).to_have_count(0)
    expect(page.locator(".bqa-send")).to_be_disabled()  # empty input
    page.locator(".bqa-input").fill("again")
    expect(page.locator(".bqa-send")).to_be_enabled()


def test_server_failure_shows_status(api_server, open_page):
    """A 5xx response shows an error naming the status in the interface language, not an empty bubble."""
    page = open_page(locale="ru-RU")
    page.goto(api_server.url + "/")
    page.route("**/ask", lambda route: route.fulfill(status=500, body="Internal Server Error"))
    bubble = ask(page, RU_QUESTION)
    expect(bubble).to_have_class(re.compile(r"\bbqa-error\b"))
    title = bubble.locator(".bqa-notice-title")
    expect(title).to_have_text(re.compile(r"Сервер не смог ответить \(HTTP 500\)"))


# A host page embedding the widget with a read key, for a server that needs keys for reads.
KEYED_PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>Keyed widget</title><link rel="icon" href="data:,"></head>
<body>
  <script src="{api}/widget.js" data-endpoint="{api}" data-lang="{lang}"{key} defer></script>
</body>
</html>
"""


def open_keyed_widget(page: Page, keyed_server, host_site, name: str, lang: str, key: str | None) -> Locator:
    attribute = f' data-key="{key}"' if key else ""
    (host_site.root / name).write_text(KEYED_PAGE.format(api=keyed_server.url, lang=lang, key=attribute),
                                       encoding="utf-8")
    page.goto(f"{host_site.origin}/{name}")
    widget = page.locator("border-qa-widget")
    expect(widget.locator(".bqa-launcher")).to_be_visible()
    widget.locator(".bqa-launcher").click()
    expect(widget.locator(".bqa-panel")).to_be_visible()
    return widget


@pytest.mark.parametrize("lang,locale,question,message", [
    ("en", "en-US", EN_QUESTION, r"Too many questions, try again in \d+ s\."),
    ("ru", "ru-RU", RU_QUESTION, r"Слишком много вопросов, повторите через \d+ с\."),
])
def test_widget_with_a_key_and_the_rate_limit(keyed_server, host_site, open_page, lang, locale, question, message):
    """data-key is sent across origins; past the rate limit the widget says politely how long to wait."""
    page = open_page(locale=locale)
    widget = open_keyed_widget(page, keyed_server, host_site, f"keyed-{lang}.html", lang, keyed_server.keys[
        f"widget-{lang}"])
    # RAG_RATE_LIMIT=3/minute for this key: two questions and the documents list (the citations' dates)
    for _ in range(2):
        expect(ask(widget, question).locator(".bqa-candidate--primary")).to_have_count(1)
    bubble = ask(widget, question)
    expect(bubble).to_have_class(re.compile(r"\bbqa-error\b"))
    expect(bubble.locator(".bqa-notice-title")).to_have_text(re.compile(message))
    seconds = int(re.search(r"\d+", bubble.locator(".bqa-notice-title").inner_text()).group())
    assert 1 <= seconds <= 60


def test_widget_without_the_key_it_needs(keyed_server, host_site, open_page):
    """Without data-key, a server that needs keys for reads gets a clear "needs a valid access key" message."""
    page = open_page()
    widget = open_keyed_widget(page, keyed_server, host_site, "keyless.html", "en", None)
    bubble = ask(widget, EN_QUESTION)
    expect(bubble.locator(".bqa-notice-title")).to_have_text("This chat needs a valid access key.")


def test_empty_state_keyboard_and_accessibility(api_server, open_page):
    """Empty state with examples in the UI language; Shift+Enter adds a line, Enter sends; ARIA roles and labels."""
    page = open_page(locale="ru-RU")
    page.goto(api_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator(".bqa-empty-title")).to_have_text("Спросите о документах")
    examples = page.locator(".bqa-example")
    assert examples.count() >= 2
    examples_text = examples.all_text_contents()
    expect(examples.first).to_have_text(re.compile("[а-яА-ЯёЁ]"))

    log = page.locator(".bqa-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    box = page.locator(".bqa-input")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-label", "Ваш вопрос")
    expect(page.locator(".bqa-send")).to_have_attribute("aria-label", "Отправить вопрос")

    box.type("Первая строка")
    box.press("Shift+Enter")
    box.type("вторая строка")
    assert box.input_value() == "Первая строка\nвторая строка"
    expect(page.locator(".bqa-row--user")).to_have_count(0)
    page.keyboard.press("Tab")  # from the input to the send button
    expect(page.locator(".bqa-send")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(box).to_be_focused()
    box.fill("")
    expect(page.locator(".bqa-send")).to_be_disabled()

    examples.first.click()
    expect(page.locator(".bqa-empty")).to_have_count(0)
    expect(page.locator(".bqa-row--user")).to_have_text(re.compile(re.escape(examples_text[0])))
    expect(page.locator(".bqa-row--bot")).to_have_count(1, timeout=ANSWER_TIMEOUT)


# ---------- the widget on another site ----------


def test_widget_on_another_origin(api_server, host_site, open_page):
    """The widget on a page of another origin answers through CORS, and no styles cross the shadow boundary."""
    page = open_page()
    widget = open_widget(page, api_server, host_site)
    panel = widget.locator(".bqa-panel")
    expect(panel).to_have_attribute("role", "dialog")
    expect(widget.locator(".bqa-launcher")).to_have_attribute("aria-expanded", "true")
    expect(widget.locator(".bqa-input")).to_be_focused()

    expected = api_answer(api_server, EN_QUESTION)["answer"]
    bubble = ask(widget, EN_QUESTION)
    check_answer_bubble(bubble, expected)

    # Host styles do not reach into the widget ...
    sentence = bubble.locator(".bqa-candidate--primary .bqa-sentence-text")
    style = sentence.evaluate(
        "e => { const s = getComputedStyle(e); return [s.color, s.fontFamily, s.fontSize, s.letterSpacing]; }"
    )
    assert style[0] not in ("rgb(255, 0, 0)", "rgb(200, 0, 0)"), style
    assert "serif" != style[1].strip().lower() and not style[1].lower().startswith("serif"), style
    assert style[2] != "40px" and style[3] in ("normal", "0px"), style
    mark = bubble.locator(".bqa-candidate--primary .bqa-sentence-text mark.bqa-span")
    mark_bg = mark.evaluate("e => getComputedStyle(e).backgroundColor")
    assert mark_bg != "rgb(0, 255, 0)"
    send_bg = widget.locator(".bqa-send").evaluate("e => getComputedStyle(e).backgroundColor")
    assert send_bg != "rgb(255, 0, 0)"
    # ... and the widget's styles do not leak out.
    assert page.locator("#host-text").evaluate("e => getComputedStyle(e).color") == "rgb(255, 0, 0)"
    assert page.locator("#host-box").evaluate("e => getComputedStyle(e).borderTopWidth") == "10px"
    assert page.locator("#host-box").evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(0, 255, 0)"

    # Escape closes the panel and gives the focus back to the launcher.
    widget.locator(".bqa-input").focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(widget.locator(".bqa-launcher")).to_be_focused()
    expect(widget.locator(".bqa-launcher")).to_have_attribute("aria-expanded", "false")


PHONE = {"width": 375, "height": 740}


def assert_fits(page: Page, scope: Locator, bubble: Locator, width: int) -> None:
    """Nothing of the chat reaches past the screen's width and nothing scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    overflow = scope.locator(".bqa-log").evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0, f"horizontal overflow of {overflow}px"
    for part in (bubble, scope.locator(".bqa-input"), scope.locator(".bqa-send")):
        box = part.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_page_fits_a_phone(api_server, open_page):
    """At 375px the full page answers without horizontal scrolling, in Russian for a Russian browser."""
    page = open_page(locale="ru-RU", **PHONE)
    page.goto(api_server.url + "/")
    expect(page.locator(".bqa-input")).to_have_attribute("placeholder", "Задайте вопрос…")
    bubble = ask(page, RU_QUESTION)
    expect(bubble.locator(".bqa-candidate--primary .bqa-sentence-text mark.bqa-span")).to_have_count(1)
    confidence = bubble.locator(".bqa-candidate--primary .bqa-confidence-text")
    expect(confidence).to_have_text(re.compile(r"^Уверенность \d+%$"))
    assert_fits(page, page.locator("body"), bubble, PHONE["width"])
    page.locator(".bqa-filters-toggle").click()  # six document languages to choose from, on a narrow screen
    expect(page.locator(".bqa-filters .bqa-segment")).to_have_count(7)  # "any" and the six
    assert_fits(page, page.locator("body"), bubble, PHONE["width"])
    for segment in page.locator(".bqa-filters .bqa-segment").all():
        box = segment.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_widget_fits_a_phone(api_server, host_site, open_page, artifacts):
    """At 375px the Russian widget panel fills the screen without horizontal scrolling; no data-endpoint needed."""
    page = open_page(locale="ru-RU", **PHONE)
    widget = open_widget(page, api_server, host_site, "phone.html", endpoint=False)
    launcher = widget.locator(".bqa-launcher")
    expect(launcher).to_have_attribute("aria-label", "Открыть чат вопросов по документам")
    expect(widget.locator(".bqa-panel")).to_have_attribute("aria-label", "Вопросы по документам")
    bubble = ask(widget, RU_QUESTION)
    expect(bubble.locator(".bqa-candidate--primary .bqa-sentence-text mark.bqa-span")).to_have_count(1)
    panel = widget.locator(".bqa-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"]
    assert panel["width"] >= PHONE["width"] - 2, "the panel should use the whole width of a phone"
    assert_fits(page, widget, bubble, PHONE["width"])
    page.screenshot(path=str(artifacts / "widget-375.png"))
    close = widget.locator(".bqa-close")
    expect(close).to_have_attribute("aria-label", "Закрыть чат")
    close.click()
    expect(widget.locator(".bqa-panel")).to_be_hidden()
    expect(widget.locator(".bqa-launcher")).to_be_focused()


def test_widget_on_an_origin_not_allowed(api_server, host_site, open_page):
    """CORS: the widget on a site whose origin is not configured cannot use the API and says so."""
    origin = host_site.other_origin
    direct = api_server.client.post("/ask", json={"question": EN_QUESTION}, headers={"origin": origin})
    assert direct.status_code == 200 and "access-control-allow-origin" not in direct.headers
    page = open_page()
    widget = open_widget(page, api_server, host_site, "refused.html", origin=origin)
    bubble = ask(widget, EN_QUESTION)
    expect(bubble).to_have_class(re.compile(r"\bbqa-error\b"))
    expect(bubble.locator(".bqa-notice-title")).to_have_text("Cannot reach the server.")
    expect(bubble.locator("mark")).to_have_count(0)


# ---------- safety ----------


@pytest.fixture
def xss_document(api_server):
    """A document whose title and text carry markup that would run if it were inserted as HTML."""
    response = api_server.client.post("/documents", json=XSS_DOC)
    assert response.status_code == 201, response.text
    yield XSS_DOC
    api_server.client.delete(f"/documents/{XSS_DOC['doc_id']}")


@pytest.mark.parametrize("where", ["page", "widget"])
def test_document_markup_is_shown_as_text(api_server, host_site, open_page, xss_document, where):
    """Markup in a document's text and title is displayed literally and never executed or loaded."""
    page = open_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    if where == "page":
        page.add_init_script(CSP_WATCH)
        page.goto(api_server.url + "/")
        scope = page
    else:  # the host page has no CSP, so only the widget's own care prevents injection
        scope = open_widget(page, api_server, host_site, "xss.html")
    bubble = ask(scope, "What is the secret border post code?")
    expect(bubble).to_have_class(re.compile(r"\bbqa-answer\b"))
    expect(bubble.locator(".bqa-candidate--primary .bqa-sentence-text")).to_contain_text("7741")
    expect(bubble.locator(".bqa-candidate--primary .bqa-source-title")).to_have_text(xss_document["title"])
    assert bubble.locator("img, script").count() == 0

    bubble.locator(".bqa-candidate--primary .bqa-open").click()
    viewer = scope.locator("dialog.bqa-viewer")
    expect(viewer.locator(".bqa-viewer-title")).to_have_text(xss_document["title"])
    text = viewer.locator(".bqa-doc-text")
    expect(text).to_contain_text("<script>window.__pwned=1</script>")
    expect(viewer.get_by_text("<script>", exact=False)).to_be_visible()
    assert text.text_content() == xss_document["text"]
    assert viewer.locator("img, script").count() == 0
    page.wait_for_timeout(300)  # give a stray handler time to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not [url for url in requests if re.search(r"/x(\?|$)", url)], "an injected <img> was loaded"
    if where == "page":
        assert page.evaluate("window.__csp") == [], "something tried to run or load injected markup"
    page.keyboard.press("Escape")  # closes the viewer only, not the widget panel
    expect(viewer).to_be_hidden()
    if where == "widget":
        expect(scope.locator(".bqa-panel")).to_be_visible()


def test_page_security_headers(api_server):
    """`/` has the strict CSP and no inline code; the widget and assets have the right types; paths stay inside."""
    client = api_server.client
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "inline script in index.html"
    assert "<style" not in page.text and " style=" not in page.text, "inline style in index.html"
    assert client.get("/widget.js").headers["content-type"].startswith("application/javascript")
    assert client.get("/static/chat.js").headers["content-type"].startswith("application/javascript")
    assert client.get("/static/chat.css").headers["content-type"].startswith("text/css")
    for path in ("/static/../api/main.py", "/static/%2e%2e/api/routers/ui.py", "/static/nope.js", "/static/"):
        assert client.get(path).status_code == 404, path


# ---------- screenshot ----------


def test_screenshot_of_an_answered_chat(api_server, open_page, artifacts):
    """Saves tests/artifacts/chat.png: the full page answering a Russian question, span and citation in view."""
    page = open_page(width=1280, height=900)
    page.emulate_media(reduced_motion="reduce")
    page.goto(api_server.url + "/")
    page.screenshot(path=str(artifacts / "chat-empty.png"))
    ask(page, EN_QUESTION)
    bubble = ask(page, RU_QUESTION)
    bubble.locator(".bqa-candidate--primary .bqa-passage summary").click()
    expect(bubble.locator(".bqa-candidate--primary .bqa-passage-text mark.bqa-sentence")).to_be_visible()
    page.locator(".bqa-log").evaluate(
        "log => { const rows = log.querySelectorAll('.bqa-row--user');"
        " log.scrollTo({top: rows[rows.length - 1].offsetTop - 16}); }"
    )
    page.wait_for_timeout(300)
    primary = bubble.locator(".bqa-candidate--primary")
    for part in (".bqa-sentence-text mark.bqa-span", ".bqa-confidence-text", ".bqa-source-title", ".bqa-open"):
        expect(primary.locator(part)).to_be_in_viewport()  # all in the picture
    path = artifacts / "chat.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
