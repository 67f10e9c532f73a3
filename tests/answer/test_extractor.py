"""app/answer/extractor.py: the best sentence per passage, its span and confidence."""

from __future__ import annotations

import pytest

from app.answer.confidence import Calibrator
from app.answer.extractor import AnswerExtractor
from tests.conftest import BISHKEK, BOROVOE


@pytest.fixture(scope="module")
def extract(pipeline):
    """Retrieve with the real retriever, then run a fresh extractor on those passages."""
    snap = pipeline.snapshot
    extractor = AnswerExtractor(Calibrator.for_encoder(pipeline.encoder.spec))

    def run(question: str, top_k: int = 5, lang: str | None = None):
        _, query = pipeline.query(question, top_k=top_k, lang=lang)
        passages = pipeline.retriever.retrieve(snap, query, 5)
        return passages, extractor.extract(snap, query, passages)

    return run


def test_one_answer_per_passage_from_its_sentences(extract, pipeline):
    """Each answer is a sentence of a distinct retrieved passage, and its span lies inside that sentence."""
    passages, answers = extract("Who is the head of the OSCE Centre in Bishkek?")
    by_chunk = {p.chunk_id: p for p in passages}
    assert len({a.chunk_id for a in answers}) == len(answers) <= 5
    for answer in answers:
        passage = by_chunk[answer.chunk_id]
        text = pipeline.document(answer.doc_id).text
        assert passage.start <= answer.sentence_start < answer.sentence_end <= passage.end
        assert answer.sentence_start <= answer.start < answer.end <= answer.sentence_end
        assert text[answer.start:answer.end] == answer.text
    assert answers[0].doc_id == BISHKEK and answers[0].text == "Sergey Kapinos"


def test_answers_are_ranked_and_confidences_are_probabilities(extract):
    """Alternatives follow the best answer; every confidence is in [0, 1] and the best is the most confident here."""
    _, answers = extract("Сколько человек приняли участие в конференции в Боровом?")
    assert answers[0].doc_id == BOROVOE and "50" in answers[0].text
    assert all(0.0 <= a.confidence <= 1.0 for a in answers)
    assert answers[0].confidence == max(a.confidence for a in answers)


def test_top_k_limits_the_answers(extract):
    """top_k=1 yields exactly one answer."""
    _, answers = extract("Who is the head of the OSCE Centre in Bishkek?", top_k=1)
    assert len(answers) == 1


def test_cross_language_flag_reaches_the_confidence_model(extract):
    """The answer's signals say whether it crosses languages, relative to the question's language."""
    _, answers = extract("Who is the head of the OSCE Centre in Bishkek?", lang="ru")
    assert answers[0].signals[-1] == 1.0  # an English document answering a question declared Russian
    _, answers = extract("Who is the head of the OSCE Centre in Bishkek?", lang="en")
    assert answers[0].signals[-1] == 0.0


def test_no_passages_no_answers(extract, pipeline):
    """An empty passage list gives no answers rather than an error."""
    snap = pipeline.snapshot
    extractor = AnswerExtractor(Calibrator.for_encoder(pipeline.encoder.spec))
    _, query = pipeline.query("anything")
    assert extractor.extract(snap, query, []) == []
