"""Per-session resource limits (console.ssh.watchdog): the rule, read from real /proc
files, and what a session over its limit leaves: a stopped session and an audit entry."""

from __future__ import annotations

import os
import sqlite3

import pytest

from console.ssh.watchdog import Usage, Watchdog, cpu_seconds, over_limit, pss_kb
from core.services import sessions
from tests.conftest import fixed_clock


@pytest.mark.parametrize(("pss", "share", "ends", "words"), [
    (100 * 1024, 0.2, False, None),
    (None, None, False, None),  # gone, or too early to tell
    (401 * 1024, 0.2, True, "more than 400 MB of memory"),
    (100 * 1024, 0.95, True, "kept a processor busy"),
    (400 * 1024, 0.9, False, None),  # at the limit is within it
])
def test_a_session_ends_over_its_memory_or_cpu_limit(pss, share, ends, words):
    why = over_limit(pss, share, memory_mb=400, cpu_share=0.9)
    assert (why is not None) == ends
    assert words is None or words in why


def test_cpu_share_is_measured_over_the_window():
    usage = Usage()
    assert usage.busy_share(0.0, 10.0, window=30) is None  # too early
    assert usage.busy_share(15.0, 24.0, window=30) is None
    assert usage.busy_share(30.0, 37.0, window=30) == pytest.approx(0.9)
    assert usage.busy_share(60.0, 40.0, window=30) == pytest.approx(0.1)


def test_memory_and_cpu_are_read_from_proc():
    assert pss_kb(os.getpid()) > 1000
    assert cpu_seconds(os.getpid()) > 0
    gone = 2 ** 22 + 1  # above pid_max's default: no such process
    assert pss_kb(gone) is None and cpu_seconds(gone) is None


def test_the_watchdog_stops_only_the_session_over_its_limit():
    stopped = []
    dog = Watchdog(lambda: [("me", os.getpid()), ("gone", 2 ** 22 + 1)],
                   lambda key, why: stopped.append((key, why)), memory_mb=1)
    dog.check(0.0)
    assert [key for key, _ in stopped] == ["me"]


async def test_a_session_ended_over_its_limit_is_audited(store, admin):
    await sessions.ended_over_limit(store.uow(), admin.operator, source="ssh 127.0.0.9\x1b[2J",
                                    why="This session used more than 400 MB.",
                                    clock=fixed_clock)
    con = sqlite3.connect(store.where)
    try:
        rows = con.execute("SELECT actor, action, source, after FROM audit_entries "
                           "WHERE action = 'session.over_limit'").fetchall()
    finally:
        con.close()
    assert len(rows) == 1
    actor, _, source, after = rows[0]
    assert actor == admin.operator.email and "\x1b" not in source
    assert "400 MB" in after


def test_a_busy_session_is_lowered_in_its_scheduling_group_too():
    """Each session is a terminal session of its own; where the kernel groups tasks by
    terminal session (autogroups), lowering threads alone changes nothing against the
    other sessions: the group is lowered too, and never raised."""
    import subprocess
    import sys
    from pathlib import Path

    from console.ssh.watchdog import lower_priority

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                             start_new_session=True)
    try:
        group = Path(f"/proc/{child.pid}/autogroup")
        if not group.exists():
            pytest.skip("this kernel has no autogroups")
        assert group.read_text().split()[-1] == "0"
        assert lower_priority(child.pid, 10)
        assert group.read_text().split()[-1] == "10"
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == 10
        assert lower_priority(child.pid, 3)  # never raised again
        assert group.read_text().split()[-1] == "10"
    finally:
        child.kill()
        child.wait()
    assert not lower_priority(child.pid, 10)  # gone
