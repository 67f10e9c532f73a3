"""Extractive answers: the best sentence of the top passages and a typed short span inside it."""

from __future__ import annotations

import numpy as np

from app.confidence import Calibrator, Signals
from app.models import Answer, Passage
from app.question import AnswerType, answer_type
from app.snapshot import Snapshot
from app.span import best_span
from app.terms import query_terms, terms

# Weight of the question's word overlap against the sentence cosine (≈1 was best measured):
# cosine alone drifts to topical sentences as more passages are considered.
OVERLAP_WEIGHT = 1.0
# The passage's own fused score, so a sentence from a clearly better passage wins ties.
PASSAGE_WEIGHT = 0.3
TYPED_BONUS = 0.1


class AnswerExtractor:
    """Scores every sentence of the top passages against the question and picks spans."""

    def __init__(self, calibrator: Calibrator, passages: int = 5):
        self.calibrator = calibrator
        self.passages = passages

    def extract(
        self, snap: Snapshot, question: str, query_vector: np.ndarray, passages: list[Passage], top_k: int
    ) -> list[Answer]:
        """Best sentence per passage, ranked; each with a span and a calibrated confidence."""
        groups = query_terms(question)
        question_terms = {t for g in groups for t in g}
        kind = answer_type(question)
        weights = {g: min(snap.lexical.idf(t) for t in g) for g in groups}
        total = sum(weights.values()) or 1.0

        scored: list[tuple[float, int, Passage, float, float]] = []
        seen: set[int] = set()
        for passage in passages[: max(self.passages, top_k)]:
            _, _, _, first, last = snap.chunks[passage.chunk_id]
            rows = [r for r in range(int(first), int(last)) if r not in seen]
            if not rows:
                continue
            cosines = np.asarray(snap.sentence_vectors[rows]) @ query_vector
            best = None
            for row, cosine in zip(rows, cosines):
                words = set(terms(snap.sentence_text(row)))
                overlap = sum(w for g, w in weights.items() if not words.isdisjoint(g)) / total
                score = float(cosine) + OVERLAP_WEIGHT * overlap + PASSAGE_WEIGHT * passage.score
                if best is None or score > best[0]:
                    best = (score, row, passage, float(cosine), overlap)
            seen.update(rows)
            scored.append(best)
        scored.sort(key=lambda item: -item[0])

        ranked = []
        for score, row, passage, cosine, overlap in scored[:top_k]:
            answer, typed = self._answer(snap, row, passage, cosine, overlap, kind, question_terms)
            # For a typed question, a sentence holding an entity of that type beats one that does not.
            ranked.append((score + (TYPED_BONUS if typed and kind is not AnswerType.OTHER else 0.0), answer))
        ranked.sort(key=lambda item: -item[0])
        return [answer for _, answer in ranked]

    def _answer(
        self,
        snap: Snapshot,
        row: int,
        passage: Passage,
        cosine: float,
        overlap: float,
        kind: AnswerType,
        question_terms: set[str],
    ) -> tuple[Answer, bool]:
        doc = snap.documents[passage.doc_id]
        _, s_start, s_end = (int(x) for x in snap.sentences[row])
        sentence = doc.text[s_start:s_end]
        span = best_span(sentence, kind, question_terms) if kind is not AnswerType.OTHER else None
        start, end = (s_start + span[0], s_start + span[1]) if span else (s_start, s_end)
        signals = Signals(
            cosine=cosine,
            overlap=overlap,
            passage=passage.score,
            lexical=passage.lexical,
            # Satisfied when the question wants no particular type, or a span of that type was found.
            typed=1.0 if span or kind is AnswerType.OTHER else 0.0,
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
