"""Who may call what: API keys from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, and the rate limit.

- reads (ask, search, documents, feedback, and the API description ``/docs``, ``/openapi.json``): open to anyone
  unless ``RAG_READ_AUTH=true``, then a read or admin key;
- writes (upload, delete): an admin key, always; with no keys file at all every write is refused (secure by
  default) with a message saying how to create a key;
- ``/metrics``: a key when ``RAG_METRICS_AUTH`` (default: ``RAG_READ_AUTH``) says so, with a rate limit of its own;
- probes: ``/health`` answers anyone (liveness), with its details only where reads are open or to a key.

A key that is presented must be valid even where none is needed: a wrong, revoked or malformed credential is a
client bug to report (401), not something to ignore. Known key with too little right: 403. The key itself is
never logged or stored; the request records the key's name for the access and audit logs.
"""

from __future__ import annotations

import hmac
from typing import Literal

from fastapi import FastAPI, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.api.ratelimit import RateLimit
from app.keys import ApiKey, KeyRing
from app.settings import Settings

Need = Literal["read", "admin", "metrics", "probe"]

# Declared for the OpenAPI description (and the Authorize button of /docs); the headers are parsed below.
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="Authorization: Bearer <API key>")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey", description="The API key itself.")

CREATE_HINT = "`python -m app keys create --role admin` on the server"


def _unauthorized(message: str, error: str | None = None) -> HTTPException:
    challenge = 'Bearer realm="border-qa"' + (f', error="{error}"' if error else "")
    return HTTPException(401, message, headers={"WWW-Authenticate": challenge})


def presented_key(request: Request) -> str | None:
    """The key the request carries, None without one; 401 for a malformed or contradictory header."""
    authorization = request.headers.get("authorization")
    header_key = request.headers.get("x-api-key")
    bearer = None
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value or " " in value:
            raise _unauthorized("the Authorization header must be 'Bearer <API key>'", "invalid_request")
        bearer = value
    if header_key is not None:
        header_key = header_key.strip()
        if not header_key:
            raise _unauthorized("the X-API-Key header is empty", "invalid_request")
    if bearer and header_key and not hmac.compare_digest(bearer.encode(), header_key.encode()):
        raise _unauthorized("Authorization and X-API-Key carry different keys", "invalid_request")
    return bearer or header_key


def _authorize(need: Need, key: ApiKey | None, settings: Settings, keys: KeyRing) -> None:
    """Raise 401/403 unless a caller with ``key`` may do what ``need`` names."""
    if need == "admin":
        if key is None:
            if keys.error:
                raise _unauthorized(
                    "writes are refused: the keys file (RAG_KEYS_FILE) cannot be read; see the server log"
                )
            if not keys.exists:
                raise _unauthorized(
                    "writes need an admin API key and none exists yet: create one with "
                    f"{CREATE_HINT} (stored in RAG_KEYS_FILE), then send 'Authorization: Bearer <key>'"
                )
            raise _unauthorized(
                "writes need an admin API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
                f"(keys are created with {CREATE_HINT}, RAG_KEYS_FILE)"
            )
        if key.role != "admin":
            raise HTTPException(403, f"the key '{key.name}' has role '{key.role}'; writes need an admin key")
    elif key is None:
        if need == "read" and settings.read_auth:
            raise _unauthorized(
                "this server needs an API key for reads (RAG_READ_AUTH=true): send 'Authorization: Bearer <key>'"
            )
        if need == "metrics" and settings.metrics_closed:
            raise _unauthorized(
                "/metrics needs an API key (RAG_METRICS_AUTH, by default as RAG_READ_AUTH): "
                "send 'Authorization: Bearer <key>'"
            )


def rate_limit_caller(request: Request) -> str:
    """Whom the rate limits count: the key (by the name ``Access`` left in the request), else the client address.

    A public key (one widget key that every visitor's browser sends) counts per client address too, so that each
    visitor has the allowance rather than all of them sharing one. The address is the peer's, or what a trusted
    proxy (RAG_FORWARDED_ALLOW_IPS) says it is.
    """
    key_name = getattr(request.state, "key_name", None)
    address = request.client.host if request.client else "-"
    if key_name and getattr(request.state, "key_public", False):
        return f"key:{key_name}@ip:{address}"
    return f"key:{key_name}" if key_name else f"ip:{address}"


def enforce_rate_limit(request: Request, limit: RateLimit, setting: str) -> None:
    """Count the request against ``limit``; past it, 429 with Retry-After naming ``setting``.

    Call it on the event loop (from an async dependency), so that its test-then-count cannot race.
    """
    if not limit:
        return
    refused = limit.hit(rate_limit_caller(request))
    if refused is not None:
        wait, reached = refused
        request.app.state.metrics.rate_limited.labels(request.scope["route"].path).inc()
        key_name = getattr(request.state, "key_name", None)
        public = key_name and getattr(request.state, "key_public", False)
        who = "this key from this address" if public else "this key" if key_name else "this address"
        raise HTTPException(
            429,
            f"rate limit of {reached} reached for {who}; retry in {wait} s ({setting})",
            headers={"Retry-After": str(wait)},
        )


class Access:
    """Route dependency: authenticates the caller, checks the right ``need`` names, applies the rate limit."""

    def __init__(self, need: Need):
        self.need = need

    async def __call__(
        self,
        request: Request,
        _bearer: HTTPAuthorizationCredentials | None = Security(BEARER),
        _api_key: str | None = Security(API_KEY),
    ) -> ApiKey | None:
        # async: runs on the event loop, one request at a time, so the rate limit's test-then-count cannot race.
        state = request.app.state
        secret = presented_key(request)
        key = None
        if secret is not None:
            key = state.keys.lookup(secret)
            if key is None:
                raise _unauthorized("unknown or revoked API key", "invalid_token")
            request.state.key_name = key.name
            request.state.key_public = key.public
        _authorize(self.need, key, state.settings, state.keys)
        # Scrapes have a budget of their own: a scraper never spends a caller's questions, nor they its scrapes.
        # Probes have none: a load balancer behind one address must never be refused its health checks.
        if self.need == "metrics":
            enforce_rate_limit(request, state.metrics_rate_limit, "RAG_METRICS_RATE_LIMIT")
        elif self.need != "probe":
            enforce_rate_limit(request, state.rate_limit, "RAG_RATE_LIMIT")
        return key


# Route dependencies. The scope names the role in the OpenAPI security requirement (OpenAPI 3.1 allows role names
# for any scheme); describe_optional_auth marks the requirement optional where these settings leave a route open.
READ = Security(Access("read"), scopes=["read"])
WRITE = Security(Access("admin"), scopes=["admin"])
METRICS = Security(Access("metrics"), scopes=["read"])
PROBE = Security(Access("probe"), scopes=["read"])  # the key is optional; a key that is sent must be valid


def describe_optional_auth(app: FastAPI, settings: Settings) -> None:
    """Mark the key as optional in the OpenAPI description of the routes that are open with these settings."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()  # cached by FastAPI in app.openapi_schema: changed in place below
        for path, item in schema["paths"].items():
            closed = {"/metrics": settings.metrics_closed, "/health": False}.get(path, settings.read_auth)
            for operation in item.values():
                security = operation.get("security", [])
                if not closed and security and all(scopes == ["read"] for r in security for scopes in r.values()):
                    security.insert(0, {})  # {}: may be called without a key
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
