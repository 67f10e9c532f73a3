"""👍/👎 under answers in a real browser against a real server: the verdict and the correction reach the store."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from app.feedback.store import FeedbackStore

pytestmark = pytest.mark.slow

EN_QUESTION = "Who is the Head of the OSCE Centre in Bishkek?"
RU_QUESTION = "Сколько человек приняли участие в конференции в Боровом?"
ANSWER_TIMEOUT = 60_000


def ask(page: Page, question: str) -> Locator:
    """Type a question, press Enter and return the reply bubble once it is there."""
    replies = page.locator(".bqa-row--bot")
    before = replies.count()
    page.locator(".bqa-input").fill(question)
    page.locator(".bqa-input").press("Enter")
    expect(replies).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    return replies.last.locator(".bqa-msg")


def stored(api_server) -> list:
    """The rows of the server's feedback file (beside its index folder, the default place)."""
    return FeedbackStore(api_server.index.parent / "feedback.sqlite3").rows()


def test_thumbs_down_with_a_typed_correction_is_stored(api_server, open_page):
    """👎 opens the "The answer is…" field; a correction typed and sent with the keyboard arrives as one row."""
    expected = api_server.client.post("/ask", json={"question": EN_QUESTION}).json()["answer"]
    page = open_page()
    page.goto(api_server.url + "/")
    bubble = ask(page, EN_QUESTION)
    feedback = bubble.locator(".bqa-feedback")
    up, down = feedback.locator(".bqa-vote--up"), feedback.locator(".bqa-vote--down")
    expect(feedback).to_have_attribute("role", "group")
    expect(feedback).to_have_accessible_name("Was this answer right?")
    expect(up).to_have_accessible_name("Yes, the answer is right")
    expect(down).to_have_accessible_name("No, the answer is wrong")
    field = feedback.locator(".bqa-correction-input")
    expect(field).to_be_hidden()

    down.click()
    expect(down).to_have_attribute("aria-expanded", "true")
    expect(field).to_be_focused()
    expect(field).to_have_accessible_name("The answer is…")
    page.keyboard.type("the head is Sergey Kapinos")
    page.keyboard.press("Enter")

    expect(feedback.locator(".bqa-feedback-status")).to_have_text("Thanks for your feedback!")
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(down).to_be_focused()  # not lost with the field, which is gone
    expect(field).to_be_hidden()
    rows = [r for r in stored(api_server) if r.question == EN_QUESTION and r.verdict == "down"]
    assert len(rows) == 1, rows
    row = rows[0]
    assert row.correction == "the head is Sergey Kapinos" and row.lang == "en"
    assert (row.answer.text, row.answer.doc_id, row.answer.start, row.answer.end) == (
        expected["text"],
        expected["doc_id"],
        expected["start"],
        expected["end"],
    )
    expect(up).to_have_attribute("aria-disabled", "true")  # one verdict per answer: a later press sends nothing
    up.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert len([r for r in stored(api_server) if r.question == EN_QUESTION]) == 1


def test_thumbs_up_by_keyboard_in_russian_and_errors_inline(api_server, open_page):
    """Shift+Tab from the question box reaches 👎 then 👍 (Russian labels); Enter on 👍 stores "up"; a refused
    verdict shows the server's reason next to the buttons."""
    page = open_page(locale="ru-RU")
    page.goto(api_server.url + "/")
    bubble = ask(page, RU_QUESTION)
    up, down = bubble.locator(".bqa-vote--up"), bubble.locator(".bqa-vote--down")
    expect(up).to_have_accessible_name("Да, ответ верный")
    expect(down).to_have_accessible_name("Нет, ответ неверный")

    page.route("**/feedback", lambda route: route.fulfill(status=422, json={"detail": "unknown doc_id: gone.txt"}))
    page.locator(".bqa-input").focus()
    page.keyboard.press("Shift+Tab")
    expect(down).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(up).to_be_focused()
    page.keyboard.press("Enter")
    status = bubble.locator(".bqa-feedback-status")
    expect(status).to_have_text("Отзыв не отправлен: unknown doc_id: gone.txt")
    expect(status).to_have_class("bqa-feedback-status bqa-feedback-status--error")
    expect(up).to_have_attribute("aria-pressed", "false")

    page.unroute("**/feedback")
    expect(up).to_be_focused()
    page.keyboard.press("Space")
    expect(status).to_have_text("Спасибо за отзыв!")
    expect(up).to_have_attribute("aria-pressed", "true")
    rows = [r for r in stored(api_server) if r.question == RU_QUESTION]
    assert [(r.verdict, r.lang, r.correction) for r in rows] == [("up", "ru", None)]
    assert rows[0].answer is not None and rows[0].answer.text in rows[0].answer.sentence
