"""Lexical terms for BM25 and word overlap, analysed per language.

Russian and English: Snowball stems (chosen per word by script), en+ru stopwords. Kazakh, Kyrgyz, Uzbek and Tajik
have no Snowball stemmer: their words are cut to their first ``PREFIX_CHARS`` characters after their own stopwords
are removed, and Uzbek is first transliterated to one Latin spelling so its two scripts meet (``uzbek_latin``).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_RUSSIAN

from app.text.language import CYRILLIC, REGIONAL, regional_language

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


# Agglutinative words keep their root at the start and stack suffixes after it ("шекарасындағы" = шекара + сы +
# нда + ғы): the first 6 letters meet across inflections. Measured on KazQAD (366 paragraphs, 395 questions, the gold
# paragraph first by BM25 alone): Russian Snowball 0.435, no stemming 0.433, a suffix stripper 0.506-0.516, the first
# 5 letters 0.534, 6 letters 0.534, 7 letters 0.494 (with the stopwords below). Kyrgyz, Uzbek and Tajik (no data
# here) take the same rule. A second term per word, its first 4 letters, put the gold paragraph first more often
# through the service's fusion (questions of the part the reader trains on 0.544 instead of 0.515; held-out 0.589
# instead of 0.570) but the answers read from them got worse (held-out containment 0.399 instead of 0.430, span F1
# 0.300 instead of 0.330): not kept.
PREFIX_CHARS = 6
_REGIONAL_STOPWORDS = {
    "kk": "және мен бен пен деп бұл осы ол олар оның үшін бойынша болып болды болған болады қашан қандай кім не "
    "неше қанша қай қайда қайсы қалай неге неліктен нешінші дегеніміз деген аталады ма ме ба бе па пе ғана тек әр "
    "сол мұнда онда кейін дейін арқылы туралы емес бар жоқ да де та те",
    "ky": "жана менен үчүн боюнча болуп болгон качан кандай ким эмне кайсы кайда канча кантип эмнеге деп бул ошол "
    "ал алар анын дагы эле да де эмес бар жок",
    "uz": "va bu bilan uchun ham edi deb haqida orqali emas qachon qanday kim nima qayerda necha nechta qaysi "
    "qancha nega shu ushbu hamda esa yoki lekin",
    "tg": "ва дар аз ба бо ки то барои аст буд ин он чӣ кай кист куҷо чанд чаро кадом чи ҳам низ ё аммо",
}
_UZ_LETTERS = {
    "ў": "ö", "қ": "q", "ғ": "ğ", "ҳ": "h", "ш": "sh", "ч": "ch", "ж": "j", "х": "x", "ц": "ts", "й": "y",
    "ё": "yo", "ю": "yu", "я": "ya", "э": "e", "ъ": "", "ь": "", "а": "a", "б": "b", "в": "v", "г": "g",
    "д": "d", "з": "z", "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "е": "e",
}  # fmt: skip
_UZ_TURNED = re.compile(r"([oOgG])['ʻʼ‘’`]")
_UZ_APOSTROPHE = re.compile(r"(?<=\w)['ʻʼ‘’`](?=\w)")
# Cyrillic "е" is "ye" at the start of a word and after a vowel ("ер" = "yer"), else "e".
_UZ_YE = re.compile(r"(?:(?<=[^\w])|^|(?<=[аеёиоуэюяўАЕЁИОУЭЮЯЎ]))[еЕ]")


def uzbek_latin(text: str) -> str:
    """Uzbek in one lower-case Latin spelling for matching: Cyrillic transliterated, oʻ/gʻ as ö/ğ, no apostrophes.

    "Ўзбекистон" and "Oʻzbekiston" both give "özbekiston"; "масъул" and "mas'ul" give "masul".
    """
    text = _UZ_YE.sub("ye", text).lower()
    text = "".join(_UZ_LETTERS.get(ch, ch) for ch in text)
    text = _UZ_TURNED.sub(lambda m: "ö" if m.group(1) in "oO" else "ğ", text)
    return _UZ_APOSTROPHE.sub("", text)


STOPWORDS_BY_LANGUAGE = {
    lang: frozenset(uzbek_latin(words) if lang == "uz" else words for words in words.split())
    for lang, words in _REGIONAL_STOPWORDS.items()
}


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one lower-cased word with the Snowball stemmer of its script (mixed corpora need both)."""
    return _STEMMERS["ru" if CYRILLIC.search(word) else "en"].stemWord(word)


def analysis_language(text: str, lang: str | None = None) -> str | None:
    """The regional language whose analysis ``text`` gets (``lang`` when given), or None for Snowball."""
    if lang is None:
        lang = regional_language(text, question=True)
    return lang if lang in REGIONAL else None


def _regional_term(word: str) -> str:
    return word[:PREFIX_CHARS]


