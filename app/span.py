"""Short answer spans inside a sentence: numbers, dates, people, places and organisations.

Candidates come from patterns (numbers, dates, English names) and natasha's NER for Russian; the one
nearest to the question's words wins. A span made only of the question's own words is never returned.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.language import script_language
from app.question import AnswerType
from app.terms import WORD, STOPWORDS, stem

Span = tuple[int, int]
Entity = tuple[str, Span]  # (one of models.ENTITY_LABELS, span within the sentence)

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

_CAP = r"[A-Z][\w'’.-]*"
_CAPITALISED_RUN = re.compile(
    rf"{_CAP}(?:\s+(?:(?:of|for|in|and|on|the|de)\s+)*{_CAP})*(?:\s+(?:province|region|oblast|city|district))?"
)
_ORG_WORDS = {
    "service", "services", "centre", "center", "committee", "ministry", "organization", "organisation",
    "programme", "program", "union", "office", "initiative", "agency", "republic", "council", "department",
    "academy", "government", "forum", "commission", "police", "guard", "guards", "staff", "bureau", "unit",
    "management", "security", "conference", "nations", "bank", "institute", "university", "mission",
}
_TITLES = {"mr", "mrs", "ms", "dr", "colonel", "general", "major", "captain", "ambassador", "minister", "president"}
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|at|to|from|near|across|throughout)\s+(?:the\s+)?|(?:^|\s)(?:в|во|на|из|г\.|пос\.)\s*)$", re.I
)
_TITLE_BEFORE = re.compile(rf"\b(?:{'|'.join(sorted(_TITLES))}|said|says|head|chief|director)\s+$", re.I)
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


@lru_cache(maxsize=1)
def _ner_tagger():
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


def _russian_entities(sentences: list[str]) -> list[list[Entity]]:
    # slovnet tokenises and tags raw texts in batches: ~4x faster than one natasha Doc per sentence.
    return [
        [(span.type, (span.start, span.stop)) for span in markup.spans]
        for markup in _ner_tagger().map(sentences)
    ]


@lru_cache(maxsize=65536)
def _english_word(word: str) -> bool:
    """A word of the English dictionary (proper names of people mostly are not)."""
    import simplemma

    return all(simplemma.is_known(part, lang="en") for part in word.split("-") if part)


def _runs(sentence: str):
    """Capitalised runs; "Lithuania and Kazakhstan" is two names, "Ministry of Labour and Social Protection" one."""
    for match in _CAPITALISED_RUN.finditer(sentence):
        words = {w.lower().strip(".,'’") for w in match.group().split()}
        if words & _ORG_WORDS:
            yield match.start(), match.end()
            continue
        at = match.start()
        for part in re.finditer(r"\s+and\s+", match.group()):
            yield at, match.start() + part.start()
            at = match.start() + part.end()
        yield at, match.end()


def _english_entities(sentence: str) -> list[Entity]:
    """PER / LOC / ORG guesses from capitalised runs (no packaged English NER model is available)."""
    out: list[Entity] = []
    for start, end in _runs(sentence):
        text = sentence[start:end]
        words = [re.sub(r"['’]s$", "", w.lower()).strip(".,'’") for w in text.split()]
        if start == 0 and len(words) == 1:
            continue  # a capitalised sentence opener carries no signal
        if words[0] in ("the", "a", "an", "on", "in", "at", "since", "thus", "this", "these", "today"):
            start += len(text.split()[0]) + 1
            words = words[1:]
            if not words:
                continue
        listed = out and _LIST_GLUE.fullmatch(sentence[out[-1][1][1] : start]) and start > out[-1][1][1]
        if any(w in _ORG_WORDS for w in words) or (len(words) == 1 and sentence[start:end].isupper()):
            kind = "ORG"
        elif _PLACE_BEFORE.search(sentence[:start]) or words[-1] in ("province", "region", "oblast", "city", "district"):
            kind = "LOC"
        elif listed:
            kind = out[-1][0]  # "from Latvia, Lithuania and Estonia": a list keeps its first item's type
        elif words[0] in _TITLES or _TITLE_BEFORE.search(sentence[:start]) or (
            len(words) >= 2 and not all(_english_word(w) for w in words)
        ):
            # "Politico-Military Dimension" is made of dictionary words; "Sergey Kapinos" is not.
            kind = "PER"
        elif len(words) >= 2:
            kind = "MISC"
        else:
            kind = "LOC"
        if kind == "PER":
            # "Ivan Petrov in Bishkek": a person's name does not run on across "in"/"for"/"at".
            cut = re.search(r"\s+(?:in|on|for|at|of|and)\s", sentence[start:end])
            if cut:
                end = start + cut.start()
        if sentence[start:end].endswith(("’s", "'s")):
            end -= 2  # "the Kyrgyz Government’s plan": the possessive is not part of the name
        # A full stop closing the sentence is not part of the name; an initial ("J.") keeps its.
        while end > start and sentence[end - 1] in ".,'’" and not re.search(r"\b[A-Z]\.$", sentence[start:end]):
            end -= 1
        out.append((kind, (start, end)))
    return out


def entities(sentences: list[str]) -> list[list[Entity]]:
    """People (PER), places (LOC) and organisations (ORG) of each sentence, by its script.

    Run once per sentence at ingest time and stored with the index: NER at question time would cost
    several milliseconds per candidate sentence.
    """
    out: list[list[Entity]] = [[] for _ in sentences]
    russian = [i for i, sentence in enumerate(sentences) if script_language(sentence) == "ru"]
    for i, found in zip(russian, _russian_entities([sentences[i] for i in russian]) if russian else []):
        out[i] = found
    for i, sentence in enumerate(sentences):
        if script_language(sentence) != "ru":
            out[i] = _english_entities(sentence)
    return out


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


_LIST_GLUE = re.compile(r"\s*(?:,|;)?\s*(?:\b(?:and|и)\b)?\s*")


def _merge_lists(sentence: str, spans: list[Span]) -> list[Span]:
    """Adjacent entities of one type joined by commas or and/и form one answer: "Latvia, Lithuania"."""
    merged: list[Span] = []
    for start, end in spans:
        if merged and start > merged[-1][1] and _LIST_GLUE.fullmatch(sentence[merged[-1][1] : start]):
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
            preferred = kind is AnswerType.PLACE and bool(_PLACE_BEFORE.search(sentence[:start]))
        key = (not preferred, distance, order)
        if best_key is None or key < best_key:
            best, best_key = (start, end), key
    return best
