"""Language detection for documents and questions (Russian/English first, a few neighbours allowed)."""

from __future__ import annotations

import re
from functools import lru_cache

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")

# Kazakh and Ukrainian share the Cyrillic script with Russian; without them in the model every
# Cyrillic text would be called Russian. Others are labelled by their ISO 639-1 code.
_LANGUAGES = ("RUSSIAN", "ENGLISH", "UKRAINIAN", "KAZAKH", "GERMAN", "FRENCH")


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


def script_language(text: str) -> str:
    """Cheap guess from the script alone: 'ru' for mostly Cyrillic, else 'en'."""
    cyr = len(CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    return "ru" if cyr > lat else "en"


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language; falls back to the script when the model is unsure."""
    return _detect(text[:2000])  # cached by the sample, never by a whole (possibly huge) document


@lru_cache(maxsize=4096)
def _detect(sample: str) -> str:
    if not (CYRILLIC.search(sample) or _LATIN.search(sample)):
        return "und"
    language = _detector().detect_language_of(sample)
    if language is None:
        return script_language(sample)
    return language.iso_code_639_1.name.lower()


def question_language(text: str) -> str:
    """'ru' or 'en' for a question, from its script.

    Questions are short, and a full detector calls "Кто такой Марат Маралбаев?" Kazakh or an English
    question about Windows German; users ask in Russian or English, so the script decides.
    """
    if not (CYRILLIC.search(text) or _LATIN.search(text)):
        return "und"
    return script_language(text)
