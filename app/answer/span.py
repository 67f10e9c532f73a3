"""Short answer spans inside a sentence: numbers, dates, people, places and organisations.

Candidates come from patterns (numbers and dates) and the entities stored at ingest (``app.text.entities``); the one
nearest to the question's words wins. A span made only of the question's own words is never returned.
"""

from __future__ import annotations

import re

from app.text.entities import LIST_GLUE, PLACE_BEFORE, Entity, Span, entities
from app.text.question import AnswerType
from app.text.terms import STOPWORDS, WORD, stem

_APPROX = (
    r"(?:(?:more than|less than|fewer than|over|about|around|some|nearly|almost|up to|at least|approximately|"
    r"более|свыше|около|почти|примерно|порядка|не менее|не более|менее|до)\s+)?"
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"hundred|thousand|dozen|dozens|hundreds|thousands"
)
_NUMBER = re.compile(
    _APPROX
    + r"(?<![\w.,-])(?:\d+(?:[ \u00a0]\d{3})*(?:[.,]\d+)?(?:\s*%)?(?![\w-])|(?:"
    + _NUMBER_WORDS
    + r")(?:-(?:day|days|year|month|week|hour))?\b)"
    # The counted thing: up to two following words (not stopwords) belong to a quantity.
    r"(?:[ \u00a0](?!(?:" + "|".join(sorted(re.escape(w) for w in STOPWORDS if w.isalpha())) + r")\b)"
    r"[a-zа-яё][\w-]*){0,2}",
    re.I,
)

_MONTHS_EN = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_MONTHS_RU = r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
# (?!\d): "May 2016" is a month and a year, not "May 20" followed by "16".
_DAY = r"\d{1,2}(?!\d)(?:\s*[-–]\s*\d{1,2}(?!\d))?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = re.compile(
    rf"{_DAY}\s+{_MONTHS_RU}(?:\s+{_YEAR}(?:\s+(?:года|г\.))?)?"
    rf"|(?:{_YEAR}\s*[-–]\s*)?{_YEAR}\s*(?:год[а-я]*|гг?\.)"
    rf"|{_MONTHS_EN}\s+{_DAY}(?:,?\s+{_YEAR})?"
    rf"|{_DAY}\s+{_MONTHS_EN}(?:,?\s+{_YEAR})?"
    rf"|{_MONTHS_EN}\s+{_YEAR}"
    rf"|{_MONTHS_RU.replace('я|', '|')}\s+{_YEAR}"
    rf"|(?<!\d){_YEAR}(?:\s*[-–]\s*{_YEAR})?(?!\d)",
)

_DURATION = re.compile(r"-(day|days|year|month|week|hour)$", re.I)


def _unit(span_text: str) -> str | None:
    """The counted thing of a quantity: "day" in "two-day meeting", "offici" in "some 100 officials"."""
    words = re.sub("^" + _APPROX, "", span_text, flags=re.I).split()
    hyphen = _DURATION.search(words[0]) if words else None
    for word in words:
        if hyphen:
            return stem(hyphen.group(1).lower())
        if re.search(r"\d", word) or word.lower() in STOPWORDS or re.fullmatch(_NUMBER_WORDS, word.lower()):
            continue
        return stem(word.lower().strip(".,"))
    return None


def _dates(sentence: str) -> list[Span]:
    return [m.span() for m in _DATE.finditer(sentence)]


def _numbers(sentence: str) -> list[Span]:
    dates = _dates(sentence)
    out = []
    for match in _NUMBER.finditer(sentence):
        start, end = match.span()
        if any(s < end and start < e for s, e in dates):
            continue  # "5 апреля" is a date, not a quantity
        out.append((start, end))
    return out


def candidates(sentence: str, kind: AnswerType, found: list[Entity] | None = None) -> list[Span]:
    """Spans of ``sentence`` that could answer a question of type ``kind``.

    ``found`` are the sentence's entities when already known (stored at ingest); else they are computed.
    """
    if kind is AnswerType.NUMBER:
        return _numbers(sentence)
    if kind is AnswerType.DATE:
        return _dates(sentence)
    wanted = {AnswerType.PERSON: "PER", AnswerType.PLACE: "LOC", AnswerType.ORGANISATION: "ORG"}.get(kind)
    if wanted is None:
        return []
    found = entities([sentence])[0] if found is None else found
    return _merge_lists(sentence, sorted(span for label, span in found if label == wanted))


def _merge_lists(sentence: str, spans: list[Span]) -> list[Span]:
    """Adjacent entities of one type joined by commas or and/и form one answer: "Latvia, Lithuania"."""
    merged: list[Span] = []
    for start, end in spans:
        if merged and start > merged[-1][1] and LIST_GLUE.fullmatch(sentence[merged[-1][1] : start]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _positions(sentence: str, question_terms: set[str]) -> list[int]:
    return [m.start() for m in WORD.finditer(sentence) if stem(m.group().lower()) in question_terms]


def best_span(
    sentence: str, kind: AnswerType, question_terms: set[str], found: list[Entity] | None = None
) -> Span | None:
    """The candidate closest to the question's words that says something the question does not."""
    anchors = _positions(sentence, question_terms)
    best, best_key = None, None
    for order, (start, end) in enumerate(candidates(sentence, kind, found)):
        words = [stem(w.lower()) for w in WORD.findall(sentence[start:end]) if w.lower() not in STOPWORDS]
        if not words or set(words) <= question_terms:
            continue
        distance = min((abs(a - start) for a in anchors if not start <= a < end), default=len(sentence))
        if kind is AnswerType.NUMBER:
            # A quantity whose counted noun the question names ("how many officials") is the one asked for.
            preferred = _unit(sentence[start:end]) in question_terms
        else:
            # A place after "in"/"в" is where something happened, not a name inside a title.
            preferred = kind is AnswerType.PLACE and bool(PLACE_BEFORE.search(sentence[:start]))
        key = (not preferred, distance, order)
        if best_key is None or key < best_key:
            best, best_key = (start, end), key
    return best
