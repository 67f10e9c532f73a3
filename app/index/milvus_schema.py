"""The Milvus collections of ``MilvusStore``: names, schemas, field limits, BM25 weights and filter expressions.

Every collection but ``meta`` belongs to one *epoch*: ``replace`` builds a new epoch beside the served one and
switches the ``state`` row of ``meta`` to it, so a rebuild never shows readers an empty or half-built index.

documents  one row per document (pk ``doc_id``): its fields, the first part of its text, the generation of its
           committed rows and their counts. Written last: it is what makes a document visible.
texts      further parts of long texts (VARCHAR holds at most 65,535 bytes; a part holds ``TEXT_PART_CHARS``
           characters, at most 4 UTF-8 bytes each).
chunks     one row per chunk: document-local offsets and sentence range, the document's filter fields (lang,
           date 'YYYY-MM-DD' or '', collection or ''), the projected vector (HNSW, inner product), the raw vector
           (snapshots hold raw vectors: a rebuild refits the projection), and BM25 document-side weights as a
           sparse vector keyed by ``term_id``.
sentences  one row per sentence: document-local offsets, raw vector, named entities as JSON.
terms      document frequency per term id: with the ``state`` row's chunk count and total length, the corpus
           statistics that idf and avgdl follow.
meta       (not per epoch) ``state`` (version counter, epoch, corpus totals, an unfinished commit) and each epoch's
           manifest and language projection.
lease      (not per epoch) the writers' lease (``app/index/milvus_lease.py``): a row per writer holding or waiting.

Vectors that are only read back, never searched (raw chunk and sentence vectors), are VARCHARs of base64 float32:
Milvus then keeps no index of them, and fetching a question's documents moves one string per row instead of a
list of floats (about 4x faster with Milvus Lite). The sparse BM25 weights use the average chunk length of when
they were written; ``replace`` writes them all afresh.

Filters compare plain scalar fields of the chunks (with INVERTED indexes): a JSON field would be scanned row by row.
Milvus (before 2.6) needs a vector field in every collection: those without one get a 2-dimensional placeholder.
Nullable fields need Milvus 2.5 or later.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.index.dense import HNSW_EF_CONSTRUCTION, HNSW_M
from app.models import Filters

VARCHAR_MAX = 65_535  # bytes of a Milvus VARCHAR
TEXT_PART_CHARS = 16_000  # 4 bytes per character at most: a part always fits a VARCHAR
DOC_ID_MAX = 2_048
COLLECTION_MAX = 1_024
URL_MAX = 2_048  # the longest URL the fetcher takes
PLACEHOLDER_DIM = 2
PLACEHOLDER = [0.0] * PLACEHOLDER_DIM
# bm25s's defaults (method "lucene"), which ``LexicalIndex`` scores with.
BM25_K1 = 1.5
BM25_B = 0.75
# ``LexicalIndex.build`` gives a chunk without terms this one term; counting it the same way keeps N, df and the
# total length equal to the embedded index's.
EMPTY_TERM = "\u2400"

KINDS = ("documents", "texts", "chunks", "sentences", "terms")
# Names the epoch collections of ``prefix`` take; anything else of the same shape is a leftover to drop.
EPOCH_NAME = r"^{prefix}_(e\d+)_(documents|texts|chunks|sentences|terms)$"
PRIMARY_KEYS = {"documents": "doc_id", "terms": "term_id", "meta": "key"}  # the others' is "pk" (auto_id)
PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,100}$")


@dataclass(frozen=True)
class Names:
    """Collection names of one epoch."""

    epoch: str
    documents: str
    texts: str
    chunks: str
    sentences: str
    terms: str

    @classmethod
    def of(cls, prefix: str, epoch: str) -> Names:
        return cls(epoch, *(f"{prefix}_{epoch}_{kind}" for kind in KINDS))

    def all(self) -> tuple[str, ...]:
        return (self.documents, self.texts, self.chunks, self.sentences, self.terms)


def meta_name(prefix: str) -> str:
    return f"{prefix}_meta"


def lease_name(prefix: str) -> str:
    return f"{prefix}_lease"


def term_id(term: str) -> int:
    """A stable 32-bit id of a term (Python's ``hash`` changes per process). Milvus sparse dimensions end at
    2**32 - 2. At 100k distinct terms about one pair collides; it then shares its df and postings."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little") % 0xFFFFFFFF


def chunk_length(chunk_terms: list[str]) -> int:
    """The BM25 length of a chunk (a chunk without terms counts its placeholder term)."""
    return max(1, len(chunk_terms))


