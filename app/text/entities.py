"""Named entities of each sentence: natasha's NER for Russian, capitalised-run heuristics for English.

Run once per sentence at ingest time and stored with the index; answer spans read them at question time.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.text.language import script_language

Span = tuple[int, int]
Entity = tuple[str, Span]  # (one of models.ENTITY_LABELS, span within the sentence)

_CAP = r"[A-Z][\w'’.-]*"
_CAPITALISED_RUN = re.compile(
    rf"{_CAP}(?:\s+(?:(?:of|for|in|and|on|the|de)\s+)*{_CAP})*(?:\s+(?:province|region|oblast|city|district))?"
)
_ORG_WORDS = {
    "service",
    "services",
    "centre",
    "center",
    "committee",
    "ministry",
    "organization",
    "organisation",
    "programme",
    "program",
    "union",
    "office",
    "initiative",
    "agency",
    "republic",
    "council",
    "department",
    "academy",
    "government",
    "forum",
    "commission",
    "police",
    "guard",
    "guards",
    "staff",
    "bureau",
    "unit",
    "management",
    "security",
    "conference",
    "nations",
    "bank",
    "institute",
    "university",
    "mission",
}
_TITLES = {"mr", "mrs", "ms", "dr", "colonel", "general", "major", "captain", "ambassador", "minister", "president"}
PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|at|to|from|near|across|throughout)\s+(?:the\s+)?|(?:^|\s)(?:в|во|на|из|г\.|пос\.)\s*)$", re.I
)
_TITLE_BEFORE = re.compile(rf"\b(?:{'|'.join(sorted(_TITLES))}|said|says|head|chief|director)\s+$", re.I)
# What may stand between two items of a list: ", ", "; ", " and ", ", и ". Each run of spaces has one place to go
# (``\s*\s*\s*`` tried every split of a long run: cubic, 0.35 s on 800 spaces) and the possessive repeats never give
# back a space, which nothing after them could match.
LIST_GLUE = re.compile(r"\s*+(?:[,;]\s*+)?(?:\b(?:and|и)\b\s*+)?")
# Space before a word that ends a name. A match starts at the first space of a run (the lookbehind): trying every
# space of a long run would be quadratic.
_AND = re.compile(r"(?<!\s)\s+and\s+")
_NAME_ENDS = re.compile(r"(?<!\s)\s+(?:in|on|for|at|of|and)\s")
_INITIAL = re.compile(r"\b[A-Z]\.$")


@lru_cache(maxsize=1)
def _ner_tagger():
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


def _russian_entities(sentences: list[str]) -> list[list[Entity]]:
    # slovnet tokenises and tags raw texts in batches: ~4x faster than one natasha Doc per sentence.
    return [[(span.type, (span.start, span.stop)) for span in markup.spans] for markup in _ner_tagger().map(sentences)]


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
        for part in _AND.finditer(match.group()):
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
        listed = out and LIST_GLUE.fullmatch(sentence[out[-1][1][1] : start]) and start > out[-1][1][1]
        if any(w in _ORG_WORDS for w in words) or (len(words) == 1 and sentence[start:end].isupper()):
            kind = "ORG"
        elif PLACE_BEFORE.search(sentence[:start]) or words[-1] in ("province", "region", "oblast", "city", "district"):
            kind = "LOC"
        elif listed:
            kind = out[-1][0]  # "from Latvia, Lithuania and Estonia": a list keeps its first item's type
        elif (
            words[0] in _TITLES
            or _TITLE_BEFORE.search(sentence[:start])
            or (len(words) >= 2 and not all(_english_word(w) for w in words))
        ):
            # "Politico-Military Dimension" is made of dictionary words; "Sergey Kapinos" is not.
            kind = "PER"
        elif len(words) >= 2:
            kind = "MISC"
        else:
            kind = "LOC"
        if kind == "PER":
            # "Ivan Petrov in Bishkek": a person's name does not run on across "in"/"for"/"at".
            cut = _NAME_ENDS.search(sentence[start:end])
            if cut:
                end = start + cut.start()
        if sentence[start:end].endswith(("’s", "'s")):
            end -= 2  # "the Kyrgyz Government’s plan": the possessive is not part of the name
        # A full stop closing the sentence is not part of the name; an initial ("J.") keeps its.
        # Only the last four characters can hold an initial: searching the whole name at every step is quadratic.
        while end > start and sentence[end - 1] in ".,'’" and not _INITIAL.search(sentence[max(start, end - 4) : end]):
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
