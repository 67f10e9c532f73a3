"""The service's front object: the store, the models, a read side and a write side, wired once.

Read side (app/answer/answerer.py):  question → analyse → embed → retrieve → fuse → read → abstain.
Write side (app/ingest/writer.py):   files or uploads → clean → chunk → embed → the store's writes → compaction.
Storage (app/index/storage.py):      the embedded files or Milvus, behind one protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from app.answer.answerer import Answerer, analyse
from app.answer.extractor import Extractor
from app.answer.retriever import HybridRetriever
from app.encoders import Encoder
from app.encoders.inference import InferenceQueue
from app.encoders.queued import QueuedEncoder
from app.index.dense import set_threads
from app.index.factory import make_store
from app.index.snapshot import Snapshot, check_manifest
from app.index.storage import Catalog, Storage, UnknownDocument
from app.ingest.documents import uploaded_document
from app.ingest.reader import ReadDocument, read_text
from app.ingest.writer import Embedder, Writer
from app.models import AskResult, Document, Filters, IngestReport, Passage, Query, Turn
from app.settings import Settings

__all__ = ["Embedder", "Pipeline", "UnknownDocument"]


class Pipeline:
    """Serves one index: questions read the store's current snapshot; writes build a new one and swap it in."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None):
        self.settings = settings
        self.store: Storage = make_store(settings)
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
        self._models_lock = threading.RLock()
        self.answerer = Answerer(settings, self.store, lambda: self.encoder, self.inference, self._models_lock)
        self.writer = Writer(settings, self.store, lambda: self.encoder)

    @classmethod
    def with_encoder_processes(cls, settings: Settings, workers: int, stack: ExitStack) -> Pipeline:
        """A pipeline that embeds with ``workers`` encoder processes (1: in this process); ``stack`` closes them."""
        if workers <= 1:
            return cls(settings)
        from app.encoders.pool import PoolEncoder

        pool = PoolEncoder(settings.encoder, workers, runtime=settings.encoder_runtime)
        return cls(settings, encoder=stack.enter_context(pool))

    # -- components -------------------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        """The encoder, created on (and always called through) the inference thread."""
        if self._encoder is None:
            with self._models_lock:
                if self._encoder is None:
                    set_threads(self.settings.threads)
                    self._encoder = QueuedEncoder.create(
                        self.settings.encoder,
                        self.settings.encoder_threads,
                        self.inference,
                        self.settings.encoder_runtime,
                    )
        return self._encoder

    @property
    def encoder_model(self) -> str | None:
        """The loaded encoder's model (engine and precision included), without loading it."""
        return self._encoder.model if self._encoder is not None else None

    @property
    def snapshot(self) -> Snapshot | None:
        """The whole served index as one snapshot, reloaded when another process has written a new version.

        With Milvus this materialises every document (tools and small indexes only: questions read what they
        need). Raises ``IndexMismatch`` for an index of another format version.
        """
        return self.store.snapshot()

    def catalog(self) -> Catalog:
        """The stored documents with their chunk counts and the manifest (cached until the next write)."""
        return self.store.catalog()

    def manifest(self) -> dict | None:
        """What the served index was built with; None when nothing is indexed."""
        return self.store.manifest()

    @property
    def retriever(self) -> HybridRetriever:
        return self.answerer.retriever

    @property
    def extractor(self) -> Extractor:
        return self.answerer.extractor

    @property
    def calibration_key(self) -> str:
        return self.answerer.calibration_key

    @property
    def min_confidence(self) -> float:
        return self.answerer.min_confidence

    @property
    def background_compaction(self) -> bool:
        """Whether compaction runs on a background thread (a server: uploads go on) or at once (the CLI)."""
        return self.writer.background_compaction

    @background_compaction.setter
    def background_compaction(self, value: bool) -> None:
        self.writer.background_compaction = value

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
            # Past the question bookkeeping: a cold first answer is neither a question in flight nor a cost to
            # admit later questions by.
            self.answerer.ask(analyse("Сколько участников? How many participants?", top_k=1))

    # -- write side ---------------------------------------------------------------------------
    def ingest_folder(
        self,
        folder: Path,
        rebuild: bool = False,
        on_total: Callable[[int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        embedder: Embedder | None = None,
    ) -> IngestReport:
        """Sync the index with ``folder``: add new files, replace changed ones, drop deleted ones (uploads kept)."""
        return self.writer.sync(Path(folder), rebuild, on_total, on_progress, embedder)

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
        return self.upsert_read(doc_id, read_text(text), title, date, collection, url)  # raises UnreadableDocument

    def upsert_read(
        self,
        doc_id: str,
        read: ReadDocument,
        title: str | None = None,
        date: str | None = None,
        collection: str | None = None,
        url: str | None = None,
    ) -> IngestReport:
        """``upsert`` of a document already read and cleaned (an uploaded file): it is not read again."""
        return self.writer.upsert(uploaded_document(doc_id, read, title, date, collection, url))

    def delete(self, doc_id: str) -> IngestReport:
        """Remove one document from the index (its rows are hidden at once and dropped at the next compaction)."""
        return self.writer.delete(doc_id)

    def compact(self, force: bool = False) -> bool:
        """Fold the small writes into one (no embedding); False if nothing was done."""
        return self.writer.compact(force)

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
        """The snapshot to read and the question analysed once: language, terms, answer kind, filters, vector."""
        return self.answerer.query(analyse(text, top_k, lang, doc_ids, filters, history), embed)

    def search(
        self,
        query: str,
        top_k: int = 5,
        lang: str | None = None,
        doc_ids: list[str] | None = None,
        filters: Filters | None = None,
        admit: bool = False,
    ) -> list[Passage]:
        """The best passages for ``query`` among the documents ``filters`` admit; with ``admit`` (the API's
        requests) ``Overloaded`` when the models' queue would keep it too long."""
        with self.inference.question(admit):
            return self.answerer.search(analyse(query, top_k, lang, doc_ids, filters))

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
        admit: bool = False,
    ) -> AskResult:
        """An extractive answer with citations, or none below the confidence threshold (see ``Answerer.ask``);
        with ``admit`` (the API's requests) ``Overloaded`` when the models' queue would keep it too long."""
        with self.inference.question(admit):
            query = analyse(question, top_k, lang, doc_ids, filters, history)
            return self.answerer.ask(query, min_confidence, explain)

    def document(self, doc_id: str) -> Document:
        documents = self.catalog().documents
        if doc_id not in documents:
            raise UnknownDocument(doc_id)
        return documents[doc_id]