def chunk_weights(chunk_terms: list[str], avg_length: float) -> dict[int, float]:
    """BM25 document-side weights ``tf / (tf + k1 (1 - b + b dl / avgdl))`` by term id: the inner product with
    idf query weights is the chunk's Lucene BM25 score (with the avgdl of when it was written)."""
    counts = Counter(chunk_terms or [EMPTY_TERM])
    norm = BM25_K1 * (1 - BM25_B + BM25_B * chunk_length(chunk_terms) / max(avg_length, 1e-9))
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        key = term_id(term)
        weights[key] = weights.get(key, 0.0) + tf / (tf + norm)
    return weights


def literal(value: str | int) -> str:
    """A literal of a Milvus boolean expression: an integer, or a double-quoted string in which every character
    that could end it is escaped. The only way a value enters an expression: Milvus Lite has no expression
    templates (``filter_params``), and pymilvus's own ``get``/``delete`` by id and its query iterator quote string
    keys without escaping them, so the store builds every expression here."""
    if not isinstance(value, str):
        return str(int(value))  # ints (numpy's too); a str() of anything else could carry an expression
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


def one_of(field: str, values: Iterable[str | int]) -> str:
    """``field`` equal to one of ``values`` (field names are the store's own, never user data)."""
    return f"{field} in [{', '.join(literal(v) for v in values)}]"


def primary_key(collection: str) -> str:
    """The primary key field of one of the store's collections, by the kind its name ends with."""
    return PRIMARY_KEYS.get(collection.rsplit("_", 1)[-1], "pk")


def filter_expression(filters: Filters) -> str:
    """The chunks ``filters`` admit, as a Milvus expression ('' for all); the same rules as
    ``Snapshot.document_mask``: a document without a date fails a date filter."""
    parts = []
    if filters.langs is not None:
        parts.append(one_of("lang", filters.langs))
    if filters.collections is not None:
        parts.append(one_of("collection", filters.collections))
    if filters.date_from is not None or filters.date_to is not None:
        parts.append('date != ""')
        if filters.date_from is not None:
            parts.append(f"date >= {literal(filters.date_from)}")
        if filters.date_to is not None:
            parts.append(f"date <= {literal(filters.date_to)}")
    if filters.doc_ids is not None:
        parts.append(one_of("doc_id", filters.doc_ids))
    return " and ".join(f"({p})" for p in parts)


def check_size(what: str, value: str, limit: int) -> None:
    """Refuse a value Milvus would reject, with a message naming it."""
    size = len(value.encode("utf-8"))
    if size > limit:
        raise ValueError(f"{what} is {size} bytes long; the Milvus store keeps at most {limit}")


