"""app/answer/conversation.py: follow-up questions read with the turn they continue."""

from __future__ import annotations

import pytest

from app.answer.conversation import is_follow_up, resolve
from app.models import Turn
from app.text.question import AnswerType

FOLLOW_UPS = [
    "And when did they take place?",
    "How many people attended it?",
    "А кто её возглавлял?",
    "Где это было?",
    "А когда?",
    "What about the funding?",
    "И сколько дней она длилась?",
    "And in 2016?",
]
STANDALONE = [
    "Who funded the seminar on cross-border investigations?",
    "Сколько человек приняли участие в конференции в Боровом?",
    "When was the fifth round of bilateral consultations held in Tashkent?",
    "Какую резолюцию Совета Безопасности ООН обсуждали на семинаре в Алматы?",
]


@pytest.mark.parametrize("question", FOLLOW_UPS)
def test_follow_ups_are_recognised(question):
    """Pronouns, continuations and subject-less questions lean on the previous turn."""
    assert is_follow_up(question)


@pytest.mark.parametrize("question", STANDALONE)
def test_standalone_questions_are_not_follow_ups(question):
    """A question that names its own subject stands alone."""
    assert not is_follow_up(question)


def test_resolve_merges_the_previous_turn():
    """A follow-up gets the earlier question's terms and documents, keeps its own answer kind."""
    history = [Turn("Who chaired the consultations in Tashkent?", ("004.txt",))]
    resolved = resolve("And when did they take place?", history)
    assert resolved.context is not None and resolved.context.doc_ids == ("004.txt",)
    stems = {g[0] for g in resolved.terms}
    assert {"tashkent", "consult"} <= stems
    assert resolved.kind is AnswerType.DATE
    assert resolved.text.startswith("And when did they take place?") and "Tashkent" in resolved.text


def test_resolve_leaves_a_new_question_alone():
    """With history, a standalone question is read exactly as asked."""
    history = [Turn("Who chaired the consultations in Tashkent?", ("004.txt",))]
    question = "How many officials attended the 12th Central Asia Border Security Initiative conference?"
    resolved = resolve(question, history)
    assert resolved.context is None and resolved.text == question


def test_resolve_without_history_is_the_question():
    """No history: nothing to resolve, even for a pronoun."""
    resolved = resolve("When did they take place?", [])
    assert resolved.context is None and resolved.text == "When did they take place?"


def test_elliptic_follow_up_takes_the_previous_answer_kind():
    """'And in 2016?' asks for what the previous question asked for."""
    resolved = resolve("And in 2016?", [Turn("How many officials attended the conference?", ("003.txt",))])
    assert resolved.kind is AnswerType.NUMBER


def test_chained_follow_ups_reach_the_first_subject():
    """A follow-up of a follow-up still carries the subject named two turns back."""
    history = [
        Turn("Who chaired the consultations in Tashkent?", ("004.txt",)),
        Turn("And when did they take place?", ("004.txt",)),
    ]
    resolved = resolve("Где это было?", history)
    assert "tashkent" in {g[0] for g in resolved.terms}
