"""The reader's no-answer decision per pair of languages: a Kazakh question on a Kazakh passage is judged with
Kazakh's threshold, every other pair (a Russian passage, or a Russian question on a Kazakh passage) with 0, in the
served extractor and in `decode.best_answer`."""

from __future__ import annotations

import pytest

from app.answer.confidence import READER_FEATURES, READER_SUFFIX, Calibrator
from app.answer.neural_extractor import NeuralExtractor
from app.neural.decode import NULL_THRESHOLDS, DecodedSpan, best_answer, null_threshold
from app.neural.reader import Span
from tests.conftest import first_numbers

KAZAKH = (
    "Бурабай туралы\n\n"
    "Бурабай көлі Ақмола облысында орналасқан. Шекара қауіпсіздігі жөніндегі конференция Бурабайда 2019 жылы "
    "өтті және оған елуден астам адам қатысты. Көлдің айналасында қарағайлы орман бар."
)
MARGIN = READER_FEATURES.index("margin")


def shy_reader(question: str, contexts: list[str], end_slack: float = 0.0, parts=None) -> list[Span]:
    """A rule reader that finds the first number of each context but is sure there is no answer: its null score
    beats the span by 1 everywhere (the end slack the extractor asks for changes nothing here)."""
    return [Span(k, s, e, text, 2.0 - 0.1 * k, 3.0 - 0.1 * k) for k, s, e, text in first_numbers(contexts, parts)]


def test_thresholds_are_per_pair_of_languages():
    """Kazakh has a positive threshold of its own, for Kazakh questions; every other pair keeps 0."""
    assert NULL_THRESHOLDS["kk"] > 0 and null_threshold("kk", "kk") == NULL_THRESHOLDS["kk"]
    assert null_threshold("kk", "ru") == null_threshold("kk", "en") == null_threshold("kk", None) == 0.0
    assert null_threshold("ru", "ru") == null_threshold("en", "kk") == null_threshold(None, None) == 0.0
    assert null_threshold("xx", "xx") == 0.0


def test_best_answer_decides_with_the_pairs_threshold():
    """A span whose null score is 1 above it is no answer at Russia's threshold and an answer at Kazakh's (when
    that exceeds 1); either way the decision is `null - score > threshold`."""
    span = DecodedSpan(0, 0, 4, "1997", score=4.0, null_score=5.0, window=0, start_token=1, end_token=1)
    assert best_answer([span], null_threshold("ru", "ru")) is None
    assert best_answer([span], null_threshold("kk", "ru")) is None
    assert (best_answer([span], null_threshold("kk", "kk")) is span) == (null_threshold("kk", "kk") >= 1.0)


@pytest.mark.parametrize(
    "question, kazakh_margin",
    [
        ("Бурабайдағы конференцияға қанша адам қатысты?", -1.0 + NULL_THRESHOLDS["kk"]),
        ("Сколько человек приняли участие в конференции в Боровом?", -1.0),
    ],
)
def test_a_kazakh_passage_gets_kazakhs_threshold_for_a_kazakh_question_only(workspace, question, kazakh_margin):
    """The served extractor hands the calibrator the reader's margin relative to the pair's threshold: the Kazakh
    document's -1 is lifted by Kazakh's threshold for the Kazakh question, not for the Russian one; the Russian
    document's stays -1 for both."""
    pipeline = workspace.pipeline
    pipeline.upsert("burabay.txt", KAZAKH)
    extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), shy_reader, sentences=12)
    snap, query = pipeline.query(question, top_k=12)
    assert snap.documents["burabay.txt"].lang == "kk" and query.lang == ("kk" if "қ" in question else "ru")
    answers = extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, 10))
    margins = {a.lang: a.signals[MARGIN] for a in answers}
    assert "kk" in margins and "ru" in margins, answers
    assert margins["kk"] == pytest.approx(kazakh_margin)
    assert margins["ru"] == pytest.approx(-1.0)
