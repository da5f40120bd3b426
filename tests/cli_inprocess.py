"""The `doorkeeper` command run inside the test's process, as the console script runs it.

`main(argv)` is what the console script calls; its exit code and what it wrote to the
file descriptors (logging writes to the real stderr) come back as a CompletedProcess, so
the table tests read like the subprocess tests they replace. Starting Python and
importing the store costs about 0.7 s of CPU a case; the real console script still runs
in tests/test_cli.py's first test, tests/test_child_processes.py and CI's wheel check.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from console.cli import main


def run_cli(capfd: pytest.CaptureFixture[str], *args: str,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `doorkeeper ARGS` in this process (in `cwd` when given)."""
    capfd.readouterr()  # what the test printed before is not the command's
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        try:
            code = main(list(args))
        except SystemExit as done:  # argparse's --help and usage errors
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    out, err = capfd.readouterr()
    return subprocess.CompletedProcess(["doorkeeper", *args], code, out, err)
