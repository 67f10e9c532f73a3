"""Sentence splitting with character offsets: razdel for Cyrillic text, pysbd for the rest."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, partial

from app.text.language import script_language

_LINE = re.compile(r"[^\n]+")
# Sentences longer than this (tables, lists without punctuation) are cut at a space so that
# every sentence stays quotable and fits the encoder.
MAX_SENTENCE_CHARS = 600
# Longest text given to pysbd or razdel at once (``_windowed``): a paragraph of a report is 300-1,000 characters, and
# pysbd takes 6 ms on 2,000 characters of prose, 27 ms on 2,000 of one-character sentences.
SEGMENT_WINDOW = 2000


@lru_cache(maxsize=8)
def _pysbd(lang: str):
    import pysbd

    return pysbd.Segmenter(language=lang, clean=False, char_span=False)


def _razdel(line: str) -> list[tuple[int, int]]:
    from razdel import sentenize

    return [(s.start, s.stop) for s in sentenize(line)]


def _windowed(line: str, segment: Callable[[str], list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Sentence spans of one line; a long line is segmented a window at a time.

    pysbd's time grows with the square of a line's sentences (20k characters of "![](": 2 s, holding the GIL), and
    razdel's faster than linearly too (200k characters of "а.": 1.2 s), so a line longer than ``SEGMENT_WINDOW`` is
    cut at a space into windows. The last sentence of a window may run on past it, so the next window starts at that
    sentence again, unless the window would then move on by less than half its size, which keeps the work linear.
    """
    if len(line) <= SEGMENT_WINDOW:
        return segment(line)
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(line):
        end = len(line)
        if end - start > SEGMENT_WINDOW:
            cut = line.rfind(" ", start + SEGMENT_WINDOW // 2, start + SEGMENT_WINDOW)
            end = cut if cut > start else start + SEGMENT_WINDOW
        pieces = segment(line[start:end])
        following = end
        if end < len(line) and len(pieces) > 1 and pieces[-2][1] >= SEGMENT_WINDOW // 2:
            pieces.pop()  # segmented again, whole, at the start of the next window
            following = start + pieces[-1][1]
        spans.extend((start + a, start + b) for a, b in pieces)
        start = following
    return spans


def _pysbd_window(line: str, lang: str) -> list[tuple[int, int]]:
    # pysbd's own char spans drift on repeated text; locate each sentence from a moving cursor.
    spans, cursor = [], 0
    for sentence in _pysbd(lang if lang in ("en", "de", "fr") else "en").segment(line):
        piece = sentence.strip()
        if not piece:
            continue
        start = line.find(piece, cursor)
        if start < 0:
            continue
        spans.append((start, start + len(piece)))
        cursor = start + len(piece)
    return spans


def _cap(start: int, end: int, text: str) -> list[tuple[int, int]]:
    out = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():  # "a  b" cut at its second space
            piece_end -= 1
        out.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        out.append((start, end))
    return out


def split_sentences(text: str, lang: str | None = None) -> list[tuple[int, int]]:
    """``[start, end)`` offsets of the sentences of ``text``; line breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    for match in _LINE.finditer(text):
        line = match.group()
        if not line.strip():
            continue
        script = script_language(line)
        line_lang = "ru" if script == "ru" else lang if lang in ("ru", "en") else script
        segment = _razdel if line_lang == "ru" else partial(_pysbd_window, lang=line_lang)
        pieces = _windowed(line, segment)
        for start, end in pieces:
            # Trim whitespace so that every sentence is a clean verbatim slice.
            while start < end and line[start].isspace():
                start += 1
            while end > start and line[end - 1].isspace():
                end -= 1
            if end > start:
                spans.extend(_cap(match.start() + start, match.start() + end, text))
    return spans
