"""Uploaded text is cleaned, split and tagged in time linear in its length: no pattern of the write side backtracks
over adversarial input (app/ingest/reader.py, app/text/sentences.py, app/text/entities.py).

Growth is measured, not wall-clock time: each input is timed at two sizes, 8x apart, in CPU time of this process
(other processes on the machine do not count), and the ratio must stay far below the 64 of a quadratic pattern.
The rewritten patterns are also checked to give what the original ones gave, on random text.
"""

from __future__ import annotations

import re
import threading
import time
import timeit
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest import reader
from app.ingest.reader import clean, read_bytes
from app.text import entities, sentences
from app.text.sentences import split_sentences
from tests.conftest import BISHKEK, BOROVOE, ISSYK_KUL, SEED_CORPUS, TASHKENT, UNODC

# Linear growth over 8x the input is ~8 (a little more for caches); quadratic is 64, cubic 512.
MAX_GROWTH = 20


def _per_call(fn: Callable[[str], object], text: str) -> float:
    """CPU seconds of one ``fn(text)``, repeated for at least 0.05 s when it is fast (once when it is slow)."""
    number = 1
    while True:
        took = timeit.Timer(lambda: fn(text), timer=time.process_time).timeit(number)
        if took >= 0.05:
            return took / number
        number = max(2 * number, int(number * 0.06 / max(took, 1e-6)))


def growth(fn: Callable[[str], object], make: Callable[[int], str], size: int) -> float:
    """How many times longer ``fn`` takes on ``make(8 * size)`` than on ``make(size)``."""
    small, large = make(size), make(8 * size)
    fn(small)  # warm caches and lazy imports
    base = min(_per_call(fn, small) for _ in range(3))
    ratio = _per_call(fn, large) / base
    if ratio > MAX_GROWTH:  # once more in case of a hiccup: a super-linear pattern is as slow again
        ratio = min(ratio, _per_call(fn, large) / base)
    return ratio


def _repeat(unit: str, tail: str = "") -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n] + tail


# (name, function under test, input of a given length, smaller size). Sizes are chosen so that the original
# patterns, which these inputs made quadratic or cubic, still finish the larger size within seconds.
CASES = [
    ("image-links-unclosed", clean, _repeat("![]("), 50_000),
    ("image-links-no-bracket", clean, _repeat("!["), 50_000),
    ("image-links-no-paren", clean, _repeat("![a]b"), 50_000),
    ("clean-image-links", clean, _repeat("![](\n"), 50_000),
    ("markdown-image-links", reader._markdown_text, _repeat("![]("), 25_000),
    ("clean-blank-runs", clean, _repeat("\n \t\u00a0 "), 50_000),
    ("clean-blank-runs-then-text", clean, _repeat("x\n" + " " * 50), 50_000),
    ("html-breaks-space-run", lambda t: reader._BREAKS.sub("\n", t), _repeat(" ", "x"), 10_000),
    ("html-space", lambda t: reader._HTML_SPACE.sub(" ", t), _repeat(" \t\r\nx"), 50_000),
    ("list-glue-space-run", lambda t: entities.LIST_GLUE.fullmatch(t), _repeat(" ", "x"), 200),
    ("entities-list-gap", lambda t: entities.entities(["in Osh Alpha" + t + " Beta"]), _repeat(" ", "x"), 200),
    ("entities-trailing-dots", lambda t: entities.entities(["in Osh Alpha" + t]), _repeat("."), 5_000),
    ("entities-spaced-name", lambda t: entities.entities(["Ivan" + t + "Petrov in Osh"]), _repeat(" "), 5_000),
    ("entities-capitalised-chain", lambda t: entities.entities(["Alpha" + t]), _repeat(" of the"), 5_000),
]


