"""Checks of the staged regional-language documents (eval/region/corpus) and their gold questions."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from app.text.language import detect_language

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "corpus"
REGION = ROOT / "eval" / "region" / "corpus"
REGION_GOLD = ROOT / "eval" / "region" / "gold.jsonl"
SEED_GOLD = ROOT / "eval" / "gold.jsonl"

# The language each staged document is written in; the detector must agree, or its pair is mislabelled.
DOC_LANGS = {
    "005_269af1b9bc3da94b.txt": "kk",
    "006_c565c6ec0c4c4362.txt": "kk",
    "007_7bb8f233d8aa03b8.txt": "kk",
    "008_506a8559ef008a4d.txt": "ky",
    "009_8f4caef7ca4dc0ef.txt": "uz",
}
SEED_LANGS = {"ru", "en"}
LANGS = {"ru", "en", "kk", "ky", "uz"}
TYPES = {"who", "what", "when", "where", "how_many", "why", "which", "how"}
FIELDS = {"id": str, "question": str, "lang": str, "answers": list, "type": str}
CYRILLIC_LANGS = {"ru", "kk", "ky"}

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
# Letters only Kazakh (ә, і, ұ, һ, ғ, қ), Kyrgyz (ң, ө, ү without the Kazakh ones) and Uzbek Latin (oʻ, gʻ) write.
_KAZAKH = re.compile(r"[әіұһғқӘІҰҺҒҚ]")
_KYRGYZ = re.compile(r"[ңөүҢӨҮ]")
_UZBEK = re.compile(r"[oOgG]ʻ")


def cyrillic(text: str) -> bool:
    return len(_CYRILLIC.findall(text)) > len(_LATIN.findall(text))


def load(path: Path) -> list[dict]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                pytest.fail(f"{path.name}:{number}: invalid JSON: {exc}")
    return records


@pytest.fixture(scope="module")
def region_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(REGION.glob("*.txt"))}


@pytest.fixture(scope="module")
def texts(region_texts) -> dict[str, str]:
    """Seed and staged documents by doc_id: the corpus the regional gold questions are asked over."""
    seed = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEED.glob("*.txt"))}
    assert not set(seed) & set(region_texts), "a staged document would replace a seed one"
    return seed | region_texts


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return load(REGION_GOLD)


def doc_lang(doc_id: str) -> str:
    """The language of a cited document: the staged ones from DOC_LANGS, the seed ones by script."""
    if doc_id in DOC_LANGS:
        return DOC_LANGS[doc_id]
    return "ru" if cyrillic((SEED / doc_id).read_text(encoding="utf-8")) else "en"


def test_staged_documents_are_the_expected_ones(region_texts):
    """Exactly the five staged documents exist, each a news text with a title line and 200 to 600 words."""
    assert set(region_texts) == set(DOC_LANGS)
    for doc_id, text in region_texts.items():
        title, _, body = text.partition("\n")
        assert title.strip() and len(title) < 200, doc_id
        assert 200 <= len(body.split()) <= 600, (doc_id, len(body.split()))


def test_staged_documents_are_written_in_their_language(region_texts):
    """Kazakh and Kyrgyz documents are Cyrillic with their own letters; the Uzbek one Latin with oʻ and gʻ."""
    kazakh_letters: set[str] = set()
    for doc_id, text in region_texts.items():
        lang = DOC_LANGS[doc_id]
        if lang == "kk":
            kazakh_letters |= set(text.lower())
            assert cyrillic(text) and len(set(_KAZAKH.findall(text.lower()))) >= 5, doc_id
        elif lang == "ky":
            assert cyrillic(text) and _KYRGYZ.search(text) and not _KAZAKH.search(text), doc_id
        else:
            assert not cyrillic(text) and {"oʻ", "gʻ"} <= {m.lower() for m in _UZBEK.findall(text)}, doc_id
    # All nine letters Kazakh adds to the Russian alphabet occur (һ is rare: in loans such as жиһаз).
    assert set("әғқңөұүһі") <= kazakh_letters, set("әғқңөұүһі") - kazakh_letters


def test_staged_documents_detected_as_their_language(region_texts):
    """The service's language detector labels every staged document with the language it is written in."""
    detected = {doc_id: detect_language(text) for doc_id, text in region_texts.items()}
    assert detected == DOC_LANGS


