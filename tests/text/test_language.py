"""app/text/language.py: document language detection and question language by script."""

from __future__ import annotations

import pytest

from app.text.language import detect_language, question_language, script_language


@pytest.mark.parametrize("text,lang", [
    ("Пограничные ведомства стран Центральной Азии провели конференцию в Бишкеке.", "ru"),
    ("The OSCE Centre in Bishkek organised a conference on border security.", "en"),
    ("Прикордонна служба України посилила охорону кордону з сусідніми державами.", "uk"),
])
def test_document_languages(text, lang):
    """Russian, English and a Cyrillic neighbour (Ukrainian) are told apart."""
    assert detect_language(text) == lang


def test_text_without_letters_is_undetermined():
    """Digits and punctuation have no language."""
    assert detect_language("12345 — 678!") == "und"
    assert question_language("???") == "und"


@pytest.mark.parametrize("question,lang", [
    ("Кто такой Марат Маралбаев?", "ru"),
    ("How do I install Python on Windows?", "en"),
    ("Сколько человек участвовало в OSCE meeting?", "ru"),
])
def test_questions_are_russian_or_english_by_script(question, lang):
    """Short questions are labelled by script: a full detector calls some of these Kazakh or German."""
    assert question_language(question) == lang


def test_script_language_counts_letters():
    """The majority script decides."""
    assert script_language("OSCE и Евросоюз") == "ru"
    assert script_language("Bishkek, Бишкек, Osh") == "en"
