"""Crash tests kill a writer at a named point of its write path (app/index/checkpoints.py), never at a guessed time."""

from __future__ import annotations

import os
from pathlib import Path

HOOK = Path(__file__).parent / "crashhook"


def crash_env(point: str, nth: int = 1, **extra: str) -> dict[str, str]:
    """Environment entries that make a child process SIGKILL itself the ``nth`` time it reaches ``point``."""
    path = os.pathsep.join(p for p in (str(HOOK), extra.pop("PYTHONPATH", os.environ.get("PYTHONPATH", ""))) if p)
    return {"PYTHONPATH": path, "RAG_CRASH_AT": f"{point}:{nth}", **extra}
