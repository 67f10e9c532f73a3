"""app/evaluation/gold.py: the JSONL gold format and SQuAD v1.1/v2.0 conversion."""

from __future__ import annotations

import json

import pytest

from app.evaluation.gold import GoldFormatError, load_gold, load_squad

SQUAD_V2 = {
    "version": "v2.0",
    "data": [{
        "title": "Borders",
        "paragraphs": [
            {"context": "The meeting took place in Osh. Forty officers attended.",
             "qas": [{"id": "q1", "question": "Where was the meeting?", "is_impossible": False,
                      "answers": [{"text": "Osh", "answer_start": 26}]},
                     {"id": "q2", "question": "Who paid for lunch?", "is_impossible": True, "answers": [],
                      "plausible_answers": [{"text": "officers", "answer_start": 40}]}]},
            {"context": "Patrols were doubled in 2019.",
             "qas": [{"id": "q3", "question": "When were patrols doubled?",
                      "answers": [{"text": "2019", "answer_start": 24}, {"text": "in 2019", "answer_start": 21}]}]},
        ],
    }],
}


def test_load_gold_reads_answerable_and_unanswerable(tmp_path):
    """Records become questions; a null doc_id is unanswerable."""
    path = tmp_path / "gold.jsonl"
    path.write_text(
        json.dumps({"id": "1", "question": "Где?", "lang": "ru", "doc_id": "a.txt", "answers": ["Ош"]}) + "\n\n"
        + json.dumps({"id": "2", "question": "Why?", "lang": "en", "doc_id": None, "answers": []}) + "\n",
        encoding="utf-8",
    )
    first, second = load_gold(path)
    assert first.answerable and first.answers == ["Ош"] and first.doc_id == "a.txt"
    assert not second.answerable and second.lang == "en"


def test_load_gold_names_the_bad_line(tmp_path):
    """A malformed line is reported with its file and line number."""
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "1", "question": "ok", "doc_id": null}\n{"id": "2"}\n', encoding="utf-8")
    with pytest.raises(GoldFormatError, match=r"gold.jsonl:2"):
        load_gold(path)


def test_squad_v2_becomes_one_document_per_paragraph(tmp_path):
    """Each paragraph is a document; impossible questions are unanswerable; all gold texts are kept."""
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(SQUAD_V2), encoding="utf-8")
    documents, questions = load_squad(path)
    assert list(documents.values()) == [p["context"] for p in SQUAD_V2["data"][0]["paragraphs"]]
    by_id = {q.id: q for q in questions}
    assert by_id["q1"].doc_id == list(documents)[0] and by_id["q1"].answers == ["Osh"]
    assert not by_id["q2"].answerable
    assert by_id["q3"].doc_id == list(documents)[1] and by_id["q3"].answers == ["2019", "in 2019"]


def test_squad_limit_keeps_whole_paragraphs(tmp_path):
    """--limit N keeps the first N paragraphs and only their questions."""
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(SQUAD_V2), encoding="utf-8")
    documents, questions = load_squad(path, limit=1)
    assert len(documents) == 1 and {q.id for q in questions} == {"q1", "q2"}
