"""API keys over HTTP (in process, real keys files): the route × credential matrix, read and metrics protection,
the API description and health details behind a key with closed reads, no keys file, keys changed while the app
runs."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.keys import KeyStore
from app.pipeline import Pipeline
from tests.conftest import BISHKEK, make_settings

UPLOAD = {"doc_id": "auth/osh.txt", "text": "Border guards of the Osh outpost met on 3 May."}

# (method, path, body, status with the right key): every route of the API and of the page.
READ_ROUTES = [
    ("post", "/ask", {"question": "Who heads the OSCE Centre in Bishkek?"}, 200),
    ("post", "/search", {"query": "border conference"}, 200),
    ("get", "/documents", None, 200),
    ("get", f"/documents/{BISHKEK}", None, 200),
]
WRITE_ROUTES = [
    ("post", "/documents", UPLOAD, 201),
    ("delete", f"/documents/{UPLOAD['doc_id']}", None, 200),
]
METRICS_ROUTE = [("get", "/metrics", None, 200)]
PROBE_ROUTE = [("get", "/health", None, 200)]  # for anyone; a key that is sent must be valid
DOCS_ROUTES = [  # open with open reads, read routes with closed ones
    ("get", "/openapi.json", None, 200),
    ("get", "/docs", None, 200),
    ("get", "/redoc", None, 200),
]
OPEN_ROUTES = [
    ("get", "/ready", None, 200),
    ("get", "/", None, 200),
    ("get", "/widget.js", None, 200),
]
CREDENTIALS = ["none", "read", "admin", "revoked", "malformed"]


def headers_for(credential: str, keys) -> dict:
    return {
        "none": {},
        "read": {"Authorization": f"Bearer {keys.read}"},
        "admin": {"X-API-Key": keys.admin},  # the other header: both are accepted everywhere
        "revoked": {"Authorization": f"Bearer {keys.revoked}"},
        "malformed": {"Authorization": f"Token {keys.admin}"},
    }[credential]


def expected(kind: str, credential: str, ok: int, read_auth: bool = False) -> int:
    """The status the design promises (README "Running it as a service"); /metrics follows reads by default."""
    if kind == "open" or (kind == "docs" and not read_auth):
        return ok  # the readiness probe, the page, and the description of an open API never look at credentials
    if credential in ("revoked", "malformed"):
        return 401  # a credential that is presented must be valid
    if kind == "write":
        return {"none": 401, "read": 403, "admin": ok}[credential]
    if kind == "probe":
        return ok  # liveness without a key too (its details need one with closed reads)
    return 401 if credential == "none" and read_auth else ok


@pytest.fixture(scope="module")
def served(tmp_path_factory, seed, encoder):
    """Two apps over one private copy of the seed index: reads open (default), and RAG_READ_AUTH=true (which
    closes /metrics too, RAG_METRICS_AUTH being unset)."""
    root = tmp_path_factory.mktemp("auth")
    shutil.copytree(seed.index, root / "index")
    pipeline = Pipeline(make_settings(root / "index"), encoder=encoder)
    apps = {}
    for closed in (False, True):
        settings = make_settings(root / "index", read_auth=closed)
        apps[closed] = TestClient(create_app(settings, pipeline=pipeline), raise_server_exceptions=False)
        apps[closed].__enter__()
    yield SimpleNamespace(open=apps[False], closed=apps[True])
    for client in apps.values():
        client.__exit__(None, None, None)


def call(client, method: str, path: str, body, headers: dict):
    if body is None:
        return getattr(client, method)(path, headers=headers)
    return getattr(client, method)(path, json=body, headers=headers)


CASES = [(kind, route, credential)
         for kind, routes in (("read", READ_ROUTES), ("write", WRITE_ROUTES), ("metrics", METRICS_ROUTE),
                              ("probe", PROBE_ROUTE), ("docs", DOCS_ROUTES), ("open", OPEN_ROUTES))
         for route in routes for credential in CREDENTIALS]


@pytest.mark.parametrize("closed", [False, True], ids=["reads-open", "reads-closed"])
@pytest.mark.parametrize("kind,route,credential", CASES,
                         ids=[f"{r[0]}-{r[1]}-{c}" for _, r, c in CASES])
def test_auth_matrix(served, api_keys, closed, kind, route, credential):
    """Every route × {no key, read key, admin key, revoked key, malformed header} answers the designed status."""
    client = served.closed if closed else served.open
    method, path, body, ok = route
    headers = headers_for(credential, api_keys)
    if kind == "write" and method == "delete" and credential == "admin":
        created = client.post("/documents", json=UPLOAD, headers=headers)  # something to delete
        assert created.status_code == 201, created.text
    response = call(client, method, path, body, headers)
    assert response.status_code == expected(kind, credential, ok, read_auth=closed), response.text
    if response.status_code == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["detail"]
    if kind == "write" and method == "post" and response.status_code == 201:
        assert client.delete(path + "/" + UPLOAD["doc_id"], headers=headers).status_code == 200


def test_refusals_say_what_to_do(served, api_keys):
    """401 and 403 details name the header, the role and the setting to change."""
    client = served.open
    anonymous = client.post("/documents", json=UPLOAD).json()["detail"]
    assert "admin" in anonymous and "Authorization: Bearer" in anonymous and "RAG_KEYS_FILE" in anonymous
    read = client.post("/documents", json=UPLOAD, headers={"Authorization": f"Bearer {api_keys.read}"})
    assert read.status_code == 403 and "test-reader" in read.json()["detail"] and "admin" in read.json()["detail"]
    revoked = client.get("/documents", headers={"Authorization": f"Bearer {api_keys.revoked}"})
    assert "revoked" in revoked.json()["detail"] and 'error="invalid_token"' in revoked.headers["www-authenticate"]
    malformed = client.get("/documents", headers={"Authorization": "Bearer"})
    assert malformed.status_code == 401 and 'error="invalid_request"' in malformed.headers["www-authenticate"]
    closed = served.closed.post("/ask", json={"question": "Кто?"}).json()["detail"]
    assert "RAG_READ_AUTH" in closed
    assert "RAG_METRICS_AUTH" in served.closed.get("/metrics").json()["detail"]
    assert "RAG_READ_AUTH" in served.closed.get("/openapi.json").json()["detail"]


def test_two_headers_with_different_keys_are_refused(served, api_keys):
    """Authorization and X-API-Key naming two different keys is a client error, not a choice for the server."""
    headers = {"Authorization": f"Bearer {api_keys.read}", "X-API-Key": api_keys.admin}
    response = served.open.post("/documents", json=UPLOAD, headers=headers)
    assert response.status_code == 401 and "different" in response.json()["detail"]
    same = {"Authorization": f"Bearer {api_keys.read}", "X-API-Key": api_keys.read}
    assert served.open.get("/documents", headers=same).status_code == 200


def test_openapi_describes_keys_as_the_settings_say(served, api_keys):
    """The schema documents both headers; reads are marked optional only when they are open, /health always."""
    for client, read_optional in ((served.open, True), (served.closed, False)):
        spec = client.get("/openapi.json", headers={"Authorization": f"Bearer {api_keys.read}"}).json()
        assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
        assert ({} in spec["paths"]["/ask"]["post"]["security"]) is read_optional
        assert ({} in spec["paths"]["/metrics"]["get"]["security"]) is read_optional
        assert {} not in spec["paths"]["/documents"]["post"]["security"]
        assert {} in spec["paths"]["/health"]["get"]["security"]
        assert "security" not in spec["paths"]["/ready"]["get"]


def test_without_a_keys_file_writes_are_refused_and_say_how_to_create_a_key(workspace, api_keys):
    """Secure by default: no keys file means no write at all, whatever is sent, with the command that fixes it."""
    settings = make_settings(workspace.index, keys_file=workspace.root / "absent" / "keys.json")
    client = TestClient(create_app(settings, pipeline=workspace.pipeline))
    response = client.post("/documents", json=UPLOAD)
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "python -m app keys create --role admin" in detail and "RAG_KEYS_FILE" in detail
    assert client.post("/documents", json=UPLOAD, headers={"X-API-Key": api_keys.admin}).status_code == 401
    assert client.delete(f"/documents/{BISHKEK}").status_code == 401
    assert client.post("/ask", json={"question": "Who heads the OSCE Centre in Bishkek?"}).status_code == 200
    assert BISHKEK in workspace.pipeline.snapshot.documents


def test_keys_changed_while_the_app_runs_take_effect_at_once(workspace):
    """A key created after start-up is accepted, and refused from the next request once revoked: no restart."""
    store = KeyStore(workspace.root / "keys.json")
    store.create("read", "first")
    client = TestClient(create_app(make_settings(workspace.index, keys_file=store.path), pipeline=workspace.pipeline))
    _, secret = store.create("admin", "late")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/documents", json=UPLOAD, headers=headers).status_code == 201
    store.revoke("late")
    response = client.delete(f"/documents/{UPLOAD['doc_id']}", headers=headers)
    assert response.status_code == 401 and UPLOAD["doc_id"] in workspace.pipeline.snapshot.documents
