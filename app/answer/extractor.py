"""Extractive answers: the best sentence of the top passages and a typed short span inside it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from app.answer.confidence import Calibrator, Signals, cross_language
from app.answer.fusion import blend
from app.answer.premise import anchors, unmet
from app.answer.span import best_span
from app.index.snapshot import Snapshot
from app.models import Answer, Passage, Query
from app.text.question import AnswerType
from app.text.terms import terms

# Weights chosen on eval/dev.jsonl for answer-sentence containment: counting overlap across languages with a
# weak passage term did much worse on cross-language questions, same-language ones were unchanged. Word overlap
# (≈0.5 of the cosine) keeps sentence choice from drifting to merely topical sentences; only its gap within a
# language counts (OVERLAP_ABSOLUTE = 0), since an English question overlaps every English sentence a little and
# a Russian answer not at all.
OVERLAP_WEIGHT = 0.5
OVERLAP_ABSOLUTE = 0.0
# The passage's fused score: the retriever already weighed the whole passage fairly across languages.
PASSAGE_WEIGHT = 2.0
TYPED_BONUS = 0.1


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a retrieved passage with its score against the question and the parts of that score."""

    score: float
    row: int  # sentence row in the snapshot
    passage: Passage  # the (best) retrieved passage holding it
    cosine: float
    overlap: float


def rank_sentences(snap: Snapshot, query: Query, passages: list[Passage]) -> list[ScoredSentence]:
    """Every sentence of ``passages`` (once, though overlapping chunks share some), best first: cosine to the
    question + word overlap within the question's language + the passage's fused score."""
    weights = {g: min(snap.lexical.idf(t) for t in g) for g in query.terms}
    total = sum(weights.values()) or 1.0
    rows: list[int] = []
    owners: list[Passage] = []
    seen: set[int] = set()
    for passage in passages:
        _, _, _, first, last = snap.chunks[passage.chunk_id]
        fresh = [r for r in range(int(first), int(last)) if r not in seen]
        seen.update(fresh)
        rows += fresh
        owners += [passage] * len(fresh)
    if not rows:
        return []
    cosines = snap.projection.cosines(snap.sentence_vectors[rows], query.vector)
    # Once per sentence, not per term; analysed in its document's language, as the index was.
    sentence_terms = [set(terms(snap.sentence_text(r), o.lang)) for r, o in zip(rows, owners)]
    overlaps = np.array(
        [sum(w for g, w in weights.items() if not words.isdisjoint(g)) / total for words in sentence_terms]
    )
    langs = np.array([o.lang for o in owners], dtype=object)
    # Word overlap, like BM25, only exists within the question's language: it ranks sentences of a
    # language against each other, and mostly stays out of the comparison across languages.
    fair_overlap = blend(np.zeros_like(overlaps), overlaps, langs, 0.0, OVERLAP_ABSOLUTE)
    scores = cosines + OVERLAP_WEIGHT * fair_overlap + PASSAGE_WEIGHT * np.array([o.score for o in owners])
    order = np.argsort(-scores, kind="stable")
    return [ScoredSentence(float(scores[i]), rows[i], owners[i], float(cosines[i]), float(overlaps[i])) for i in order]


class Extractor(Protocol):
    """Turns the retrieved passages into ranked answers (sentence scoring, or the neural reader)."""

    calibrator: Calibrator

    def extract(
        self,
        snap: Snapshot,
        query: Query,
        passages: list[Passage],
        stages: dict[str, float] | None = None,
        trace: dict | None = None,
    ) -> list[Answer]:
        """Ranked answers; ``stages`` gets milliseconds per sub-stage and ``trace`` the sentences read."""
        ...


def trace_sentences(snap: Snapshot, ranked: list[ScoredSentence], limit: int = 8) -> list[dict]:
    """The best-ranked sentences as an explanation lists them."""
    return [
        {
            "doc_id": s.passage.doc_id,
            "chunk_id": s.passage.chunk_id,
            "sentence": snap.sentence_text(s.row),
            "score": round(s.score, 4),
            "cosine": round(s.cosine, 4),
            "overlap": round(s.overlap, 4),
        }
        for s in ranked[:limit]
    ]


class AnswerExtractor:
    """Scores every sentence of the top passages against the question and picks typed spans."""

    def __init__(self, calibrator: Calibrator):
        self.calibrator = calibrator

    def extract(
        self,
        snap: Snapshot,
        query: Query,
        passages: list[Passage],
        stages: dict[str, float] | None = None,
        trace: dict | None = None,
    ) -> list[Answer]:
        """Best sentence of each of ``passages``, ranked; the first ``query.top_k``, each with a span and a
        calibrated confidence."""
        best: dict[int, ScoredSentence] = {}  # chunk id -> its best sentence (the ranking is best first)
        ranking = rank_sentences(snap, query, passages)
        if trace is not None:
            trace["sentences"] = trace_sentences(snap, ranking)
        for sentence in ranking:
            best.setdefault(sentence.passage.chunk_id, sentence)
        ranked = []
        asked = anchors(query.text, query.lang)
        for s in list(best.values())[: query.top_k]:
            answer, typed = self._answer(snap, query, s.row, s.passage, s.cosine, s.overlap)
            missing = unmet(asked, snap.documents[answer.doc_id].text)
            if missing:  # the passage does not hold the question's premise (premise.py): no answer from it
                answer = replace(answer, confidence=0.0)
            at = ranking.index(s)
            if trace is not None and at < len(trace["sentences"]):
                trace["sentences"][at]["unmet"] = [a.surface for a in missing]  # empty: checked, and it holds
            # For a typed question, a sentence holding an entity of that type beats one that does not.
            ranked.append((s.score + (TYPED_BONUS if typed and query.kind is not AnswerType.OTHER else 0.0), answer))
        ranked.sort(key=lambda item: -item[0])
        return [answer for _, answer in ranked]

    def _answer(
        self,
        snap: Snapshot,
        query: Query,
        row: int,
        passage: Passage,
        cosine: float,
        overlap: float,
    ) -> tuple[Answer, bool]:
        doc = snap.documents[passage.doc_id]
        _, s_start, s_end = (int(x) for x in snap.sentences[row])
        sentence = doc.text[s_start:s_end]
        span = (
            best_span(sentence, query.kind, query.term_set, snap.sentence_entities(row))
            if query.kind is not AnswerType.OTHER
            else None
        )
        start, end = (s_start + span[0], s_start + span[1]) if span else (s_start, s_end)
        signals = Signals(
            cosine=cosine,
            overlap=overlap,
            passage=passage.score,
            lexical=passage.lexical,
            # Satisfied when the question wants no particular type, or a span of that type was found.
            typed=1.0 if span or query.kind is AnswerType.OTHER else 0.0,
            # Word evidence is expected to be missing across languages (bar names): the model learns
            # a separate baseline for cross-language answers instead of reading that as doubt.
            cross=cross_language(doc.lang, query.lang),
        )
        answer = Answer(
            text=doc.text[start:end],
            sentence=sentence,
            confidence=round(self.calibrator(signals), 4),
            doc_id=doc.doc_id,
            title=doc.title,
            lang=doc.lang,
            start=start,
            end=end,
            sentence_start=s_start,
            sentence_end=s_end,
            chunk_id=passage.chunk_id,
            signals=tuple(signals.vector()),
        )
        return answer, span is not None
