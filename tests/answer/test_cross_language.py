"""The confidence models' cross-language signal: an answer read across languages gets the fitted allowance only
from a passage in a language the reader is measured in (ru, en, kk), not from Kyrgyz, Uzbek or Tajik text."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer.confidence import (
    FEATURES,
    MEASURED_LANGUAGES,
    READER_FEATURES,
    READER_SUFFIX,
    Calibrator,
    cross_language,
)
from app.answer.extractor import AnswerExtractor
from app.answer.neural_extractor import NeuralExtractor
from app.neural.reader import Span
from tests.conftest import ROOT, first_numbers

CROSS = READER_FEATURES.index("cross")
KYRGYZ = ROOT / "eval" / "region" / "corpus" / "008_506a8559ef008a4d.txt"
KAZAKH = ROOT / "eval" / "region" / "corpus" / "005_269af1b9bc3da94b.txt"


def test_cross_language_only_from_measured_languages():
    """1 across languages from ru, en or kk passages; 0 within a language and from every other passage language."""
    assert {"ru", "en", "kk"} == MEASURED_LANGUAGES
    assert cross_language("ru", "en") == cross_language("en", "ru") == cross_language("kk", "ru") == 1.0
    assert cross_language("ru", "kk") == cross_language("en", "uz") == 1.0
    assert cross_language("ky", "ru") == cross_language("uz", "en") == cross_language("tg", "kk") == 0.0
    assert cross_language("ru", "ru") == cross_language("ky", "ky") == cross_language(None, None) == 0.0


def sure_reader(question: str, contexts: list[str], end_slack: float = 0.0, parts=None) -> list[Span]:
    """A rule reader that answers each context's first number, sure of it (span 9, no-answer 0)."""
    return [Span(k, start, end, text, 9.0, 0.0) for k, start, end, text in first_numbers(contexts, parts)]


def test_a_russian_question_gets_no_allowance_from_kyrgyz_text(workspace):
    """In the served extractor a Russian question's answers from the Kazakh report count as cross-language, those
    from the Kyrgyz report do not, so they are less confident at the same reader scores."""
    pipeline = workspace.pipeline
    for path in (KYRGYZ, KAZAKH):
        pipeline.upsert(path.name, Path(path).read_text(encoding="utf-8"))
    extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), sure_reader, sentences=16)
    snap, query = pipeline.query("Сколько офицеров пограничной службы прошли обучение?", top_k=16)
    assert query.lang == "ru"
    assert snap.documents[KYRGYZ.name].lang == "ky" and snap.documents[KAZAKH.name].lang == "kk"
    answers = extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, 16))
    cross = {a.lang: a.signals[CROSS] for a in answers}
    assert cross.get("ky") == 0.0 and cross.get("kk") == 1.0, answers
    assert all(a.signals[CROSS] == 0.0 for a in answers if a.lang == "ru")


def test_the_heuristic_reader_gives_no_allowance_from_kyrgyz_text(workspace):
    """The heuristic extractor's confidence model has the same ``cross`` signal: a Russian question's sentences
    from the Kazakh report count as cross-language, those from the Kyrgyz report do not."""
    pipeline = workspace.pipeline
    for path in (KYRGYZ, KAZAKH):
        pipeline.upsert(path.name, Path(path).read_text(encoding="utf-8"))
    extractor = AnswerExtractor(Calibrator.for_encoder(pipeline.encoder.spec))
    snap, query = pipeline.query("Сколько офицеров пограничной службы прошли обучение?", top_k=16)
    answers = extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, 16))
    cross = {a.lang: a.signals[FEATURES.index("cross")] for a in answers}
    assert cross.get("ky") == 0.0 and cross.get("kk") == 1.0, answers
    assert all(a.signals[FEATURES.index("cross")] == 0.0 for a in answers if a.lang == "ru")


@pytest.mark.parametrize("lang", ["ky", "uz", "tg"])
def test_unmeasured_languages_are_languages_the_service_knows(lang):
    """The languages left out of the allowance are ones the service identifies (not typos of a code)."""
    from app.text.language import LANGUAGES

    assert lang in LANGUAGES and lang not in MEASURED_LANGUAGES
