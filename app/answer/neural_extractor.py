"""Extractive answers read by the trained span reader (``app.neural``) from the best sentences of the top passages.

The sentences are ranked as for the heuristic extractor (cosine + word overlap + passage score); the reader then
reads the question against the first few of them, in any language, and marks the span that answers. Reading
sentences rather than whole passages keeps the reader's input to a few dozen tokens per candidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from app.answer.confidence import Calibrator, ReaderSignals, cross_language
from app.answer.extractor import ScoredSentence, rank_sentences, trace_sentences
from app.answer.premise import Anchor, anchors, unmet
from app.index.snapshot import Snapshot
from app.models import Answer, Document, Passage, Query
from app.neural.decode import null_threshold
from app.neural.reader import Parts, Span  # plain records: torch is imported only when a reader is loaded
from app.text.question import AnswerType

# (question, contexts, end slack, parts) -> the best span per part: see NeuralReader.read
Read = Callable[[str, list[str], float, Parts], list[Span]]
# A text the reader reads: (document, first, last character, [(ranked sentence, its own context)], best first)
Group = tuple[Document, int, int, list[tuple[int, tuple[int, int]]]]

# How far below the best end logit a later end may be and still close the answer, for questions that ask for an
# explanation or a description (answer kind OTHER); dates, numbers and names keep the reader's own end. Chosen on
# eval/dev.jsonl (the OTHER questions' span F1: 0.328 at 0, 0.340 at 0.5, 0.324 at 1, 0.294 at 2; answer-sentence
# containment unchanged up to 1, lower from 2). A per-token length bonus over the whole span did far worse (F1
# 0.235 at 0.15 a token): the gold answers are short phrases, and a bonus moves the answer to other sentences.
CLAUSE_END_SLACK = 0.5


class NeuralExtractor:
    """Reads the ``sentences`` best-ranked sentences with the reader; one answer per sentence, by confidence.

    With ``window`` > 0 each is read with that many neighbouring sentences of its document on either side, so
    that "he" or "the event" can be resolved from the sentence before; the answer's ``sentence`` is then the one
    (or the run of sentences) holding the span; where two sentences' contexts overlap, their text is read once and
    each still gets the best span starting in its own context. With ``stop_at`` below 1 the best-ranked sentence
    is read first, and when its answer is at least ``stop_at`` confident the others are not read at all
    (docs/performance.md has what that saves and costs); at 1 every sentence is read in one call.
    """

    def __init__(self, calibrator: Calibrator, read: Read, sentences: int = 4, window: int = 0, stop_at: float = 1.0):
        self.calibrator = calibrator
        self.read = read
        self.sentences = sentences
        self.window = window
        self.stop_at = stop_at

    def _context(self, snap: Snapshot, row: int) -> tuple[int, int]:
        """Document offsets of sentence ``row`` and its neighbours within the same document."""
        doc_index = int(snap.sentences[row, 0])
        first, last = row, row
        for _ in range(self.window):
            if first > 0 and int(snap.sentences[first - 1, 0]) == doc_index:
                first -= 1
            if last + 1 < len(snap.sentences) and int(snap.sentences[last + 1, 0]) == doc_index:
                last += 1
        return int(snap.sentences[first, 1]), int(snap.sentences[last, 2])

    def _groups(self, snap: Snapshot, ranked: list[ScoredSentence], which: list[int]) -> list[Group]:
        """The texts one reader call reads for ranked sentences ``which``: each sentence's context, where contexts
        of one document overlap (ranked sentences within two windows of each other) merged into one, so that no
        text is read twice (a sixth fewer tokens on the development questions). In the order of their best
        sentence."""
        contexts = [
            (snap.document_of_chunk(ranked[i].passage.chunk_id), self._context(snap, ranked[i].row), i) for i in which
        ]
        groups: list[Group] = []
        for doc, (start, end), i in sorted(contexts, key=lambda c: (c[0].doc_id, c[1])):
            if groups and groups[-1][0].doc_id == doc.doc_id and start < groups[-1][2]:
                _, first, last, members = groups[-1]
                groups[-1] = (doc, first, max(last, end), sorted([*members, (i, (start, end))]))
            else:
                groups.append((doc, start, end, [(i, (start, end))]))
        return sorted(groups, key=lambda g: g[3][0][0])

    @staticmethod
    def _premised(
        snap: Snapshot, ranked: list[ScoredSentence], asked: dict[str, Anchor]
    ) -> tuple[list[ScoredSentence], list[str]]:
        """``ranked`` with the sentences of documents that hold the question's premise first, each side in its
        order, and those documents (none where the order is kept). A span read from a document that lacks the
        premise is no answer (below), so where some document holds it, reading the others' sentences spends the
        reader's few reads on answers that cannot be given: "the step-by-step rollout of which concept was on the
        Borovoe agenda?" read two English reports on other conferences before the Russian report on Borovoe.
        Where none holds it, or all do, the order is kept (and an unmet premise is refused as before)."""
        if not asked:
            return ranked, []
        holds: dict[str, bool] = {}
        for sentence in ranked:
            doc_id = sentence.passage.doc_id
            if doc_id not in holds:
                holds[doc_id] = not unmet(asked, snap.documents[doc_id].text)
        if all(holds.values()) or not any(holds.values()):
            return ranked, []
        first = sorted(ranked, key=lambda s: not holds[s.passage.doc_id])  # stable: each side keeps its order
        return first, [doc_id for doc_id, h in holds.items() if h]

    @staticmethod
    def _sentence_bounds(snap: Snapshot, doc_id: str, start: int, end: int) -> tuple[int, int]:
        """Start and end of the run of ``doc_id``'s sentences that holds characters ``start..end``."""
        table = snap.sentences[snap.sentence_rows(doc_id)]
        holding = np.flatnonzero((table[:, 1] < end) & (table[:, 2] > start))
        if len(holding) == 0:  # the span lies in the gap between two sentences (whitespace): keep the span itself
            return start, end
        return int(table[holding[0], 1]), int(table[holding[-1], 2])

    def extract(
        self,
        snap: Snapshot,
        query: Query,
        passages: list[Passage],
        stages: dict[str, float] | None = None,
        trace: dict | None = None,
    ) -> list[Answer]:
        """Answers from the best sentences of ``passages``, most confident first, at most ``query.top_k``."""
        asked = anchors(query.text, query.lang)  # the question asked now, not the earlier turns it continues
        ranked, holders = self._premised(snap, rank_sentences(snap, query, passages), asked)
        ranked = ranked[: self.sentences]
        if not ranked:
            return []
        started = time.perf_counter()
        if trace is not None:
            trace["sentences"] = trace_sentences(snap, ranked, limit=len(ranked))  # every one read
            trace["premise_documents"] = holders  # read first: they name what the question names
        slack = CLAUSE_END_SLACK if query.kind is AnswerType.OTHER else 0.0
        if self.stop_at >= 1.0 or len(ranked) == 1:  # 1: nothing stops the reading, so one model call reads all
            answers = self._read(snap, query, ranked, list(range(len(ranked))), slack, asked, trace)
        else:
            answers = self._read(snap, query, ranked, [0], slack, asked, trace)
            if not (answers and answers[0].confidence >= self.stop_at):
                answers += self._read(snap, query, ranked, list(range(1, len(ranked))), slack, asked, trace)
        if stages is not None:
            stages["read"] = round((time.perf_counter() - started) * 1000, 2)
        best: dict[tuple[str, int, int], Answer] = {}  # most confident first; a span found twice is kept once
        for answer in sorted(answers, key=lambda a: -a.confidence):  # overlapping contexts can find a span twice
            best.setdefault((answer.doc_id, answer.start, answer.end), answer)
        return list(best.values())[: query.top_k]

    def _read(
        self,
        snap: Snapshot,
        query: Query,
        ranked: list[ScoredSentence],
        which: list[int],
        slack: float,
        asked: dict[str, Anchor],
        trace: dict | None,
    ) -> list[Answer]:
        """One reader call over the contexts of ranked sentences ``which``: an answer per sentence with a span."""
        groups = self._groups(snap, ranked, which)
        # Each sentence keeps its own context as a part of its group's text: the reader reads the text once and
        # still gives every sentence the best span starting in its own context (read with the whole text around it).
        parts, owners = [], []
        for g, (_, first, _, members) in enumerate(groups):
            for i, (start, end) in members:
                parts.append((g, start - first, end - first))
                owners.append(i)
        spans = self.read(query.reading, [doc.text[a:b] for doc, a, b, _ in groups], slack, parts)
        answers = []
        for span in spans:
            holder = owners[span.context]
            doc, offset, _, _ = groups[parts[span.context][0]]
            sentence = ranked[holder]
            start, end = offset + span.start, offset + span.end  # the reader's offsets are the context's
            missing = unmet(asked, doc.text)
            if trace is not None:  # what the reader made of the sentences it read
                trace["sentences"][holder].update(
                    span=span.text,
                    span_score=round(span.score, 3),
                    null_score=round(span.null_score, 3),
                    unmet=[a.surface for a in missing],  # empty: the premise was checked and holds
                )
            s_start, s_end = self._sentence_bounds(snap, doc.doc_id, start, end)
            signals = ReaderSignals(
                cosine=sentence.cosine,
                overlap=sentence.overlap,
                passage=sentence.passage.score,
                lexical=sentence.passage.lexical,
                cross=cross_language(doc.lang, query.lang),
                span=span.score,
                # relative to the no-answer threshold of the question's and passage's languages (0 but for a
                # Kazakh question on a Kazakh passage)
                margin=span.score - span.null_score + null_threshold(doc.lang, query.lang),
            )
            answers.append(
                Answer(
                    text=span.text,
                    sentence=doc.text[s_start:s_end],
                    # A premise the passage does not hold (a number, a state or an organisation the question
                    # names) makes the span no answer, however sure the reader is (premise.py says why).
                    confidence=0.0 if missing else round(self.calibrator(signals), 4),
                    doc_id=doc.doc_id,
                    title=doc.title,
                    lang=doc.lang,
                    start=start,
                    end=end,
                    sentence_start=s_start,
                    sentence_end=s_end,
                    chunk_id=sentence.passage.chunk_id,
                    signals=tuple(signals.vector()),
                )
            )
        return sorted(answers, key=lambda a: -a.confidence)
