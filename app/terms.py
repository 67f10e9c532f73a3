"""Lexical terms for BM25 and word overlap: Unicode words, en+ru stopwords, Snowball stem chosen by script."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_RUSSIAN

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
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
    return _STEMMERS["ru" if _CYRILLIC.search(word) else "en"].stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content terms of ``text`` in order (stopwords removed)."""
    # bm25s's own Tokenizer keeps a growing vocabulary; a stateless split suits a long-running server.
    words = (w.lower() for w in WORD.findall(text))
    return [stem(w) for w in words if w not in STOPWORDS and w != "_"]
