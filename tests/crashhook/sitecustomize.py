"""Loaded by every Python process started with this folder on PYTHONPATH (tests/crashpoints.py): with
``RAG_CRASH_AT=point:n`` the process SIGKILLs itself the n-th time (default 1) its write path reaches ``point``."""

import os
import signal

_spec = os.environ.get("RAG_CRASH_AT", "")
if _spec:
    from app.index import checkpoints

    _point, _, _nth = _spec.rpartition(":")
    _seen = [0]

    def _crash(name: str) -> None:
        if name == _point:
            _seen[0] += 1
            if _seen[0] >= int(_nth or 1):
                os.kill(os.getpid(), signal.SIGKILL)

    checkpoints.install(_crash)
