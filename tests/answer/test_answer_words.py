"""Served answers start and end on word boundaries: the reported case through /ask, and every question of the gold
and follow-up sets through the pipeline with the shipped reader (asked once, in a module fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.evaluation.evaluate import RETRIEVAL_DEPTH, InProcessClient
from app.evaluation.followups import load_followups
from app.evaluation.gold import load_gold
from tests.conftest import UNODC

ROOT = Path(__file__).resolve().parents[2]
# Written out here rather than imported, so that the check does not share a mistake with the code it checks.
JOINERS = "-\u2010\u2011'\u2019\u2018`"
EDGE_PUNCTUATION = " \t\n,;:!?—–-"

pytestmark = pytest.mark.slow


def inside_word(text: str, i: int) -> bool:
    """Whether position i of ``text`` cuts a word: letters or digits on both sides, or a hyphen or apostrophe
    that joins two of them."""
    if i <= 0 or i >= len(text):
        return False
    before, after = text[i - 1], text[i]
    if before.isalnum() and after.isalnum():
        return True
    if after in JOINERS and before.isalnum() and i + 1 < len(text) and text[i + 1].isalnum():
        return True
    return before in JOINERS and after.isalnum() and i >= 2 and text[i - 2].isalnum()


def cut_words(answer: dict, texts: dict[str, str]) -> list[str]:
    """What is wrong with one served answer's span; [] when it is verbatim and on word boundaries."""
    text = texts[answer["doc_id"]]
    start, end = answer["start"], answer["end"]
    problems = []
    if text[start:end] != answer["text"]:
        problems.append("not verbatim")
    if inside_word(text, start):
        problems.append(f"starts inside {text[max(0, start - 12) : start + 12]!r}")
    if inside_word(text, end):
        problems.append(f"ends inside {text[max(0, end - 12) : end + 12]!r}")
    if answer["text"][:1] in EDGE_PUNCTUATION or answer["text"][-1:] in EDGE_PUNCTUATION:
        problems.append("space or punctuation at an edge")
    return problems


@pytest.fixture(scope="module")
def texts(pipeline) -> dict[str, str]:
    return {doc.doc_id: doc.text for doc in pipeline.snapshot.documents.values()}


@pytest.fixture(scope="module")
def served(pipeline) -> dict[str, dict]:
    """Every gold question, and every follow-up (after its first turn, as a client sends it) and its full form,
    asked once: question id -> the response."""
    client = InProcessClient(pipeline)
    responses = {}
    for gold in load_gold(ROOT / "eval" / "gold.jsonl"):
        responses[gold.id] = client.ask(gold.question, RETRIEVAL_DEPTH)
    for item in load_followups(ROOT / "eval" / "followups.jsonl"):
        first = client.ask(item.first, RETRIEVAL_DEPTH)
        best = first["answer"]
        history = [
            {"question": item.first, "doc_ids": [best["doc_id"]], "sentences": [best["sentence"]]}
            if best
            else {"question": item.first, "doc_ids": [p["doc_id"] for p in first["passages"][:1]], "sentences": []}
        ]
        responses[f"{item.id}-first"] = first
        responses[f"{item.id}-follow"] = client.ask(item.question, RETRIEVAL_DEPTH, history=history)
        responses[f"{item.id}-full"] = client.ask(item.full, RETRIEVAL_DEPTH)
    return responses


def test_seminar_length_is_a_whole_word(client):
    """The reader's last piece was "Двухдневн"; /ask serves the word it belongs to."""
    response = client.post("/ask", json={"question": "How many days did the UNODC seminar last?"})
    assert response.status_code == 200, response.text
    answer = response.json()["answer"]
    assert answer is not None and answer["doc_id"] == UNODC
    assert answer["text"] == "Двухдневный"


def test_every_served_answer_is_on_word_boundaries(served, texts):
    """No answer of any gold or follow-up question, best or alternative, starts or ends inside a word."""
    answers = [(qid, a) for qid, response in served.items() for a in response["answers"]]
    assert len(answers) >= len(served) // 2  # most questions are answered: the check covers real spans
    bad = {f"{qid} {a['text']!r}": problems for qid, a in answers if (problems := cut_words(a, texts))}
    assert not bad, bad


def test_the_check_sees_a_cut_word(texts):
    """The boundary check itself fails on a span that ends inside a word, and on one ending in a hyphenated
    word's first half."""
    doc_id = UNODC
    text = texts[doc_id]
    start = text.index("Двухдневн")
    cut = {"doc_id": doc_id, "start": start, "end": start + 9, "text": text[start : start + 9]}
    assert cut_words(cut, texts) == [f"ends inside {text[start - 3 : start + 21]!r}"]
    assert inside_word("Нур-Султан", 3) and inside_word("Нур-Султан", 4) and not inside_word("Нур-Султан", 10)
