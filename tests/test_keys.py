"""API keys: the keys file (hashes only, mode 0600, atomic rewrites), the key ring a server reads, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess

import pytest

from app.keys import KeyFileError, KeyRing, KeyStore
from tests.conftest import PYTHON, ROOT, subprocess_env


def test_create_stores_only_a_hash_in_a_private_file(tmp_path):
    """A new key is returned once; the file holds its SHA-256, never the key, and only its owner may read it."""
    store = KeyStore(tmp_path / "keys.json")
    key, secret = store.create("admin", "ops")
    text = store.path.read_text()
    assert secret.startswith("bqa_") and len(secret) > 40 and secret not in text
    assert json.loads(text)["keys"][0] == {
        "name": "ops", "role": "admin", "created": key.created, "sha256": hashlib.sha256(secret.encode()).hexdigest()
    }
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == ["keys.json"]  # no temp files


def test_names_roles_and_revocation(tmp_path):
    """Names are unique and plain, roles are admin or read, a revoked key disappears from the file."""
    store = KeyStore(tmp_path / "keys.json")
    store.create("read", "widget")
    default, _ = store.create("admin")
    assert default.name.startswith("admin-")
    with pytest.raises(ValueError, match="already exists"):
        store.create("read", "widget")
    with pytest.raises(ValueError, match="name"):
        store.create("read", "bad name\n")
    with pytest.raises(ValueError, match="role"):
        store.create("owner", "x")  # type: ignore[arg-type]
    assert store.revoke("widget").role == "read"
    assert [k.name for k in store.keys()] == [default.name]
    with pytest.raises(KeyError):
        store.revoke("widget")


def test_key_ring_follows_the_file(tmp_path):
    """A ring sees keys created and revoked after it was made, without being rebuilt."""
    store = KeyStore(tmp_path / "keys.json")
    ring = KeyRing(store.path)
    assert not ring.exists and ring.lookup("anything") is None
    key, secret = store.create("read", "app")
    assert ring.lookup(secret) == key and ring.exists
    assert ring.lookup(secret + "x") is None
    store.revoke("app")
    assert ring.lookup(secret) is None and not ring.exists


def test_a_broken_keys_file_accepts_no_key(tmp_path):
    """An unreadable keys file fails closed: the ring accepts nothing and says why; the store refuses to edit it."""
    store = KeyStore(tmp_path / "keys.json")
    _, secret = store.create("admin", "ops")
    ring = KeyRing(store.path)
    assert ring.lookup(secret) is not None
    store.path.write_text("{not json")
    assert ring.lookup(secret) is None and "keys file" in ring.error
    with pytest.raises(KeyFileError):
        store.create("read")


def run_cli(*args: str):
    return subprocess.run([PYTHON, "-m", "app", "keys", *args], cwd=ROOT, env=subprocess_env(COLUMNS="200"),
                          capture_output=True, text=True, timeout=120)


def test_keys_commands(tmp_path):
    """`keys create` prints the key once on stdout, `keys list` shows names and roles only, `keys revoke` removes."""
    file = str(tmp_path / "keys.json")
    created = run_cli("create", "--role", "admin", "--name", "ops", "--file", file)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("bqa_") and "ops" in created.stderr
    listed = run_cli("list", "--file", file)
    assert listed.returncode == 0 and "ops" in listed.stdout and "admin" in listed.stdout
    assert secret not in listed.stdout + listed.stderr
    assert run_cli("create", "--role", "owner", "--file", file).returncode == 2
    revoked = run_cli("revoke", "ops", "--file", file)
    assert revoked.returncode == 0 and KeyStore(tmp_path / "keys.json").keys() == []
    assert run_cli("revoke", "ops", "--file", file).returncode == 2


def test_public_read_keys(tmp_path):
    """A read key can be marked public (published in a widget); the mark survives the file, an older file without it
    still reads, and an admin key can never be public."""
    store = KeyStore(tmp_path / "keys.json")
    widget, secret = store.create("read", "widget", public=True)
    private, _ = store.create("read", "app")
    assert widget.public and not private.public
    entries = json.loads(store.path.read_text())["keys"]
    assert entries[0]["public"] is True and "public" not in entries[1]  # absent when false: older servers read it
    assert KeyRing(store.path).lookup(secret) == widget
    with pytest.raises(ValueError, match="public"):
        store.create("admin", "leaked", public=True)
    data = json.loads(store.path.read_text())
    data["keys"][1]["role"], data["keys"][1]["public"] = "admin", True  # edited by hand: refused as a whole
    store.path.write_text(json.dumps(data))
    with pytest.raises(KeyFileError, match="public"):
        store.keys()


def test_keys_create_public_command(tmp_path):
    """`keys create --role read --public` makes a public key, `keys list` says so; `--public` with admin is refused."""
    file = str(tmp_path / "keys.json")
    created = run_cli("create", "--role", "read", "--public", "--name", "widget", "--file", file)
    assert created.returncode == 0, created.stderr
    assert "public" in created.stderr and KeyStore(tmp_path / "keys.json").keys()[0].public
    listed = run_cli("list", "--file", file)
    assert listed.returncode == 0 and "widget" in listed.stdout and "yes" in listed.stdout
    refused = run_cli("create", "--role", "admin", "--public", "--file", file)
    assert refused.returncode == 2 and len(KeyStore(tmp_path / "keys.json").keys()) == 1
