"""How many malloc arenas the server process may use (glibc only).

glibc gives each thread that finds the shared heap busy an arena of its own, up to 8 per core, and memory freed in
one arena is not reused by another. Under 32 concurrent clients every request thread got one: the server's RSS grew
from 553 to 769 MB in 60 s with a steady working set (docs/performance.md), and stayed flat with 2
arenas, answering as fast. Setting the limit at start-up, before any thread runs, is what ``MALLOC_ARENA_MAX=2``
in the environment would do, for every way of starting the server.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h

log = logging.getLogger("app")


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` (0, or MALLOC_ARENA_MAX in the environment: leave as is)."""
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        done = bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    if not done:
        log.warning("could not limit malloc arenas to %d", arenas)
    return done
