"""app/answer/answerer.py read_first: the passages the reader answered from lead the list shown with an answer."""

from __future__ import annotations

from app.answer.answerer import read_first
from app.models import Answer, Passage


def passage(chunk_id: int, score: float) -> Passage:
    return Passage(chunk_id, f"doc{chunk_id}.txt", "", "ru", "text", 0, 4, score)


def answer(chunk_id: int, confidence: float) -> Answer:
    return Answer("x", "x.", confidence, f"doc{chunk_id}.txt", "", "ru", 0, 1, 0, 2, chunk_id)


def test_answered_passages_come_first_by_their_best_answer():
    """Retrieval order 1..5; the reader answered from 4 (0.9 and 0.2), 2 (0.5): 4, 2, then 1, 3, 5 as retrieved."""
    passages = [passage(i, 1.0 - i / 10) for i in range(1, 6)]
    ordered = read_first(passages, [answer(4, 0.9), answer(2, 0.5), answer(4, 0.2)])
    assert [p.chunk_id for p in ordered] == [4, 2, 1, 3, 5]


def test_without_answers_the_retrieval_order_stands():
    passages = [passage(i, 1.0 - i / 10) for i in range(1, 4)]
    assert read_first(passages, []) == passages
    assert read_first([], [answer(1, 0.9)]) == []
