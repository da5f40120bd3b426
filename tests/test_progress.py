"""Progress of a long command-line job (console/progress.py): plain lines when the output
is not a terminal, at most one every PLAIN_EVERY_S plus the stages and the end; Rich's
bar on a terminal."""

from __future__ import annotations

import io

from console import progress as progress_module
from console.progress import BESIDE_QUIET_S, JobProgress, UpgradeProgress, stages


def test_plain_lines_name_the_stage_then_count_with_rate_and_time_left(monkeypatch):
    out = io.StringIO()
    now = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    with JobProgress("past events", 1000, out=out, terminal=False) as job:
        job.stage("site 1 of 3")  # before the counted stage: its name alone
        now[0] = 4.0
        job.stage("the history")  # the rate counts from here
        now[0] = 5.0
        job.advance(100)  # within PLAIN_EVERY_S of the last line: none
        now[0] = 6.0
        job.advance(400)  # 2 s after it: a line
        now[0] = 9.0
        job.advance(500)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("site 1 of 3 …") and lines[1].endswith("the history …")
    assert lines[2].endswith("the history: 500 of 1,000 past events, 250/s, about 2 s left")
    assert lines[3].endswith("the history: 1,000 of 1,000 past events, 200/s")
    assert len(lines) == 5  # and the same once more at the end


def test_a_failed_job_prints_no_final_line():
    out = io.StringIO()
    try:
        with JobProgress("rows", 10, out=out, terminal=False) as job:
            job.advance(3)
            raise RuntimeError("the store is full")
    except RuntimeError:
        pass
    assert out.getvalue().splitlines() == [out.getvalue().splitlines()[0]]  # no end line
    assert "3 of 10 rows" in out.getvalue()


def test_on_a_terminal_it_is_a_bar_with_the_counts():
    out = io.StringIO()
    with JobProgress("past events", 10, out=out, terminal=True) as job:
        job.stage("the history")
        job.advance(10)
    text = out.getvalue()
    assert "10/10" in text and "past events: the history" in text


def test_a_count_without_a_total_has_no_of_and_no_time_left(monkeypatch):
    out = io.StringIO()
    now = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    with JobProgress("flats", 0, out=out, terminal=False) as job:
        now[0] = 2.0
        job.advance(400)
    assert out.getvalue().splitlines()[-1].endswith("flats: 400 flats, 200/s")


def test_a_job_beside_the_output_says_nothing_when_quick_and_counts_when_slow(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    quick = io.StringIO()
    steps = UpgradeProgress(out=quick, terminal=False)
    steps.begin(3, None, "0008")
    for name in ("0001 initial schema", "0002 search index", "0003 operator keys"):
        now[0] += 0.1
        steps.step(name)
    steps.end()
    assert quick.getvalue() == ""  # a new store in a fraction of a second: its one line
    slow = io.StringIO()
    steps = UpgradeProgress(out=slow, terminal=False)
    now[0] = 10.0
    steps.begin(2, "0006", "0008")
    now[0] += BESIDE_QUIET_S + 1
    steps.step("0007 natural order")
    now[0] += 1
    steps.step("0008 SMS to residents")
    steps.end()
    lines = slow.getvalue().splitlines()
    assert lines[0].endswith("0007 natural order (done): 1 of 2 migrations, about 4 s left")
    assert lines[-1].endswith("0008 SMS to residents (done): 2 of 2 migrations")


def test_a_staged_job_counts_each_stage_done(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    out = io.StringIO()
    with stages("backup steps", ["copy", "check", "sync"]) as job:
        job.out = out
        for _ in range(3):
            now[0] += BESIDE_QUIET_S
            job.next()
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("copy …")
    assert lines[1].endswith("check: 1 of 3 backup steps, about 6 s left")
    assert lines[-1].endswith("sync: 3 of 3 backup steps")
