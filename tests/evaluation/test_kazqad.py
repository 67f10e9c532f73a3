"""KazQAD open retrieval asks only the questions the span reader never trained on, over every paragraph."""

from __future__ import annotations

import json

import pytest

from app.evaluation.kazqad import KAZQAD_DEV, KAZQAD_TRAIN_PART, evaluate_kazqad, load_kazqad
from app.models import Answer, AskResult, Passage


def _squad(paragraphs: dict[str, list[str]]) -> dict:
    """One article per paragraph: context -> its questions (each answered by the context's first word)."""
    return {
        "version": "t",
        "data": [
            {
                "title": context,
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {"id": q, "question": q, "answers": [{"text": context.split()[0], "answer_start": 0}]}
                            for q in questions
                        ],
                    }
                ],
            }
            for context, questions in paragraphs.items()
        ],
    }


def test_questions_on_trained_paragraphs_are_left_out_but_the_paragraphs_stay(tmp_path):
    whole = _squad({"Астана астана.": ["q1", "q2"], "Алматы қаласы.": ["q3"], "Шымкент қаласы.": ["q4"]})
    trained = _squad({"Алматы қаласы.": ["q3"]})
    (tmp_path / "whole.json").write_text(json.dumps(whole, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "trained.json").write_text(json.dumps(trained, ensure_ascii=False), encoding="utf-8")

    documents, questions = load_kazqad(tmp_path / "whole.json", tmp_path / "trained.json")
    assert sorted(documents.values()) == sorted(["Астана астана.", "Алматы қаласы.", "Шымкент қаласы."])
    assert [q.question for q in questions] == ["q1", "q2", "q4"]
    assert all(documents[q.doc_id] != "Алматы қаласы." for q in questions)
    assert questions[2].answers == ["Шымкент"] and documents[questions[2].doc_id] == "Шымкент қаласы."

    _, every = load_kazqad(tmp_path / "whole.json", None)
    assert [q.question for q in every] == ["q1", "q2", "q3", "q4"]


@pytest.mark.skipif(not KAZQAD_DEV.is_file(), reason="KazQAD dev half not present")
def test_the_shipped_split_leaves_the_selection_part_to_ask():
    """Of KazQAD's 395 dev-half questions, the 158 of the selection part are asked (237 are trained on)."""
    documents, asked = load_kazqad()
    _, every = load_kazqad(KAZQAD_DEV, None)
    assert len(every) == 395 and len(asked) == 158
    whole = json.loads(KAZQAD_DEV.read_text(encoding="utf-8"))["data"]
    assert len(documents) == sum(len(a["paragraphs"]) for a in whole)  # every paragraph is indexed
    part = json.loads(KAZQAD_TRAIN_PART.read_text(encoding="utf-8"))["data"]
    trained = {p["context"] for a in part for p in a["paragraphs"]}
    assert trained and all(documents[q.doc_id] not in trained for q in asked)


def test_a_question_asked_of_several_paragraphs_counts_each_of_them_as_gold(tmp_path):
    whole = _squad({"Эмаль тісті қаптайды.": ["Тісті не қаптайды?"], "Ол қатты зат.": ["Тісті  не қаптайды?", "q"]})
    whole["data"][1]["paragraphs"][0]["qas"][0]["answers"] = [{"text": "қатты зат", "answer_start": 3}]
    (tmp_path / "whole.json").write_text(json.dumps(whole, ensure_ascii=False), encoding="utf-8")
    documents, questions = load_kazqad(tmp_path / "whole.json", None)
    first, second, other = questions
    assert first.doc_ids == second.doc_ids == frozenset(documents) and other.doc_ids == {other.doc_id}
    assert first.answers == ["Эмаль"] and first.all_answers == ("Эмаль", "қатты зат")

    class Asker:  # answers every question from the second paragraph
        def ask(self, question: str, top_k: int = 5) -> AskResult:
            doc = second.doc_id
            passage = Passage(0, doc, "t", "kk", documents[doc], 0, 13, 1.0)
            answer = Answer("қатты зат", documents[doc], 0.9, doc, "t", "kk", 3, 12, 0, 13, 0)
            return AskResult(question, "kk", answer, [answer], [passage], 1.0)

    result = evaluate_kazqad(Asker(), [first])
    assert result["gold_paragraph_first"] == 0.0 and result["a_gold_paragraph_first"] == 1.0
    assert result["containment"] == 0.0 and result["containment_any_gold"] == 1.0
    assert result["span_f1"] == 0.0  # the span is scored against the question's own answers
