"""What clients are told when something fails inside: never the exception's text.

Exceptions from the store or the file system name Milvus URIs, hosts and paths, which are nobody's business but
the operator's. Clients get a fixed message and the request id; the server log gets the exception under that id.
Unexpected errors become a JSON 500 inside the middleware stack, so that the response still gets the security
headers, the request id, its access line and its count (Starlette's own handler answers outside all of them)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("app")


def withheld(request: Request, message: str, exc: BaseException) -> str:
    """``message`` for the client, naming the request; ``exc`` goes to the server log only, under the same id."""
    rid = getattr(request.state, "request_id", "-")
    where = f"{request.method} {request.url.path}"
    log.warning("%s on %s (request %s): %s: %s", message, where, rid, type(exc).__name__, exc)
    return f"{message}; the server log has the details (request {rid})"


class InternalErrors:
    """ASGI middleware: an exception escaping the app is logged with its traceback and answered with a 500."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:  # too late for another response: let the server close the connection
                raise
            rid = scope.get("state", {}).get("request_id", "-")
            # Clients always get JSON with a "detail"; the traceback goes to the server log only.
            log.exception("unhandled error on %s %s (request %s)", scope["method"], scope["path"], rid)
            detail = f"internal error ({type(exc).__name__}); the server log has the details (request {rid})"
            await JSONResponse({"detail": detail}, status_code=500)(scope, receive, send)
