"""Language identification for documents and questions: Russian, English and the languages of Central Asia.

lingua knows Russian, English and Kazakh but not Kyrgyz, Uzbek or Tajik, and it calls short Russian questions
about Kazakh names Kazakh. The regional languages are told apart first by the letters each alphabet has that the
others lack and by their frequent function words (``regional_language``); lingua decides what that leaves open
for documents, the script for questions. ``python -m app eval-langid`` measures it on ``eval/langid.jsonl``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")

# The languages the service identifies, analyses and filters on (ISO 639-1), reported by GET /health.
LANGUAGES = ("ru", "en", "kk", "ky", "uz", "tg")
LANGUAGE_NAMES = {
    "ru": "Русский",
    "en": "English",
    "kk": "Қазақша",
    "ky": "Кыргызча",
    "uz": "Oʻzbekcha",
    "tg": "Тоҷикӣ",
}
REGIONAL = ("kk", "ky", "uz", "tg")

# lingua decides between these for documents; Ukrainian, German and French keep their own codes rather than being
# forced into Russian or English.
_LINGUA = ("RUSSIAN", "ENGLISH", "UKRAINIAN", "KAZAKH", "GERMAN", "FRENCH")

_WORD = re.compile(r"[^\W\d_]+(?:['ʻʼ‘’`][^\W\d_]+)*", re.UNICODE)
# Uzbek Latin writes oʻ and gʻ with a turned comma, often typed as an apostrophe or a quote.
_UZ_APOSTROPHE = re.compile(r"[og]['ʻʼ‘’`]", re.IGNORECASE)

# The letters each alphabet adds to the Russian one. A word's special letters admit the languages whose alphabet
# holds them all ("қ" admits kk, tg, uz; "ү" kk, ky; "ў" uz alone), and the word's vote is split among them.
_ALPHABETS = {
    "kk": frozenset("әғқңөұүһі"),
    "ky": frozenset("ңөү"),
    "uz": frozenset("ўқғҳ"),
    "tg": frozenset("ғӣқӯҳҷ"),
}
_SPECIAL = frozenset().union(*_ALPHABETS.values())
# Endings one language has and the others here do not: the Kyrgyz genitive with a plain н ("-нын", "-дүн"; not
# the Kazakh participle "-атын") and past participle in "-гон"; the Kazakh genitive "-ың/-ің"; the Uzbek genitive
# "-нинг"/"-ning", locative adjective "-даги", participle "-лган" and present "-моқда", in both scripts.
_SUFFIX_VOTES: tuple[tuple[re.Pattern[str], dict[str, float]], ...] = (
    (re.compile(r"(?:нын|дын|(?<![аийе])тын|нун|дун|тун|нүн|дүн|түн|гон|гөн)$"), {"ky": 0.5}),
    (re.compile(r"(?:ың|ің)$"), {"kk": 0.5}),
    (re.compile(r"(?:нинг|даги|лган|моқда|ning|dagi|lgan|moqda|ladi|lari|larni|idan)$"), {"uz": 0.5}),
)
# Frequent words of each language (question words included: questions are short). A word in several lists
# splits its vote.
_FUNCTION_WORDS = {
    "ru": "и в во на не что с со по как это для из от к за о об при до но а или когда кто где сколько какой какая "
    "какие каком какого каких был была было были он она они его её их году года также который которая которые",
    "en": "the of and to in is was for on that with by as at from who what when where how which did does are "
    "were an be has have it its this",
    "kk": "және мен бен пен деп бұл осы ол үшін бойынша болып болды қашан қандай кім не қай қайда неше "
    "қанша туралы арқылы емес бар жоқ жылы кейін дейін сияқты тек",
    "ky": "жана менен үчүн боюнча болуп болгон качан кандай ким эмне эмнеде кайсы кайда канча тууралуу жөнүндө "
    "аркылуу эмес бул ошол анын деп дагы эле болот чейин кийин жылы бар жок",
    "uz": "va bu bilan uchun ham edi deb qilib haqida orqali emas yil yilda qachon qanday kim nima qayerda necha "
    "qaysi nechta bo'lgan bo'ldi tomonidan shu ushbu bo'yicha hamda esa ва бу билан учун ҳам эди деб қилиб ҳақида "
    "орқали эмас йил йилда қачон қандай ким нима қаерда неча қайси нечта бўлган бўлди томонидан шу ушбу бўйича "
    "ҳамда эса",
    "tg": "ва дар аз ба бо ки то барои мебошад аст буд шуд ин он чӣ кай кист куҷо чанд чаро кадом соли байни баъд "
    "ҳам низ ҳамчун мекунад карда шудааст",
}
_WORD_VOTES: dict[str, dict[str, float]] = {}
for _lang, _words in _FUNCTION_WORDS.items():
    for _w in _words.split():
        _WORD_VOTES.setdefault(_w, {})[_lang] = 1.0
for _votes in _WORD_VOTES.values():
    for _lang in _votes:
        _votes[_lang] = 1.0 / len(_votes)
# Kyrgyz writes long vowels double ("жооптуу", "Ала-Тоо"); no other language here does inside a word.
_UKRAINIAN = re.compile(r"[їєґЇЄҐ]")
_KY_LONG_VOWEL = re.compile(r"(?:аа|оо|уу|ээ|өө|үү)")
# Words one vote must outweigh before a regional language is called: a Russian report quoting "Қазақстан" once
# stays Russian; a question needs one clear word.
MIN_MARGIN_DOCUMENT = 0.05
MIN_VOTES_QUESTION = 0.3


def _normalise_apostrophes(word: str) -> str:
    return re.sub(r"['ʻʼ‘’`]", "'", word)


def _add(votes: dict[str, float], share: dict[str, float]) -> None:
    for lang, vote in share.items():
        votes[lang] += vote


def language_votes(text: str) -> dict[str, float]:
    """Votes of the words of ``text`` for ru, en and the regional languages, from letters and function words."""
    votes: dict[str, float] = defaultdict(float)
    # Ukrainian shares "і" with Kazakh; a text with ї, є or ґ quotes Ukrainian, and its "і" says nothing here.
    ignored = frozenset("і") if _UKRAINIAN.search(text) else frozenset()
    for match in _WORD.finditer(text):
        word = _normalise_apostrophes(match.group().lower())
        special = _SPECIAL.intersection(word) - ignored
        if special:
            admitted = [lang for lang, letters in _ALPHABETS.items() if special <= letters]
            _add(votes, {lang: 1.0 / len(admitted) for lang in admitted})
        elif _KY_LONG_VOWEL.search(word):
            votes["ky"] += 0.7
        elif _UZ_APOSTROPHE.search(word) or ("q" in word and "qu" not in word):
            votes["uz"] += 1.0
        for suffix, share in _SUFFIX_VOTES:
            if suffix.search(word):
                _add(votes, share)
        if word in _WORD_VOTES:
            _add(votes, _WORD_VOTES[word])
    return votes


def regional_language(text: str, question: bool = False) -> str | None:
    """The regional language (kk, ky, uz, tg) ``text`` is written in, or None when it reads as none of them."""
    votes = language_votes(text)
    regional = {lang: votes[lang] for lang in REGIONAL}
    best = max(regional, key=lambda lang: regional[lang])
    if regional[best] <= 0:
        return None
    # The majority language of the text's own script competes: Russian for Cyrillic, English for Latin.
    other = votes["en"] if script_language(text) == "en" else votes["ru"]
    if question:
        return best if regional[best] >= MIN_VOTES_QUESTION and regional[best] > other else None
    words = max(len(_WORD.findall(text)), 1)
    return best if regional[best] > other and (regional[best] - other) / words >= MIN_MARGIN_DOCUMENT else None


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LINGUA]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


def script_language(text: str) -> str:
    """Cheap guess from the script alone: 'ru' for mostly Cyrillic, else 'en'."""
    cyr = len(CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    return "ru" if cyr > lat else "en"


def detect_language(text: str) -> str:
    """ISO 639-1 code of a document's language; falls back to the script when the model is unsure."""
    return _detect(text[:2000])  # cached by the sample, never by a whole (possibly huge) document


@lru_cache(maxsize=4096)
def _detect(sample: str) -> str:
    if not (CYRILLIC.search(sample) or _LATIN.search(sample)):
        return "und"
    regional = regional_language(sample)
    if regional is not None:
        return regional
    language = _detector().detect_language_of(sample)
    if language is None:
        return script_language(sample)
    return language.iso_code_639_1.name.lower()


def question_language(text: str) -> str:
    """The language of a question: a regional one when its letters or words say so, else 'ru' or 'en' by script.

    Questions are short, and a full detector calls "Кто такой Марат Маралбаев?" Kazakh or an English question
    about Windows German; the script decides what the regional evidence leaves open.
    """
    if not (CYRILLIC.search(text) or _LATIN.search(text)):
        return "und"
    return regional_language(text, question=True) or script_language(text)