def terms(text: str, lang: str | None = None) -> list[str]:
    """Content terms of ``text`` in order (stopwords removed), analysed as ``lang`` (read from the text when None).

    Index and question must be analysed alike: documents pass their detected language, questions their own.
    """
    # bm25s's own Tokenizer keeps a growing vocabulary; a stateless split suits a long-running server.
    regional = analysis_language(text, lang)
    if regional is None:
        words = (w.lower() for w in WORD.findall(text))
        return [stem(w) for w in words if w not in STOPWORDS and w != "_"]
    if regional == "uz":
        text = uzbek_latin(text)
    stop = STOPWORDS_BY_LANGUAGE[regional]
    out = []
    for word in WORD.findall(text):
        word = word.lower()
        if word in stop or word in STOPWORDS or word == "_":
            continue
        # Latin words in Kazakh, Kyrgyz or Tajik text are names and terms from English: stemmed as English.
        out.append(_regional_term(word) if regional == "uz" or CYRILLIC.search(word) else stem(word))
    return out


_NAME = re.compile(r"\b[A-ZА-ЯЁ][a-zа-яё]{3,}(?:-[A-ZА-ЯЁa-zа-яё]+)?\b")
# In the languages of the region a name may hold their own letters ("Қазақстан", "Тоқаев").
_REGIONAL_NAME = re.compile(r"[^\W\d_]{4,}(?:-[^\W\d_]+)?")


def _is_name(word: str, regional: bool) -> bool:
    """A capitalised word, spelt in Russian and English letters (any letters in the languages of the region)."""
    if regional:
        return word[:1].isupper() and word[1:2].islower() and _REGIONAL_NAME.fullmatch(word) is not None
    return _NAME.fullmatch(word) is not None


_TRANSLIT_LOCK = threading.Lock()

# English spellings of Russian and Central Asian names that `transliterate`'s letter-by-letter Russian pack gets
# wrong ("Kazakhstan" -> "Казакхстан", "Tajikistan" -> "Тайикистан", "Yerlan" -> "Ыерлан", "Tsoy" -> "Цоы"):
# the digraphs of the usual romanisation first, then "y" as "й" after a vowel and "ы" elsewhere, and the letters the
# pack leaves Latin (x, w, q).
_ROMANISED = re.compile(r"shch|kh|zh|ts|ch|sh|yu|ya|yo|ye|j|x|w|q|y")
_CYRILLIC_OF = {
    "shch": "щ", "kh": "х", "zh": "ж", "ts": "ц", "ch": "ч", "sh": "ш",
    "yu": "ю", "ya": "я", "yo": "е", "ye": "е", "j": "дж", "x": "кс", "w": "в", "q": "к",
}  # fmt: skip
_POSSESSIVE = re.compile(r"['’]s$")


def _cyrillic_spelling(word: str) -> str:
    """A Latin name in Russian letters, lower case: the romanisation's digraphs and "y" resolved here, each other
    letter by `transliterate`'s Russian pack."""
    from transliterate import translit

    lower = _POSSESSIVE.sub("", word.lower())

    def letter(m: re.Match[str]) -> str:  # a lone "y" is "й" after a vowel, else "ы"
        after_vowel = m.start() > 0 and lower[m.start() - 1] in "aeiouy"
        return _CYRILLIC_OF.get(m.group(0)) or ("й" if after_vowel else "ы")

    spelled = _ROMANISED.sub(letter, lower)
    # transliterate registers its language packs on first use, and two threads doing it at once make one of them
    # fail with LanguagePackNotFound (a fresh server's first concurrent questions): the first call is serialised.
    with _TRANSLIT_LOCK:
        return translit(spelled, "ru").lower()


@lru_cache(maxsize=50_000)
def _transliterate(word: str) -> str:
    """The same name in the other script: "Bishkek" ↔ "Бишкек", "Kapinos" ↔ "Капинос"."""
    if CYRILLIC.search(word):
        import iuliia

        return iuliia.WIKIPEDIA.translate(word)
    return _cyrillic_spelling(word)


def _name_spellings(word: str) -> set[str]:
    """A name's terms under every analysis a document may have given it: Snowball and the regional prefix."""
    lower = word.lower()
    return {stem(lower), _regional_term(lower), _regional_term(uzbek_latin(lower))}


def query_terms(text: str, lang: str | None = None) -> list[tuple[str, ...]]:
    """Question terms as groups of alternatives: each capitalised name also in the other script and as every
    language's analysis spells it.

    Names are the one thing a question shares with a document in another language; a group counts
    once, by its best-matching spelling.
    """
    regional = analysis_language(text, lang)
    groups: dict[str, set[str]] = {}
    first = text.split()[0] if text.split() else ""
    for word in WORD.findall(text):
        analysed = terms(word, regional or "ru")
        if not analysed:
            continue
        key = analysed[0]
        group = groups.setdefault(key, {key})
        if _is_name(word, regional is not None) and word != first:
            if regional is not None:
                group |= _name_spellings(word)
            for part in _transliterate(word).lower().split("-"):
                group.add(stem(part))
                if regional is not None:
                    group.add(_regional_term(part))
    return [tuple(sorted(g, key=lambda t: t != key)) for key, g in groups.items()]
