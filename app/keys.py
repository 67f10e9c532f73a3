"""API keys: random secrets handed out once, kept only as SHA-256 hashes in a JSON file (``RAG_KEYS_FILE``).

A key is 256 random bits, so a plain SHA-256 of it cannot be reversed or guessed; a slow password hash (scrypt,
argon2) would only add work to every request. The file is rewritten atomically (temporary file, fsync, rename)
with mode 0600, under a lock so that two ``keys`` commands cannot lose each other's change. A running server
re-reads it when it changes (``KeyRing``), so created and revoked keys take effect without a restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Role = Literal["admin", "read"]
ROLES: tuple[Role, ...] = ("admin", "read")
PREFIX = "bqa_"  # makes a leaked key recognisable to secret scanners
FORMAT = 1
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")  # names appear in logs and metrics: plain characters only

log = logging.getLogger("app.keys")


class KeyFileError(RuntimeError):
    """The keys file exists but cannot be read as a keys file."""


@dataclass(frozen=True)
class ApiKey:
    """One key as stored: who it is for, what it may do, when it was made, and the hash of its secret.

    A public key is a read key meant to be published (the widget's ``data-key``, sent by every visitor's browser):
    its rate limit counts per client address, not for the key as a whole.
    """

    name: str
    role: Role
    created: str
    sha256: str
    public: bool = False


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"key name {name!r} must be 1-64 characters of letters, digits and . _ @ -")
    return name


def read_keys(path: Path) -> list[ApiKey]:
    """The keys in ``path``; [] when the file does not exist, ``KeyFileError`` when it is not a keys file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"cannot read the keys file {path}: {exc}") from None
    try:
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        keys = [ApiKey(**entry) for entry in data["keys"]]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"{path} is not a keys file: {exc}") from None
    for key in keys:
        if key.role not in ROLES or len(key.sha256) != 64:
            raise KeyFileError(f"{path}: key {key.name!r} has role {key.role!r} or a malformed hash")
        if key.public is not False and (key.public is not True or key.role != "read"):
            raise KeyFileError(f"{path}: key {key.name!r}: only a read key can be public")
    return keys


class KeyStore:
    """The keys file as the ``keys`` commands change it: create, list, revoke."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def keys(self) -> list[ApiKey]:
        return read_keys(self.path)

    def create(self, role: Role, name: str | None = None, public: bool = False) -> tuple[ApiKey, str]:
        """A new key of ``role``; returns it and its secret, which is not stored and cannot be shown again.

        ``public``: a read key to publish (in a page's widget), rate-limited per client address.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if public and role != "read":
            raise ValueError("only a read key can be public: a published key must not be able to write")
        with self._locked():
            keys = read_keys(self.path)
            name = check_name(name or f"{role}-{secrets.token_hex(3)}")
            if any(k.name == name for k in keys):
                raise ValueError(f"a key named {name!r} already exists (revoke it first, or pick another name)")
            secret = PREFIX + secrets.token_urlsafe(32)
            key = ApiKey(name, role, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), digest(secret), public)
            self._write([*keys, key])
        return key, secret

    def revoke(self, name: str) -> ApiKey:
        """Remove the key called ``name`` (``KeyError`` if there is none); servers refuse it from their next request."""
        with self._locked():
            keys = read_keys(self.path)
            found = [k for k in keys if k.name == name]
            if not found:
                raise KeyError(name)
            self._write([k for k in keys if k.name != name])
        return found[0]

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, keys: list[ApiKey]) -> None:
        """Replace the file at once: a reader sees the old keys or the new ones, never a partial file."""
        # "public" is written only when true: servers that predate it still read a file without public keys.
        entries = [{k: v for k, v in asdict(key).items() if k != "public" or v} for key in keys]
        text = json.dumps({"format": FORMAT, "keys": entries}, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")  # created with mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


class KeyRing:
    """The keys a running server accepts, re-read whenever the file changes (one ``stat`` per lookup)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: list[ApiKey] = []
        self.error: str | None = None  # why the file could not be read, if it could not

    @property
    def exists(self) -> bool:
        """Whether any key can be accepted (a missing or unreadable file holds none)."""
        self._refresh()
        return bool(self._keys)

    def lookup(self, secret: str) -> ApiKey | None:
        """The key whose secret this is, or None (unknown or revoked)."""
        self._refresh()
        wanted = digest(secret)
        found = None
        for key in self._keys:  # compare with every key, in constant time each: timing tells nothing
            if hmac.compare_digest(key.sha256, wanted):
                found = key
        return found

    def _refresh(self) -> None:
        try:
            st = os.stat(self.path)
            # A rewrite is a new inode (atomic rename), so a change within one mtime tick is seen too.
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp:  # the start state (no stamp, no keys) is that of a missing file
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                keys, error = read_keys(self.path), None
            except KeyFileError as exc:
                # Fail closed: no key is accepted until the file is fixed.
                keys, error = [], str(exc)
                log.error("%s; no API key is accepted until it is fixed", exc)
            self._keys, self.error, self._stamp = keys, error, stamp
