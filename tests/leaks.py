"""Processes a test leaves behind: found after each test, reported and killed.

Every process the tests start inherits a mark in its environment. One still alive after its test, whose parent chain
no longer reaches this pytest process, is an orphan nobody will stop (a server worker whose supervisor was killed, a
pool process, a Ray daemon): on a 2-core machine a spinning one slows every later test. Orphans are given a short
grace to exit, then killed and named in the summary, and the run fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

MARK = "BORDER_QA_TEST_RUN"
GRACE_SECONDS = 10.0
# Chromium starts its crash reporter detached from the browser on purpose (it must outlive a crash); it idles.
DETACHED_BY_DESIGN = ("chrome_crashpad_handler",)

os.environ[MARK] = str(os.getpid())
_needle = f"{MARK}={os.getpid()}".encode()
_leaks: list[tuple[str, int, str]] = []


def _parent(pid: int) -> int:
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split after the last ")".
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def orphans() -> dict[int, str]:
    """Marked processes (pid → command line) whose ancestry does not reach this process."""
    me = os.getpid()
    found: dict[int, str] = {}
    try:
        entries = [int(e.name) for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:  # no /proc: nothing to check
        return found
    for pid in entries:
        if pid == me:
            continue
        try:
            if _needle not in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                continue
            ancestor = _parent(pid)
            while ancestor not in (0, 1, me):
                ancestor = _parent(ancestor)
            if ancestor == me:
                continue
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not any(name in command.split(" ", 1)[0] for name in DETACHED_BY_DESIGN):
                found[pid] = command
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue
    return found


def _kill(pids: dict[int, str]) -> dict[int, str]:
    """Wait up to ``GRACE_SECONDS`` for ``pids`` to exit, SIGKILL the rest; returns those that had to be killed."""
    deadline = time.monotonic() + GRACE_SECONDS
    alive = dict(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        still = orphans()
        alive = {p: c for p, c in alive.items() if p in still}
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    found = orphans()
    if found:
        _leaks.extend((item.nodeid, pid, command) for pid, command in _kill(found).items())


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _leaks:
        terminalreporter.section("processes left behind, found after these tests (killed)")
        for nodeid, pid, command in _leaks:
            terminalreporter.write_line(f"{nodeid}: pid {pid}: {command[:300]}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _leaks and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
