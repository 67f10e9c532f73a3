"""app/answer/neural_extractor.py: sentences read by a span reader become cited answers with document offsets."""

from __future__ import annotations

import pytest

from app.answer.confidence import READER_FEATURES, READER_SUFFIX, Calibrator
from app.answer.extractor import rank_sentences
from app.answer.neural_extractor import CLAUSE_END_SLACK, NeuralExtractor
from app.neural import SHIPPED_WEIGHTS
from app.neural.reader import Span
from tests.conftest import BISHKEK, BOROVOE, first_numbers, make_settings


def first_number(question: str, contexts: list[str], end_slack: float = 0.0, parts=None) -> list[Span]:
    """A rule reader: the first number of each part (each context without parts), scored higher in earlier ones;
    none if no number."""
    return [Span(k, start, end, text, 10.0 - k, 0.0) for k, start, end, text in first_numbers(contexts, parts)]


@pytest.fixture(scope="module")
def extractor():
    return NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), first_number, sentences=4)


def test_spans_map_to_exact_document_characters(pipeline, extractor):
    """Each answer's text is the document's text at its offsets, inside its sentence, with the reader's signals."""
    snap, query = pipeline.query("Сколько человек приняли участие в конференции в Боровом?")
    passages = pipeline.retriever.retrieve(snap, query, 5)
    stages: dict[str, float] = {}
    answers = extractor.extract(snap, query, passages, stages)
    assert answers and stages["read"] >= 0
    for a in answers:
        text = snap.documents[a.doc_id].text
        assert text[a.start : a.end] == a.text and a.text.isdigit()
        assert a.sentence_start <= a.start < a.end <= a.sentence_end
        assert text[a.sentence_start : a.sentence_end] == a.sentence
        assert len(a.signals) == len(READER_FEATURES) and 0.0 <= a.confidence <= 1.0
    assert [a.confidence for a in answers] == sorted((a.confidence for a in answers), reverse=True)
    assert any(a.doc_id == BOROVOE for a in answers)


def test_at_most_top_k_answers_and_none_without_passages(pipeline, extractor):
    """top_k bounds the answers; no passages, no reading and no answers."""
    snap, query = pipeline.query("How many participants attended in Bishkek?", top_k=1)
    passages = pipeline.retriever.retrieve(snap, query, 5)
    assert len(extractor.extract(snap, query, passages)) <= 1
    assert extractor.extract(snap, query, []) == []


def test_sentences_without_a_span_give_no_answer(pipeline):
    """A reader that finds nothing yields no answers (the pipeline then abstains)."""
    calibrator = Calibrator.for_encoder("e5-small" + READER_SUFFIX)
    extractor = NeuralExtractor(calibrator, lambda q, c, slack, parts: [], sentences=4)
    snap, query = pipeline.query("Who is the head of the OSCE Centre in Bishkek?")
    assert extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, 5)) == []


def test_only_descriptive_questions_let_the_answer_run_on(pipeline):
    """A question asking why or what gets the reader's end slack; one asking for a number, date or name does not."""
    slacks: list[set[float]] = []

    def recording(question: str, contexts: list[str], end_slack: float, parts: list) -> list[Span]:
        slacks[-1].add(end_slack)
        return []

    extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), recording, sentences=2)
    for question in (
        "Why did the participants want to share information?",
        "Сколько человек приняли участие?",
        "When was the resolution adopted?",
        "Who heads the OSCE Centre in Bishkek?",
    ):
        slacks.append(set())
        snap, query = pipeline.query(question)
        extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, 5))
    assert slacks == [{CLAUSE_END_SLACK}, {0.0}, {0.0}, {0.0}] and CLAUSE_END_SLACK > 0


