"""app/evaluation/evaluate.py: scoring answers against gold records, summaries by language pair, clients."""

from __future__ import annotations

import shutil

import pytest

from app.evaluation.evaluate import HttpClient, InProcessClient, evaluate, failed_thresholds, score, summarise
from app.evaluation.gold import GoldQuestion, load_gold
from tests.api.test_server import start_server
from tests.conftest import BISHKEK, BOROVOE, ROOT, stop, wait_healthy

LANGS = {BOROVOE: "ru", BISHKEK: "en"}
BOROVOE_Q = GoldQuestion("b", "Сколько человек участвовало?", "ru", BOROVOE, ["более 50 человек"])
UNANSWERABLE_Q = GoldQuestion("u", "Who won the 1998 World Cup?", "en", None, [])


def response(doc_id: str | None, text: str = "", sentence: str = "", passages: tuple[str, ...] = ()) -> dict:
    answer = None if doc_id is None else {"doc_id": doc_id, "text": text, "sentence": sentence}
    return {"answer": answer, "passages": [{"doc_id": d} for d in passages]}


def test_score_a_right_answer():
    """A right sentence, span and citation score 1 on every answer metric; rank is the passage rank."""
    outcome = score(BOROVOE_Q, response(BOROVOE, "более 50 человек", "В ней приняли участие более 50 человек.",
                                        (BISHKEK, BOROVOE)), 12.0, LANGS)
    assert outcome.pair == "ru→ru"
    assert (outcome.rank, outcome.hit1, outcome.hit5, outcome.rr) == (2, 0.0, 1.0, 0.5)
    assert (outcome.containment, outcome.exact, outcome.f1, outcome.citation) == (1.0, 1.0, 1.0, 1.0)


def test_score_an_abstention():
    """Abstaining on an answerable question scores 0; on an unanswerable one it is a right abstention."""
    missed = score(BOROVOE_Q, response(None, passages=(BOROVOE,)), 5.0, LANGS)
    assert missed.abstained and missed.hit1 == 1.0 and missed.containment == 0.0 and missed.citation == 0.0
    right = score(UNANSWERABLE_Q, response(None), 5.0, LANGS)
    assert right.abstained and right.pair == "en→none"


def test_summary_and_thresholds():
    """Averages are over answerable questions; abstention precision/recall over all; limits name the metric."""
    outcomes = [
        score(BOROVOE_Q, response(BOROVOE, "50 человек", "приняли участие более 50 человек", (BOROVOE,)), 10, LANGS),
        score(BOROVOE_Q, response(None, passages=(BISHKEK,)), 20, LANGS),
        score(UNANSWERABLE_Q, response(None), 30, LANGS),
        score(UNANSWERABLE_Q, response(BISHKEK, "x", "x"), 40, LANGS),
    ]
    summary = summarise(outcomes)
    assert summary["hit@1"] == 0.5 and summary["containment"] == 0.5 and summary["answered_rate"] == 0.5
    assert summary["abstention_precision"] == 0.5 and summary["abstention_recall"] == 0.5
    assert summary["answer_precision"] == 0.5  # two answers given, one right
    assert summary["latency_p50_ms"] == 25.0
    assert failed_thresholds(summary, {"min_hit1": 0.4, "min_containment": 0.6}) == ["containment 0.500 < 0.6"]
    assert "abstention_recall" not in summarise(outcomes[:2])  # no unanswerable question: undefined


def test_evaluate_in_process_on_gold_questions(pipeline):
    """The in-process client answers gold questions and groups the results by language pair."""
    questions = load_gold(ROOT / "eval" / "gold.jsonl")[:12]
    result = evaluate(InProcessClient(pipeline), questions)
    assert result["overall"]["questions"] == 12 and len(result["questions"]) == 12
    assert sum(s["questions"] for s in result["by_pair"].values()) == 12
    assert all("→" in pair for pair in result["by_pair"])
    assert result["overall"]["hit@5"] >= 0.8


@pytest.mark.slow
def test_http_client_gives_the_same_numbers(tmp_path, seed, pipeline):
    """--endpoint through a real uvicorn server gives the same metrics as in process."""
    shutil.copytree(seed.index, tmp_path / "index")
    process, url = start_server(tmp_path / "index", tmp_path / "server.log")
    try:
        wait_healthy(process, url, tmp_path / "server.log", timeout=120)
        questions = load_gold(ROOT / "eval" / "gold.jsonl")[:20]
        over_http = evaluate(HttpClient(url), questions)
        in_process = evaluate(InProcessClient(pipeline), questions)
    finally:
        stop(process)
    for metric in ("hit@1", "mrr@10", "containment", "f1", "citation"):
        assert over_http["overall"][metric] == in_process["overall"][metric], metric
