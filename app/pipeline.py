"""The whole service in one place.

Write side:  read files → clean → detect language → split sentences → chunk → embed → FAISS + BM25 → persist.
Read side:   question → detect language → embed → retrieve (dense + BM25) → fuse → extract sentence and span.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import ExitStack
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
from app.encoders.queued import QueuedEncoder
from app.index.compactor import Compactor
from app.index.dense import set_threads
from app.index.factory import make_store
from app.index.projection import LanguageProjection
from app.index.snapshot import Snapshot, check_manifest
from app.index.storage import Catalog, Storage
from app.index.store import MAX_DELTAS, IndexStore, ViewSpec, catalog_of
from app.ingest.documents import corpus_files, folder_collection, make_document
from app.ingest.indexer import Indexer, Parts
from app.ingest.reader import UnreadableDocument, content_hash, read_file, read_text
from app.models import AskResult, Document, Filters, IngestReport, Passage, Query, Turn
from app.neural import SHIPPED_WEIGHTS
from app.settings import Settings
from app.text.language import question_language

log = logging.getLogger("app")
# Computes the tables and vectors of documents elsewhere (worker processes, a Ray cluster).
Embedder = Callable[[list[Document]], dict[str, Parts]]


class UnknownDocument(KeyError):
    """A doc_id that is not in the index."""


class Pipeline:
    """Holds the served snapshot; writers build a new snapshot and swap it in atomically."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None):
        self.settings = settings
        self.store: Storage = make_store(settings)
        # The embedded store compacts its deltas; Milvus compacts its own segments.
        self.local = self.store if isinstance(self.store, IndexStore) else None
        self.compactor = Compactor(self.local, settings) if self.local is not None else None
        # A server compacts on a background thread (uploads go on); the CLI and library calls compact at once.
        self.background_compaction = False
        self._compacting = threading.Event()
        # One inference thread per process: a pipeline given another's encoder shares its thread.
        if isinstance(encoder, QueuedEncoder):
            self.inference = encoder.queue
            self._encoder: QueuedEncoder | None = encoder
        else:
            self.inference = InferenceQueue(
                settings.max_queued_questions, settings.question_batch, max_wait=settings.max_wait_ms / 1000
            )
            self._encoder = QueuedEncoder(encoder, self.inference) if encoder is not None else None
        # Re-entrant: creating the extractor reads the encoder's spec, which may create the encoder.
        self._encoder_lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        # Loaded on first use, so that `ingest --rebuild` can replace an index this version cannot read.
        self._snapshot: Snapshot | None = None
        self._version: str | None = None
        self._catalog: tuple[str | None, Catalog] | None = None  # (store version, catalog)
        self.retriever = HybridRetriever(
            settings.candidates, settings.dense_weight, settings.lexical_absolute, settings.context_bonus
        )
        self._extractor: Extractor | None = None

    @classmethod
    def with_encoder_processes(cls, settings: Settings, workers: int, stack: ExitStack) -> Pipeline:
        """A pipeline that embeds with ``workers`` encoder processes (1: in this process); ``stack`` closes them."""
        if workers <= 1:
            return cls(settings)
        from app.encoders.pool import PoolEncoder

        return cls(settings, encoder=stack.enter_context(PoolEncoder(settings.encoder, workers)))

    # -- components -------------------------------------------------------------------------
    @property
    def snapshot(self) -> Snapshot | None:
        """The whole served index as one snapshot; reloaded when another process has written a new version.

        With Milvus this materialises every document (tools and small indexes only: questions read
        ``store.reader(query)``). Raises ``IndexMismatch`` for an index of another format version.
        """
        version = self.store.version()
        if version != self._version:
            with self._reload_lock:
                if version != self._version:
                    if self.local is not None:
                        self._snapshot = self.local.load(self.settings.hnsw_ef_search)
                    else:
                        self._snapshot = self.store.reader(None)
                    self._version = version
        return self._snapshot

    def catalog(self) -> Catalog:
        """The stored documents with their chunk counts and the manifest (cached until the next write)."""
        version = self.store.version()
        cached = self._catalog
        if cached is None or cached[0] != version:
            if self.local is not None:
                snap = self.snapshot
                catalog = catalog_of(snap) if snap is not None else Catalog({}, {}, {})
            else:
                catalog = self.store.catalog()
            cached = self._catalog = (version, catalog)
        return cached[1]

    def manifest(self) -> dict | None:
        """What the served index was built with; None when nothing is indexed (cheap for both stores)."""
        if self.local is not None:
            snap = self.snapshot
            return snap.manifest if snap is not None else None
        return self.store.manifest()

    @property
    def encoder(self) -> Encoder:
        """The encoder, created on (and always called through) the inference thread."""
        if self._encoder is None:
            with self._encoder_lock:
                if self._encoder is None:
                    set_threads(self.settings.threads)
                    self._encoder = QueuedEncoder.create(
                        self.settings.encoder, self.settings.encoder_threads, self.inference
                    )
        return self._encoder

    @property
    def extractor(self) -> Extractor:
        """The answer extractor the ``reader`` setting names; the neural reader is loaded on the inference thread."""
        if self._extractor is None:
            with self._encoder_lock:
                if self._extractor is None:
                    self._extractor = self._make_extractor()
        return self._extractor

    @property
    def calibration_key(self) -> str:
        """The entry of calibration.json the confidence model is read from: per encoder, and per reader."""
        spec = self.encoder.spec
        return spec + READER_SUFFIX if self.settings.reader == "neural" else spec

    def _make_extractor(self) -> Extractor:
        if self.settings.reader == "heuristic":
            return AnswerExtractor(Calibrator.for_encoder(self.calibration_key))
        from app.neural.reader import NeuralReader

        weights = self.settings.reader_weights or SHIPPED_WEIGHTS
        if not Path(weights).is_file():
            raise FileNotFoundError(f"span reader weights not found at {weights} (RAG_READER_WEIGHTS)")
        s = self.settings
        reader = self.inference.call(NeuralReader.shared, weights, s.reader_threads, 48, s.reader_precision)

        def read(question: str, contexts: list[str]) -> list:
            return self.inference.read(reader.read, question, contexts)

        return NeuralExtractor(Calibrator.for_encoder(self.calibration_key), read, s.reader_sentences, s.reader_window)

    @property
    def min_confidence(self) -> float:
        """The abstention threshold: the setting, else the one calibrated for this encoder."""
        if self.settings.min_confidence is not None:
            return self.settings.min_confidence
        return self.extractor.calibrator.threshold

    def check(self) -> None:
        """Raise ``IndexMismatch`` if the stored index was built by another encoder."""
        manifest = self.manifest()
        if manifest is not None:
            check_manifest(manifest, self.settings.encoder)

    def warm_up(self) -> None:
        """Load the encoder and language models before the first request, not during it.

        The NER model is not loaded: entities are found at ingest and stored with the index.
        """
        if self.manifest() is not None:
            self.ask("Сколько участников? How many participants?", top_k=1)

    # -- write side ---------------------------------------------------------------------------
    def ingest_folder(
        self,
        folder: Path,
        rebuild: bool = False,
        on_total: Callable[[int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        embedder: Embedder | None = None,
    ) -> IngestReport:
        """Sync the index with ``folder``: add new files, replace changed ones, drop deleted ones.

        Documents uploaded through the API are kept. Bad files are reported and skipped. ``embedder`` computes
        the parts of the documents to embed elsewhere (worker processes, a Ray cluster).
        """
        started = time.perf_counter()
        report = IngestReport()
        with self._write_lock, self.store.lock():
            if self.local is None:
                self._sync_remote(Path(folder), rebuild, report, on_total, on_progress, embedder)
                report.seconds = time.perf_counter() - started
                return report
            if rebuild:
                # Everything is embedded again; uploaded documents are carried over (re-read as records).
                previous = None
                old = {d.doc_id: d for d in self.local.stored_documents() if d.origin != "corpus"}
            else:
                previous = self.local.load(self.settings.hnsw_ef_search)
                if previous is not None:
                    previous.check_encoder(self.settings.encoder)
                old = previous.documents if previous else {}
            documents = self._plan(Path(folder), old, report)
            changed = [documents[d] for d in report.added + report.updated]
            if self._small_change(previous, len(changed) + len(report.removed)):
                assert previous is not None
                self._commit(changed, report.removed, previous, report, on_total, on_progress, embedder)
            elif report.changed or previous is None or not Indexer(self.encoder, self.settings).can_reuse(previous):
                # Also when chunk settings or processing code differ from the index's: everything is processed again.
                self._rebuild(list(documents.values()), previous, report, on_total, on_progress, embedder)
            else:
                report.chunks = previous.chunk_count
        self._after_write()
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _plan(folder: Path, old: dict[str, Document], report: IngestReport) -> dict[str, Document]:
        """The documents the index should hold after syncing ``folder`` (uploads kept); ``report`` says what
        changed. A file that cannot be read keeps its last good version."""
        documents: dict[str, Document] = {d.doc_id: d for d in old.values() if d.origin != "corpus"}
        files = corpus_files(Path(folder))
        for doc_id, path in files.items():
            try:
                text, title, published = read_file(path)
            except UnreadableDocument as exc:
                report.failed[doc_id] = str(exc)
                if doc_id in old:  # keep serving the last good version
                    documents[doc_id] = old[doc_id]
                continue
            sha = content_hash(text)
            if doc_id in old and old[doc_id].sha == sha:
                documents[doc_id] = old[doc_id]
                report.unchanged.append(doc_id)
                continue
            documents[doc_id] = make_document(doc_id, text, title, "corpus", published, folder_collection(doc_id))
            (report.updated if doc_id in old else report.added).append(doc_id)
        report.removed = [d for d, doc in old.items() if doc.origin == "corpus" and d not in files]
        return documents

    def upsert(
        self,
        doc_id: str,
        text: str,
        title: str | None = None,
        date: str | None = None,
        collection: str | None = None,
        url: str | None = None,
    ) -> IngestReport:
        """Add or replace one document given as text (kept across folder syncs until deleted).

        ``date`` (ISO) is the file's metadata date or the one given at upload; without it, the text's is used.
        ``url`` is where a document fetched from the web came from: kept with it and cited with its answers.
        With an index in place this costs the document alone: it is written as a small delta segment.
        """
        report = IngestReport()
        clean, derived_title, _ = read_text(text)  # raises UnreadableDocument
        started = time.perf_counter()
        doc = make_document(
            doc_id, clean, ((title or "").strip() or derived_title)[:300], "upload", date, collection, url
        )
        with self._write_lock, self.store.lock():
            if self.local is None:
                self._upsert_remote(doc, report)
                report.seconds = time.perf_counter() - started
                return report
            previous = self.local.load(self.settings.hnsw_ef_search)
            if previous is not None:
                previous.check_encoder(self.settings.encoder)
            existing = previous.documents.get(doc_id) if previous else None
            if existing is not None and existing == doc:
                report.unchanged.append(doc_id)
                assert previous is not None  # ``existing`` came from it
                report.chunks = previous.chunk_count
            else:
                (report.updated if existing else report.added).append(doc_id)
                if self._small_change(previous, 1):
                    assert previous is not None
                    self._commit([doc], [], previous, report)
                else:
                    documents = dict(previous.documents) if previous else {}
                    documents[doc_id] = doc
                    self._rebuild(list(documents.values()), previous, report)
        self._after_write()
        report.seconds = time.perf_counter() - started
        return report

    def delete(self, doc_id: str) -> IngestReport:
        """Remove one document from the index (its rows are hidden at once and dropped at the next compaction)."""
        report = IngestReport()
        started = time.perf_counter()
        with self._write_lock, self.store.lock():
            if self.local is None:
                if doc_id not in self.store.documents():
                    raise UnknownDocument(doc_id)
                report.removed.append(doc_id)
                self.store.commit(None, [doc_id])
                report.seconds = time.perf_counter() - started
                return report
            previous = self.local.load(self.settings.hnsw_ef_search)
            if previous is None or doc_id not in previous.documents:
                raise UnknownDocument(doc_id)
            report.removed.append(doc_id)
            self._commit([], [doc_id], previous, report)
        self._after_write()
        report.seconds = time.perf_counter() - started
        return report

    def _local(self) -> IndexStore:
        assert self.local is not None, "the embedded store's own operation"
        return self.local

    # -- writes to Milvus: every document is its own atomic write; the store keeps the corpus statistics -------
    def _sync_remote(
        self,
        folder: Path,
        rebuild: bool,
        report: IngestReport,
        on_total: Callable[[int], None] | None,
        on_progress: Callable[[int], None] | None,
        embedder: Embedder | None,
    ) -> None:
        manifest = self.store.manifest()
        indexer = Indexer(self.encoder, self.settings)
        elsewhere = 0
        same = manifest is not None and manifest.get("processing") == indexer.processing
        if manifest is not None and not rebuild:
            check_manifest(manifest, self.settings.encoder)
        stored = self.store.documents() if manifest is not None else {}
        old = {d: doc for d, doc in stored.items() if doc.origin != "corpus"} if rebuild or not same else stored
        documents = self._plan(folder, old, report)
        if manifest is None or rebuild or not same:
            # A first load or a rebuild: the language projection is fitted on everything.
            todo = list(documents.values())
            if on_total:
                on_total(indexer.count_texts(todo))
            parts = embedder(todo) if embedder and todo else None
            self.store.replace(indexer.build(todo, None, on_progress, parts))
            elsewhere = _texts(parts)
        elif report.changed:
            changed = [documents[d] for d in report.added + report.updated]
            if on_total:
                on_total(indexer.count_texts(changed))
            parts = embedder(changed) if embedder and changed else None
            segment = indexer.build(changed, None, on_progress, parts, self.store.projection()) if changed else None
            self.store.commit(segment, report.removed)
            elsewhere = _texts(parts)
        report.chunks = self.store.catalog().total_chunks
        report.embedded, report.embed_seconds = indexer.embedded + elsewhere, indexer.embed_seconds

    def _upsert_remote(self, doc: Document, report: IngestReport) -> None:
        manifest = self.store.manifest()
        if manifest is not None:
            check_manifest(manifest, self.settings.encoder)
        existing = self.store.documents().get(doc.doc_id) if manifest is not None else None
        if existing is not None and existing == doc:
            report.unchanged.append(doc.doc_id)
            return
        (report.updated if existing else report.added).append(doc.doc_id)
        indexer = Indexer(self.encoder, self.settings)
        if manifest is None:
            self.store.replace(indexer.build([doc]))
        else:
            self.store.commit(indexer.build([doc], projection=self.store.projection()))
        report.embedded, report.embed_seconds = indexer.embedded, indexer.embed_seconds

    def _small_change(self, previous: Snapshot | None, documents: int) -> bool:
        """Whether a change of ``documents`` goes into a delta segment rather than a rebuild of the whole index.

        A rebuild is cheaper than a delta that compaction would fold in right away (a first ingest, a bulk load).
        """
        if previous is None or not Indexer(self.encoder, self.settings).can_reuse(previous):
            return False
        return documents < max(1.0, self.settings.compact_ratio * len(previous.documents))

    def _commit(
        self,
        changed: list[Document],
        removed: list[str],
        previous: Snapshot,
        report: IngestReport,
        on_total: Callable[[int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        """Embed ``changed`` into a delta segment and commit it with the deletion of ``removed``; serve the result."""
        local = self._local()
        indexer = Indexer(self.encoder, self.settings)
        if on_total:
            on_total(indexer.count_texts(changed))
        segment: Snapshot | None = None
        drop: tuple[str, ...] = ()
        parts = None
        if changed:
            parts = embedder(changed) if embedder else None
            spec = local.spec()
            deltas = spec.segments[1:] if spec else ()
            if len(deltas) >= MAX_DELTAS and not self._compacting.is_set():
                # Too many small segments slow every query down: merge them with this one (no embedding).
                assert spec is not None
                old = local.view(ViewSpec("deltas", deltas, spec.dead), self.settings.hnsw_ef_search, served=False)
                fresh = {d.doc_id for d in changed}
                keep = [d for d in old.documents.values() if d.doc_id not in fresh and d.doc_id not in removed]
                segment = indexer.build(keep + changed, old, on_progress, parts, previous.projection)
                drop = deltas
            else:
                segment = indexer.build(changed, None, on_progress, parts, previous.projection)
        spec = local.commit(segment, removed, drop)
        self._serve(spec)
        report.chunks = self._snapshot.chunk_count if self._snapshot else 0
        report.embedded = indexer.embedded + _texts(parts)
        report.embed_seconds = indexer.embed_seconds

    def _rebuild(
        self,
        documents: list[Document],
        previous: Snapshot | None,
        report: IngestReport,
        on_total: Callable[[int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        """Build a snapshot of ``documents`` (reusing ``previous`` where possible), persist it and serve it."""
        indexer = Indexer(self.encoder, self.settings)
        fresh = indexer.fresh(documents, previous)
        if on_total:
            on_total(indexer.count_texts(fresh))
        parts = embedder(fresh) if embedder and fresh else None
        set_threads(self.settings.batch_threads)
        try:
            snapshot = indexer.build(documents, previous, on_progress, parts)
        finally:
            set_threads(self.settings.threads)
        with self._reload_lock:
            self._version = self._local().write(snapshot).name
            self._snapshot = snapshot  # readers holding the old one finish with it
        report.chunks = len(snapshot.chunks)
        report.embedded = indexer.embedded + _texts(parts)
        report.embed_seconds = indexer.embed_seconds

    def _serve(self, spec: ViewSpec) -> None:
        """Serve the view of ``spec`` (just written by this process) without waiting for the next request."""
        view = self._local().view(spec, self.settings.hnsw_ef_search)
        with self._reload_lock:
            self._snapshot, self._version = view, spec.name

    def _after_write(self) -> None:
        """Compact when the deltas have grown: at once for the CLI, on a background thread in a server."""
        if self.compactor is None or self.local is None or not self.compactor.due(self.local.spec()):
            return
        if not self.background_compaction:
            self.compact()
        elif not self._compacting.is_set():
            self._compacting.set()
            threading.Thread(target=self._compact_in_background, name="compaction", daemon=True).start()

    def _compact_in_background(self) -> None:
        try:
            self.compact()
        except Exception:  # the deltas keep being served; the next write tries again
            log.exception("compaction failed")
        finally:
            self._compacting.clear()

    def compact(self, force: bool = False) -> bool:
        """Fold the deltas and deleted rows into a new base segment (no embedding); False if nothing was done."""
        if self.compactor is None:
            return False
        done = self.compactor.run(Indexer(self.encoder, self.settings), force)
        if done:
            with self._reload_lock:
                self._version = None  # the next read loads the new base (already in the store's cache)
        return done

    # -- read side ----------------------------------------------------------------------------
    def query(
        self,
        text: str,
        top_k: int = 5,
        lang: str | None = None,
        doc_ids: list[str] | None = None,
        embed: bool = True,
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
    ) -> tuple[Snapshot | None, Query]:
        """The snapshot to read and the question analysed once: language, terms, answer kind, filters, vector.

        A follow-up (a pronoun, no subject) is resolved against ``history``; ``doc_ids`` joins ``filters``.
        Without ``embed`` (the embedded store only) the vector is left empty.
        """
        query = self._analysed(text, top_k, lang, doc_ids, filters, history)
        space = self._space(query)
        if space is None:
            return None, query
        projection, snap = space
        if not embed:
            return snap, query
        query = self._embedded(projection, query)
        return (snap if snap is not None else self.store.reader(query)), query

    def _analysed(
        self,
        text: str,
        top_k: int,
        lang: str | None,
        doc_ids: list[str] | None,
        filters: Filters | None,
        history: Sequence[Turn],
    ) -> Query:
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

    def _space(self, query: Query) -> tuple[LanguageProjection, Snapshot | None] | None:
        """The projection questions are embedded with, and the embedded store's whole snapshot (None with Milvus,
        which reads the documents a question needs once its vector is known); None without an index.

        Raises ``IndexMismatch`` for another encoder's index and ``UnknownDocument`` for filters naming documents
        the index does not hold.
        """
        if self.local is not None:
            snap = self.snapshot
            if snap is None:
                return None
            snap.check_encoder(self.encoder.spec, self.encoder.dim)
            known: Collection[str] = snap.documents
            projection = snap.projection
        else:
            manifest = self.store.manifest()
            stored = self.store.projection()
            if manifest is None or stored is None:
                return None
            check_manifest(manifest, self.encoder.spec, self.encoder.dim)
            known = self.catalog().documents if query.filters.doc_ids else ()
            snap, projection = None, stored
        missing = [d for d in query.filters.doc_ids or () if d not in known]
        if missing:
            raise UnknownDocument(", ".join(missing))
        return projection, snap

    def _embedded(self, projection: LanguageProjection, query: Query) -> Query:
        """``query`` with its vector, in the index's language-neutral space where every stored vector is compared."""
        return replace(query, vector=projection.apply(self.encoder.query(query.reading)))

    def search(
        self,
        query: str,
        top_k: int = 5,
        lang: str | None = None,
        doc_ids: list[str] | None = None,
        filters: Filters | None = None,
    ) -> list[Passage]:
        """The best passages for ``query`` among the documents ``filters`` admit."""
        snap, q = self.query(query, top_k, lang, doc_ids, filters=filters)
        if snap is None:
            return []
        return self.retriever.retrieve(snap, q, top_k)

    def ask(
        self,
        question: str,
        top_k: int = 5,
        lang: str | None = None,
        doc_ids: list[str] | None = None,
        min_confidence: float | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] = (),
        explain: bool = False,
    ) -> AskResult:
        """An extractive answer with citations, or ``answer=None`` when confidence is below ``min_confidence``
        (default: the configured or calibrated threshold). The closest passages are returned either way.

        ``history`` holds the conversation's earlier turns (a follow-up is read with them); ``explain`` adds
        what each stage found and a verdict (``AskResult.explanation``).
        """
        started = time.perf_counter()
        stages: dict[str, float] = {}
        trace: dict | None = {} if explain else None
        query = self._analysed(question, top_k, lang, doc_ids, filters, history)
        space = self._space(query)
        if space is None or not query.terms:
            # No index, or a question with no content words ("???", "What is it?"): nothing to match.
            return self._unanswered(question, query, started, min_confidence, trace)
        threshold = self.min_confidence if min_confidence is None else min_confidence
        at = time.perf_counter()
        query = self._embedded(space[0], query)
        stages["embed"] = _ms(at)
        at = time.perf_counter()
        snap = space[1] if space[1] is not None else self.store.reader(query)
        if snap is None:  # emptied by another writer meanwhile
            return self._unanswered(question, query, started, min_confidence, trace)
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
            question=question,
            lang=query.lang,
            answer=answers[0] if answers else None,
            answers=answers,
            passages=passages[:top_k],
            took_ms=_ms(started),
            stages=stages,
            follow_up=query.context is not None,
        )
        if explain:
            assert trace is not None
            result.explanation = explanation(snap, query, passages, candidates, threshold, trace)
        return result

    def _unanswered(
        self,
        question: str,
        query: Query,
        started: float,
        min_confidence: float | None,
        trace: dict | None,
    ) -> AskResult:
        result = AskResult(question, query.lang, None, [], [], _ms(started))
        if trace is not None:
            # The configured threshold only: loading the reader for its calibration would explain nothing.
            threshold = self.settings.min_confidence if min_confidence is None else min_confidence
            result.explanation = explanation(None, query, [], [], threshold or 0.0, trace)
        return result

    def document(self, doc_id: str) -> Document:
        documents = self.catalog().documents
        if doc_id not in documents:
            raise UnknownDocument(doc_id)
        return documents[doc_id]


def _texts(parts: dict[str, Parts] | None) -> int:
    """Sentences and chunks embedded elsewhere (worker processes, a Ray cluster)."""
    return sum(len(p.sentences) + len(p.chunks) for p in (parts or {}).values())


def _ms(since: float) -> float:
    """Milliseconds from ``since`` (a ``perf_counter`` reading) to now, rounded for reports."""
    return round((time.perf_counter() - since) * 1000, 2)
