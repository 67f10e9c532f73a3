"""Named points of the stores' write paths, where crash tests stop a writer deterministically.

A write path calls ``reached(name)`` after each durable step. Nothing happens unless a hook is installed, which
only the crash tests do (``tests/crashhook``), so that a writer can be killed exactly between two steps instead of
at a guessed moment.

Points of the embedded store, in the order a write reaches them:
    segment:partial    a segment's vectors and FAISS index are on disk, its BM25 tables and manifest are not
    segment:staged     a segment is written whole into its hidden staging folder, fsynced
    segment:adopted    the staged segment is renamed into ``versions/``; no view names it yet
    view:written       the new view file is durable; ``CURRENT`` still names the previous state
    current:written    ``CURRENT`` names the new state; older states are not yet pruned

and in the Milvus store's commit (app/index/milvus.py):
    milvus:rows        text, chunk and sentence rows written
    milvus:documents   document rows written
    milvus:stats       term statistics updated
"""

from __future__ import annotations

from collections.abc import Callable

_hook: Callable[[str], None] | None = None


def install(hook: Callable[[str], None] | None) -> None:
    """Call ``hook(name)`` at every point reached from now on (None removes it)."""
    global _hook
    _hook = hook


def reached(name: str) -> None:
    """Mark that the write path has completed the step ``name``."""
    if _hook is not None:
        _hook(name)
