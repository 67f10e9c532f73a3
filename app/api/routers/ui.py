"""The chat: the full page at ``/``, the embeddable ``/widget.js`` and their assets under ``/static``.

Everything is served by plain routes of this router (no ``app.mount``), so ``app.include_router(ui.router)`` is
all the application needs. The files are read from ``app/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"

# The page loads only its own script and stylesheet and talks only to its own origin.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

_MEDIA_TYPES = {
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}

router = APIRouter(tags=["chat"], include_in_schema=False)


def _file(name: str) -> Path:
    """A file of the static folder; 404 for anything else (including '..' tricks and folders)."""
    try:
        path = (STATIC_DIR / name).resolve()
        path.relative_to(STATIC_DIR)
    except (ValueError, OSError):
        raise HTTPException(404, "not found") from None
    if not path.is_file() or path.suffix not in _MEDIA_TYPES:
        raise HTTPException(404, "not found")
    return path


def _send(path: Path, headers: dict[str, str] | None = None) -> FileResponse:
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache", **(headers or {})},
    )


@router.api_route("/", methods=["GET", "HEAD"], summary="The chat page")
def index() -> FileResponse:
    return _send(
        _file("index.html"),
        {"Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"},
    )


@router.api_route("/widget.js", methods=["GET", "HEAD"], summary="Script that embeds the chat in any page")
def widget() -> FileResponse:
    return _send(_file("widget.js"))


# The chat's scripts are ES modules, which a browser fetches with CORS; the widget on another site imports them
# across origins (RAG_CORS_ORIGINS limits who may call the API, not who may read its public code). No credentials.
ASSET_HEADERS = {"Access-Control-Allow-Origin": "*"}


@router.api_route("/static/{name:path}", methods=["GET", "HEAD"], summary="Chat assets")
def static(name: str) -> FileResponse:
    path = _file(name)
    if path.suffix == ".html":  # pages are served only with their security headers, by their own routes
        raise HTTPException(404, "not found")
    return _send(path, ASSET_HEADERS)
