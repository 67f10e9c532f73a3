"""Request rate limits per caller (an API key; a public key with the client's address; the client's address without
a key), with the ``limits`` library.

A moving window counts every request of the last minute (or second), so a client cannot double its rate at the
edge of a fixed window. By default (``RAG_RATE_LIMIT_STORAGE=memory://``) counts live in this process's memory:
each server process limits on its own, and a restart forgets them. With a shared storage (``redis://host:6379``)
every process and replica counts in the same windows, so the limit holds for the whole deployment.

A shared storage that fails (down, unreachable, too slow) does not fail the request: the limit falls back to this
process's own counts until the storage answers again (see ``RateLimit.hit``).
"""

from __future__ import annotations

import logging
import math
import time
from urllib.parse import urlparse

from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("app.ratelimit")

# A Redis on the same host or network answers in well under a millisecond: one that takes longer than this is down
# or overloaded, and each request waits at most this long before it is counted locally instead.
STORAGE_TIMEOUT_SECONDS = 0.25
# After a failure the shared storage is tried again only this much later, so that an outage costs one timeout per
# interval and process, not one per request.
STORAGE_RETRY_SECONDS = 5.0

Refusal = tuple[int, RateLimitItem]  # (seconds to wait, the limit reached)


def storage_scheme(uri: str) -> str:
    """The scheme of a ``limits`` storage URI (``memory``, ``redis``, ``rediss``, ``redis+sentinel``...)."""
    return urlparse(uri.strip()).scheme


def _open_storage(uri: str) -> MovingWindowRateLimiter:
    # The URI comes from RAG_RATE_LIMIT_STORAGE, whose form (a scheme, no async+ client) Settings has checked.
    options: dict[str, float | str | bool] = {}
    if storage_scheme(uri).startswith(("redis", "valkey")):
        # redis-py waits forever by default; timeouts in the URI's query string take precedence over these.
        options = {"socket_timeout": STORAGE_TIMEOUT_SECONDS, "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS}
    try:
        # wrap_exceptions: every failure of the storage's client arrives as one StorageError.
        storage = storage_from_string(uri, wrap_exceptions=True, **options)
        return MovingWindowRateLimiter(storage)
    except ConfigurationError as exc:  # an unknown scheme, or the storage's client package is not installed
        raise ValueError(f"RAG_RATE_LIMIT_STORAGE {uri!r}: {exc} (for redis: pip install 'border-qa[redis]')") from None
    except NotImplementedError:
        raise ValueError(
            f"RAG_RATE_LIMIT_STORAGE {uri!r}: this storage cannot count a moving window (use redis or memory)"
        ) from None


class RateLimit:
    """Limits such as ``"120/minute;20/second"``, all of which a caller must stay within; ``""`` limits nothing.

    ``storage`` is a ``limits`` storage URI: ``memory://`` counts in this process, anything else (``redis://...``)
    is shared by every process that names it. ``name`` keeps the counts of different limits apart there.
    """

    def __init__(self, spec: str, storage: str = "memory://", name: str = "requests"):
        self.items: list[RateLimitItem] = parse_many(spec) if spec.strip() else []
        self.name = name
        self._local = MovingWindowRateLimiter(MemoryStorage())
        shared = bool(self.items) and storage_scheme(storage) not in ("", "memory")
        self._shared = _open_storage(storage) if shared else None
        self._retry_at = 0.0  # monotonic time before which the shared storage is not tried again
        self._failing = False

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def shared(self) -> bool:
        """Whether the counts are kept in a shared storage rather than in this process."""
        return self._shared is not None

    def hit(self, caller: str) -> Refusal | None:
        """Count a request of ``caller``; None when allowed, else (seconds to wait, the limit reached).

        A refused request is not counted, so a client that waits as told is served (but for the rare request that
        another process's request overtakes between test and count, which counts in the limits it was within).
        Called on the event loop, one request at a time: in-process counts cannot race; a shared storage's few round
        trips each take well under a millisecond, and at most ``STORAGE_TIMEOUT_SECONDS`` when it fails.

        When the shared storage fails, the request is counted in this process instead (fail open, to the per-process
        limit): the limit protects capacity from one caller, it does not decide who may call (keys and roles do),
        so refusing everyone while the storage is down would turn its outage into the service's, while dropping
        all limits would leave the service unprotected. The outage and the recovery are logged once each.
        """
        if not self.items:
            return None
        if self._shared is not None and time.monotonic() >= self._retry_at:
            try:
                refused = self._count(self._shared, caller)
            except StorageError as exc:
                self._retry_at = time.monotonic() + STORAGE_RETRY_SECONDS
                if not self._failing:
                    self._failing = True
                    log.error(
                        "rate-limit storage unavailable (%s); counting in this process until it answers again", exc
                    )
            else:
                if self._failing:
                    self._failing = False
                    log.warning("rate-limit storage answers again; counting in it")
                return refused
        return self._count(self._local, caller)

    def _count(self, limiter: MovingWindowRateLimiter, caller: str) -> Refusal | None:
        full = [item for item in self.items if not limiter.test(item, self.name, caller)]
        if not full:
            # Each hit is atomic in the storage: another process may have taken the last place since the test,
            # and then this request is refused rather than counted beyond the limit.
            full = [item for item in self.items if not limiter.hit(item, self.name, caller)]
            if not full:
                return None
        now = time.time()
        waits = [(limiter.get_window_stats(item, self.name, caller).reset_time - now, item) for item in full]
        wait, item = max(waits, key=lambda pair: pair[0])
        return max(1, math.ceil(wait)), item
