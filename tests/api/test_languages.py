"""The languages of the region at the API's edge: filters and question languages accepted, /health reporting them,
refusals and explanations worded in the question's language."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from app.answer.wording import refusal, verdict_message
from app.api.schemas import AskIn, AskResponse, FiltersIn, HealthOut, Language
from app.models import AskResult
from app.text.language import LANGUAGES


def test_one_list_of_languages():
    """The schema's languages are the identified ones, and /health reports the same list."""
    assert get_args(Language) == LANGUAGES
    health = HealthOut(status="ok", documents=0, chunks=0, embedding_model="m", encoder="e", index_built_at=None, pid=1)
    assert health.model_dump()["languages"] == list(LANGUAGES)


@pytest.mark.parametrize("lang", ["kk", "ky", "uz", "tg", "ru", "en"])
def test_filters_and_question_language_accept_the_region(lang):
    """filters.langs and lang take every supported language."""
    body = AskIn(question="Шекара қызметі қашан құрылды?", lang=lang, filters={"langs": [lang]})
    assert body.all_filters().langs == (lang,)


def test_unknown_language_is_refused_naming_the_allowed_ones():
    """A language outside the list is a validation error that names the allowed ones."""
    with pytest.raises(ValidationError) as error:
        FiltersIn(langs=["de"])
    assert "'kk'" in str(error.value) and "'tg'" in str(error.value)


@pytest.mark.parametrize("lang,expected", [
    ("kk", "Құжаттарда жауап табылмады"),
    ("ru", "В документах ответа не найдено"),
    ("en", "Not found in the documents"),
    ("ky", "Документтерден жооп табылган жок"),
    ("uz", "Hujjatlarda javob topilmadi"),
    ("tg", "Дар ҳуҷҷатҳо ҷавоб ёфт нашуд"),
    ("und", "Not found in the documents"),  # no language identified
])
def test_refusal_in_the_question_language(lang, expected):
    """A not_found response's refusal follows the question's language, in each of the six; English otherwise."""
    response = AskResponse.from_result(AskResult("?", lang, None, [], []))
    assert response.status == "not_found" and response.refusal.message.startswith(expected)
    assert refusal(lang).startswith(expected)


def test_explanation_verdict_for_a_kazakh_question():
    """The explanation's message is Kazakh for a Kazakh question, with the numbers of the verdict."""
    assert verdict_message("kk", "filters") == "Сүзгілерден бірде-бір құжат өтпейді."
    assert verdict_message("kk", None, 0.82, 0.45) == "Жауап табылды: сенімділік 0.82, шегі 0.45."
    assert verdict_message("uz", "reading").startswith("Parchalar topildi")
    assert verdict_message("tg", None, 0.5, 0.4) == "Ҷавоб ёфт шуд: эътимод 0.50, ҳад 0.40."
    assert verdict_message("ky", "index") == "Документтер али жүктөлө элек."


def test_every_language_has_every_message():
    """Each worded language has the refusal and a verdict for every stage the others have."""
    from app.answer.wording import REFUSAL, VERDICT, WORDED

    assert set(REFUSAL) == set(VERDICT) == set(WORDED) == {"ru", "en", "kk", "ky", "uz", "tg"}
    for lang in WORDED:
        assert set(VERDICT[lang]) == set(VERDICT["en"]), lang
