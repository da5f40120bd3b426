"""The zygote's rehearsal (console.ssh.rehearsal): one console run headless before the
first fork, which must leave nothing running that a fork would copy half-alive."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import save_copy

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys, threading
from console.ssh.rehearsal import rehearse
took = rehearse(sys.argv[1], {})
print(took is not None, threading.active_count())
"""


def rehearse_in_a_process(db: Path) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), done.stderr


async def test_a_rehearsal_draws_a_console_and_leaves_one_thread(store, estate, tmp_path):
    db = save_copy(store, tmp_path / "estate.db")
    out, err = rehearse_in_a_process(db)
    assert out == "True 1", err


async def test_a_store_nobody_can_log_in_to_is_no_rehearsal_and_no_failure(store, tmp_path):
    db = save_copy(store, tmp_path / "empty.db")  # migrated, no operator yet
    out, _ = rehearse_in_a_process(db)
    assert out == "False 1"


def test_a_store_that_cannot_be_read_is_a_warning_not_a_failure(tmp_path):
    db = tmp_path / "not-a-store.db"
    db.write_bytes(b"this is not a SQLite file" * 100)
    out, err = rehearse_in_a_process(db)
    assert out == "False 1"
    assert "could not rehearse" in err
