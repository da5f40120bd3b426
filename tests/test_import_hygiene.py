"""The headless processes stay headless: proved at run time, in a fresh interpreter.

The import-linter contracts in pyproject.toml read the static graph and cannot tell an
import at module level from one deferred into the function that needs it (console.cli
defers the app to `doorkeeper console`). So each module the gateway and the `serve`
supervisor load is imported alone in a new interpreter, and `sys.modules` is read.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import console
import console.headless

ROOT = Path(__file__).resolve().parents[1]

#: nothing headless renders
FORBIDDEN = ("textual", "rich")
#: what the gateway's own process needs no more than a screen: SSH, the demo's Faker
NOT_IN_THE_GATEWAY = ("asyncssh", "faker")

HEADLESS = sorted(m.name for m in pkgutil.walk_packages(console.headless.__path__,
                                                        "console.headless."))
#: the entry points a headless process starts from (`doorkeeper gateway`, `serve`)
ENTRIES = ["console", "console.cli", "console.cli_doctor", "console.cli_operators",
           "console.cli_output", "console.cli_serve", "console.cli_store", "core.bus"]


def loaded_after(module: str, watch: tuple[str, ...]) -> list[str]:
    """Which of `watch` a fresh interpreter has loaded once `module` is imported.

    `-P`: the interpreter does not put the current folder first on sys.path, so the
    installed packages are the ones imported (as the children's are).
    """
    script = (f"import sys, {module}\n"
              f"print(','.join(m for m in {watch!r} if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return [m for m in run.stdout.strip().split(",") if m]


def test_the_headless_package_is_found() -> None:
    assert {"console.headless.gateway", "console.headless.supervisor",
            "console.headless.bus.server", "console.headless.bus.client"} <= set(HEADLESS)


@pytest.mark.parametrize("module", HEADLESS + ENTRIES)
def test_headless_modules_do_not_load_the_ui(module: str) -> None:
    assert loaded_after(module, FORBIDDEN) == []


@pytest.mark.parametrize("module", ["console.cli", "console.headless.gateway"])
def test_the_gateway_loads_neither_ssh_nor_the_demo(module: str) -> None:
    assert loaded_after(module, NOT_IN_THE_GATEWAY) == []


def test_the_contract_names_every_console_module_outside_headless() -> None:
    """The import-linter contract lists what console.headless may not import; a console
    module added later must be added there too, or headless code could reach it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    [headless] = [c for c in contracts if c.get("source_modules") == ["console.headless"]]
    forbidden = set(headless["forbidden_modules"])
    assert set(FORBIDDEN) <= forbidden
    others = {f"console.{m.name}" for m in pkgutil.iter_modules(console.__path__)
              if m.name != "headless"}
    assert others - forbidden == set(), "add these to the console.headless contract"