def test_a_clear_first_answer_ends_the_reading(pipeline):
    """Below 1, ``stop_at`` has the best-ranked sentence read alone and the others (in one call) only when its
    answer is less confident than that; at 1 nothing can stop the reading and every sentence is read in one call."""
    read: list[int] = []

    def counting(question: str, contexts: list[str], end_slack: float, parts: list) -> list[Span]:
        read.append(len(parts))
        return first_number(question, contexts, end_slack, parts)

    snap, query = pipeline.query("Сколько человек приняли участие в конференции в Боровом?")
    passages = pipeline.retriever.retrieve(snap, query, 5)
    sentences = len(rank_sentences(snap, query, passages)[:4])
    assert sentences > 1
    calls = {}
    for stop_at in (0.0, 0.999, 1.0):
        read.clear()
        extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), counting, 4, stop_at=stop_at)
        answers = extractor.extract(snap, query, passages)
        assert answers
        calls[stop_at] = list(read)
        if stop_at == 0.0:
            first = answers[0].confidence
    assert first < 0.999
    assert calls == {0.0: [1], 0.999: [1, sentences - 1], 1.0: [sentences]}


@pytest.mark.slow
def test_the_shipped_reader_answers_in_both_directions(seed, encoder):
    """With RAG_READER=neural the shipped weights answer English and Russian questions about documents in the
    other language too, and bad input never raises."""
    from app.pipeline import Pipeline

    assert SHIPPED_WEIGHTS.is_file(), "the trained reader ships with the package"
    pipeline = Pipeline(make_settings(seed.index, reader="neural"), encoder=encoder)
    cases = [
        ("Who is the head of the OSCE Centre in Bishkek?", BISHKEK, "Kapinos"),
        ("Кто возглавляет Центр ОБСЕ в Бишкеке?", BISHKEK, "Kapinos"),
        ("How many people took part in the conference in Borovoe?", BOROVOE, "50"),
        ("Сколько человек приняли участие в конференции в Боровом?", BOROVOE, "50"),
    ]
    for question, doc_id, expected in cases:
        result = pipeline.ask(question, min_confidence=0.0)
        assert result.answer is not None, question
        assert any(a.doc_id == doc_id and expected in a.sentence for a in result.answers), (question, result.answers)
        assert "read" in result.stages
        assert result.passages[0].chunk_id == result.answer.chunk_id, "the passage answered from is listed first"
    for bad in ("!!! ???", "x" * 5000, "Когда? " * 300):
        pipeline.ask(bad)  # an abstention or an answer, never an exception


def test_window_reading_maps_spans_to_the_sentence_that_holds_them(pipeline):
    """With neighbours read too, offsets are still the document's and the cited sentence is the span's own."""
    extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), first_number, 4, window=1)
    snap, query = pipeline.query("How many officials attended the conference in Bishkek?")
    answers = extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, 5))
    assert answers
    keys = [(a.doc_id, a.start, a.end) for a in answers]
    assert len(keys) == len(set(keys)), "a span found by two overlapping windows is one answer"
    for a in answers:
        text = snap.documents[a.doc_id].text
        assert text[a.start : a.end] == a.text and a.text.isdigit()
        assert a.sentence_start <= a.start < a.end <= a.sentence_end
        assert text[a.sentence_start : a.sentence_end] == a.sentence
        rows = snap.sentence_rows(a.doc_id)
        starts = {int(snap.sentences[r, 1]) for r in rows}
        assert a.sentence_start in starts, "the cited sentence starts where a stored sentence starts"


def test_overlapping_contexts_are_read_once(pipeline):
    """With neighbours read too, two ranked sentences of one document share text: it is read once, as one context
    holding both sentences' contexts as parts, each part still answered for; without neighbours nothing is shared."""
    calls: list[tuple[list[str], list[tuple[int, int, int]]]] = []

    def recording(question: str, contexts: list[str], end_slack: float, parts: list) -> list[Span]:
        calls.append((contexts, parts))
        return first_number(question, contexts, end_slack, parts)

    questions = ("Сколько человек приняли участие в конференции в Боровом?", "How many officials attended in Bishkek?")
    for window in (1, 0):
        calls.clear()
        extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), recording, 4, window=window)
        for question in questions:
            snap, query = pipeline.query(question)
            answers = extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, 5))
            assert answers and all(snap.documents[a.doc_id].text[a.start : a.end] == a.text for a in answers)
        for contexts, parts in calls:
            assert len(parts) == 4 and {c for c, _, _ in parts} == set(range(len(contexts)))
            assert all(0 <= first < last <= len(contexts[c]) for c, first, last in parts)
        merged = sum(len(contexts) < len(parts) for contexts, parts in calls)
        assert merged > 0 if window else merged == 0


