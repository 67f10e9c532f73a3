"""The chat as ES modules in a real browser: every module and stylesheet loads under the page's CSP without a
console error, the string tables agree, the language switch draws the chat again in Kazakh, and the browser's
language picks Kyrgyz, Uzbek or Tajik tables as it does the others."""

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
# The interface languages, in the switch's order, each named in itself (the same names as the document languages).
UI_LANGUAGES = ["ru", "en", "kk", "ky", "uz", "tg"]
UI_LANGUAGE_NAMES = DOCUMENT_LANGUAGE_NAMES


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
            // Its own words: the names of the other languages and the example questions are not in its alphabet.
            const own = Object.assign({}, table, {filterLangNames: null, examples: null, languageName: null});
            tables[code] = {shape: shape(table), said: said, text: JSON.stringify(table), own: JSON.stringify(own),
                            locale: table.locale, name: table.languageName, empty: table.emptyText,
                            examples: table.examples, filterLangNames: table.filterLangNames,
                            same: i18n.STRINGS[code] === table};
          }
          return {ui: i18n.UI_LANGUAGES, loaded: Object.keys(i18n.STRINGS), docs: i18n.DOCUMENT_LANGUAGES, tables};
        }"""
    )
    assert report["ui"] == UI_LANGUAGES and sorted(report["loaded"]) == sorted(report["ui"])
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
    tables = report["tables"]
    assert all(table["same"] for table in tables.values()), "STRINGS holds another table than strings/<code>.js"
    assert {code: table["locale"] for code, table in tables.items()} == {
        "ru": "ru-RU",
        "en": "en-GB",
        "kk": "kk-KZ",
        "ky": "ky-KG",
        "uz": "uz-UZ",
        "tg": "tg-TJ",
    }
    assert [tables[code]["name"] for code in UI_LANGUAGES] == UI_LANGUAGE_NAMES
    # The example questions are for the bundled Russian and English documents: every table but the English one
    # offers the Russian table's; the document languages go by their own names in every table.
    for code, table in tables.items():
        assert code == "en" or table["examples"] == tables["ru"]["examples"], code
        assert table["filterLangNames"] == tables["en"]["filterLangNames"], code
    # Kazakh is written in the Kazakh alphabet, not Russian with another name; Kyrgyz and Tajik in theirs, without
    # the letters of the other two; Uzbek in the Latin one, with the modifier letter ʻ (U+02BB) for oʻ and gʻ, never
    # an apostrophe or a quotation mark.
    own = {code: table["own"] + " ".join(said for _, said in table["said"]) for code, table in tables.items()}
    assert set("әғқңөұүі") <= set(own["kk"])
    assert set("ңөү") <= set(own["ky"]) and not set("әғқұіһҳҷӣӯ") & set(own["ky"])
    assert set("ғӣқӯҳҷ") <= set(own["tg"]) and not set("әңөұүі") & set(own["tg"])
    uzbek = own["uz"]
    assert "oʻ" in uzbek and "gʻ" in uzbek and not re.search(r"[а-яё]", uzbek, re.I), uzbek
    assert not re.search(r"[OoGg]['‘’`´ʼ]", uzbek), re.findall(r"\w*[OoGg]['‘’`´ʼ]\w*", uzbek)
    # Every table says a question may be written in any of the six languages the service reads.
    assert "Russian, English, Kazakh, Kyrgyz, Uzbek or Tajik" in tables["en"]["empty"]
    for code, names in {
        "ru": ["русск", "английск", "казахск", "киргизск", "узбекск", "таджикск"],
        "kk": ["орыс", "ағылшын", "қазақ", "қырғыз", "өзбек", "тәжік"],
        "ky": ["орус", "англис", "казак", "кыргыз", "өзбек", "тажик"],
        "uz": ["rus", "ingliz", "qozoq", "qirgʻiz", "oʻzbek", "tojik"],
        "tg": ["русӣ", "англисӣ", "қазоқӣ", "қирғизӣ", "ӯзбекӣ", "тоҷикӣ"],
    }.items():
        missing = [name for name in names if name not in tables[code]["empty"].lower()]
        assert not missing, (code, missing)


def test_ui_language_of_a_preference(api_server, open_page):
    """uiLanguage maps a locale (the browser's or data-lang) to an interface language, the new ones included, and
    a language picked earlier with the switch is remembered whichever it is."""
    page = open_page(locale="en-US")
    page.goto(api_server.url + "/")
    expect(page.locator(".bqa-input")).to_be_visible()
    wanted = {
        "ky-KG": "ky",
        "ky": "ky",
        "KY-kg": "ky",
        "uz-UZ": "uz",
        "uz-Latn-UZ": "uz",
        "uz": "uz",
        "tg-TJ": "tg",
        "tg": "tg",
        "kk-KZ": "kk",
        "ru-RU": "ru",
        "en-US": "en",
        "de-DE": "en",
        "kyx": "en",
        "tgk": "en",
    }
    got = page.evaluate(
        """async (preferences) => {
          const i18n = await import('/static/chat/i18n.js');
          const mapped = {};
          preferences.forEach((p) => { mapped[p] = i18n.uiLanguage(p); });
          const stored = {};
          for (const code of ['ky', 'uz', 'tg', 'xx']) {
            window.localStorage.setItem('border-qa-lang', code);
            stored[code] = i18n.storedLanguage();
          }
          window.localStorage.removeItem('border-qa-lang');
          return {mapped, stored};
        }""",
        list(wanted),
    )
    assert got["mapped"] == wanted
    assert got["stored"] == {"ky": "ky", "uz": "uz", "tg": "tg", "xx": None}


# The new tables as the browser's language picks them: the page's words, the confidence label of an answer, the
# filter's "any", the launcher's and the panel's names in the widget.
NEW_LANGUAGES = {
    "ky": {
        "locale": "ky-KG",
        "title": "Документтер боюнча суроолор",
        "placeholder": "Суроо бериңиз…",
        "input": "Сиздин сурооңуз",
        "empty": "Документтер тууралуу сураңыз",
        "confidence": "Ишенимдүүлүк",
        "any": "Каалаган",
        "why": "Эмне үчүн?",
        "open": "Документтер боюнча суроолор чатын ачуу",
    },
    "uz": {
        "locale": "uz-UZ",
        "title": "Hujjatlar boʻyicha savollar",
        "placeholder": "Savol bering…",
        "input": "Savolingiz",
        "empty": "Hujjatlar haqida soʻrang",
        "confidence": "Ishonchlilik",
        "any": "Istalgan",
        "why": "Nega?",
        "open": "Hujjatlar boʻyicha savollar chatini ochish",
    },
    "tg": {
        "locale": "tg-TJ",
        "title": "Саволҳо аз рӯи ҳуҷҷатҳо",
        "placeholder": "Савол диҳед…",
        "input": "Саволи шумо",
        "empty": "Дар бораи ҳуҷҷатҳо пурсед",
        "confidence": "Эътимод",
        "any": "Ҳар кадом",
        "why": "Чаро?",
        "open": "Кушодани чати саволҳо аз рӯи ҳуҷҷатҳо",
    },
}


@pytest.mark.parametrize("code", list(NEW_LANGUAGES))
def test_browser_language_picks_the_new_tables(api_server, open_page, code):
    """A browser set to Kyrgyz, Uzbek or Tajik gets the chat in that language: the page, its switch (offering all
    six), the filters and an answer; no console error or CSP violation."""
    words = NEW_LANGUAGES[code]
    page = open_page(locale=words["locale"])
    console = watch_console(page)
    page.add_init_script(CSP_WATCH)
    page.goto(api_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page).to_have_title(words["title"])
    expect(page.locator(".bqa-title")).to_have_text(words["title"])
    switch = page.locator(".bqa-lang-switch")
    expect(switch).to_have_value(code)
    expect(switch.locator("option")).to_have_text(UI_LANGUAGE_NAMES)
    expect(page.locator(".bqa-input")).to_have_attribute("placeholder", words["placeholder"])
    expect(page.locator(".bqa-input")).to_have_attribute("aria-label", words["input"])
    expect(page.locator(".bqa-empty-title")).to_have_text(words["empty"])
    page.locator(".bqa-filters-toggle").click()
    segments = page.locator(".bqa-filter-lang .bqa-segment-text")
    expect(segments).to_have_text([words["any"], *DOCUMENT_LANGUAGE_NAMES])
    page.locator(".bqa-filters-toggle").click()
    bubble = ask(page, EN_QUESTION)
    primary = bubble.locator(".bqa-candidate--primary")
    expect(primary.locator(".bqa-confidence-text")).to_have_text(re.compile(rf"^{words['confidence']} \d+%$"))
    expect(bubble.locator(".bqa-why-text")).to_have_text(words["why"])
    assert page.evaluate("window.__csp") == []
    assert console == [], console


def test_kazakh_switch_redraws_the_chat(api_server, open_page):
    """The header's switch offers ru/en/kk/ky/uz/tg; picking Kazakh draws the page in Kazakh with the same
    conversation (the reply shown again, its turn still sent as history), the filters offer every document language,
    and the choice outlives a reload."""
    page = open_page(locale="en-US")
    console = watch_console(page)
    page.add_init_script(CSP_WATCH)
    page.goto(api_server.url + "/")
    switch = page.locator(".bqa-lang-switch")
    expect(switch).to_have_value("en")
    expect(switch.locator("option")).to_have_text(UI_LANGUAGE_NAMES)
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


WIDGET_PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>Host</title><link rel="icon" href="data:,"></head>
<body><script src="{api}/widget.js" data-endpoint="{api}" data-lang="{lang}" defer></script></body>
</html>
"""


def test_widget_in_kazakh_follows_the_switch(api_server, host_site, open_page):
    """data-lang="kk": the widget on another site imports the modules across origins and speaks Kazakh, launcher
    included; switching the chat to Russian renames the launcher and the panel too."""
    page = open_page(locale="en-US")
    console = watch_console(page)
    (host_site.root / "kk.html").write_text(WIDGET_PAGE.format(api=api_server.url, lang="kk"), encoding="utf-8")
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


@pytest.mark.parametrize("code", list(NEW_LANGUAGES))
def test_widget_in_the_new_languages(api_server, host_site, open_page, code):
    """data-lang="ky", "uz" or "tg": the launcher, the panel and the chat speak that language, and the widget's
    compact switch offers the six languages by code, each named in itself."""
    words = NEW_LANGUAGES[code]
    page = open_page(locale="en-US")
    console = watch_console(page)
    (host_site.root / f"{code}.html").write_text(WIDGET_PAGE.format(api=api_server.url, lang=code), encoding="utf-8")
    page.goto(f"{host_site.origin}/{code}.html")
    widget = page.locator("border-qa-widget")
    launcher = widget.locator(".bqa-launcher")
    expect(launcher).to_have_attribute("aria-label", words["open"])
    launcher.click()
    expect(widget.locator(".bqa-panel")).to_have_attribute("aria-label", words["title"])
    expect(widget.locator(".bqa-title")).to_have_text(words["title"])
    expect(widget.locator(".bqa-input")).to_have_attribute("placeholder", words["placeholder"])
    options = widget.locator(".bqa-lang-switch option")
    expect(options).to_have_text([c.upper() for c in UI_LANGUAGES])
    assert options.evaluate_all("o => o.map(e => e.getAttribute('aria-label'))") == UI_LANGUAGE_NAMES
    expect(widget.locator(".bqa-lang-switch")).to_have_value(code)
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
