"""The API description (``/openapi.json``, ``/docs``, ``/redoc``) behind a read key, for servers whose reads need
one (``RAG_READ_AUTH=true``): it lists every route and setting-dependent rule, which is a map for an attacker.

With open reads FastAPI serves these pages itself, to anyone (app/api/main.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from app.api.auth import READ

OPENAPI_URL = "/openapi.json"

router = APIRouter(dependencies=[READ], include_in_schema=False)


@router.get(OPENAPI_URL)
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    # The page's own fetch of /openapi.json needs the key too: for a browser behind a proxy that adds it.
    return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - Swagger UI")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - ReDoc")
