"""``MilvusStore``: the index kept in Milvus (a Milvus Lite file or a server), written one document at a time.

Atomic documents without transactions: a commit writes a document's text parts, chunk and sentence rows under a
new *generation* number, then its ``documents`` row naming that generation. Readers accept only rows of the
generation their document's row names, and check their counts against it, so a document is seen whole or not at
all, also when the writer is killed in between. Rows no committed document owns (a crashed or overwritten write)
are removed by the next commit of that document, and by ``cleanup``, which a commit runs itself when the previous
one did not finish. Atomicity is per document: a commit of several documents may be seen half applied.

Milvus Lite (``RAG_MILVUS_URI`` a path ending in ``.db``, the default) runs inside the process that opens it and
locks its data folder: one process per file. Several API workers or an ingest beside a server need a Milvus server.

Writers must hold ``lock()``: a file lock (beside the Lite file, or beside the index folder for a server) queues the
writers of one host, and for a server a lease kept in Milvus (``app/index/milvus_lease.py``) those of every host
sharing it (API replicas, an ingest container). A Lite file is only ever open in one process, so its file lock is
enough (and a writer killed while holding it holds up no one). Every step that changes the ``state`` row or the
term statistics first checks that the lease is still held, and a state write first reads the row again and refuses
to go on if another writer changed it meanwhile: a writer that lost its turn stops (``LeaseLost``, retryable)
instead of writing a stale view over the new one.

Values enter Milvus expressions only through ``literal`` (``app/index/milvus_schema.py``), which escapes them:
pymilvus's ``get``/``delete`` by string id and its query iterator quote string keys without escaping, so the store
uses neither for them (Milvus Lite has no expression templates).

Questions: ``reader(query)`` searches Milvus for the chunks nearest the (projected) question vector and the best
BM25 chunks (sparse vectors of document-side weights against idf query weights), both under the question's filters,
then fetches the documents holding them whole and builds a ``Snapshot`` of just those, scored with the corpus's
BM25 statistics: the retriever runs on it unchanged. A question fetches at most ``2 * RAG_CANDIDATES +
EXTRA_DOCUMENTS`` documents; a document filter restricts the searches but its documents are not fetched for it.
Fetched documents are cached by generation (their rows never change). The stored weights use the average chunk
length of when they were written; they only pick candidates, whose scores are then computed with the current
statistics. The statistics are updated after a commit's document rows, so a question read during a commit may see
idf that does not count it yet.

``replace`` builds a new *epoch* of collections beside the served one and then switches the ``state`` row to it:
readers never see a rebuild half done.

Every Milvus call gives up after ``RAG_MILVUS_TIMEOUT`` seconds (pymilvus retries within that time, so a call
ends after at most about twice it) and raises ``StoreUnavailable``, as do refused connections. Loading, flushing,
creating and dropping collections, whose time grows with the index, get up to ``SLOW_TIMEOUT``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.index import checkpoints
from app.index.lexical import TermStats
from app.index.milvus_lease import LEASE_SECONDS, LeaseLost, MilvusLease
from app.index.milvus_schema import (
    EPOCH_NAME,
    PLACEHOLDER,
    PREFIX,
    Names,
    chunk_length,
    create_collections,
    create_lease,
    create_meta,
    filter_expression,
    lease_name,
    literal,
    meta_name,
    one_of,
    primary_key,
    term_id,
)
from app.index.milvus_tables import (
    DocTables,
    assemble,
    chunk_rows,
    document_from_row,
    document_row,
    idf_weights,
    segment_tables,
    sentence_rows,
    tables_from_rows,
    text_rows,
)
from app.index.projection import LanguageProjection
from app.index.snapshot import IndexMismatch, Snapshot
from app.index.storage import Catalog, StoreUnavailable
from app.models import Document, Query
from app.settings import Settings

log = logging.getLogger(__name__)

STATE = "state"
INSERT_ROWS = 256  # rows per insert call: a few MB at most, well below gRPC's message limit
INSERT_DOCUMENTS = 64  # documents whose rows are built at once
FETCH_ROWS = 4_000  # chunk or sentence rows asked for in one query
QUERY_LIMIT = 16_384  # Milvus returns at most this many rows per query
ID_BATCH = 500  # ids per `in [...]` expression
FLUSH_ROWS = 2_000  # a commit writing more rows flushes: Milvus Lite searches unflushed rows without an index
EXACT_LIMIT = 50_000  # most filtered chunks scored exactly when a filtered graph search came back short
BOUND_HITS = 3  # best chunks fetched per query term, so each term's best BM25 score is in the snapshot
# Documents a question may fetch beyond its dense and sparse hits (at most RAG_CANDIDATES documents each): those of
# the conversation it continues (3 turns of at most 20 documents) and then the best chunks of its terms, rarest
# term first. A question's cost stays bounded however many terms or documents it names.
EXTRA_DOCUMENTS = 64
SCAN_ROWS = 1_000  # rows per page of a scan
LEASE_CREATE_TRIES = 10
META_PARTS = 64
META_PART_CHARS = 60_000
CACHE_BYTES = 64 << 20
SLOW_TIMEOUT = 120.0


class _NoMvccWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "mvccTs" not in record.getMessage()


_NO_MVCC_WARNING = _NoMvccWarning()  # one instance: adding it again is a no-op

# Milvus Lite servers run inside this process, one per file: the stores using each (closed with the last one).
_LITE_USERS: Counter[str] = Counter()
_LITE_GUARD = threading.Lock()


@dataclass(frozen=True)
class State:
    """The ``state`` row: the version counter, the served epoch and the corpus totals of committed documents."""

    version: int
    epoch: str
    documents: int = 0
    chunks: int = 0  # BM25's N
    sentences: int = 0
    length: int = 0  # BM25 lengths of all chunks: avgdl = length / chunks
    pending: tuple[str, ...] | None = None  # documents of a commit that has not finished (crashed)
    updated_at: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> State:
        data = json.loads(text)
        if data.get("pending") is not None:
            data["pending"] = tuple(data["pending"])
        return cls(**data)

    @property
    def avg_length(self) -> float:
        return self.length / self.chunks if self.chunks else 1.0


@dataclass(frozen=True)
class CorpusStats:
    """BM25 statistics of the committed chunks: N, total length and df by term id."""

    num_docs: int
    total_length: int
    df: dict[int, int]


@dataclass(frozen=True)
class _Head:
    """What a documents row says about the rows it commits."""

    gen: int
    parts: int
    chunks: int
    sentences: int


class _CollectionGone(RuntimeError):
    """A collection vanished under a read: ``replace`` switched epochs and dropped the old one."""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _batches(items: list, size: int) -> Iterator[list]:
    for at in range(0, len(items), size):
        yield items[at : at + size]


def _translate(exc: Exception, call: str, target: str) -> Exception:
    """The exception to raise for a failed Milvus call: unavailability becomes ``StoreUnavailable``."""
    import grpc
    from pymilvus.exceptions import (
        ConnectError,
        ConnectionConfigException,
        ConnectionNotExistException,
        MilvusException,
        MilvusUnavailableException,
    )

    unavailable = f"Milvus at {target} did not answer {call}: {exc}"
    if isinstance(exc, grpc.RpcError | grpc.FutureTimeoutError | TimeoutError | ConnectionError):
        return StoreUnavailable(unavailable)
    if isinstance(exc, ConnectionConfigException) and target.endswith(".db"):
        # Milvus Lite refuses a data folder another process holds open.
        return StoreUnavailable(f"cannot open Milvus Lite file {target} (one process per file): {exc}")
    if isinstance(exc, MilvusUnavailableException | ConnectError | ConnectionNotExistException):
        return StoreUnavailable(unavailable)
    if isinstance(exc, MilvusException):
        code = exc.code
        # A retry loop that ran out of time reports the gRPC status; 2 is "connect failed", 8 rate limited.
        if isinstance(code, grpc.StatusCode) or code in (2, 8) or "timeout" in str(exc.message).lower():
            return StoreUnavailable(unavailable)
        message = str(exc.message).lower()
        if code == 100 or ("collection" in message and ("not exist" in message or "not found" in message)):
            return _CollectionGone(str(exc))
    return exc


class _TablesCache:
    """Documents' tables by (epoch, doc_id, generation), least recently used dropped beyond a byte budget.

    A generation's rows never change, so a cached document is valid for as long as its row names that generation.
    """

    def __init__(self, budget: int):
        self.budget = budget
        self._items: OrderedDict[tuple[str, str, int], DocTables] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int]) -> DocTables | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, str, int], tables: DocTables) -> None:
        with self._lock:
            if key in self._items or tables.nbytes > self.budget:
                return
            self._items[key] = tables
            self._bytes += tables.nbytes
            while self._bytes > self.budget:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


class MilvusStore:
    """The ``Storage`` protocol over Milvus (see the module docstring for the layout and its guarantees).

    Each step of a write marks a checkpoint as it completes (``app/index/checkpoints.py``), where crash tests kill
    the writer: ``milvus:rows`` (text, chunk and sentence rows written), ``milvus:documents`` (document rows
    written), ``milvus:stats`` (term statistics updated).
    """

    def __init__(self, settings: Settings):
        if not PREFIX.match(settings.milvus_prefix):
            raise ValueError(
                f"RAG_MILVUS_PREFIX {settings.milvus_prefix!r}: letters, digits and underscores, "
                "not starting with a digit"
            )
        self.settings = settings
        self.target = settings.milvus_target
        self.lite = not re.match(r"^(https?|tcp|unix):", self.target)
        if self.lite and not self.target.endswith(".db"):
            raise ValueError(f"RAG_MILVUS_URI {self.target!r}: a Milvus Lite file must end in .db (or give a URL)")
        self.timeout = settings.milvus_timeout
        # Loading, flushing, creating and dropping collections take time in proportion to the index (a flush after a
        # rebuild writes all of it): they may take longer than a question's calls, but are still bounded.
        self.slow_timeout = max(self.timeout, SLOW_TIMEOUT)
        self.prefix = settings.milvus_prefix
        self.meta = meta_name(self.prefix)
        self.lease_name = lease_name(self.prefix)
        self.lease_seconds = LEASE_SECONDS
        self._lease: MilvusLease | None = None  # held inside ``lock()``
        self._client: Any = None
        self._guard = threading.RLock()
        self._loaded: set[str] = set()
        self._with_url: dict[str, bool] = {}  # documents collection -> whether it has the url field
        self._meta_exists = False
        self._cache = _TablesCache(CACHE_BYTES)
        self._epoch_meta: dict[str, tuple[dict, LanguageProjection]] = {}

    # -- connection -------------------------------------------------------------------------
    def _connect(self) -> Any:
        with self._guard:
            if self._client is None:
                from pymilvus import MilvusClient

                if self.lite:
                    Path(self.target).parent.mkdir(parents=True, exist_ok=True)
                try:
                    client = MilvusClient(uri=self.target, token=self.settings.milvus_token, timeout=self.timeout)
                except Exception as exc:
                    error = _translate(exc, "connect", self.target)
                    if error is exc:
                        raise
                    raise error from exc
                if self.lite:
                    with _LITE_GUARD:
                        _LITE_USERS[str(Path(self.target).resolve())] += 1
                    # Milvus Lite keeps no MVCC timestamps; pymilvus would warn about it on every scan.
                    logging.getLogger("pymilvus.client.iterator.query_iterator").addFilter(_NO_MVCC_WARNING)
                self._client = client
                self._loaded.clear()
            return self._client

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One Milvus call with the configured timeout; unavailability raises ``StoreUnavailable``."""
        client = self._connect()
        kwargs.setdefault("timeout", self.timeout)
        try:
            return getattr(client, method)(*args, **kwargs)
        except Exception as exc:
            error = _translate(exc, method, self.target)
            if error is exc:
                raise
            raise error from exc

    def _ensure_loaded(self, names: Iterable[str]) -> None:
        """Load collections once per connection (Milvus Lite opens them released after a restart)."""
        for name in names:
            if name not in self._loaded:
                self._call("load_collection", name, timeout=self.slow_timeout)
                self._loaded.add(name)

    def _has_url(self, names: Names) -> bool:
        """Whether the epoch's documents collection has the url field (created before it, it does not)."""
        if names.documents not in self._with_url:
            fields = self._call("describe_collection", names.documents)["fields"]
            self._with_url[names.documents] = any(f["name"] == "url" for f in fields)
        return self._with_url[names.documents]

    def _document_fields(self, names: Names) -> list[str]:
        """The fields of a documents row that make its ``Document`` (without doc_id and the placeholder)."""
        fields = ["gen", "title", "lang", "date", "collection", "sha", "origin", "text", "parts"]
        return [*fields, "url"] if self._has_url(names) else fields

    def _names(self, state: State) -> Names:
        names = Names.of(self.prefix, state.epoch)
        self._ensure_loaded(names.all())
        return names

    # -- meta --------------------------------------------------------------------------------
    def _has_meta(self) -> bool:
        if not self._meta_exists:
            self._meta_exists = bool(self._call("has_collection", self.meta))
            if self._meta_exists:
                self._ensure_loaded([self.meta])
        return self._meta_exists

    def _get(self, collection: str, ids: Iterable[str | int], fields: list[str]) -> list[dict]:
        """Rows by primary key, with the key (pymilvus's ``get`` would quote string keys without escaping them)."""
        keys = list(ids)
        if not keys:
            return []
        return list(self._call("query", collection, filter=one_of(primary_key(collection), keys), output_fields=fields))

    def _state(self) -> State | None:
        if not self._has_meta():
            return None
        try:
            rows = self._get(self.meta, [STATE], ["value"])
        except _CollectionGone:
            self._meta_exists = False
            return None
        return State.from_json(rows[0]["value"]) if rows else None

    def _fence(self) -> None:
        """Stop (``LeaseLost``) unless this writer still holds the write lease, before a write others would see."""
        if self._lease is not None:
            self._lease.check()

    def _put_state(self, state: State, expected: State | None) -> None:
        """Write the ``state`` row if it still reads ``expected`` (None: no row yet) and the lease is still held.

        Milvus has no compare-and-set; under the lease no other writer should change the row, so a difference means
        this writer lost its turn and its view is stale: it stops rather than overwrite a newer state.
        """
        self._fence()
        current = self._state()
        if current != expected:
            raise LeaseLost(
                f"the Milvus index changed under this writer (version {current.version if current else None}, "
                f"expected {expected.version if expected else None}); try again"
            )
        self._call("upsert", self.meta, [{"key": STATE, "value": state.to_json(), "placeholder": PLACEHOLDER}])

    def _put_blob(self, key: str, text: str) -> None:
        parts = [text[i : i + META_PART_CHARS] for i in range(0, len(text), META_PART_CHARS)] or [""]
        if len(parts) > META_PARTS:
            raise ValueError(f"{key} is too large for the Milvus store's meta collection")
        rows = [{"key": f"{key}/{i:02d}", "value": part, "placeholder": PLACEHOLDER} for i, part in enumerate(parts)]
        self._call("upsert", self.meta, rows)

    def _get_blob(self, key: str) -> str | None:
        rows = self._get(self.meta, [f"{key}/{i:02d}" for i in range(META_PARTS)], ["value"])
        if not rows:
            return None
        return "".join(r["value"] for r in sorted(rows, key=lambda r: r["key"]))

    def _epoch_info(self, epoch: str) -> tuple[dict, LanguageProjection]:
        """The manifest and projection of an epoch (fixed for its life: read once)."""
        known = self._epoch_meta.get(epoch)
        if known is None:
            manifest = json.loads(self._get_blob(f"{epoch}/manifest") or "{}")
            basis = json.loads(self._get_blob(f"{epoch}/projection") or "{}")
            shape = tuple(basis.get("shape", (0, manifest.get("dim", 0))))
            data = np.frombuffer(base64.b64decode(basis.get("data", "")), dtype=np.float32)
            known = (manifest, LanguageProjection(data.reshape(shape)))
            self._epoch_meta[epoch] = known
        return known

    def _manifest(self, state: State) -> dict:
        manifest, _ = self._epoch_info(state.epoch)
        return {
            **manifest,
            "documents": state.documents,
            "chunks": state.chunks,
            "sentences": state.sentences,
            "built_at": state.updated_at,
        }

    # -- reads -------------------------------------------------------------------------------
    def version(self) -> str | None:
        """The write counter (one small read)."""
        state = self._state()
        return None if state is None else str(state.version)

    def manifest(self) -> dict | None:
        state = self._state()
        return None if state is None else self._manifest(state)

    def projection(self) -> LanguageProjection | None:
        state = self._state()
        return None if state is None else self._epoch_info(state.epoch)[1]

    def documents(self) -> dict[str, Document]:
        """Every committed document with its text, by doc_id."""
        return self.catalog().documents

    def catalog(self) -> Catalog:
        """Every committed document with its text and chunk count, and the manifest (one scan of the documents)."""
        for _ in range(3):
            state = self._state()
            if state is None:
                return Catalog({}, {}, {})
            try:
                names = self._names(state)
                fields = ["doc_id", *self._document_fields(names), "chunks"]
                rows = sorted(self._scan(names.documents, fields), key=lambda r: r["doc_id"])
                parts = self._text_parts(names, {r["doc_id"]: r for r in rows if r["parts"] > 1})
                documents, chunks = {}, {}
                for row in rows:
                    doc_id = row["doc_id"]
                    if row["parts"] > 1 and doc_id not in parts:
                        # Rewritten while we read: the parts of the generation we saw are gone; read it again.
                        fresh = self._fetch(names, [doc_id])
                        if fresh:
                            documents[doc_id], chunks[doc_id] = fresh[0].document, len(fresh[0].chunks)
                        continue
                    documents[doc_id] = document_from_row(row, parts.get(doc_id, []))
                    chunks[doc_id] = int(row["chunks"])
                return Catalog(documents, chunks, self._manifest(state))
            except _CollectionGone:
                continue
        raise StoreUnavailable("the Milvus index was replaced while it was read; try again")

    def reader(self, query: Query | None = None) -> Snapshot | None:
        """A snapshot of the documents ``query`` may be answered from: those holding its best dense and BM25 chunks
        (among the ones its filters admit), the best chunk of each of its terms (for BM25's normalisation), the
        documents its filters name and those of the conversation it continues. Without ``query``: every document.

        Its BM25 follows the corpus statistics, so the retriever ranks as over the whole index whenever the
        candidates cover the best chunks.
        """
        for _ in range(3):
            state = self._state()
            if state is None or state.documents == 0:
                return None
            try:
                return self._read(state, query)
            except _CollectionGone:
                continue  # replaced meanwhile: read the new epoch
        raise StoreUnavailable("the Milvus index was replaced while it was read; try again")

    def _read(self, state: State, query: Query | None) -> Snapshot:
        names = self._names(state)
        manifest, projection = self._epoch_info(state.epoch)
        dim = int(manifest["dim"])
        if query is None:
            ids = [r["doc_id"] for r in self._scan(names.documents, ["doc_id"])]
            # Every document: the local BM25 statistics are the corpus's.
            return assemble(self._fetch(names, ids), self._manifest(state), projection, dim, None, state.avg_length)
        expr = filter_expression(query.filters)
        k = self.settings.candidates
        vector = np.asarray(query.vector, dtype=np.float32)
        # The search hits (at most k documents each), then the conversation's documents, then the best chunks of
        # each term, rarest first; beyond the cap the last are left out. A document filter only restricts the hits:
        # the documents it names are not all fetched.
        wanted = self._dense_documents(names, vector, expr, k) if vector.size else set()
        extra: list[str] = list(query.context.doc_ids) if query.context is not None else []
        words = sorted({t for group in query.terms for t in group})
        df = self._df(names, {term_id(t) for t in words})
        weights = idf_weights(df, state.chunks)
        if weights:
            hits = self._call(
                "search",
                names.chunks,
                data=[weights],
                anns_field="sparse",
                limit=k,
                output_fields=["doc_id"],
                search_params={"metric_type": "IP"},
                filter=expr,
            )
            wanted |= {hit["entity"]["doc_id"] for hit in hits[0]}
            # Each term's best chunks in the whole corpus (unfiltered, as the embedded index's bound is): BM25 is
            # normalised by the best score each term reaches.
            rarest = sorted(weights, key=lambda key: (-weights[key], key))
            bounds = self._call(
                "search",
                names.chunks,
                data=[{key: 1.0} for key in rarest],
                anns_field="sparse",
                limit=BOUND_HITS,
                output_fields=["doc_id"],
                search_params={"metric_type": "IP"},
            )
            extra += [hit["entity"]["doc_id"] for per_term in bounds for hit in per_term]
        ordered = sorted(wanted) + [d for d in dict.fromkeys(extra) if d not in wanted]
        tables = self._fetch(names, ordered[: 2 * k + EXTRA_DOCUMENTS])
        stats = TermStats(state.chunks, {t: float(df.get(term_id(t), 0)) for t in words})
        return assemble(tables, self._manifest(state), projection, dim, stats, state.avg_length)

    def _dense_documents(self, names: Names, vector: np.ndarray, expr: str, k: int) -> set[str]:
        """Documents of the ``k`` chunks nearest ``vector`` among those ``expr`` admits.

        A graph search with a narrow filter can come back short; then the admitted chunks are counted and, if
        there are more than it found, scored exactly.
        """
        ef = max(self.settings.hnsw_ef_search, k)
        hits = self._call(
            "search",
            names.chunks,
            data=[vector],
            anns_field="vector",
            limit=k,
            filter=expr,
            output_fields=["doc_id"],
            search_params={"metric_type": "IP", "params": {"ef": ef}},
        )[0]
        found = {hit["entity"]["doc_id"] for hit in hits}
        if expr and len(hits) < k:
            admitted = self._count(names.chunks, expr)
            if len(hits) < min(k, admitted):
                found = self._exact_documents(names, vector, expr, k, admitted)
        return found

    def _exact_documents(self, names: Names, vector: np.ndarray, expr: str, k: int, admitted: int) -> set[str]:
        """Documents of the ``k`` admitted chunks nearest ``vector``, by exact inner product."""
        if admitted > EXACT_LIMIT:
            log.warning("filtered search found too few chunks and %d are too many to score exactly", admitted)
        doc_ids: list[str] = []
        scores: list[float] = []
        for row in self._scan(names.chunks, ["doc_id", "vector"], expr, limit=EXACT_LIMIT):
            doc_ids.append(row["doc_id"])
            scores.append(float(np.dot(np.asarray(row["vector"], dtype=np.float32), vector)))
        top = np.argsort(-np.asarray(scores))[:k]
        return {doc_ids[i] for i in top}

    def _count(self, collection: str, expr: str) -> int:
        rows = self._call("query", collection, filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def _df(self, names: Names, keys: set[int]) -> dict[int, int]:
        """Document frequencies of term ids (absent ones are left out)."""
        df: dict[int, int] = {}
        for batch in _batches(sorted(keys), ID_BATCH):
            rows = self._get(names.terms, batch, ["df"])
            df.update({int(r["term_id"]): int(r["df"]) for r in rows})
        return df

    def _scan(self, collection: str, fields: list[str], expr: str = "", limit: int | None = None) -> Iterator[dict]:
        """Every row matching ``expr`` (at most ``limit``), in pages of ``SCAN_ROWS`` in primary-key order, each
        starting after the last key of the one before (a query returns at most ``QUERY_LIMIT`` rows).

        The paging of pymilvus's ``query_iterator``, whose next expression would hold a string key unescaped.
        """
        key = primary_key(collection)
        fields = list(dict.fromkeys([key, *fields]))
        after: str | int | None = None
        left = limit
        while left is None or left > 0:
            size = SCAN_ROWS if left is None else min(SCAN_ROWS, left)
            parts = ([f"{key} > {literal(after)}"] if after is not None else []) + ([f"({expr})"] if expr else [])
            # The iterator flags make Milvus return the first ``size`` matches in key order.
            rows = self._call(
                "query",
                collection,
                filter=" and ".join(parts),
                output_fields=fields,
                limit=size,
                iterator="True",
                reduce_stop_for_best="True",
            )
            yield from rows
            if len(rows) < size:
                return
            after = rows[-1][key]
            if left is not None:
                left -= len(rows)

    def _rows(self, collection: str, expr: str, fields: list[str]) -> list[dict]:
        """Rows matching ``expr``: one query, or a scan when they are more than one query returns."""
        rows = self._call("query", collection, filter=expr, output_fields=fields, limit=QUERY_LIMIT)
        if len(rows) >= QUERY_LIMIT:
            return list(self._scan(collection, fields, expr))
        return list(rows)

    def _heads(self, names: Names, doc_ids: Iterable[str]) -> dict[str, _Head]:
        """The committed generation and row counts of the documents that exist among ``doc_ids``."""
        heads: dict[str, _Head] = {}
        for batch in _batches(sorted(set(doc_ids)), ID_BATCH):
            rows = self._get(names.documents, batch, ["gen", "parts", "chunks", "sentences"])
            for r in rows:
                heads[r["doc_id"]] = _Head(int(r["gen"]), int(r["parts"]), int(r["chunks"]), int(r["sentences"]))
        return heads

    def _text_parts(self, names: Names, rows: dict[str, dict]) -> dict[str, list[str]]:
        """Further text parts of the documents whose rows are given, only where all of them were found."""
        found: dict[str, dict[int, str]] = {}
        for batch in _batches(sorted(rows), ID_BATCH):
            gens = sorted({int(rows[d]["gen"]) for d in batch})
            expr = f"{one_of('doc_id', batch)} and gen in [{', '.join(map(str, gens))}]"
            for r in self._rows(names.texts, expr, ["doc_id", "gen", "part", "text"]):
                if r["gen"] == rows[r["doc_id"]]["gen"]:
                    found.setdefault(r["doc_id"], {})[int(r["part"])] = r["text"]
        complete = {}
        for doc_id, parts in found.items():
            if sorted(parts) == list(range(1, int(rows[doc_id]["parts"]))):
                complete[doc_id] = [parts[i] for i in sorted(parts)]
        return complete

    def _fetch(self, names: Names, doc_ids: Iterable[str]) -> list[DocTables]:
        """The tables of the committed documents among ``doc_ids``, sorted by doc_id (cached by generation)."""
        result: dict[str, DocTables] = {}
        heads = self._heads(names, doc_ids)
        for attempt in range(3):
            missing = {}
            for doc_id, head in heads.items():
                cached = self._cache.get((names.epoch, doc_id, head.gen))
                if cached is not None:
                    result[doc_id] = cached
                else:
                    missing[doc_id] = head
            if not missing:
                break
            for doc_id, tables in self._load(names, missing).items():
                result[doc_id] = tables
                self._cache.put((names.epoch, doc_id, missing[doc_id].gen), tables)
            left = [d for d in missing if d not in result]
            if not left:
                break
            # Rewritten or deleted between reading its row and its rows: read the row again.
            fresh = self._heads(names, left)
            if attempt == 2:
                log.warning("documents kept changing while read, left out: %s", ", ".join(left))
            heads = fresh
        return [result[d] for d in sorted(result)]

    def _load(self, names: Names, heads: dict[str, _Head]) -> dict[str, DocTables]:
        """Read the documents of ``heads`` from Milvus; those found incomplete (being rewritten) are left out."""
        dim = int(self._epoch_info(names.epoch)[0]["dim"])
        ids = sorted(heads)
        rows: dict[str, dict] = {}
        for batch in _batches(ids, ID_BATCH):
            found = self._get(names.documents, batch, self._document_fields(names))
            rows.update({r["doc_id"]: r for r in found if r["gen"] == heads[r["doc_id"]].gen})
        parts = self._text_parts(names, {d: r for d, r in rows.items() if r["parts"] > 1})
        chunks: dict[str, list[dict]] = {d: [] for d in rows}
        sentences: dict[str, list[dict]] = {d: [] for d in rows}
        chunk_fields = ["doc_id", "gen", "idx", "char_start", "char_end", "first_sentence", "last_sentence", "raw"]
        sentence_fields = ["doc_id", "gen", "idx", "char_start", "char_end", "entities", "vector"]
        for group in self._groups(rows, heads):
            gens = ", ".join(str(g) for g in sorted({heads[d].gen for d in group}))
            expr = f"{one_of('doc_id', group)} and gen in [{gens}]"
            for r in self._rows(names.chunks, expr, chunk_fields):
                if r["gen"] == heads[r["doc_id"]].gen:
                    chunks[r["doc_id"]].append(r)
            for r in self._rows(names.sentences, expr, sentence_fields):
                if r["gen"] == heads[r["doc_id"]].gen:
                    sentences[r["doc_id"]].append(r)
        loaded = {}
        for doc_id, row in rows.items():
            head = heads[doc_id]
            if (head.parts > 1 and doc_id not in parts) or (
                len(chunks[doc_id]) != head.chunks or len(sentences[doc_id]) != head.sentences
            ):
                continue
            document = document_from_row({**row, "doc_id": doc_id}, parts.get(doc_id, []))
            loaded[doc_id] = tables_from_rows(document, chunks[doc_id], sentences[doc_id], dim)
        return loaded

    @staticmethod
    def _groups(rows: dict[str, dict], heads: dict[str, _Head]) -> Iterator[list[str]]:
        """Documents in groups whose chunk and sentence rows each fit one query."""
        group: list[str] = []
        size = 0
        for doc_id in sorted(rows):
            n = max(heads[doc_id].chunks, heads[doc_id].sentences)
            if group and (size + n > FETCH_ROWS or len(group) >= ID_BATCH):
                yield group
                group, size = [], 0
            group.append(doc_id)
            size += n
        if group:
            yield group

    # -- writes ------------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive write lock: a file lock queues the writers of this host (without polling Milvus), then, for a
        server, the write lease in Milvus those of every host sharing it (see the module docstring)."""
        if self.lite:
            path = Path(self.target + ".lock")
        else:
            path = self.settings.index_dir.parent / f".milvus-{self.prefix}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if self.lite:
                    yield
                    return
                self._ensure_lease_collection()
                lease = MilvusLease(self._call, self.lease_name, self.lease_seconds)
                lease.acquire()
                self._lease = lease
                try:
                    yield
                finally:
                    self._lease = None
                    lease.release()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _ensure_lease_collection(self) -> None:
        """Create the lease collection on the first write; two hosts' first writes may race to create it."""
        for attempt in range(LEASE_CREATE_TRIES):
            try:
                if not self._call("has_collection", self.lease_name):
                    create_lease(self._connect(), self.lease_name, self.slow_timeout)
                self._ensure_loaded([self.lease_name])
                return
            except (StoreUnavailable, _CollectionGone):
                raise
            except Exception:
                # Another writer created it meanwhile ("already exists"), and may not have indexed it yet.
                if attempt == LEASE_CREATE_TRIES - 1:
                    raise
                time.sleep(0.5)

    def flush(self) -> None:
        """Persist what was written into indexed segments (Milvus Lite searches unflushed rows by brute force)."""
        state = self._state()
        if state is not None:
            for name in (*self._names(state).all(), self.meta):
                self._call("flush", name, timeout=self.slow_timeout)

    def _ensure_meta(self) -> None:
        if not self._has_meta():
            create_meta(self._connect(), self.meta, self.slow_timeout)
            self._meta_exists = False
            self._has_meta()

    def replace(self, snapshot: Snapshot) -> None:
        """Make ``snapshot`` the whole index: written as a new epoch, served once complete, the old one dropped."""
        self._ensure_meta()
        old = self._state()
        epoch = f"e{time.time_ns()}"
        names = Names.of(self.prefix, epoch)
        dim = int(snapshot.manifest.get("dim") or snapshot.chunk_vectors.shape[1])
        tables = [segment_tables(snapshot, doc_id) for doc_id in snapshot.documents]
        lengths = [chunk_length(t) for tab in tables for t in tab.chunk_terms]
        avg = sum(lengths) / len(lengths) if lengths else 1.0
        gen = time.time_ns()
        documents = [document_row(t, gen) for t in tables]  # checks the fields against Milvus's limits first
        create_collections(self._connect(), names, dim, self.slow_timeout)
        self._loaded.update(names.all())
        manifest = {
            k: v
            for k, v in snapshot.manifest.items()
            if k not in ("hashes", "documents", "chunks", "sentences", "build_seconds", "built_at")
        }
        manifest.update({"dim": dim, "store": "milvus"})
        basis = snapshot.projection.basis.astype(np.float32)
        self._put_blob(f"{epoch}/manifest", json.dumps(manifest))
        self._put_blob(
            f"{epoch}/projection",
            json.dumps({"shape": list(basis.shape), "data": base64.b64encode(basis.tobytes()).decode("ascii")}),
        )
        added = self._insert(names, tables, gen, snapshot.projection, avg)
        checkpoints.reached("milvus:rows")
        self._insert_documents(names, documents)
        checkpoints.reached("milvus:documents")
        self._add_df(names, added.df)
        checkpoints.reached("milvus:stats")
        for name in names.all():
            self._call("flush", name, timeout=self.slow_timeout)
        self._put_state(
            State(
                version=(old.version + 1) if old else 1,
                epoch=epoch,
                documents=len(tables),
                chunks=added.num_docs,
                sentences=sum(len(t.sentences) for t in tables),
                length=added.total_length,
                updated_at=_now(),
            ),
            old,
        )
        self._drop_other_epochs(epoch)

    def commit(self, segment: Snapshot | None, deletes: Iterable[str] = ()) -> None:
        """Remove ``deletes``, then add every document of ``segment`` (replacing those of the same id); each
        document atomically. Call under ``lock()``. The first write of an empty store makes ``segment`` the index."""
        deletes = list(dict.fromkeys(deletes))
        state = self._state()
        if state is None:
            if segment is None:
                raise ValueError("nothing to commit to an empty store")
            self.replace(segment)
            return
        if state.pending is not None:
            self.cleanup()  # the previous commit did not finish
            state = self._state()
            assert state is not None
        names = self._names(state)
        manifest, projection = self._epoch_info(state.epoch)
        if segment is not None and (
            segment.manifest.get("encoder") != manifest.get("encoder") or segment.manifest.get("dim") != manifest["dim"]
        ):
            raise IndexMismatch(
                f"the segment was embedded with '{segment.manifest.get('encoder')}' "
                f"(dim {segment.manifest.get('dim')}), the Milvus index with '{manifest.get('encoder')}' "
                f"(dim {manifest['dim']}); rebuild the index"
            )
        self._drop_other_epochs(state.epoch)  # leftovers of a rebuild that did not finish
        tables = [segment_tables(segment, d) for d in segment.documents] if segment is not None else []
        fresh = [t.document.doc_id for t in tables]
        touched = list(dict.fromkeys(deletes + fresh))
        if not touched:
            return
        gen = time.time_ns()
        new_lengths = [chunk_length(t) for tab in tables for t in tab.chunk_terms]
        avg = (state.length + sum(new_lengths)) / max(state.chunks + len(new_lengths), 1)
        documents = [document_row(t, gen) for t in tables]  # checks the fields against Milvus's limits first
        old = self._heads(names, touched)
        pending = replace(state, pending=tuple(touched))
        self._put_state(pending, state)
        # The store's projection, not the segment's: every stored vector is compared in one space.
        added = self._insert(names, tables, gen, projection, avg)
        checkpoints.reached("milvus:rows")
        gone = [d for d in deletes if d not in set(fresh)]
        self._fence()  # documents change for readers from here on
        for batch in _batches(gone, ID_BATCH):
            self._call("delete", names.documents, filter=one_of("doc_id", batch))
        self._insert_documents(names, documents)
        checkpoints.reached("milvus:documents")
        removed = self._chunk_stats(names, old)
        delta: Counter[int] = Counter(added.df)
        delta.subtract(removed.df)
        self._fence()  # df is read, changed and written back: one writer at a time
        self._add_df(names, {key: n for key, n in delta.items() if n})
        checkpoints.reached("milvus:stats")
        self._remove_leftovers(names, gone, fresh, gen)
        if added.num_docs + sum(len(t.sentences) for t in tables) >= FLUSH_ROWS:
            for name in names.all():
                self._call("flush", name, timeout=self.slow_timeout)
        self._put_state(
            replace(
                state,
                version=state.version + 1,
                documents=state.documents - len(old) + len(tables),
                chunks=state.chunks - removed.num_docs + added.num_docs,
                sentences=state.sentences
                - sum(h.sentences for h in old.values())
                + sum(len(t.sentences) for t in tables),
                length=state.length - removed.total_length + added.total_length,
                pending=None,
                updated_at=_now(),
            ),
            pending,
        )

    def _insert(
        self, names: Names, tables: list[DocTables], gen: int, projection: LanguageProjection, avg_length: float
    ) -> CorpusStats:
        """Insert the text parts, chunk and sentence rows of ``tables`` under generation ``gen`` (invisible until
        their document rows are written); the BM25 statistics they add. Rows are built a few documents at a time:
        those of a whole rebuild would not fit in memory beside its snapshot."""
        df: Counter[int] = Counter()
        count = length = 0
        for group in _batches(tables, INSERT_DOCUMENTS):
            texts, chunks, sentences = [], [], []
            for t in group:
                texts += text_rows(t, gen)
                projected = projection.apply(t.chunk_vectors) if len(t.chunk_vectors) else t.chunk_vectors
                chunks += chunk_rows(t, gen, projected, avg_length)
                sentences += sentence_rows(t, gen)
            for row in chunks:
                df.update(row["sparse"].keys())
                length += row["length"]
            count += len(chunks)
            for name, rows in ((names.texts, texts), (names.chunks, chunks), (names.sentences, sentences)):
                for batch in _batches(rows, INSERT_ROWS):
                    self._call("insert", name, batch)
        return CorpusStats(count, length, dict(df))

    def _insert_documents(self, names: Names, documents: list[dict]) -> None:
        """Write the document rows: each makes its document's new rows the visible ones."""
        if not self._has_url(names):  # an epoch created before documents had a URL
            documents = [{k: v for k, v in row.items() if k != "url"} for row in documents]
        for batch in _batches(documents, INSERT_ROWS):
            self._call("upsert", names.documents, batch)

    def _chunk_stats(self, names: Names, heads: dict[str, _Head]) -> CorpusStats:
        """The BM25 statistics the committed chunks of ``heads`` contribute."""
        df: Counter[int] = Counter()
        count = length = 0
        for group in _batches(sorted(heads), ID_BATCH):
            gens = ", ".join(str(g) for g in sorted({heads[d].gen for d in group}))
            expr = f"{one_of('doc_id', group)} and gen in [{gens}]"
            for r in self._rows(names.chunks, expr, ["doc_id", "gen", "sparse", "length"]):
                if r["gen"] == heads[r["doc_id"]].gen:
                    df.update(int(key) for key in r["sparse"])
                    count += 1
                    length += int(r["length"])
        return CorpusStats(count, length, dict(df))

    def _add_df(self, names: Names, delta: dict[int, int]) -> None:
        """Apply changes of document frequency: rows reaching zero are deleted."""
        current = self._df(names, set(delta))
        upserts, deletes = [], []
        for key, change in delta.items():
            value = current.get(key, 0) + change
            if value > 0:
                upserts.append({"term_id": key, "df": value, "placeholder": PLACEHOLDER})
            elif key in current:
                deletes.append(key)
        for batch in _batches(upserts, 1000):
            self._call("upsert", names.terms, batch)
        for batch in _batches(deletes, 1000):
            self._call("delete", names.terms, ids=batch)

    def _remove_leftovers(self, names: Names, gone: list[str], fresh: list[str], gen: int) -> None:
        """Rows of deleted documents, and of rewritten ones' other generations (older, or a crashed write)."""
        for name in (names.texts, names.chunks, names.sentences):
            for batch in _batches(gone, ID_BATCH):
                self._call("delete", name, filter=one_of("doc_id", batch))
            for batch in _batches(fresh, ID_BATCH):
                self._call("delete", name, filter=f"{one_of('doc_id', batch)} and gen != {gen}")

    def cleanup(self) -> None:
        """Remove rows that no committed document owns, recompute the term statistics from the committed chunks
        and drop leftovers of unfinished rebuilds. Call under ``lock()``; a commit runs it after a crashed one."""
        state = self._state()
        if state is None:
            return
        self._fence()  # it deletes rows a commit in progress may not have made visible yet
        names = self._names(state)
        committed: dict[str, int] = {}
        sentences = 0
        for row in self._scan(names.documents, ["doc_id", "gen", "sentences"]):
            committed[row["doc_id"]] = int(row["gen"])
            sentences += int(row["sentences"])
        for name in (names.texts, names.chunks, names.sentences):
            orphans = [r["pk"] for r in self._scan(name, ["doc_id", "gen"]) if committed.get(r["doc_id"]) != r["gen"]]
            for batch in _batches(orphans, 1000):
                self._call("delete", name, ids=batch)
        stats = self.corpus_stats(names)
        stored = {int(r["term_id"]): int(r["df"]) for r in self._scan(names.terms, ["term_id", "df"])}
        self._fence()
        changed = [
            {"term_id": key, "df": n, "placeholder": PLACEHOLDER} for key, n in stats.df.items() if stored.get(key) != n
        ]
        for batch in _batches(changed, 1000):
            self._call("upsert", names.terms, batch)
        for batch in _batches([key for key in stored if key not in stats.df], 1000):
            self._call("delete", names.terms, ids=batch)
        self._drop_other_epochs(state.epoch)
        self._put_state(
            replace(
                state,
                version=state.version + 1,
                documents=len(committed),
                chunks=stats.num_docs,
                sentences=sentences,
                length=stats.total_length,
                pending=None,
                updated_at=_now(),
            ),
            state,
        )

    def corpus_stats(self, names: Names | None = None) -> CorpusStats:
        """BM25 statistics computed from the committed chunks (a full scan: for repairs and checks)."""
        if names is None:
            state = self._state()
            if state is None:
                return CorpusStats(0, 0, {})
            names = self._names(state)
        committed = {r["doc_id"]: int(r["gen"]) for r in self._scan(names.documents, ["doc_id", "gen"])}
        df: Counter[int] = Counter()
        count = length = 0
        for r in self._scan(names.chunks, ["doc_id", "gen", "sparse", "length"]):
            if committed.get(r["doc_id"]) == r["gen"]:
                df.update(int(key) for key in r["sparse"])
                count += 1
                length += int(r["length"])
        return CorpusStats(count, length, dict(df))

    def stored_stats(self) -> CorpusStats:
        """The BM25 statistics readers use: the ``state`` totals and the ``terms`` collection."""
        state = self._state()
        if state is None:
            return CorpusStats(0, 0, {})
        names = self._names(state)
        df = {int(r["term_id"]): int(r["df"]) for r in self._scan(names.terms, ["term_id", "df"])}
        return CorpusStats(state.chunks, state.length, df)

    def _drop_other_epochs(self, epoch: str) -> None:
        """Drop the collections and meta rows of every epoch but ``epoch`` (replaced, or an unfinished rebuild)."""
        pattern = re.compile(EPOCH_NAME.format(prefix=re.escape(self.prefix)))
        for name in self._call("list_collections"):
            found = pattern.match(name)
            if found and found.group(1) != epoch:
                self._call("drop_collection", name, timeout=self.slow_timeout)
                self._loaded.discard(name)
        keys = [r["key"] for r in self._rows(self.meta, f"key != {literal(STATE)}", ["key"])]
        stale = [key for key in keys if not key.startswith(f"{epoch}/")]
        for batch in _batches(stale, ID_BATCH):
            self._call("delete", self.meta, filter=one_of("key", batch))
        self._epoch_meta = {e: v for e, v in self._epoch_meta.items() if e == epoch}

    def close(self) -> None:
        """Close the connection; the last store of a Milvus Lite file in this process stops its server."""
        with self._guard:
            client, self._client = self._client, None
            self._loaded.clear()
            self._meta_exists = False
            if client is None:
                return
            try:
                client.close()
            finally:
                if self.lite:
                    path = str(Path(self.target).resolve())
                    with _LITE_GUARD:
                        _LITE_USERS[path] -= 1
                        last = _LITE_USERS[path] <= 0
                        if last:
                            del _LITE_USERS[path]
                    if last:
                        from milvus_lite.server_manager import server_manager_instance

                        server_manager_instance.release_server(self.target)
