"""`doorkeeper serve --fingerprint` prints the host key's fingerprint as OpenSSH does
(compared with the real `ssh-keygen -lf`), making the key on first use, and exits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from console import cli, cli_serve
from core.config import load_config


async def test_the_fingerprint_is_the_one_ssh_keygen_prints(store, capsys):
    if not shutil.which("ssh-keygen"):
        pytest.fail("the OpenSSH client is needed (.ci/run installs it)")
    args = cli._parser().parse_args(["serve", "--db", store.where, "--fingerprint"])
    assert await cli_serve.run(args, load_config(None)) == 0
    printed = capsys.readouterr().out.strip()
    key = Path(store.where).with_suffix(".ssh_host_ed25519_key")
    assert key.stat().st_mode & 0o777 == 0o600
    keygen = subprocess.run(["ssh-keygen", "-lf", str(key)], capture_output=True, text=True,
                            check=True).stdout.split()
    assert printed == keygen[1] and printed.startswith("SHA256:")
    # the same key the next time (it is kept, not made again)
    assert await cli_serve.run(args, load_config(None)) == 0
    assert capsys.readouterr().out.strip() == printed
