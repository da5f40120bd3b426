"""Progress of a long command-line job (console/progress.py): plain lines when the output
is not a terminal, at most one every PLAIN_EVERY_S plus the stages and the end; Rich's
bar on a terminal."""

from __future__ import annotations

import io

from console import progress as progress_module
from console.progress import JobProgress


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