def create_collections(client: Any, names: Names, dim: int, timeout: float) -> None:
    """Create the collections of an epoch (loaded: Milvus serves a collection only once it is loaded)."""
    from pymilvus import DataType, MilvusClient

    if (dim * 4 + 2) // 3 * 4 > VARCHAR_MAX:
        raise ValueError(f"vectors of {dim} dimensions do not fit the Milvus store's VARCHAR fields")

    def schema(auto_id: bool = True) -> Any:
        return MilvusClient.create_schema(auto_id=auto_id, enable_dynamic_field=False)

    def make(name: str, fields: Any, vectors: dict[str, tuple[str, str]], scalars: tuple[str, ...] = ()) -> None:
        index = client.prepare_index_params()
        for field, (kind, metric) in vectors.items():
            params = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION} if kind == "HNSW" else {}
            index.add_index(field, index_type=kind, metric_type=metric, params=params)
        for field in scalars:
            index.add_index(field, index_type="INVERTED")
        _create(client, name, fields, index, timeout)

    documents = schema(auto_id=False)
    documents.add_field("doc_id", DataType.VARCHAR, is_primary=True, max_length=DOC_ID_MAX)
    documents.add_field("gen", DataType.INT64)
    documents.add_field("title", DataType.VARCHAR, max_length=VARCHAR_MAX)
    documents.add_field("lang", DataType.VARCHAR, max_length=16)
    documents.add_field("date", DataType.VARCHAR, max_length=10, nullable=True)
    documents.add_field("collection", DataType.VARCHAR, max_length=COLLECTION_MAX, nullable=True)
    documents.add_field("sha", DataType.VARCHAR, max_length=256)
    documents.add_field("origin", DataType.VARCHAR, max_length=64)
    # Epochs created before documents could come from the web lack it (Milvus Lite cannot add a field): their
    # rows are written and read without it, and the next rebuild (`ingest --rebuild`) creates it.
    documents.add_field("url", DataType.VARCHAR, max_length=URL_MAX, nullable=True)
    documents.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX)
    documents.add_field("parts", DataType.INT64)
    documents.add_field("chunks", DataType.INT64)
    documents.add_field("sentences", DataType.INT64)
    documents.add_field("placeholder", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    make(names.documents, documents, {"placeholder": ("FLAT", "L2")})

    texts = schema()
    texts.add_field("pk", DataType.INT64, is_primary=True)
    texts.add_field("doc_id", DataType.VARCHAR, max_length=DOC_ID_MAX)
    texts.add_field("gen", DataType.INT64)
    texts.add_field("part", DataType.INT64)
    texts.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX)
    texts.add_field("placeholder", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    make(names.texts, texts, {"placeholder": ("FLAT", "L2")}, ("doc_id",))

    chunks = schema()
    chunks.add_field("pk", DataType.INT64, is_primary=True)
    chunks.add_field("doc_id", DataType.VARCHAR, max_length=DOC_ID_MAX)
    chunks.add_field("gen", DataType.INT64)
    chunks.add_field("idx", DataType.INT64)
    chunks.add_field("lang", DataType.VARCHAR, max_length=16)
    chunks.add_field("date", DataType.VARCHAR, max_length=10)
    chunks.add_field("collection", DataType.VARCHAR, max_length=COLLECTION_MAX)
    chunks.add_field("char_start", DataType.INT64)
    chunks.add_field("char_end", DataType.INT64)
    chunks.add_field("first_sentence", DataType.INT64)
    chunks.add_field("last_sentence", DataType.INT64)
    chunks.add_field("length", DataType.INT64)
    chunks.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    chunks.add_field("raw", DataType.VARCHAR, max_length=VARCHAR_MAX)
    chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    make(
        names.chunks,
        chunks,
        {"vector": ("HNSW", "IP"), "sparse": ("SPARSE_INVERTED_INDEX", "IP")},
        ("doc_id", "lang", "date", "collection"),
    )

    sentences = schema()
    sentences.add_field("pk", DataType.INT64, is_primary=True)
    sentences.add_field("doc_id", DataType.VARCHAR, max_length=DOC_ID_MAX)
    sentences.add_field("gen", DataType.INT64)
    sentences.add_field("idx", DataType.INT64)
    sentences.add_field("char_start", DataType.INT64)
    sentences.add_field("char_end", DataType.INT64)
    sentences.add_field("entities", DataType.VARCHAR, max_length=VARCHAR_MAX)
    sentences.add_field("vector", DataType.VARCHAR, max_length=VARCHAR_MAX)
    sentences.add_field("placeholder", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    make(names.sentences, sentences, {"placeholder": ("FLAT", "L2")}, ("doc_id",))

    terms = schema(auto_id=False)
    terms.add_field("term_id", DataType.INT64, is_primary=True)
    terms.add_field("df", DataType.INT64)
    terms.add_field("placeholder", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    make(names.terms, terms, {"placeholder": ("FLAT", "L2")})


def create_meta(client: Any, name: str, timeout: float) -> None:
    """The epoch-independent ``meta`` collection: ``key`` -> ``value`` (JSON or base64)."""
    from pymilvus import DataType, MilvusClient

    meta = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    meta.add_field("key", DataType.VARCHAR, is_primary=True, max_length=512)
    meta.add_field("value", DataType.VARCHAR, max_length=VARCHAR_MAX)
    meta.add_field("placeholder", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    index = client.prepare_index_params()
    index.add_index("placeholder", index_type="FLAT", metric_type="L2")
    _create(client, name, meta, index, timeout)


def create_lease(client: Any, name: str, timeout: float) -> None:
    """The writers' lease collection: ``pk`` (assigned by Milvus, in insertion order), the writer's random
    ``token`` and when its claim ``expires`` (milliseconds since the epoch)."""
    from pymilvus import DataType, MilvusClient

    lease = MilvusClient.create_schema(auto_id=True, enable_dynamic_field=False)
    lease.add_field("pk", DataType.INT64, is_primary=True)
    lease.add_field("token", DataType.VARCHAR, max_length=64)
    lease.add_field("expires", DataType.INT64)
    lease.add_field("placeholder", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    index = client.prepare_index_params()
    index.add_index("placeholder", index_type="FLAT", metric_type="L2")
    _create(client, name, lease, index, timeout)


def _create(client: Any, name: str, schema: Any, index: Any, timeout: float) -> None:
    """Create, index and load a collection. Index builds are not waited for (pymilvus would poll each new index
    every half second), and load waits until the collection can be served."""
    client.create_collection(name, schema=schema, consistency_level="Strong", timeout=timeout)
    client.create_index(name, index, timeout=timeout, sync=False)
    client.load_collection(name, timeout=timeout)
