"""The chat as ES modules in a real browser: every module and stylesheet loads under the page's CSP without a
console error, the string tables agree, and the language switch draws the chat again in Kazakh."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.ui.test_widget_browser import ANSWER_TIMEOUT, CSP_WATCH, EN_QUESTION, RU_QUESTION, ask

pytestmark = pytest.mark.slow

STATIC = ROOT / "app" / "static"
KK_TITLE = "Құжаттар бойынша сұрақтар"
DOCUMENT_LANGUAGE_NAMES = ["Русский", "English", "Қазақша", "Кыргызча", "Oʻzbekcha", "Тоҷикӣ"]


def watch_console(page: Page) -> list[str]:
    """Console errors and warnings of the page (CSP refusals and failed module loads are reported there)."""
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    return messages


def test_modules_load_without_errors_or_csp_violations(api_server, open_page):
    """/ loads chat/main.js as a module and, through it, every module and stylesheet of the chat, each with its
    type, with no console error, no uncaught error (open_page) and no CSP violation; the chat then answers."""
    page = open_page()
    console = watch_console(page)
    types: dict[str, str] = {}
    page.on("response", lambda r: types.__setitem__(r.url, r.headers.get("content-type", "")))
    page.add_init_script(CSP_WATCH)
    page.goto(api_server.url + "/")
    expect(page.locator(".bqa-input")).to_be_focused()
    bubble = ask(page, EN_QUESTION)
    expect(bubble.locator(".bqa-candidate--primary .bqa-sentence-text mark.bqa-span")).to_have_count(1)

    scripts = page.locator("script").evaluate_all("s => s.map(e => [e.type, e.getAttribute('src')])")
    assert scripts == [["module", "/static/chat/main.js"]], scripts
    modules = {f"{api_server.url}/static/{p.relative_to(STATIC).as_posix()}" for p in (STATIC / "chat").rglob("*.js")}
    sheets = {f"{api_server.url}/static/{p.relative_to(STATIC).as_posix()}" for p in (STATIC / "chat").rglob("*.css")}
    assert len(modules) >= 10 and len(sheets) >= 10
    assert modules <= types.keys(), f"modules never loaded: {sorted(modules - types.keys())}"
    assert sheets <= types.keys(), f"stylesheets never loaded: {sorted(sheets - types.keys())}"
    for url in modules:
        assert re.match(r"(application|text)/javascript\b", types[url]), (url, types[url])
    for url in sheets:
        assert types[url].startswith("text/css"), (url, types[url])
    assert page.evaluate("window.__csp") == [], "the page breaks its own Content-Security-Policy"
    assert console == [], console


def test_string_tables_have_the_same_keys(api_server, open_page):
    """Every table under strings/ has exactly the keys of the English one, value for value of the same kind (a
    function of as many numbers, a map with the same codes); the language maps name every document language."""
    page = open_page()
    page.goto(api_server.url + "/")
    expect(page.locator(".bqa-input")).to_be_visible()
    report = page.evaluate(
        """async () => {
          const i18n = await import('/static/chat/i18n.js');
          const shape = (value) => {
            if (typeof value === 'function') return 'function/' + value.length;
            if (Array.isArray(value)) return 'list';
            if (value && typeof value === 'object') {
              const inner = {};
              Object.keys(value).sort().forEach((key) => { inner[key] = shape(value[key]); });
              return inner;
            }
            return typeof value;
          };
          const tables = {};
          for (const code of i18n.UI_LANGUAGES) {
            const table = (await import('/static/chat/strings/' + code + '.js')).default;
            const said = [];
            for (const [key, value] of Object.entries(table)) {
              if (typeof value === 'function') for (const n of [0, 1, 2, 5, 21]) said.push([key, value(n, 5)]);
            }
            tables[code] = {shape: shape(table), said: said, text: JSON.stringify(table)};
          }
          return {ui: i18n.UI_LANGUAGES, loaded: Object.keys(i18n.STRINGS), docs: i18n.DOCUMENT_LANGUAGES, tables};
        }"""
    )
    assert report["ui"] == ["ru", "en", "kk"] and sorted(report["loaded"]) == sorted(report["ui"])
    assert {"kk", "ky", "uz", "tg", "ru", "en"} <= set(report["docs"]), report["docs"]
    reference = report["tables"]["en"]["shape"]
    for name in ("langNames", "filterLangNames"):
        assert set(reference[name]) == set(report["docs"]), name
    for code, table in report["tables"].items():
        shape = table["shape"]
        assert set(shape) == set(reference), (code, set(shape) ^ set(reference))
        different = {key: (shape[key], reference[key]) for key in reference if shape[key] != reference[key]}
        assert not different, (code, different)
        empty = [(key, said) for key, said in table["said"] if not isinstance(said, str) or not said.strip()]
        assert not empty, (code, empty)
    # Kazakh is written in the Kazakh alphabet, not Russian with another name.
    assert set("әғқңөұүі") <= set(report["tables"]["kk"]["text"])


def test_kazakh_switch_redraws_the_chat(api_server, open_page):
    """The header's switch offers ru/en/kk; picking Kazakh draws the page in Kazakh with the same conversation (the
    reply shown again, its turn still sent as history), the filters offer every document language, and the choice
    outlives a reload."""
    page = open_page(locale="en-US")
    console = watch_console(page)
    page.add_init_script(CSP_WATCH)
    page.goto(api_server.url + "/")
    switch = page.locator(".bqa-lang-switch")
    expect(switch).to_have_value("en")
    expect(switch.locator("option")).to_have_text(["Русский", "English", "Қазақша"])
    ask(page, EN_QUESTION)
    page.locator(".bqa-input").fill("typed, not sent")

    switch.select_option("kk")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page).to_have_title(KK_TITLE)
    expect(page.locator(".bqa-title")).to_have_text(KK_TITLE)
    expect(page.locator(".bqa-lang-switch")).to_be_focused()
    expect(page.locator(".bqa-input")).to_have_attribute("placeholder", "Сұрақ қойыңыз…")
    expect(page.locator(".bqa-input")).to_have_attribute("aria-label", "Сіздің сұрағыңыз")
    expect(page.locator(".bqa-input")).to_have_value("typed, not sent")
    expect(page.locator(".bqa-send")).to_have_attribute("aria-label", "Сұрақты жіберу")
    expect(page.locator(".bqa-new .bqa-tool-text")).to_have_text("Жаңа сұхбат")
    expect(page.locator(".bqa-row--user")).to_have_count(1)
    expect(page.locator(".bqa-row--user")).to_contain_text(EN_QUESTION)
    primary = page.locator(".bqa-row--bot .bqa-candidate--primary")
    expect(primary.locator(".bqa-confidence-text")).to_have_text(re.compile(r"^Сенімділік \d+%$"))
    expect(primary.locator(".bqa-source-label")).to_have_text("Дереккөз")
    expect(primary.locator(".bqa-open")).to_contain_text("Құжатты ашу")
    expect(page.locator(".bqa-feedback-label")).to_have_text("Жауап дұрыс па?")
    expect(page.get_by_text("Ask about the documents")).to_have_count(0)

    page.locator(".bqa-filters-toggle").click()
    segments = page.locator(".bqa-filter-lang .bqa-segment-text")
    expect(segments).to_have_text(["Кез келген", *DOCUMENT_LANGUAGE_NAMES])
    expect(page.locator(".bqa-filter-lang legend")).to_have_text("Құжат тілі")
    page.locator(".bqa-filters-toggle").click()

    # The conversation goes on: the earlier turn is sent as history.
    page.locator(".bqa-input").fill("")
    with page.expect_request("**/ask") as sent:
        bubble = ask(page, RU_QUESTION)
    history = sent.value.post_data_json["history"]
    assert [turn["question"] for turn in history] == [EN_QUESTION], history
    expect(bubble.locator(".bqa-why-text")).to_have_text("Неге?")

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator(".bqa-empty-title")).to_have_text("Құжаттар туралы сұраңыз")
    page.locator(".bqa-lang-switch").select_option("ru")
    expect(page.locator(".bqa-empty-title")).to_have_text("Спросите о документах")
    assert page.evaluate("window.__csp") == []
    assert console == [], console


KK_WIDGET_PAGE = """<!doctype html>
<html lang="kk">
<head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,"></head>
<body><script src="{api}/widget.js" data-endpoint="{api}" data-lang="kk" defer></script></body>
</html>
"""


def test_widget_in_kazakh_follows_the_switch(api_server, host_site, open_page):
    """data-lang="kk": the widget on another site imports the modules across origins and speaks Kazakh, launcher
    included; switching the chat to Russian renames the launcher and the panel too."""
    page = open_page(locale="en-US")
    console = watch_console(page)
    (host_site.root / "kk.html").write_text(KK_WIDGET_PAGE.format(api=api_server.url), encoding="utf-8")
    page.goto(f"{host_site.origin}/kk.html")
    widget = page.locator("border-qa-widget")
    launcher = widget.locator(".bqa-launcher")
    expect(launcher).to_have_attribute("aria-label", "Құжаттар бойынша сұрақтар чатын ашу")
    launcher.click()
    panel = widget.locator(".bqa-panel")
    expect(panel).to_have_attribute("aria-label", KK_TITLE)
    expect(widget.locator(".bqa-title")).to_have_text(KK_TITLE)
    expect(widget.locator(".bqa-close")).to_have_attribute("aria-label", "Чатты жабу")
    bubble = ask(widget, RU_QUESTION)
    expect(bubble.locator(".bqa-candidate--primary .bqa-confidence-text")).to_have_text(
        re.compile(r"^Сенімділік \d+%$"), timeout=ANSWER_TIMEOUT
    )
    widget.locator(".bqa-lang-switch").select_option("ru")
    expect(panel).to_have_attribute("aria-label", "Вопросы по документам")
    expect(launcher).to_have_attribute("aria-label", "Открыть чат вопросов по документам")
    expect(widget.locator(".bqa-row--bot .bqa-confidence-text").first).to_have_text(re.compile(r"^Уверенность"))
    page.keyboard.press("Escape")  # the panel still closes: the widget holds the chat across the redraw
    expect(panel).to_be_hidden()
    assert console == [], console


def test_language_filter_offers_the_servers_languages(api_server, open_page):
    """The language filter offers the document languages /health reports, in its order (here a server that says
    kk and ru only), and a question asked with Kazakh picked sends that filter."""
    page = open_page(locale="ru-RU")
    health = api_server.client.get("/health").json()
    assert set(health["languages"]) >= {"kk", "ky", "uz", "tg", "ru", "en"}, health
    page.route("**/health", lambda route: route.fulfill(json={**health, "languages": ["kk", "ru"]}))
    page.goto(api_server.url + "/")
    page.locator(".bqa-filters-toggle").click()
    segments = page.locator(".bqa-filter-lang .bqa-segment-text")
    expect(segments).to_have_text(["Любой", "Қазақша", "Русский"])
    page.locator(".bqa-filter-lang .bqa-segment[lang=kk]").click()
    expect(page.locator(".bqa-badge")).to_have_text("1")
    with page.expect_request("**/ask") as sent:
        bubble = ask(page, RU_QUESTION)
    assert sent.value.post_data_json["filters"] == {"langs": ["kk"]}
    expect(bubble).not_to_have_class(re.compile(r"\bbqa-error\b"))
