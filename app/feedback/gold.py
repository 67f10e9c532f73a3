"""Feedback rows → gold questions (the JSONL format of ``eval/gold.jsonl``) and agreement by language pair.

Exported: a confirmed answer (verdict "up" on a shown answer) with that answer, and a correction (the user's "the
answer is ...") wherever it occurs verbatim in the documents, the shown answer's document first. The newest
exportable verdict on a question decides its document; older ones on the same document add their answers.

Only rows given with an API key are exported unless anonymous ones are asked for: anyone may post feedback while
reads are open, and planted verdicts must not become gold data (nor outvote a keyed verdict on the same question).
Each record names who gave it in ``given_by``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.feedback.store import FeedbackRow
from app.models import Document

# Why a row gave no gold question, as the export reports it.
NO_TEXT = "no stored question text (RAG_FEEDBACK_STORE_TEXT=false)"
DOWN_ONLY = "down without a correction"
UP_ON_NOT_FOUND = "up on a 'not found' answer"
CHANGED = "the answer's document was changed or removed"
NOT_IN_DOCUMENTS = "correction not found in any document"
SUPERSEDED = "a newer verdict on the same question names another document"
ANONYMOUS = "given without a key, or before givers were recorded (--include-anonymous exports it)"
LEGACY = "unknown"  # given_by of rows stored before givers were recorded


@dataclass
class Export:
    """Gold records ready to be written one per line, and how many rows were skipped for each reason."""

    records: list[dict]
    rows_used: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def _question_key(question: str) -> str:
    return " ".join(question.casefold().split())


def find_verbatim(text: str, wanted: str) -> str | None:
    """``wanted`` as it is written in ``text``: case and runs of whitespace may differ; None when absent."""
    words = wanted.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(word) for word in words), text, re.IGNORECASE)
    return match.group(0) if match else None


def _gold_answer(row: FeedbackRow, documents: dict[str, Document]) -> tuple[str, str] | str:
    """(doc_id, answer) the row confirms or corrects, else the reason it cannot be exported."""
    if row.question is None:
        return NO_TEXT
    if row.correction:
        shown = row.answer.doc_id if row.answer else None
        # The shown document first: a short correction ("5 April") may occur in several documents.
        ordered = ([documents[shown]] if shown in documents else []) + [
            d for d in documents.values() if d.doc_id != shown
        ]
        for doc in ordered:
            found = find_verbatim(doc.text, row.correction)
            if found is not None:
                return doc.doc_id, found
        return NOT_IN_DOCUMENTS
    if row.verdict == "down":
        return DOWN_ONLY
    if row.answer is None:
        return UP_ON_NOT_FOUND
    shown_doc = documents.get(row.answer.doc_id)
    if shown_doc is None or shown_doc.text[row.answer.start : row.answer.end] != row.answer.text:
        return CHANGED
    return shown_doc.doc_id, row.answer.text


def gold_records(
    rows: Iterable[FeedbackRow], documents: dict[str, Document], include_anonymous: bool = False
) -> Export:
    """One gold record per question (fields id, question, lang, doc_id, answers, given_by), oldest question first;
    rows given without a key only with ``include_anonymous``."""
    export = Export(records=[])
    by_question: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r.id, reverse=True):  # newest first: it decides the document
        if not (row.keyed or include_anonymous):
            export.skipped[ANONYMOUS] += 1
            continue
        outcome = _gold_answer(row, documents)
        if isinstance(outcome, str):
            export.skipped[outcome] += 1
            continue
        doc_id, answer = outcome
        assert row.question is not None  # rows without question text were skipped above
        key = _question_key(row.question)
        record = by_question.get(key)
        if record is None:
            record = {
                "id": f"fb{row.id}",
                "question": row.question,
                "lang": row.lang,
                "doc_id": doc_id,
                "answers": [],
                "given_by": [],
            }
            by_question[key] = record
        elif record["doc_id"] != doc_id:
            export.skipped[SUPERSEDED] += 1
            continue
        if answer not in record["answers"]:
            record["answers"].append(answer)
        giver = row.given_by or LEGACY
        if giver not in record["given_by"]:
            record["given_by"].append(giver)
        export.rows_used += 1
    export.records = sorted(by_question.values(), key=lambda r: int(r["id"][2:]))
    return export


@dataclass(frozen=True)
class PairStats:
    """Verdicts of one language pair."""

    rows: int
    up: int
    down: int
    corrections: int

    @property
    def agreement(self) -> float:
        """Share of "up" verdicts."""
        return self.up / self.rows if self.rows else 0.0


def pair_stats(rows: Iterable[FeedbackRow], doc_langs: dict[str, str]) -> dict[str, PairStats]:
    """Counts and agreement by "question language→document language", plus "all".

    The document language is the index's; "none" for a "not found" answer, "?" for a document no longer indexed.
    """
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        if row.answer is None:
            doc_lang = "none"
        else:
            doc_lang = doc_langs.get(row.answer.doc_id, "?")
        for pair in ("all", f"{row.lang}→{doc_lang}"):
            counter = counts.setdefault(pair, Counter())
            counter["rows"] += 1
            counter[row.verdict] += 1
            counter["corrections"] += bool(row.correction)
    ordered = ["all"] + sorted(p for p in counts if p != "all") if counts else []
    return {
        pair: PairStats(counts[pair]["rows"], counts[pair]["up"], counts[pair]["down"], counts[pair]["corrections"])
        for pair in ordered
    }
