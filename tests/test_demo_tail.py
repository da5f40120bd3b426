"""`doorkeeper demo` (what `make run` starts): a simulated gateway and its live events."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

from console.tail import format_event

HOSTILE = "\x1b[2J\x1b]0;pwned\x07Evil [@click=app.quit] [b]bold[/b]\x9b31m"


def test_a_hostile_event_prints_as_plain_text():
    line = format_event({"at": "2026-11-27T18:00:00+00:00", "device_id": 1,
                         "kind": "Open by proximity fob", "result": "Opening",
                         "description": HOSTILE}, {1: "Panel\x1b[31m A"}, 200)
    assert "\x1b" not in line and "\x9b" not in line and "\x07" not in line
    assert "Evil [@click=app.quit] [b]bold[/b]" in line  # shown literally
    assert "Panel A" in line


def test_demo_shows_live_events_and_stops_the_gateway_on_ctrl_c():
    folder = tempfile.mkdtemp(prefix="dk-", dir="/tmp")  # short path for the socket
    db = os.path.join(folder, "demo.db")
    built = subprocess.run([sys.executable, "-m", "console.cli", "demo", "--no-ui", "--db", db,
                            "--events", "100"], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    proc = subprocess.Popen([sys.executable, "-m", "console.cli", "demo", "--db", db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + 60
    while len(lines) < 4 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(("  ", "! ")):
            lines.append(line)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert len(lines) == 4, lines
    assert "every event is in the store" in out
    with open(os.path.join(folder, "demo.gateway.log")) as log:
        assert "gateway stopped; every event flushed" in log.read()
