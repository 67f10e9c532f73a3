"""Request and response models of the HTTP API (the contract clients rely on)."""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from app.models import AskResult

MAX_QUESTION_CHARS = 2000
MAX_DOC_ID_CHARS = 512
_BAD_ID = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 control characters


def check_doc_id(doc_id: str) -> str:
    """A document id is a relative path: no empty, absolute, control-character or '..' ids."""
    doc_id = doc_id.strip()
    if not doc_id:
        raise ValueError("doc_id must not be empty")
    if len(doc_id) > MAX_DOC_ID_CHARS:
        raise ValueError(f"doc_id must be at most {MAX_DOC_ID_CHARS} characters (got {len(doc_id)})")
    parts = doc_id.split("/")
    if _BAD_ID.search(doc_id) or "\\" in doc_id or doc_id.startswith("/") or any(p in ("", ".", "..") for p in parts):
        # Ids are URL paths (GET /documents/{doc_id}): only forms a client can fetch back verbatim.
        raise ValueError(
            "doc_id must be a relative path like 'reports/2024.txt': no control characters, backslashes, "
            "empty, '.' or '..' segments"
        )
    return doc_id


class QueryIn(BaseModel):
    """Shared fields of /ask and /search."""

    model_config = ConfigDict(extra="forbid")

    # strict: true or "5" is a client bug to report, not a number to guess.
    top_k: int = Field(5, ge=1, le=50, strict=True, description="How many answers/passages to return (1..50).")
    lang: Optional[Literal["ru", "en"]] = Field(
        None, description="Language of the question; detected when null. Documents of every language are searched."
    )
    doc_ids: Optional[list[StrictStr]] = Field(
        None, max_length=1000, description="Restrict the search to these documents."
    )


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


class AskIn(QueryIn):
    question: StrictStr = Field(
        ...,
        description="The question, in Russian or English.",
        examples=["Сколько человек участвовало в конференции в Боровом?"],
    )

    _check = field_validator("question")(classmethod(lambda cls, v: _question(v)))


class SearchIn(QueryIn):
    query: StrictStr = Field(..., description="Search text in any language.", examples=["border security conference"])

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


class PassageOut(BaseModel):
    doc_id: str
    title: str
    lang: str
    chunk_id: int
    text: str
    score: float
    start: int
    end: int


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

    @classmethod
    def from_result(cls, result: AskResult) -> AskResponse:
        return cls(
            question=result.question,
            lang=result.lang,
            answer=result.answer.public() if result.answer else None,
            answers=[a.public() for a in result.answers],
            passages=[p.public() for p in result.passages],
            took_ms=result.took_ms,
            stages_ms=result.stages,
        )


class SearchResponse(BaseModel):
    passages: list[PassageOut]
    took_ms: float


class DocumentIn(BaseModel):
    """A document given as text."""

    model_config = ConfigDict(extra="forbid")

    doc_id: StrictStr
    text: StrictStr = Field(..., min_length=1, max_length=10_000_000)
    title: Optional[StrictStr] = Field(None, max_length=300)

    _check = field_validator("doc_id")(classmethod(lambda cls, v: check_doc_id(v)))
    # A blank title means "derive it from the text", not an empty title.
    _blank_title = field_validator("title")(classmethod(lambda cls, v: (v.strip() or None) if v is not None else None))


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    lang: str
    chars: int
    chunks: int
    origin: str


class DocumentOut(DocumentSummary):
    text: str


class IngestOut(BaseModel):
    """What a document upload or deletion changed."""

    doc_id: str
    status: Literal["added", "updated", "unchanged", "removed"]
    chunks: int = Field(description="Chunks in the whole index afterwards.")
    seconds: float


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


class HealthOut(BaseModel):
    status: Literal["ok"]
    documents: int
    chunks: int
    embedding_model: str
    encoder: str
    index_built_at: Optional[str]
