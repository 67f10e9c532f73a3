"""Typed records passed between pipeline stages. Offsets are character offsets into ``Document.text``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from app.text.question import AnswerType

# Named-entity labels stored per sentence in the index: person, place, organisation, other name.
ENTITY_LABELS = ("PER", "LOC", "ORG", "MISC")


@dataclass(frozen=True)
class Document:
    """A stored document: the cleaned text every offset refers to."""

    doc_id: str
    title: str
    lang: str
    text: str
    sha: str
    origin: str = "corpus"  # "corpus" (folder sync may remove it) or "upload" (kept until deleted)
    date: str | None = None  # ISO YYYY-MM-DD: the file's metadata date, else the first dated line of its text
    collection: str | None = None  # the corpus sub-folder it came from, or the one named at upload
    url: str | None = None  # where a document fetched from the web came from (cited with its answers)


@dataclass(frozen=True)
class Filters:
    """Which documents a question may be answered from; None in a field means "any"."""

    langs: tuple[str, ...] | None = None
    date_from: str | None = None  # inclusive ISO dates; documents without a date are left out of a date filter
    date_to: str | None = None
    collections: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.langs, self.date_from, self.date_to, self.collections, self.doc_ids))


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a conversation: its question and where it was answered from."""

    question: str
    doc_ids: tuple[str, ...] = ()
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    """A question analysed once per request; retrieval, fusion and extraction read it and recompute nothing."""

    text: str
    lang: str  # the question's language ('ru', 'en'; 'und' without letters)
    vector: np.ndarray  # the question's embedding in the index's language-neutral space
    terms: list[tuple[str, ...]]  # lexical term groups (a name also in the other script), see text.terms
    kind: AnswerType  # the kind of answer asked for
    top_k: int  # answers and passages to return
    filters: Filters = Filters()  # which documents may answer
    # Set when the question was read as a follow-up: the earlier turn it continues (its documents are preferred)
    # and the text embedded and read in place of ``text`` (the question followed by the turns it continues).
    context: Turn | None = None
    resolved: str | None = None

    @property
    def reading(self) -> str:
        """The text the encoder embeds and the reader reads."""
        return self.resolved or self.text

    @property
    def doc_ids(self) -> tuple[str, ...] | None:
        return self.filters.doc_ids

    @property
    def term_set(self) -> set[str]:
        """Every stemmed term of the question, alternatives included."""
        return {t for group in self.terms for t in group}


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the signals behind it."""

    chunk_id: int
    doc_id: str
    title: str
    lang: str
    text: str
    start: int
    end: int
    score: float
    dense: float = 0.0
    lexical: float = 0.0

    def public(self) -> dict:
        """The fields of the HTTP contract."""
        return {k: getattr(self, k) for k in ("doc_id", "title", "lang", "chunk_id", "text", "score", "start", "end")}


@dataclass(frozen=True)
class Answer:
    """An extractive answer: a short span inside a verbatim sentence of a document."""

    text: str
    sentence: str
    confidence: float
    doc_id: str
    title: str
    lang: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    chunk_id: int
    # The inputs of the confidence model, kept for calibration; not part of the HTTP contract.
    signals: tuple[float, ...] = field(default=(), compare=False, repr=False)

    def public(self) -> dict:
        data = asdict(self)
        data.pop("signals")
        return data


@dataclass
class AskResult:
    """Everything ``ask`` returns: the answer (None = abstained), alternatives and evidence."""

    question: str
    lang: str
    answer: Answer | None
    answers: list[Answer]
    passages: list[Passage]
    took_ms: float = 0.0
    # Milliseconds per stage (embed, retrieve, extract): what the bench and the metrics read.
    stages: dict[str, float] = field(default_factory=dict)
    # Why this answer (or none): filled when asked for; see ``Pipeline.ask``.
    explanation: dict | None = None
    follow_up: bool = False  # the question was read with the turn it continues


@dataclass
class IngestReport:
    """What an ingest run changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # doc_id -> reason
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0  # of ``seconds``, spent embedding (the rest is indexing and writing)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)
