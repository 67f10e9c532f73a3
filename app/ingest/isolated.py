"""Runs a parser in a child process that is killed when it outlives its time limit.

Pure-Python parsing (pypdf) holds the GIL: run on a thread of the server, a file built to parse slowly would stall
every request, and no thread can stop another. A child process can be killed. Children are forked from
multiprocessing's forkserver, one small process started on first use that has already imported the parsers, so a
parse costs a fork rather than a new interpreter (a 3-page PDF: ~20-35 ms more than in process; the first call
also starts the forkserver, ~0.2 s). A fork of the server itself would copy its threads' locks and its models. As
with any spawned child, a script calling this needs the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")

# Imported once by the forkserver, so that every child starts with them.
PRELOAD = ["app.ingest.reader", "app.ingest.ocr", "pypdf", "pypdfium2", "docx", "PIL.Image", "pytesseract"]


class TimedOut(Exception):
    """The call ran past its time limit; its process was killed."""


class ChildDied(Exception):
    """The child process exited without an answer (killed for memory, crashed in a C extension)."""


@functools.cache
def _forkserver() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # read when the forkserver starts, on the first call
    return context


def _run(conn: Connection, fn: Callable[..., Any], args: tuple) -> None:
    """The child: send ``("ok", result)`` or ``("error", exception)`` back."""
    try:
        reply: tuple[str, Any] = ("ok", fn(*args))
    except Exception as exc:
        reply = ("error", exc)
    try:
        conn.send(reply)
    except Exception as exc:  # an unpicklable result or exception: say what it was
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()


def call_isolated(fn: Callable[..., T], args: tuple, timeout: float) -> T:
    """``fn(*args)`` in a child process; its exception is raised here, ``TimedOut`` after ``timeout`` seconds.

    ``fn``, its arguments, result and exceptions must pickle (``fn`` a module-level function).
    """
    context = _forkserver()
    ours, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_run, args=(theirs, fn, args), name="parser", daemon=True)
    try:
        process.start()
        theirs.close()  # so that a child that dies reads as EOF here
        # The clock starts once the child runs: starting the forkserver (first call only) is not the file's doing.
        if not ours.poll(timeout):
            raise TimedOut(f"gave up after {timeout:g} s")
        try:
            status, value = ours.recv()
        except (EOFError, OSError):
            process.join(timeout=5)
            raise ChildDied(f"the parser process exited with code {process.exitcode}") from None
        process.join(timeout=5)  # it exits once its answer is read
    finally:
        theirs.close()
        if process.is_alive():
            process.kill()
        with contextlib.suppress(ValueError, AssertionError):  # never started
            process.join()
        ours.close()
    if status == "error":
        raise value
    return value
