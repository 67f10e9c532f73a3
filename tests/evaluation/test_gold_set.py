"""Checks of the hand-written evaluation sets eval/gold.jsonl and eval/dev.jsonl against the seed corpus."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
GOLD = ROOT / "eval" / "gold.jsonl"
DEV = ROOT / "eval" / "dev.jsonl"

FIELDS = {"id": str, "question": str, "lang": str, "answers": list, "type": str}
LANGS = {"ru", "en"}
TYPES = {"who", "what", "when", "where", "how_many", "why", "which", "how"}
REQUIRED_TYPES = {"who", "what", "when", "where", "how_many", "why"}
ID_PATTERN = {GOLD: re.compile(r"g\d{3}"), DEV: re.compile(r"d\d{3}")}

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


def script_lang(text: str) -> str:
    """'ru' when Cyrillic letters outnumber Latin ones, else 'en'."""
    return "ru" if len(_CYRILLIC.findall(text)) > len(_LATIN.findall(text)) else "en"


def load(path: Path) -> list[dict]:
    """Every non-empty line of a JSONL file parsed (a bad line fails with its number)."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{number}: invalid JSON: {exc}")
    return records


def corpus_texts() -> dict[str, str]:
    """The seed documents' text by doc_id (file name)."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return corpus_texts()


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return load(GOLD)


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    return load(DEV)


@pytest.fixture(scope="module")
def doc_langs(texts) -> dict[str, str]:
    return {doc_id: script_lang(text) for doc_id, text in texts.items()}


BOTH = pytest.mark.parametrize("path", [GOLD, DEV], ids=["gold", "dev"])


def test_corpus_present(texts):
    """The five seed documents exist and are non-empty, with three Russian and two English ones."""
    assert len(texts) == 5, sorted(texts)
    assert all(t.strip() for t in texts.values())
    langs = Counter(script_lang(t) for t in texts.values())
    assert langs == Counter({"ru": 3, "en": 2}), langs


@BOTH
def test_records_have_required_fields_and_types(path, texts):
    """Every record has id, question, lang, doc_id, answers and type with the right value types and vocabularies."""
    records = load(path)
    assert records, f"{path.name} is empty"
    for rec in records:
        for name, kind in FIELDS.items():
            assert name in rec, f"{rec.get('id')}: missing {name}"
            assert isinstance(rec[name], kind), f"{rec['id']}: {name} is not {kind.__name__}"
        assert "doc_id" in rec, f"{rec['id']}: missing doc_id"
        assert rec["doc_id"] is None or rec["doc_id"] in texts, f"{rec['id']}: unknown doc_id {rec['doc_id']!r}"
        assert ID_PATTERN[path].fullmatch(rec["id"]), f"bad id {rec['id']!r}"
        assert rec["question"].strip(), f"{rec['id']}: empty question"
        assert rec["lang"] in LANGS, f"{rec['id']}: lang {rec['lang']!r}"
        assert rec["type"] in TYPES, f"{rec['id']}: type {rec['type']!r}"
        assert all(isinstance(a, str) and a.strip() for a in rec["answers"]), f"{rec['id']}: bad answer"
        assert len(set(rec["answers"])) == len(rec["answers"]), f"{rec['id']}: repeated answer"


@BOTH
def test_ids_and_questions_unique(path):
    """Ids and question texts are unique within a file."""
    records = load(path)
    ids = Counter(r["id"] for r in records)
    assert not [i for i, n in ids.items() if n > 1], ids.most_common(3)
    questions = Counter(r["question"].strip().casefold() for r in records)
    assert not [q for q, n in questions.items() if n > 1], questions.most_common(3)


@BOTH
def test_lang_matches_question_script(path):
    """The declared lang of each question is the script its letters are mostly written in."""
    for rec in load(path):
        assert script_lang(rec["question"]) == rec["lang"], f"{rec['id']}: {rec['question']!r}"


@BOTH
def test_null_doc_id_iff_no_answers(path):
    """doc_id is null exactly when the answers list is empty."""
    for rec in load(path):
        assert (rec["doc_id"] is None) == (rec["answers"] == []), rec["id"]


@BOTH
def test_answers_occur_verbatim_in_cited_document(path, texts):
    """Each answer string is an exact, case-sensitive substring of the cited document's text."""
    for rec in load(path):
        for answer in rec["answers"]:
            assert answer in texts.get(rec["doc_id"] or "", ""), f"{rec['id']}: {answer!r} not in {rec['doc_id']}"


def test_gold_size_and_languages(gold):
    """gold.jsonl has at least 90 questions, at least 30 Russian and 30 English ones."""
    assert len(gold) >= 90, len(gold)
    langs = Counter(r["lang"] for r in gold)
    assert langs["ru"] >= 30 and langs["en"] >= 30, langs


def test_gold_cross_language(gold, doc_langs):
    """At least 30 gold questions are asked in a language other than their document's, in both directions."""
    cross = [r for r in gold if r["doc_id"] and r["lang"] != doc_langs[r["doc_id"]]]
    assert len(cross) >= 30, len(cross)
    directions = Counter(r["lang"] for r in cross)
    assert directions["ru"] >= 10 and directions["en"] >= 10, directions


def test_gold_unanswerable(gold):
    """At least 10 gold questions are unanswerable, in both languages."""
    unanswerable = [r for r in gold if r["doc_id"] is None]
    assert len(unanswerable) >= 10, len(unanswerable)
    assert {r["lang"] for r in unanswerable} == LANGS


def test_gold_types(gold):
    """All of who, what, when, where, how_many and why occur among the gold types."""
    missing = REQUIRED_TYPES - {r["type"] for r in gold}
    assert not missing, missing


def test_gold_covers_every_document(gold, texts):
    """Every corpus document is the answer source of at least 10 gold questions."""
    per_doc = Counter(r["doc_id"] for r in gold if r["doc_id"])
    assert set(per_doc) == set(texts), set(texts) - set(per_doc)
    assert min(per_doc.values()) >= 10, per_doc


def test_dev_mix(dev, doc_langs, texts):
    """dev.jsonl has about 40 questions in both languages, cross-language ones, unanswerable ones and every document."""
    assert len(dev) >= 40, len(dev)
    assert {r["lang"] for r in dev} == LANGS
    cross = [r for r in dev if r["doc_id"] and r["lang"] != doc_langs[r["doc_id"]]]
    assert len(cross) >= 15, len(cross)
    assert sum(r["doc_id"] is None for r in dev) >= 8
    assert {r["doc_id"] for r in dev if r["doc_id"]} == set(texts)


def test_gold_and_dev_share_no_questions(gold, dev):
    """No question text (case- and punctuation-insensitive) or id appears in both gold and dev."""

    def norm(text: str) -> str:
        return " ".join(re.sub(r"[^\w]+", " ", text.casefold().replace("ё", "е")).split())

    shared = {norm(r["question"]) for r in gold} & {norm(r["question"]) for r in dev}
    assert not shared, shared
    assert not {r["id"] for r in gold} & {r["id"] for r in dev}
