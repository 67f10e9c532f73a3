"""Request rate limits per caller (an API key, or the client's address without one), with the ``limits`` library.

A moving window counts every request of the last minute (or second), so a client cannot double its rate at the
edge of a fixed window. Counts live in this process's memory: each server process limits on its own, and a
restart forgets them.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimit:
    """Limits such as ``"120/minute;20/second"``, all of which a caller must stay within; ``""`` limits nothing."""

    def __init__(self, spec: str):
        self.items: list[RateLimitItem] = parse_many(spec) if spec.strip() else []
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if self.items else None

    def __bool__(self) -> bool:
        return bool(self.items)

    def hit(self, caller: str) -> tuple[int, RateLimitItem] | None:
        """Count a request of ``caller``; None when allowed, else (seconds to wait, the limit reached).

        A refused request is not counted, so a client that waits as told is served.
        """
        if self._limiter is None:
            return None
        full = [item for item in self.items if not self._limiter.test(item, caller)]
        if full:
            now = time.time()
            waits = [(self._limiter.get_window_stats(item, caller).reset_time - now, item) for item in full]
            wait, item = max(waits, key=lambda pair: pair[0])
            return max(1, math.ceil(wait)), item
        for item in self.items:
            self._limiter.hit(item, caller)
        return None
