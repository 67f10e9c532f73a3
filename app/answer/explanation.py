"""Why this answer (or none): what each stage found, the confidence inputs, the threshold and a verdict that
names the stage to look at."""

from __future__ import annotations

from dataclasses import asdict

from app.answer.confidence import FEATURES, READER_FEATURES
from app.answer.wording import verdict_message
from app.index.snapshot import Snapshot
from app.models import Answer, Passage, Query

# A passage "shares a word" with the question when its normalised BM25 reaches this (one of several terms).
WORD_MATCH = 0.05
# Sentences whose idf-weighted share of the question's terms reaches this hold the question's words: an
# abstention then points at reading (the sentence was read and scored low), not at retrieval.
READ_OVERLAP = 0.5


def _passage(snap: Snapshot, chunk_id: int, score: float) -> dict:
    doc = snap.document_of_chunk(chunk_id)
    return {"doc_id": doc.doc_id, "chunk_id": chunk_id, "score": round(score, 4)}


def _inputs(answer: Answer) -> dict[str, float]:
    names = READER_FEATURES if len(answer.signals) == len(READER_FEATURES) else FEATURES
    return {name: round(value, 4) for name, value in zip(names, answer.signals)}


def verdict(
    snap: Snapshot | None,
    query: Query,
    passages: list[Passage],
    candidates: list[Answer],
    threshold: float,
    unmet: list[str] | None = None,
) -> tuple[str, str | None]:
    """One line saying what happened, and the stage to look at (None when answered). ``unmet``: what the question
    names that the passages read do not (``premise.py``)."""
    if not query.terms:
        return "the question has no content words to search for", "question"
    if snap is None or len(snap.chunks) == 0:
        return "no index: no document has been ingested yet", "index"
    if not passages:
        if query.filters.active:
            return "no document passes the filters", "filters"
        return "no passage was retrieved", "retrieval"
    if not candidates:
        return "no sentence of the retrieved passages could be read", "reading"
    best = candidates[0]
    if best.confidence >= threshold:
        return f"answered: confidence {best.confidence:.2f} ≥ threshold {threshold:.2f}", None
    gap = f"best confidence {best.confidence:.2f} < threshold {threshold:.2f}"
    if unmet:
        return f"abstained: the passages read do not mention {', '.join(unmet)} ({gap})", "premise"
    same_language = [p for p in passages if p.lang == query.lang]
    shares_words = any(p.lexical >= WORD_MATCH for p in same_language)
    if same_language and not shares_words and len(same_language) == len(passages):
        return f"abstained: no passage shares a word with the question ({gap})", "retrieval"
    inputs = _inputs(best)
    if inputs.get("overlap", 0.0) >= READ_OVERLAP or shares_words:
        return f"abstained: {gap}; the question's words were found and the sentences read scored low", "reading"
    return f"abstained: {gap}; the passages found are only loosely related", "retrieval"


def unmet_everywhere(sentences: list[dict]) -> list[str]:
    """What the question names that no sentence checked for it holds (each sentence's ``unmet``, recorded by the
    extractors), in the order first seen. Something one document read does name is not the reason for silence,
    even if others lack it: then its sentences were read and scored low, and the verdict says that instead."""
    checked = [s["unmet"] for s in sentences if "unmet" in s]
    if not checked:
        return []
    return [name for name in dict.fromkeys(checked[0]) if all(name in names for names in checked[1:])]


def explanation(
    snap: Snapshot | None,
    query: Query,
    passages: list[Passage],
    candidates: list[Answer],
    threshold: float,
    trace: dict,
) -> dict:
    """Everything ``"explain": true`` returns, as plain JSON-ready data."""
    unmet = unmet_everywhere(trace.get("sentences", []))
    line, stage = verdict(snap, query, passages, candidates, threshold, unmet)
    best = max((a.confidence for a in candidates), default=0.0)
    out: dict = {
        "verdict": line,
        # The verdict for a person, in the question's language (see wording.py).
        "message": verdict_message(query.lang, stage, best, threshold, ", ".join(unmet)),
        "stage": stage,
        "threshold": round(threshold, 4),
        "question": {
            "text": query.text,
            "lang": query.lang,
            "kind": query.kind.value,
            "terms": [list(g) for g in query.terms],
            "follow_up": query.context is not None,
            "read_as": query.reading,
            "preferred_documents": list(query.context.doc_ids) if query.context else [],
            "filters": {k: v for k, v in asdict(query.filters).items() if v is not None},
        },
        "retrieval": {"dense": [], "lexical": [], "fused": []},
        # Where only some documents name the question's premise, the reader read theirs first (neural reader).
        "reading": {"sentences": trace.get("sentences", []), "premise_documents": trace.get("premise_documents", [])},
        "answers": [
            {
                "text": a.text,
                "doc_id": a.doc_id,
                "confidence": a.confidence,
                "inputs": _inputs(a),
            }
            for a in candidates[:5]
        ],
    }
    if snap is not None:
        out["retrieval"] = {
            "candidates": trace.get("candidates", 0),
            "dense": [_passage(snap, i, c) for i, c in trace.get("dense", [])],
            "lexical": [_passage(snap, i, c) for i, c in trace.get("lexical", [])],
            "fused": [
                {
                    "doc_id": p.doc_id,
                    "chunk_id": p.chunk_id,
                    "score": p.score,
                    "dense": round(p.dense, 4),
                    "lexical": round(p.lexical, 4),
                }
                for p in passages
            ],
        }
    return out