class ReadAlone(NeuralExtractor):
    """The extractor with every sentence's context read on its own, as before shared text was read once."""

    def _groups(self, snap, ranked, which):
        contexts = [(i, self._context(snap, ranked[i].row)) for i in which]
        return [(snap.document_of_chunk(ranked[i].passage.chunk_id), *c, [(i, c)]) for i, c in contexts]


def test_a_text_read_once_answers_each_sentence_as_read_alone(pipeline):
    """For a reader whose spans depend on the text alone, reading shared text once changes no answer, offset,
    cited sentence, signal, confidence or trace entry, whether every sentence is read at once or the first alone."""

    def numbers(question: str, contexts: list[str], end_slack: float, parts: list) -> list[Span]:
        return [Span(k, a, b, text, float(len(text)), 1.0) for k, a, b, text in first_numbers(contexts, parts)]

    calibrator = Calibrator.for_encoder("e5-small" + READER_SUFFIX)
    for question in (
        "Сколько человек приняли участие в конференции в Боровом?",
        "How many officials attended the conference in Bishkek?",
        "В каком году принята резолюция 2396?",
    ):
        snap, query = pipeline.query(question)
        passages = pipeline.retriever.retrieve(snap, query, 5)
        for stop_at in (1.0, 0.0):
            seen = []
            for cls in (NeuralExtractor, ReadAlone):
                trace: dict = {}
                answers = cls(calibrator, numbers, 4, window=1, stop_at=stop_at).extract(
                    snap, query, passages, None, trace
                )
                seen.append((sorted(answers, key=lambda a: (a.doc_id, a.start, a.chunk_id)), trace["sentences"]))
            assert seen[0][0], question
            assert seen[0] == seen[1], (question, stop_at)


def test_an_explained_question_traces_every_sentence_read(pipeline):
    """Reading more sentences than an explanation usually lists (8) still traces each one with its span."""
    extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), first_number, sentences=12)
    snap, query = pipeline.query("Сколько человек приняли участие в конференции в Боровом?")
    passages = pipeline.retriever.retrieve(snap, query, 10)
    ranked = rank_sentences(snap, query, passages)
    assert len(ranked) > 8
    trace: dict = {}
    answers = extractor.extract(snap, query, passages, trace=trace)
    assert answers and len(trace["sentences"]) == min(12, len(ranked))
    traced = [s for s in trace["sentences"] if "span" in s]
    assert traced and len(traced) >= len(answers)


def test_sentences_of_documents_that_hold_the_premise_are_read_first(pipeline):
    """A question naming Borovoe reads the Borovoe report's best sentences, though English reports on other
    conferences rank some of theirs higher (spans from those would be refused); a premise that no document holds,
    and a question without one, read in the ranking's order."""
    extractor = NeuralExtractor(Calibrator.for_encoder("e5-small" + READER_SUFFIX), first_number, sentences=3)
    for question, premised in (
        ("The step-by-step rollout of which border management concept was on the Borovoe agenda?", True),
        ("What was decided at the fourteenth Central Asia Border Security Initiative conference?", False),
        ("Какие меры обсуждались на встречах по безопасности границ?", False),  # no premise
    ):
        snap, query = pipeline.query(question)
        passages = pipeline.retriever.retrieve(snap, query, 5)
        ranked = rank_sentences(snap, query, passages)
        trace: dict = {}
        extractor.extract(snap, query, passages, trace=trace)
        read = [s["sentence"] for s in trace["sentences"]]
        if premised:
            docs = [snap.document_of_chunk(s.passage.chunk_id).doc_id for s in ranked]
            assert set(docs[:3]) != {BOROVOE}  # by the ranking alone, other reports' sentences would be read
            assert read == [snap.sentence_text(s.row) for s, d in zip(ranked, docs) if d == BOROVOE][:3]
            assert trace["premise_documents"] == [BOROVOE]
        else:
            assert read == [snap.sentence_text(s.row) for s in ranked[:3]], question
            assert trace["premise_documents"] == []