@pytest.mark.parametrize("fn,make,size", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_redos_pattern_grows_linearly(fn, make, size):
    """Each pattern of the write side, on the input that would make it backtrack, takes time linear in its length."""
    assert growth(fn, make, size) < MAX_GROWTH


SENTENCE_CASES = [
    ("images", "en", _repeat("![](")),
    ("quoted-sentences", "en", _repeat("“a. ")),
    ("abbreviations", "en", _repeat("Mr. ")),
    ("short-sentences", "en", _repeat("Word. ")),
    ("cyrillic-dots", "ru", _repeat("а.")),
]


@pytest.mark.slow
@pytest.mark.parametrize("lang,make", [c[1:] for c in SENTENCE_CASES], ids=[c[0] for c in SENTENCE_CASES])
def test_redos_sentence_splitting_of_one_long_line_grows_linearly(lang, make):
    """pysbd's time grows with the square of a line's sentences; one line of a huge upload is split in windows."""
    assert growth(lambda text: split_sentences(text, lang), make, 25_000) < MAX_GROWTH


def test_redos_text_upload_grows_linearly():
    """A whole .txt read (decode, clean, checks) of "![](![](..." is linear."""
    assert growth(lambda text: read_bytes(text.encode(), ".txt"), _repeat("![](", "Osh border"), 50_000) < MAX_GROWTH


# -- the rewrites give what the original patterns gave ------------------------------------------------------------

ORIGINAL_IMAGE_LINK = re.compile(r"!\[[^\]]*\]\([^)]*\)")
ORIGINAL_BLANK_RUNS = re.compile(r"\n[ \t\u00a0]*(?:\n[ \t\u00a0]*)+")
ORIGINAL_BREAKS = re.compile(r" *\u2029[\u2029 ]*")
ORIGINAL_LIST_GLUE = re.compile(r"\s*(?:,|;)?\s*(?:\b(?:and|и)\b)?\s*")
ORIGINAL_AND = re.compile(r"\s+and\s+")
ORIGINAL_NAME_ENDS = re.compile(r"\s+(?:in|on|for|at|of|and)\s")
ORIGINAL_INITIAL = re.compile(r"\b[A-Z]\.$")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="![]()a \n", max_size=60))
def test_redos_image_link_scan_equals_the_original_pattern(text):
    assert reader.drop_image_links(text) == ORIGINAL_IMAGE_LINK.sub("", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="\n \t\u00a0a", max_size=40))
def test_redos_blank_runs_equal_the_original_pattern(text):
    assert reader._BLANK_RUNS.sub("\n\n", text) == ORIGINAL_BLANK_RUNS.sub("\n\n", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \u2029a", max_size=40))
def test_redos_html_breaks_equal_the_original_pattern(text):
    assert reader._BREAKS.sub("\n", text) == ORIGINAL_BREAKS.sub("\n", text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([" ", "\t", ",", ";", "and", "и", "a", "x", "andx"]), max_size=12).map("".join))
def test_redos_list_glue_equals_the_original_pattern(gap):
    assert bool(entities.LIST_GLUE.fullmatch(gap)) == bool(ORIGINAL_LIST_GLUE.fullmatch(gap))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([" ", "  ", "\t", "\n", "and", "in", "of", "Ab", "x", ".", "A."]), max_size=12))
def test_redos_name_patterns_equal_the_original_ones(words):
    text = "".join(words)
    assert [m.span() for m in entities._AND.finditer(text)] == [m.span() for m in ORIGINAL_AND.finditer(text)]
    found, original = entities._NAME_ENDS.search(text), ORIGINAL_NAME_ENDS.search(text)
    assert (found and found.span()) == (original and original.span())
    assert bool(entities._INITIAL.search(text[-4:])) == bool(ORIGINAL_INITIAL.search(text))


def test_redos_normal_markdown_cleans_as_before():
    """Image links, blank-line runs and trailing spaces of ordinary text are handled exactly as before."""
    text = "Title  \n\n\n![logo](a.png) Patrol in Osh.\r\n \n\t\nSecond ![x](y) line.\n![broken](\n"
    expected = "Title\n\nPatrol in Osh.\n\nSecond  line.\n![broken]("
    assert clean(text) == expected
    original = ORIGINAL_BLANK_RUNS.sub(
        "\n\n", "\n".join(line.rstrip() for line in ORIGINAL_IMAGE_LINK.sub("", text.replace("\r\n", "\n")).split("\n"))
    ).strip()
    assert original == expected


