"""The documents view of the chat in a real browser against a real server: list, filter, open, by keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.slow


def listed(api_server) -> list[dict]:
    response = api_server.client.get("/documents")
    response.raise_for_status()
    return response.json()


def tab_to(page: Page, target: Locator, key: str = "Shift+Tab", limit: int = 12) -> None:
    """Move the focus with the keyboard alone until ``target`` has it."""
    for _ in range(limit):
        if target.evaluate("e => e.getRootNode().activeElement === e"):
            return
        page.keyboard.press(key)
    expect(target).to_be_focused()


def check_item(item: Locator, doc: dict, chars: str) -> None:
    """A list row shows the document's title, language, date (or —), collection (or —) and size."""
    expect(item.locator(".bqa-doc-title")).to_have_text(doc["title"])
    expect(item.locator(".bqa-lang")).to_have_text(doc["lang"].upper())
    date = item.locator(".bqa-doc-date .bqa-doc-field-value")
    if doc.get("date"):
        year, _, day = doc["date"].split("-")
        expect(date).to_have_text(re.compile(rf"\b{int(day)}\b.*\b{year}\b"))
    else:
        expect(date).to_have_text("—")
    expect(item.locator(".bqa-doc-collection .bqa-doc-field-value")).to_have_text(doc.get("collection") or "—")
    expect(item.locator(".bqa-doc-size")).to_have_text(chars)


def test_documents_view_filters_and_opens_a_document_by_keyboard(api_server, open_page):
    """From the chat, keyboard only: open the documents view, filter by a title word, open the one match in the
    document viewer with its full text, close it, and go back to the chat."""
    docs = listed(api_server)
    assert len(docs) >= 5
    matching = [d for d in docs if "bishkek" in d["title"].lower()]
    assert len(matching) == 1, [d["title"] for d in docs]
    page = open_page()
    page.goto(api_server.url + "/")
    toggle = page.locator(".bqa-docs-toggle")
    expect(toggle).to_have_text("Documents")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    tab_to(page, toggle)  # from the question box, back through the examples to the header
    page.keyboard.press("Enter")

    view = page.locator(".bqa-docs")
    expect(view).to_be_visible()
    expect(page.locator(".bqa-log")).to_be_hidden()
    expect(page.locator(".bqa-input")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    search = view.locator(".bqa-docs-filter")
    expect(search).to_be_focused()
    expect(search).to_have_accessible_name("Filter the documents by title")
    items = view.locator(".bqa-doc")
    expect(items).to_have_count(len(docs))
    expect(view.locator(".bqa-docs-status")).to_have_text(f"{len(docs)} documents")
    for item, doc in zip(items.all(), docs):
        check_item(item, doc, f"{doc['chars']:,} characters")

    page.keyboard.type("bishkek")
    expect(items).to_have_count(1)
    expect(view.locator(".bqa-docs-status")).to_have_text(f"1 of {len(docs)} documents")
    page.keyboard.press("ArrowDown")
    expect(items.first).to_be_focused()
    page.keyboard.press("Enter")

    viewer = page.locator("dialog.bqa-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".bqa-viewer-title")).to_have_text(matching[0]["title"])
    full = api_server.client.get(f"/documents/{matching[0]['doc_id']}").json()["text"]
    expect(viewer.locator(".bqa-doc-text")).to_be_visible()
    assert viewer.locator(".bqa-doc-text").text_content() == full
    assert viewer.locator("mark").count() == 0  # no answer to highlight
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(items.first).to_be_focused()

    tab_to(page, toggle)
    page.keyboard.press("Enter")
    expect(view).to_be_hidden()
    expect(page.locator(".bqa-input")).to_be_focused()
    expect(toggle).to_have_attribute("aria-pressed", "false")


def test_documents_view_in_russian(api_server, open_page):
    """Russian labels and plural forms; a filter that matches nothing says so; the match is case-insensitive."""
    docs = listed(api_server)
    page = open_page(locale="ru-RU")
    page.goto(api_server.url + "/")
    toggle = page.locator(".bqa-docs-toggle")
    expect(toggle).to_have_text("Документы")
    toggle.click()
    view = page.locator(".bqa-docs")
    search = view.locator(".bqa-docs-filter")
    expect(search).to_have_attribute("placeholder", "Фильтр по названию…")
    expect(view.locator(".bqa-doc")).to_have_count(len(docs))
    expect(view.locator(".bqa-docs-status")).to_have_text(f"{len(docs)} документов")
    first = view.locator(".bqa-doc").first
    expect(first.locator(".bqa-doc-date .bqa-doc-field-name")).to_have_text("Дата")
    expect(first.locator(".bqa-doc-collection .bqa-doc-field-name")).to_have_text("Коллекция")
    expect(first.locator(".bqa-doc-size")).to_have_text(re.compile(r"^\d[\d\s\u00a0]* симв\.$"))
    search.press_sequentially("zzzz")
    expect(view.locator(".bqa-doc")).to_have_count(0)
    expect(view.locator(".bqa-docs-status")).to_have_text("Нет документов с таким названием.")
    search.fill("")
    search.press_sequentially("КАЗАХСТАНЕ")
    titles = [d["title"] for d in docs if "казахстане" in d["title"].lower()]
    assert titles
    expect(view.locator(".bqa-doc-title")).to_have_text(titles)
    expect(view.locator(".bqa-docs-status")).to_have_text(f"{len(titles)} из {len(docs)} документов")


WIDGET_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,"></head>
<body><script src="{api}/widget.js" data-endpoint="{api}" defer></script></body>
</html>
"""


def test_documents_view_in_the_widget(api_server, host_site, open_page):
    """In the embedded widget (another origin) the icon-only toggle is named, the list loads through CORS, a
    document opens by keyboard, and Escape closes only the viewer."""
    docs = listed(api_server)
    (host_site.root / "documents.html").write_text(WIDGET_PAGE.format(api=api_server.url), encoding="utf-8")
    page = open_page()
    page.goto(f"{host_site.origin}/documents.html")
    widget = page.locator("border-qa-widget")
    widget.locator(".bqa-launcher").click()
    toggle = widget.locator(".bqa-docs-toggle")
    expect(toggle).to_have_accessible_name("Documents")
    toggle.click()
    items = widget.locator(".bqa-doc")
    expect(items).to_have_count(len(docs))
    expect(widget.locator(".bqa-docs-filter")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.first).to_be_focused()
    page.keyboard.press("Enter")
    viewer = widget.locator("dialog.bqa-viewer")
    expect(viewer.locator(".bqa-viewer-title")).to_have_text(docs[0]["title"])
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(widget.locator(".bqa-panel")).to_be_visible()
    expect(items.first).to_be_focused()
