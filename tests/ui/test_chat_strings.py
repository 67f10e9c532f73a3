"""The chat's interface strings live in one table per language under app/static/chat/strings/, nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

CHAT = ROOT / "app" / "static" / "chat"
STRINGS = CHAT / "strings"

# A JavaScript string literal ('…', "…" or a template without substitutions), escapes included.
LITERAL = re.compile(r"""(["'`])((?:\\.|(?!\1)[^\\\n])*)\1""")
# Letters of a human language other than Latin: Cyrillic (Russian, Kazakh, Kyrgyz, Tajik) and the like.
NON_LATIN = re.compile(r"[^\W\d_a-zA-Z]")
# Two Latin words with a space between them ("Not found", "Try again, later"), but not class lists
# ("bqa-msg bqa-msg--bot"), whose words carry hyphens, nor module paths ("./dom.js").
LATIN_WORDS = re.compile(r"(?<![\w-])[A-Za-z]{2,}[,.:;!?…]*\s+[A-Za-z]{2,}(?![\w-])")
# One capitalised word ("Send", "Why?"): a label, unless it is one of these names the code speaks to browsers
# (key and header names, link relations).
CAPITALISED = re.compile(r"^[A-Z][a-z]+[.:!?…]*$")
CODE_NAMES = {"Enter", "Escape", "ArrowDown", "ArrowUp", "Accept", "Authorization", "INPUT", "Bearer", "noopener noreferrer"}


def user_visible(literal: str) -> bool:
    """Whether a string literal of the chat's code reads as words meant for a person."""
    text = literal.strip()
    if not text or "://" in text or text in CODE_NAMES or text.rstrip() in CODE_NAMES:
        return False
    if NON_LATIN.search(text):
        return True
    return bool(LATIN_WORDS.search(text) or CAPITALISED.match(text))


def code_without_comments(source: str) -> str:
    """The source with its comments blanked (they may quote what the code shows), line numbers kept."""
    source = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), source, flags=re.S)
    return re.sub(r"(?m)(^|[^:\\])//.*$", r"\1", source)


def literals_shown(path: Path) -> list[str]:
    found = []
    lines = code_without_comments(path.read_text(encoding="utf-8")).split("\n")
    for number, line in enumerate(lines, 1):
        for match in LITERAL.finditer(line):
            if user_visible(match.group(2)):
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    return found


def test_modules_hold_no_interface_text():
    """No module outside strings/ carries a sentence, a label or a word of Russian or Kazakh of its own."""
    modules = [p for p in CHAT.rglob("*.js") if STRINGS not in p.parents]
    assert len(modules) >= 10, modules
    found = [line for path in sorted(modules) for line in literals_shown(path)]
    assert not found, "interface text outside app/static/chat/strings/:\n" + "\n".join(found)


def test_the_check_sees_interface_text():
    """The check above flags what it is meant to: sentences, labels, Cyrillic; and not class lists or key names."""
    for text in ("Not found in the documents.", "Send", "Why?", "Сұрақ қойыңыз…", "Ещё", "Try again, later"):
        assert user_visible(text), text
    for text in ("bqa-msg bqa-msg--bot bqa-answer", "Escape", "aria-label", "M3.4 20.4 21 12", "/documents/",
                 "application/json", "http://www.w3.org/2000/svg", "numeric", "—", " · ", "Bearer ", "./dom.js"):
        assert not user_visible(text), text
    sample = ROOT / "tests" / "artifacts" / "literal-check.js"
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_text('// "Comments may say anything."\nconst a = el("p", "bqa-x", "Not found.");\n', encoding="utf-8")
    try:
        assert literals_shown(sample) == ['tests/artifacts/literal-check.js:2: "Not found."']
    finally:
        sample.unlink()


def test_every_table_is_registered():
    """Each table under strings/ is imported by i18n.js, held in STRINGS and offered by the switch (UI_LANGUAGES),
    in the switch's order ru, en, kk, ky, uz, tg; and the widget names its launcher in each of those languages."""
    i18n = (CHAT / "i18n.js").read_text(encoding="utf-8")
    tables = sorted(path.stem for path in STRINGS.glob("*.js"))
    assert tables == sorted(["ru", "en", "kk", "ky", "uz", "tg"]), tables
    imported = re.findall(r'^import (\w+) from "\./strings/(\w+)\.js";$', i18n, flags=re.M)
    assert sorted(imported) == [(code, code) for code in tables], imported
    held = re.search(r"export const STRINGS = \{([^}]*)\};", i18n)
    assert held and [code.strip() for code in held.group(1).split(",")] == ["ru", "en", "kk", "ky", "uz", "tg"]
    offered = re.search(r"export const UI_LANGUAGES = \[([^\]]*)\];", i18n)
    assert offered and re.findall(r'"(\w+)"', offered.group(1)) == ["ru", "en", "kk", "ky", "uz", "tg"]
    widget = (CHAT.parent / "widget.js").read_text(encoding="utf-8")
    labels = re.search(r"var LABELS = \{(.*?)\n  \};", widget, flags=re.S)
    assert labels and sorted(re.findall(r"^\s+(\w+): \{ open: ", labels.group(1), flags=re.M)) == tables