@pytest.mark.parametrize(
    "lang,docs,segment",
    [
        ("en", (ISSYK_KUL, BISHKEK), lambda line: sentences._pysbd_window(line, "en")),
        ("ru", (BOROVOE, UNODC, TASHKENT), sentences._razdel),
    ],
    ids=["pysbd", "razdel"],
)
def test_redos_long_lines_split_like_short_ones(lang, docs, segment):
    """A line longer than the segmenter's window is split into the same sentences, but at most one per window edge."""
    line = " ".join((SEED_CORPUS / doc).read_text(encoding="utf-8").replace("\n", " ") for doc in docs)
    window = sentences.SEGMENT_WINDOW
    assert len(line) > 2 * window
    windowed = split_sentences(line, lang)
    whole = segment(line)  # one call over the whole line, as before windows
    whole = [piece for start, end in whole for piece in sentences._cap(start, end, line)]
    previous_end = 0
    for start, end in windowed:
        assert previous_end <= start < end and line[start:end] == line[start:end].strip()
        assert not line[previous_end:start].strip()  # nothing but spaces between sentences
        previous_end = end
    assert not line[previous_end:].strip()
    differing = set(windowed) ^ set(whole)
    assert len(differing) <= 3 * (len(line) // (window // 2)), differing


# -- through the API -----------------------------------------------------------------------------------------------

ONE_MB = 1_000_000
# Longest time the process may go without answering /health while an upload runs: it answers in milliseconds
# otherwise. A C call holding the GIL (a backtracking regex) stalls this test's thread too, so the stall is measured
# as the gap between answers, which also catches one that outlasts the upload.
HEALTH_SECONDS = 5.0
# The upload takes ~10 s on 2 busy cores (markdown-it reads the 1 MB); the original cleaning took ~100 s.
UPLOAD_SECONDS = 120.0


def health_while(client, work: threading.Thread, probe: Callable[[], object] | None = None) -> tuple[float, int]:
    """Ask /health (and call ``probe``) until ``work`` ends; the longest gap between answers and how many came."""
    last, longest, answered = time.monotonic(), 0.0, 0
    deadline = last + UPLOAD_SECONDS
    while work.is_alive() and time.monotonic() < deadline:
        if probe is not None:
            probe()
        assert client.get("/health").status_code == 200
        now = time.monotonic()
        longest, last, answered = max(longest, now - last), now, answered + 1
        work.join(0.1)
    assert not work.is_alive(), f"the upload did not answer within {UPLOAD_SECONDS:g} s"
    return max(longest, time.monotonic() - last), answered


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["markdown-file", "json-text"])
def test_redos_1mb_adversarial_markdown_upload_completes_and_server_stays_responsive(workspace_client, kind):
    """1 MB of "![](![](..." (the image-link pattern took ~100 s on it, holding the GIL) is answered, and /health
    answers throughout; the index is unchanged (the text is all markup: nothing to index)."""
    c = workspace_client
    before = c.get("/documents").json()
    body = "![](" * (ONE_MB // 4)
    request = (
        {"files": {"file": ("images.md", body.encode(), "text/markdown")}}
        if kind == "markdown-file"
        else {"json": {"doc_id": "images.md", "text": body}}
    )
    responses = []
    upload = threading.Thread(target=lambda: responses.append(c.post("/documents", **request)), daemon=True)
    upload.start()
    stall, _ = health_while(c, upload)
    assert stall < HEALTH_SECONDS, f"/health went unanswered for {stall:.1f} s during the upload"
    response = responses[0]
    assert response.status_code == 422 and "empty document" in response.json()["detail"], response.text
    assert c.get("/documents").json() == before
