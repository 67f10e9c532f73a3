"""The read side: question → answer.

A question is analysed once (language, terms, answer kind, filters, a follow-up resolved against the
conversation), embedded in the index's language-neutral space (``prepare``, for /ask, /search and the
explanation alike), then retrieved (dense + BM25, fused), read (sentences, then a typed span) and, below the
confidence threshold, abstained from.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from app.answer.confidence import READER_SUFFIX, Calibrator
from app.answer.conversation import resolve
from app.answer.explanation import explanation
from app.answer.extractor import AnswerExtractor, Extractor
from app.answer.neural_extractor import NeuralExtractor
from app.answer.retriever import HybridRetriever
from app.encoders import Encoder
from app.encoders.inference import InferenceQueue
from app.index.snapshot import Snapshot
from app.index.storage import Space, Storage, UnknownDocument
from app.models import Answer, AskResult, Filters, Passage, Query, Turn
from app.neural import SHIPPED_WEIGHTS
from app.settings import Settings
from app.text.language import question_language


def analyse(
    text: str,
    top_k: int = 5,
    lang: str | None = None,
    doc_ids: Sequence[str] | None = None,
    filters: Filters | None = None,
    history: Sequence[Turn] = (),
) -> Query:
    """The question analysed once, without its vector: every later stage reads this ``Query``.

    A follow-up (a pronoun, no subject) is resolved against ``history``; ``doc_ids`` joins ``filters``.
    """
    filters = filters or Filters()
    if doc_ids is not None:
        filters = replace(filters, doc_ids=tuple(doc_ids))
    resolved = resolve(text, history)
    return Query(
        text=text,
        lang=lang or question_language(text),
        vector=np.zeros(0, dtype=np.float32),
        terms=resolved.terms,
        kind=resolved.kind,
        top_k=top_k,
        filters=filters,
        context=resolved.context,
        resolved=resolved.text if resolved.context else None,
    )


class Answerer:
    """Answers questions from ``store`` with the encoder and the models' thread the caller owns."""

    def __init__(
        self,
        settings: Settings,
        store: Storage,
        encoder: Callable[[], Encoder],
        inference: InferenceQueue,
        models_lock: threading.RLock,
    ):
        self.settings = settings
        self.store = store
        self._encoder = encoder
        self.inference = inference
        self._models_lock = models_lock  # shared with the encoder's creation: the extractor reads its spec
        self.retriever = HybridRetriever(
            settings.candidates, settings.dense_weight, settings.lexical_absolute, settings.context_bonus
        )
        self._extractor: Extractor | None = None

    # -- the models -----------------------------------------------------------------------------
    @property
    def extractor(self) -> Extractor:
        """The answer extractor the ``reader`` setting names; the neural reader is loaded on the inference thread."""
        if self._extractor is None:
            with self._models_lock:
                if self._extractor is None:
                    self._extractor = self._make_extractor()
        return self._extractor

    @property
    def calibration_key(self) -> str:
        """The entry of calibration.json the confidence model is read from: per encoder, and per reader."""
        spec = self._encoder().spec
        return spec + READER_SUFFIX if self.settings.reader == "neural" else spec

    def _make_extractor(self) -> Extractor:
        if self.settings.reader == "heuristic":
            return AnswerExtractor(Calibrator.for_encoder(self.calibration_key))
        from app.neural.reader import NeuralReader, Parts, choose_runtime

        weights = self.settings.reader_weights or SHIPPED_WEIGHTS
        if not Path(weights).is_file():
            raise FileNotFoundError(f"span reader weights not found at {weights} (RAG_READER_WEIGHTS)")
        s = self.settings
        runtime = choose_runtime(s.reader_runtime)
        reader = self.inference.call(
            NeuralReader.shared, weights, s.reader_threads_for(runtime), 48, s.reader_precision, runtime
        )

        def read(question: str, contexts: list[str], end_slack: float = 0.0, parts: Parts | None = None) -> list:
            return self.inference.read(reader.read_many, (question, contexts, end_slack, parts))

        return NeuralExtractor(
            Calibrator.for_encoder(self.calibration_key), read, s.reader_sentences, s.reader_window, s.reader_stop_at
        )

    @property
    def reader_path(self) -> str:
        """What reads the answers: ``heuristic``, or the span reader's runtime and precision (``openvino-bf16``);
        told without loading the reader."""
        if self.settings.reader == "heuristic":
            return "heuristic"
        from app.neural.precision import use_bf16
        from app.neural.reader import choose_runtime, inference_path

        return inference_path(choose_runtime(self.settings.reader_runtime), use_bf16(self.settings.reader_precision))

    @property
    def min_confidence(self) -> float:
        """The abstention threshold: the setting, else the one calibrated for this encoder."""
        if self.settings.min_confidence is not None:
            return self.settings.min_confidence
        return self.extractor.calibrator.threshold

    # -- the question ---------------------------------------------------------------------------
    def prepare(self, query: Query) -> Space | None:
        """What ``query`` is read against, after checking the documents its filters name; None without an index.

        Raises ``IndexMismatch`` for another encoder's index and ``UnknownDocument`` for filters naming documents
        the index does not hold.
        """
        space = self.store.space(self._encoder)
        if space is None:
            return None
        named = query.filters.doc_ids or ()
        if named:
            known = space.documents()
            missing = [d for d in named if d not in known]
            if missing:
                raise UnknownDocument(", ".join(missing))
        return space

    def embedded(self, space: Space, query: Query) -> Query:
        """``query`` with its vector, in the index's language-neutral space where every stored vector is compared."""
        return replace(query, vector=space.projection.apply(self._encoder().query(query.reading)))

    def query(self, query: Query, embed: bool = True) -> tuple[Snapshot | None, Query]:
        """The snapshot to read and ``query`` with its vector; without ``embed`` the vector is left empty and the
        snapshot is the whole index held in memory (None where the store reads per question)."""
        space = self.prepare(query)
        if space is None:
            return None, query
        if not embed:
            return space.whole, query
        query = self.embedded(space, query)
        return space.reader(query), query

    def search(self, query: Query) -> list[Passage]:
        """The best passages for ``query`` among the documents its filters admit."""
        snap, query = self.query(query)
        if snap is None:
            return []
        return self.retriever.retrieve(snap, query, query.top_k)

    def ask(self, query: Query, min_confidence: float | None = None, explain: bool = False) -> AskResult:
        """An extractive answer with citations, or ``answer=None`` when confidence is below ``min_confidence``
        (default: the configured or calibrated threshold). The closest passages are returned either way.

        ``explain`` adds what each stage found and a verdict (``AskResult.explanation``).
        """
        started = time.perf_counter()
        stages: dict[str, float] = {}
        trace: dict | None = {} if explain else None
        space = self.prepare(query)
        if space is None or not query.terms:
            # No index, or a question with no content words ("???", "What is it?"): nothing to match.
            return self._unanswered(query, started, min_confidence, trace)
        threshold = self.min_confidence if min_confidence is None else min_confidence
        at = time.perf_counter()
        query = self.embedded(space, query)
        stages["embed"] = _ms(at)
        at = time.perf_counter()
        snap = space.reader(query)
        if snap is None:  # emptied by another writer meanwhile
            return self._unanswered(query, started, min_confidence, trace)
        top_k = query.top_k
        # The answer is looked for in at least `answer_passages` passages, however few are shown.
        passages = self.retriever.retrieve(snap, query, max(top_k, self.settings.answer_passages), trace)
        stages["retrieve"] = _ms(at)
        at = time.perf_counter()
        candidates = self.extractor.extract(snap, query, passages, stages, trace)
        stages["extract"] = _ms(at)
        # Abstain unless the best answer clears the threshold; weaker alternatives are dropped too.
        answers = [a for a in candidates if a.confidence >= threshold] if candidates else []
        if candidates and candidates[0].confidence < threshold:
            answers = []
        result = AskResult(
            question=query.text,
            lang=query.lang,
            answer=answers[0] if answers else None,
            answers=answers,
            passages=read_first(passages, candidates)[:top_k],
            took_ms=_ms(started),
            stages=stages,
            follow_up=query.context is not None,
        )
        if explain:
            assert trace is not None
            result.explanation = explanation(snap, query, passages, candidates, threshold, trace)
        return result

    def _unanswered(self, query: Query, started: float, min_confidence: float | None, trace: dict | None) -> AskResult:
        result = AskResult(query.text, query.lang, None, [], [], _ms(started))
        if trace is not None:
            # The configured threshold only: loading the reader for its calibration would explain nothing.
            threshold = self.settings.min_confidence if min_confidence is None else min_confidence
            result.explanation = explanation(None, query, [], [], threshold or 0.0, trace)
        return result


def read_first(passages: list[Passage], candidates: Sequence[Answer]) -> list[Passage]:
    """``passages`` with those the reader found an answer in first, by their best answer's confidence, the rest
    after them in retrieval order.

    The confidence weighs the reader's evidence with the retrieval's (as BERTserini combines the two): a passage
    the reader answers from is the better source even when retrieval ranked it lower, which is most often so for a
    question in another language than its document. Candidates below the threshold count too: even an abstention
    lists first the passages that came closest to answering.
    """
    best: dict[int, float] = {}
    for answer in candidates:
        best[answer.chunk_id] = max(best.get(answer.chunk_id, answer.confidence), answer.confidence)
    ranked = sorted(enumerate(passages), key=lambda ip: (-best.get(ip[1].chunk_id, -1.0), ip[0]))
    return [p for _, p in ranked]


def _ms(since: float) -> float:
    """Milliseconds from ``since`` (a ``perf_counter`` reading) to now, rounded for reports."""
    return round((time.perf_counter() - since) * 1000, 2)
