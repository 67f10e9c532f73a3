"""One JSON line per request on the ``app.access`` logger, one more on ``app.audit`` for every write attempt, and
the request's count and latency in the metrics (one timing and one route lookup serve all three).

Each request gets an id: the client's ``X-Request-ID`` when it is a plain token (at most 64 of ``A-Za-z0-9._-``,
so it cannot forge log lines or headers), else a new one; it is echoed in the response. The line names the key by
its name only (never the key), and for /ask whether it was answered and how confidently. Question text is logged
only with ``RAG_LOG_QUESTIONS=true``: questions may hold what users would not want kept.

Routers and the auth dependency leave what they know in ``request.state`` (``key_name``, ``answer``, ``doc_id``,
``write_status``, ``question``), which is ``scope["state"]`` here.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.metrics import Metrics, route_template

access = logging.getLogger("app.access")
audit = logging.getLogger("app.audit")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_WRITES = {"POST": "upload", "DELETE": "delete"}  # on /documents routes: the only writes of the API


def request_id(scope: Scope) -> str:
    """The client's X-Request-ID if it is a plain token, else a new random one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
            break
    return uuid.uuid4().hex


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AccessLog:
    """ASGI middleware: request id in and out, then the access line (and the audit line of a write) and the
    request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None, log_questions: bool = False):
        self.app = app
        self.metrics = metrics
        self.log_questions = log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        started = time.perf_counter()
        status = 500  # if the app raises before answering, the server answers 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            if self.metrics is not None:
                self.metrics.observe_request(scope["method"], route, status, seconds)
            self._write(scope, state, route, status, seconds * 1000)

    def _write(self, scope: Scope, state: dict, route: str, status: int, ms: float) -> None:
        client = scope.get("client")
        line: dict = {
            "time": _now(),
            "request_id": state["request_id"],
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "status": status,
            "latency_ms": round(ms, 2),
            "key": state.get("key_name"),
            "client": client[0] if client else None,
        }
        if "answer" in state:
            line["answered"], line["confidence"] = state["answer"]
        if self.log_questions and "question" in state:
            line["question"] = state["question"]
        if access.isEnabledFor(logging.INFO):
            access.info(json.dumps(line, ensure_ascii=False))
        action = _WRITES.get(scope["method"]) if route.startswith("/documents") else None
        if action and audit.isEnabledFor(logging.INFO):
            doc_id = state.get("doc_id") or (scope.get("path_params") or {}).get("doc_id")
            result = state.get("write_status") or ("refused" if status in (401, 403, 429, 503) else "failed")
            record = {
                "time": line["time"],
                "request_id": line["request_id"],
                "action": action,
                "key": line["key"],
                "doc_id": doc_id,
                "result": result,
                "status": status,
            }
            audit.info(json.dumps(record, ensure_ascii=False))
