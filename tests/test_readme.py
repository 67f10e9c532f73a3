"""The README's example /ask response keeps the promise it states: its offsets point at its text in the document."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.ingest.reader import read_file
from tests.conftest import ROOT

# A fenced JSON block of the README; the example response is the one that answers a question.
_JSON_BLOCK = re.compile(r"^```json\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TRIMMED = "…"


def _example_response() -> dict:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    responses = [json.loads(block) for block in _JSON_BLOCK.findall(readme) if '"answer":' in block]
    assert len(responses) == 1, "expected one example /ask response in the README"
    return responses[0]


def _document_text(doc_id: str) -> str:
    """The document as the service stores it: the bundled corpus file read and cleaned by the ingest reader."""
    path = ROOT / "corpus" / doc_id
    assert path.is_file(), f"the README cites {doc_id}, which is not in corpus/"
    return read_file(Path(path)).text


EXAMPLE = _example_response()
ANSWERS = [EXAMPLE["answer"], *EXAMPLE["answers"]]


def test_the_example_answers_its_own_question():
    assert EXAMPLE["status"] == "answered"
    assert EXAMPLE["answer"] is not None
    assert EXAMPLE["answers"][0] == EXAMPLE["answer"], "the answer is the first of the answers"


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: f"{a['doc_id']}:{a['start']}")
def test_answer_offsets_hold_in_the_bundled_document(answer):
    """`document.text[start:end] == answer.text` and the same for the sentence, as the README promises."""
    text = _document_text(answer["doc_id"])
    assert text[answer["start"] : answer["end"]] == answer["text"]
    assert text[answer["sentence_start"] : answer["sentence_end"]] == answer["sentence"]
    assert answer["sentence_start"] <= answer["start"] < answer["end"] <= answer["sentence_end"]


@pytest.mark.parametrize("passage", EXAMPLE["passages"], ids=lambda p: f"{p['doc_id']}:{p['chunk_id']}")
def test_passage_offsets_hold_in_the_bundled_document(passage):
    """A passage's text is the document's between its offsets; a text cut with "…" is a prefix of it."""
    text = _document_text(passage["doc_id"])[passage["start"] : passage["end"]]
    shown = passage["text"]
    if shown.endswith(TRIMMED):
        assert text.startswith(shown.removesuffix(TRIMMED))
    else:
        assert text == shown
