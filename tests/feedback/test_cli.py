"""`python -m app feedback export | stats` (typer's runner, in process): feedback rows → a gold file that the gold
loader, the evaluation and the calibration accept; counts and agreement by language pair."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.evaluation.calibrate import examples
from app.evaluation.evaluate import InProcessClient, evaluate
from app.evaluation.gold import load_gold
from app.feedback.store import FeedbackStore, ShownAnswer
from tests.conftest import BISHKEK, BOROVOE

RU_QUESTION = "Сколько человек приняли участие в конференции в Боровом?"
EN_QUESTION = "Who is the Head of the OSCE Centre in Bishkek?"
ANALYST = "analyst"  # the key the rows are given with: export and stats take keyed rows only by default


def span(pipeline, doc_id: str, text: str) -> ShownAnswer:
    start = pipeline.document(doc_id).text.index(text)
    return ShownAnswer(text, doc_id, start, start + len(text))


@pytest.fixture
def feedback_file(tmp_path, pipeline):
    """Feedback of every kind: confirmed, corrected, plain "down", without text, on "not found", unmatched."""
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path)
    store.add(RU_QUESTION, "ru", "up", answer=span(pipeline, BOROVOE, "более 50 человек"), key_name=ANALYST)
    # A wrong answer from a Russian document, corrected with other case and spacing than the English document's.
    store.add(
        EN_QUESTION,
        "en",
        "down",
        answer=span(pipeline, BOROVOE, "Боровое"),
        correction="sergey   KAPINOS",
        key_name=ANALYST,
    )
    held = span(pipeline, BOROVOE, "Боровое")
    store.add("Where was the conference held?", "en", "down", answer=held, key_name=ANALYST)
    store.add("Who won the 1998 World Cup?", "en", "up", key_name=ANALYST)
    store.add("What is the capital of Mars?", "en", "down", correction="Olympus City", key_name=ANALYST)
    FeedbackStore(path, store_text=False).add(
        "Кто возглавляет центр?", "ru", "up", answer=span(pipeline, BISHKEK, "Sergey Kapinos"), key_name=ANALYST
    )
    return path


def run(*args: str):
    result = CliRunner().invoke(cli, ["feedback", *args])
    assert result.exit_code == 0, result.output
    return result


def test_export_writes_gold_lines_the_evaluation_accepts(feedback_file, tmp_path, seed, pipeline):
    """Confirmed and corrected rows become gold lines in eval/gold.jsonl's format (answers verbatim in the cited
    document); the others are counted by reason; the loader, evaluate() and calibration's examples() take them."""
    out = tmp_path / "out" / "gold.jsonl"
    result = run("export", "--gold", str(out), "--db", str(feedback_file), "--index", str(seed.index))
    assert "wrote 2 gold questions from 2 of 6 feedback rows" in result.output
    for reason in (
        "down without a correction",
        "no stored question text",
        "up on a 'not found' answer",
        "correction not found in any document",
    ):
        assert f"skipped 1: {reason}" in result.output

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [list(line) for line in lines] == [["id", "question", "lang", "doc_id", "answers", "given_by"]] * 2
    assert all(line["given_by"] == [f"key:{ANALYST}"] for line in lines)
    confirmed, corrected = lines
    assert confirmed["id"] == "fb1" and corrected["id"] == "fb2"
    assert (confirmed["question"], confirmed["lang"], confirmed["doc_id"], confirmed["answers"]) == (
        RU_QUESTION,
        "ru",
        BOROVOE,
        ["более 50 человек"],
    )
    assert (corrected["lang"], corrected["doc_id"], corrected["answers"]) == ("en", BISHKEK, ["Sergey Kapinos"])

    questions = load_gold(out)
    assert [(q.id, q.doc_id, q.answerable) for q in questions] == [("fb1", BOROVOE, True), ("fb2", BISHKEK, True)]
    for question in questions:
        assert all(answer in pipeline.document(question.doc_id).text for answer in question.answers)
    report = evaluate(InProcessClient(pipeline), questions)
    assert report["overall"]["questions"] == 2 and set(report["by_pair"]) == {"ru→ru", "en→en"}
    assert report["overall"]["hit@5"] == 1.0  # the seed index finds both documents
    features, labels, top = examples(pipeline, questions)
    assert len(features) == len(labels) >= 2 and top.sum() == 2 and labels.sum() >= 1


def test_newest_verdict_decides_the_document(tmp_path, seed, pipeline):
    """One line per question: the newest verdict names the document, older ones on it add answers, others are
    reported as superseded."""
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path)
    store.add(EN_QUESTION, "en", "up", answer=span(pipeline, BOROVOE, "Боровое"), key_name="first")
    store.add(EN_QUESTION, "en", "up", answer=span(pipeline, BISHKEK, "Kapinos"), key_name="second")
    kapinos = span(pipeline, BISHKEK, "Sergey Kapinos")
    store.add(f"  {EN_QUESTION.upper()} ", "en", "up", answer=kapinos, key_name="third")
    out = tmp_path / "gold.jsonl"
    result = run("export", "--gold", str(out), "--db", str(path), "--index", str(seed.index))
    assert "skipped 1: a newer verdict on the same question names another document" in result.output
    (line,) = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert line["id"] == "fb3" and line["doc_id"] == BISHKEK and line["answers"] == ["Sergey Kapinos", "Kapinos"]
    assert line["given_by"] == ["key:third", "key:second"]


def table(output: str) -> dict[str, list[str]]:
    """The stats table's rows by pair."""
    return {
        cells[0]: cells[1:]
        for line in output.splitlines()
        if len(cells := [c.strip() for c in line.strip("│┃ ").split("│")]) == 6
    }


def test_stats_by_language_pair(feedback_file, seed):
    """Rows, verdicts, corrections and agreement per question → document language pair, from the index; rows given
    without a key only with --include-anonymous."""
    FeedbackStore(feedback_file).add("Who?", "en", "down", client="192.0.2.1")
    output = run("stats", "--db", str(feedback_file), "--index", str(seed.index)).output
    assert "left out 1 rows given without a key" in output
    rows = table(output)
    assert rows["all"] == ["6", "3", "3", "2", "0.500"]
    assert rows["ru→ru"] == ["1", "1", "0", "0", "1.000"]
    assert rows["en→ru"] == ["2", "0", "2", "1", "0.000"]  # answers shown from the Russian document
    assert rows["en→none"] == ["2", "1", "1", "1", "0.500"]  # "not found"
    assert rows["ru→en"] == ["1", "1", "0", "0", "1.000"]
    output = run("stats", "--db", str(feedback_file), "--index", str(seed.index), "--include-anonymous").output
    assert table(output)["all"] == ["7", "3", "4", "2", "0.429"]


def test_without_a_feedback_file(tmp_path, seed):
    """No feedback yet: exit code 2 and the path looked at."""
    result = CliRunner().invoke(
        cli, ["feedback", "stats", "--db", str(tmp_path / "none.sqlite3"), "--index", str(seed.index)]
    )
    assert result.exit_code == 2 and "no feedback file" in result.output and "none.sqlite3" in result.output
