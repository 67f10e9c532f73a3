"""Extractive answers read by the trained span reader (``app.neural``) from the best sentences of the top passages.

The sentences are ranked as for the heuristic extractor (cosine + word overlap + passage score); the reader then
reads the question against the first few of them, in any language, and marks the span that answers. Reading
sentences rather than whole passages keeps the reader's input to a few dozen tokens per candidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.answer.confidence import Calibrator, ReaderSignals
from app.answer.extractor import rank_sentences, trace_sentences
from app.index.snapshot import Snapshot
from app.models import Answer, Passage, Query
from app.neural.reader import Span  # a plain record: torch is imported only when a reader is loaded

Read = Callable[[str, list[str]], list[Span]]  # (question, contexts) -> best span per context


class NeuralExtractor:
    """Reads the ``sentences`` best-ranked sentences with the reader; one answer per sentence, by confidence."""

    def __init__(self, calibrator: Calibrator, read: Read, sentences: int = 4):
        self.calibrator = calibrator
        self.read = read
        self.sentences = sentences

    def extract(
        self,
        snap: Snapshot,
        query: Query,
        passages: list[Passage],
        stages: dict[str, float] | None = None,
        trace: dict | None = None,
    ) -> list[Answer]:
        """Answers from the best sentences of ``passages``, most confident first, at most ``query.top_k``."""
        ranked = rank_sentences(snap, query, passages)[: self.sentences]
        if not ranked:
            return []
        started = time.perf_counter()
        spans = self.read(query.reading, [snap.sentence_text(s.row) for s in ranked])
        if stages is not None:
            stages["read"] = round((time.perf_counter() - started) * 1000, 2)
        if trace is not None:
            trace["sentences"] = trace_sentences(snap, ranked)
            for span in spans:  # what the reader made of each sentence it read
                trace["sentences"][span.context].update(
                    span=span.text, span_score=round(span.score, 3), null_score=round(span.null_score, 3)
                )
        answers = []
        for span in spans:
            sentence = ranked[span.context]
            doc = snap.documents[sentence.passage.doc_id]
            _, s_start, s_end = (int(x) for x in snap.sentences[sentence.row])
            signals = ReaderSignals(
                cosine=sentence.cosine,
                overlap=sentence.overlap,
                passage=sentence.passage.score,
                lexical=sentence.passage.lexical,
                cross=1.0 if doc.lang != query.lang else 0.0,
                span=span.score,
                margin=span.score - span.null_score,
            )
            answers.append(
                Answer(
                    text=span.text,
                    sentence=doc.text[s_start:s_end],
                    confidence=round(self.calibrator(signals), 4),
                    doc_id=doc.doc_id,
                    title=doc.title,
                    lang=doc.lang,
                    start=s_start + span.start,  # the reader read the sentence: its offsets are the sentence's
                    end=s_start + span.end,
                    sentence_start=s_start,
                    sentence_end=s_end,
                    chunk_id=sentence.passage.chunk_id,
                    signals=tuple(signals.vector()),
                )
            )
        answers.sort(key=lambda a: -a.confidence)
        return answers[: query.top_k]