def test_records_are_well_formed(gold, texts):
    """Every record has the fields of eval/gold.jsonl, a known document, language and type, distinct answers."""
    assert gold
    for rec in gold:
        for name, kind in FIELDS.items():
            assert isinstance(rec.get(name), kind), f"{rec.get('id')}: {name}"
        assert "doc_id" in rec, rec["id"]
        assert rec["doc_id"] is None or rec["doc_id"] in texts, f"{rec['id']}: unknown doc_id {rec['doc_id']!r}"
        assert re.fullmatch(r"g\d{3}", rec["id"]), rec["id"]
        assert rec["lang"] in LANGS, rec["id"]
        assert rec["type"] in TYPES, rec["id"]
        assert (rec["doc_id"] is None) == (rec["answers"] == []), rec["id"]
        assert all(a.strip() for a in rec["answers"]), rec["id"]
        assert len(set(rec["answers"])) == len(rec["answers"]), rec["id"]


def test_answers_occur_verbatim_in_cited_document(gold, texts):
    """Each answer is an exact, case-sensitive substring of the document it cites."""
    for rec in gold:
        for answer in rec["answers"]:
            assert answer in texts.get(rec["doc_id"] or "", ""), f"{rec['id']}: {answer!r} not in {rec['doc_id']}"


def test_questions_are_written_in_their_language(gold):
    """A question's script fits its lang; Kazakh ones mostly use Kazakh letters, Uzbek ones oʻ or gʻ."""
    for rec in gold:
        q, lang = rec["question"], rec["lang"]
        assert cyrillic(q) == (lang in CYRILLIC_LANGS), f"{rec['id']}: {q!r}"
        if lang == "ky":
            assert not _KAZAKH.search(q), rec["id"]
    kazakh = [r for r in gold if r["lang"] == "kk"]
    assert sum(bool(_KAZAKH.search(r["question"])) for r in kazakh) >= 0.9 * len(kazakh)
    uzbek = [r for r in gold if r["lang"] == "uz"]
    assert sum(bool(_UZBEK.search(r["question"])) for r in uzbek) >= len(uzbek) - 1


def test_ids_and_questions_new_and_unique(gold):
    """Ids and questions are unique and none is already in eval/gold.jsonl, so the two files concatenate."""
    seed = load(SEED_GOLD)
    ids = Counter(r["id"] for r in gold)
    assert max(ids.values()) == 1, ids.most_common(3)
    assert not set(ids) & {r["id"] for r in seed}
    questions = Counter(r["question"].strip().casefold() for r in gold)
    assert max(questions.values()) == 1, questions.most_common(3)
    assert not set(questions) & {r["question"].strip().casefold() for r in seed}


def test_language_pairs_covered(gold):
    """The question→document pairs the regional set is for each have enough questions."""
    pairs = Counter(f"{r['lang']}→{doc_lang(r['doc_id'])}" for r in gold if r["doc_id"])
    assert pairs["kk→kk"] >= 18, pairs
    assert pairs["kk→ru"] + pairs["kk→en"] >= 5 and pairs["kk→ru"] and pairs["kk→en"], pairs
    assert pairs["ru→kk"] >= 5 and pairs["en→kk"] >= 5, pairs
    assert pairs["ky→ky"] >= 3 and pairs["uz→uz"] >= 3, pairs
    unanswerable = [r for r in gold if r["doc_id"] is None]
    assert len(unanswerable) >= 4 and {"kk", "ky", "uz"} <= {r["lang"] for r in unanswerable}


def test_every_staged_document_is_asked_about(gold):
    """Each staged document is the source of at least three questions; each seed one of a Kazakh question."""
    per_doc = Counter(r["doc_id"] for r in gold if r["doc_id"])
    assert all(per_doc[d] >= 3 for d in DOC_LANGS), per_doc
    seed_cited = {r["doc_id"] for r in gold if r["doc_id"] and r["lang"] == "kk" and r["doc_id"] not in DOC_LANGS}
    assert seed_cited == {p.name for p in SEED.glob("*.txt")}, seed_cited
    assert {doc_lang(d) for d in seed_cited} == SEED_LANGS


def test_eval_over_two_corpus_folders_indexes_both(tmp_path):
    """`eval --corpus corpus --corpus eval/region/corpus` evaluates over the seed and the regional documents together
    (a folder is one corpus to a sync, so the second must not drop the first); one id in both folders is refused."""
    from app.cli.common import temporary_pipeline

    pipeline = temporary_pipeline([SEED, REGION], None, None)
    expected = {p.name for p in SEED.glob("*.txt")} | set(DOC_LANGS)
    assert set(pipeline.catalog().documents) == expected and len(expected) == 10

    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "005_269af1b9bc3da94b.txt").write_text("Another text under the same id.", encoding="utf-8")
    with pytest.raises(ValueError, match="005_269af1b9bc3da94b.txt"):
        temporary_pipeline([REGION, clash], None, None)
