"""Lexical terms for BM25 and word overlap: Unicode words, en+ru stopwords, Snowball stem chosen by script."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_RUSSIAN

from app.text.language import CYRILLIC

_STEMMERS = {"ru": Stemmer.Stemmer("russian"), "en": Stemmer.Stemmer("english")}
# Single letters and digits carry meaning here ("3-я", "5 апреля"), so words of one character are kept.
WORD = re.compile(r"\w+", re.UNICODE)
# Interrogatives say what kind of answer is wanted, not what it is about; as terms they only add noise.
QUESTION_WORDS = frozenset(
    "how many much what when where who whom whose which why whether did does do "
    "сколько когда где кто кого кому кем что чего чем какой какая какое какие каких каким какую каком "
    "почему зачем откуда куда каков какова каковы ли чей чья чьи".split()
)
STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(STOPWORDS_RUSSIAN) | QUESTION_WORDS


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one lower-cased word with the Snowball stemmer of its script (mixed corpora need both)."""
    return _STEMMERS["ru" if CYRILLIC.search(word) else "en"].stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content terms of ``text`` in order (stopwords removed)."""
    # bm25s's own Tokenizer keeps a growing vocabulary; a stateless split suits a long-running server.
    words = (w.lower() for w in WORD.findall(text))
    return [stem(w) for w in words if w not in STOPWORDS and w != "_"]


_NAME = re.compile(r"\b[A-ZА-ЯЁ][a-zа-яё]{3,}(?:-[A-ZА-ЯЁa-zа-яё]+)?\b")


_TRANSLIT_LOCK = threading.Lock()


@lru_cache(maxsize=50_000)
def _transliterate(word: str) -> str:
    """The same name in the other script: "Bishkek" ↔ "Бишкек", "Kapinos" ↔ "Капинос"."""
    if CYRILLIC.search(word):
        import iuliia

        return iuliia.WIKIPEDIA.translate(word)
    from transliterate import translit

    # transliterate registers its language packs on first use, and two threads doing it at once make one of them
    # fail with LanguagePackNotFound (a fresh server's first concurrent questions): the first call is serialised.
    with _TRANSLIT_LOCK:
        return translit(word, "ru")


def query_terms(text: str) -> list[tuple[str, ...]]:
    """Question terms as groups of alternatives: each capitalised name also in the other script.

    Names are the one thing a question shares with a document in another language; a group counts
    once, by its best-matching spelling.
    """
    groups: dict[str, set[str]] = {}
    for word in WORD.findall(text):
        lower = word.lower()
        if lower in STOPWORDS or lower == "_":
            continue
        group = groups.setdefault(stem(lower), {stem(lower)})
        if _NAME.fullmatch(word) and word != text.split()[0]:
            for part in _transliterate(word).lower().split("-"):
                group.add(stem(part))
    return [tuple(sorted(g, key=lambda t: t != key)) for key, g in groups.items()]
