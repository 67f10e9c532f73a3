"""Kazakh open retrieval on KazQAD through the service: its dev paragraphs ingested as documents into a temporary
index, its questions asked with no hint of where the answer is.

Reports how often the gold paragraph is the first passage, and how often the answer sentence contains a gold
answer (answer containment; an abstention counts as a miss). KazQAD asks many exam questions word for word of
several paragraphs (61 of the 158 held-out questions): at most one of those can be first, so the report adds how
often the first passage is any paragraph KazQAD pairs with the question, and counts any of their answers.

Every paragraph is indexed, but only the questions of the held-out part are asked: the span reader learns Kazakh
from the other part (``eval/kazqad/``, split by article with ``python -m app reader split``), whose paragraphs stay
in the index as distractors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.evaluation.metrics import contains, token_f1
from app.models import AskResult

# The question-answering data lives beside the project, in shared/data/qa (its README says what each file is).
QA_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "qa"
KAZQAD_DEV = QA_DATA / "kazqad-kk-dev.json"
# The part of KazQAD's dev half the span reader trains on: its questions are never asked here.
KAZQAD_TRAIN_PART = Path(__file__).resolve().parents[2] / "eval" / "kazqad" / "kazqad-kk-dev-train.json"
# The targets for Kazakh open retrieval.
TARGET_GOLD_FIRST = 0.75
TARGET_CONTAINMENT = 0.55


class Asker(Protocol):
    def ask(self, question: str, top_k: int = 5) -> AskResult: ...


@dataclass(frozen=True)
class KazqadQuestion:
    question: str
    doc_id: str
    answers: list[str]
    # Every paragraph KazQAD asks the same question of (this one included), and all their answers.
    doc_ids: frozenset[str]
    all_answers: tuple[str, ...]


def load_kazqad(
    path: Path = KAZQAD_DEV, trained_on: Path | None = KAZQAD_TRAIN_PART
) -> tuple[dict[str, str], list[KazqadQuestion]]:
    """Every paragraph as a document (``kazqad/<n>.txt``) and the questions with their gold paragraph, leaving out
    those on a paragraph of ``trained_on`` (None: ask them all)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    seen = set()
    if trained_on is not None:
        trained = json.loads(trained_on.read_text(encoding="utf-8"))["data"]
        seen = {paragraph["context"] for article in trained for paragraph in article["paragraphs"]}
    documents: dict[str, str] = {}
    asked: list[tuple[str, str, list[str]]] = []
    pairings: dict[str, set[str]] = {}  # the question's words -> every paragraph it is asked of
    answers: dict[str, list[str]] = {}
    for article in data:
        for paragraph in article["paragraphs"]:
            doc_id = f"kazqad/{len(documents):04d}.txt"
            documents[doc_id] = paragraph["context"]
            for qa in paragraph["qas"]:
                texts = [a["text"] for a in qa["answers"]]
                key = _words(qa["question"])
                pairings.setdefault(key, set()).add(doc_id)
                known = answers.setdefault(key, [])
                known += [t for t in dict.fromkeys(texts) if t not in known]
                if paragraph["context"] not in seen:
                    asked.append((qa["question"], doc_id, texts))
    questions = [
        KazqadQuestion(q, doc_id, texts, frozenset(pairings[_words(q)]), tuple(answers[_words(q)]))
        for q, doc_id, texts in asked
    ]
    return documents, questions


def _words(question: str) -> str:
    return " ".join(question.split())


def evaluate_kazqad(asker: Asker, questions: list[KazqadQuestion]) -> dict[str, float]:
    """Gold paragraph first (its own, and any the question is asked of), answer containment (its own answers, and
    any of those paragraphs'), the answer span's token F1 (its own answers; an abstention scores 0), answered rate
    and the question language read as Kazakh."""
    first = first_any = contained = contained_any = answered = kazakh = 0
    f1 = 0.0
    for q in questions:
        result = asker.ask(q.question, top_k=5)
        top = result.passages[0].doc_id if result.passages else None
        first += top == q.doc_id
        first_any += top in q.doc_ids
        kazakh += result.lang == "kk"
        if result.answer is not None:
            answered += 1
            contained += contains(result.answer.sentence, q.answers) > 0
            contained_any += contains(result.answer.sentence, list(q.all_answers)) > 0
            f1 += token_f1(result.answer.text, q.answers)
    n = max(len(questions), 1)
    return {
        "questions": len(questions),
        "gold_paragraph_first": round(first / n, 3),
        "a_gold_paragraph_first": round(first_any / n, 3),
        "containment": round(contained / n, 3),
        "containment_any_gold": round(contained_any / n, 3),
        "span_f1": round(f1 / n, 3),
        "answered_rate": round(answered / n, 3),
        "read_as_kazakh": round(kazakh / n, 3),
    }
