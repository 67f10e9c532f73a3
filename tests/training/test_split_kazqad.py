"""Splitting a SQuAD file by article for training and selection, fitting a language's no-answer threshold, and the
per-language measurement behind ``python -m app reader evaluate-language``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.training.data import foreign_negatives, load_squad, read_json, split_by_article
from app.training.evaluate import Reading, fit_null_threshold, score_readings
from tests.conftest import QA_DATA

KAZQAD = QA_DATA / "kazqad-kk-dev.json"
SHIPPED_SPLIT = Path(__file__).resolve().parents[2] / "eval" / "kazqad"


def _articles(part: dict) -> set[str]:
    return {a["title"] for a in part["data"]}


def _contexts(part: dict) -> set[str]:
    return {p["context"] for a in part["data"] for p in a["paragraphs"]}


def _questions(part: dict) -> int:
    return sum(len(p["qas"]) for a in part["data"] for p in a["paragraphs"])


def _squad(titles: list[str]) -> dict:
    """Articles with 1-3 paragraphs of 2 questions each; repeated titles are one article."""
    data = []
    for n, title in enumerate(titles):
        paragraphs = [
            {
                "context": f"{title} paragraph {n}.{p}",
                "qas": [{"id": f"{n}.{p}.{q}", "question": "q?", "answers": []} for q in range(2)],
            }
            for p in range(1 + n % 3)
        ]
        data.append({"title": title, "paragraphs": paragraphs})
    return {"version": "t", "data": data}


def test_split_keeps_every_article_on_one_side():
    """No title and no paragraph is on both sides (a title repeated in the file stays whole), nothing is lost,
    and the first part holds about the requested share of the questions."""
    titles = [f"article {i}" for i in range(40)] + ["article 3", "article 7"]
    data = _squad(titles)
    first, second = split_by_article(data, 0.6, seed=5)
    assert _articles(first).isdisjoint(_articles(second))
    assert _contexts(first).isdisjoint(_contexts(second))
    assert _questions(first) + _questions(second) == _questions(data)
    assert 0.55 <= _questions(first) / _questions(data) <= 0.7


def test_split_is_deterministic_and_seeded():
    """The same seed gives the same parts; another seed another split."""
    data = _squad([f"article {i}" for i in range(30)])
    assert split_by_article(data, 0.6, seed=13) == split_by_article(data, 0.6, seed=13)
    assert _articles(split_by_article(data, 0.6, seed=13)[0]) != _articles(split_by_article(data, 0.6, seed=14)[0])


@pytest.mark.skipif(not KAZQAD.is_file(), reason="KazQAD dev half not present")
def test_shipped_kazqad_split_is_the_seeded_one(tmp_path):
    """eval/kazqad/ holds exactly what `reader split` makes of KazQAD's dev half (seed 13, 60%): 237 questions to
    train on, 158 to select on, no article on both sides."""
    from app.cli.reader import app

    train, select = tmp_path / "train.json", tmp_path / "select.json"
    result = CliRunner().invoke(
        app, ["split", "--squad", str(KAZQAD), "--train-out", str(train), "--select-out", str(select)]
    )
    assert result.exit_code == 0, result.output
    for name, made in (("train", train), ("select", select)):
        assert read_json(SHIPPED_SPLIT / f"kazqad-kk-dev-{name}.json") == read_json(made)
    first, second = read_json(train), read_json(select)
    assert _articles(first).isdisjoint(_articles(second)) and _contexts(first).isdisjoint(_contexts(second))
    assert (_questions(first), _questions(second)) == (237, 158)


def test_foreign_negatives_come_from_other_articles(tiny_squad):
    """Each answerable question gets a paragraph of another article without its answer, and no answers."""
    examples = load_squad(tiny_squad)
    negatives = foreign_negatives(examples, seed=3)
    assert len(negatives) == len(examples)
    for ex, neg in zip(examples, negatives):  # one each, in order
        assert neg.qid == ex.qid + "#foreign"
        assert neg.answers == () and neg.article != ex.article and neg.question == ex.question
        assert not any(a.casefold() in neg.context.casefold() for a in ex.answers)
    assert negatives == foreign_negatives(examples, seed=3)


def test_fitted_threshold_answers_where_the_null_head_is_too_shy():
    """Right answers whose null score beats the span by 1-2 are taken back by a threshold of 2, which still
    leaves the negatives (margins 3 and more) unanswered; a tie keeps the threshold nearest 0."""
    examples = load_squad_like([("Астана", "Астана"), ("1997", "1997"), ("Абай", "Абай")])
    readings = [Reading("Астана", 5.0, 6.0), Reading("1997", 4.0, 6.0), Reading("Абай", 7.0, 5.0)]
    negatives = [Reading("x", 1.0, 4.0), Reading("y", 0.0, 5.0)]
    threshold, score = fit_null_threshold(examples, readings, negatives)
    assert threshold == pytest.approx(2.0) and score == pytest.approx(100.0)
    assert score_readings(examples, readings, 0.0)["null_rate"] == pytest.approx(2 / 3)
    assert score_readings(examples, readings, threshold)["f1"] == pytest.approx(100.0)
    # wrong answers gain nothing by answering: the threshold stays at 0
    wrong = [Reading("нет", 5.0, 6.0), Reading("нет", 4.0, 6.0), Reading("Абай", 7.0, 5.0)]
    assert fit_null_threshold(examples, wrong, negatives)[0] == 0.0


def load_squad_like(pairs: list[tuple[str, str]]):
    """Examples whose contexts are their answers (question, answer)."""
    from app.training.data import Example

    return [Example(str(i), "?", ctx, (ans,), (0,), i, 0) for i, (ctx, ans) in enumerate(pairs)]


@pytest.mark.slow
@pytest.mark.skipif(not KAZQAD.is_file(), reason="KazQAD dev half not present")
def test_evaluate_language_on_kazqad_applies_the_kazakh_threshold():
    """`reader evaluate-language --limit` reads a few KazQAD questions with the shipped reader and reports the
    null decided at 0 and at Kazakh's own threshold (more answers at a positive threshold, never fewer)."""
    from app.cli.reader import app
    from app.neural import SHIPPED_WEIGHTS
    from app.neural.decode import NULL_THRESHOLDS

    select = SHIPPED_SPLIT / "kazqad-kk-dev-select.json"
    result = CliRunner().invoke(
        app, ["evaluate-language", "--weights", str(SHIPPED_WEIGHTS), "--squad", str(select), "--limit", "6"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    zero, shipped = report["at_zero"], report["shipped"]
    assert zero["n"] == shipped["n"] == 6 and zero["null_threshold"] == 0.0
    assert shipped["null_threshold"] == NULL_THRESHOLDS["kk"] > 0
    assert shipped["null_rate"] <= zero["null_rate"] and shipped["foreign_null_rate"] <= zero["foreign_null_rate"]
    assert shipped["has_ans_f1"] == zero["has_ans_f1"] > 0  # the forced answer does not depend on the threshold
    assert 0 <= shipped["f1"] <= shipped["has_ans_f1"]
