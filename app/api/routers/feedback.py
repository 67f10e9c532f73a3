"""Users' verdicts on answers: 👍/👎 and "the answer is ...", stored for export as gold questions.

Feedback is open like reads, so it is also the one write anyone may make. Three things keep that from costing real
feedback: a per-caller rate limit and daily quota of its own (``RAG_FEEDBACK_RATE_LIMIT``, ``RAG_FEEDBACK_QUOTA``),
a separate bounded allowance for rows given without a key (``RAG_FEEDBACK_ANONYMOUS_MAX_ROWS``: anonymous floods
drop only older anonymous rows), and the record of who gave each row, so that export trusts keyed rows only.
"""

from __future__ import annotations

import logging
import sqlite3

from fastapi import APIRouter, Depends, HTTPException, Request

from app.api.auth import READ, enforce_rate_limit
from app.api.dependencies import get_pipeline
from app.api.schemas import FeedbackIn, FeedbackOut, error_responses
from app.feedback.store import FeedbackStore, ShownAnswer
from app.pipeline import Pipeline
from app.text.language import question_language

log = logging.getLogger("app.feedback")


async def allowance(request: Request) -> None:
    """After ``READ``: refuse anonymous feedback when it is off, then count the caller's feedback rate and quota.

    Async, so that it runs on the event loop like the other limits (their test-then-count cannot race).
    """
    state = request.app.state
    if _giver_key(request) is None and state.settings.feedback_anonymous_max_rows == 0:
        raise HTTPException(
            401,
            "feedback needs an API key on this server (RAG_FEEDBACK_ANONYMOUS_MAX_ROWS=0): "
            "send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": 'Bearer realm="border-qa"'},
        )
    enforce_rate_limit(request, state.feedback_rate_limit, "RAG_FEEDBACK_RATE_LIMIT")
    enforce_rate_limit(request, state.feedback_quota, "RAG_FEEDBACK_QUOTA")


def _giver_key(request: Request) -> str | None:
    """The name of the key that vouches for this feedback, None for anonymous feedback.

    A public key (the one a widget page shows every visitor) vouches for nobody: its feedback counts as anonymous.
    """
    if getattr(request.state, "key_public", False):
        return None
    return getattr(request.state, "key_name", None)


router = APIRouter(
    tags=["feedback"],
    dependencies=[READ, Depends(allowance)],
    responses=error_responses(400, 401, 409, 413, 422, 429, 503),
)


def _checked_answer(body: FeedbackIn, pipeline: Pipeline) -> ShownAnswer | None:
    """The shown answer, checked against the served index: an answer that is not a span of a stored document
    would make wrong gold data."""
    shown = body.answer
    if shown is None:
        return None
    text = pipeline.document(shown.doc_id).text  # UnknownDocument: a 422 naming it (app/api/main.py)
    if not shown.start < shown.end <= len(text):
        raise HTTPException(
            422,
            f"answer.start {shown.start} and answer.end {shown.end} must satisfy start < end <= {len(text)}, "
            f"the length of {shown.doc_id}",
        )
    if text[shown.start : shown.end] != shown.text:
        raise HTTPException(
            422,
            f"answer.text is not the text at {shown.start}:{shown.end} of {shown.doc_id} "
            "(send the answer exactly as /ask returned it; the document may have changed since)",
        )
    return ShownAnswer(shown.text, shown.doc_id, shown.start, shown.end, shown.sentence, shown.confidence)


@router.post(
    "/feedback",
    response_model=FeedbackOut,
    status_code=201,
    summary="Say whether an answer was right, optionally with the right answer",
)
def feedback(body: FeedbackIn, request: Request, pipeline: Pipeline = Depends(get_pipeline)) -> FeedbackOut:
    """Store a verdict on the answer ``/ask`` gave (``answer: null`` for "not found").

    With ``RAG_FEEDBACK_STORE_TEXT=false`` the question and correction are not kept.
    """
    request.state.question = body.question  # logged only with RAG_LOG_QUESTIONS=true
    answer = _checked_answer(body, pipeline)
    store: FeedbackStore = request.app.state.feedback
    try:
        feedback_id = store.add(
            body.question,
            body.lang or question_language(body.question),
            body.verdict,
            answer=answer,
            correction=body.correction,
            index_version=pipeline.store.version(),
            key_name=_giver_key(request),
            client=request.client.host if request.client else None,
        )
    except (sqlite3.Error, OSError):
        # A full disk or an unwritable RAG_FEEDBACK_PATH: the operator's problem, said in the log; the user may retry.
        log.exception("feedback could not be stored in %s", store.path)
        raise HTTPException(
            503, "feedback cannot be stored right now; please retry later", headers={"Retry-After": "60"}
        ) from None
    return FeedbackOut(id=feedback_id)
