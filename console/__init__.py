"""Doorkeeper's console side: the CLI (the composition root), the Textual app, the SSH
server, and console.headless (the processes that run without a screen).

Doorkeeper installs four top-level packages, core, store, drivers and console, which
must come from one place. `python -m` puts the current folder first on sys.path, so a
folder holding a `core/` of something else (a Django project) would stand in for ours:
importing console checks where its siblings would be imported from and refuses a
mix with a clear message, rather than failing later on a missing module. Doorkeeper's
own child processes start with `python -P` (console.headless.children); see
docs/processes.md.
"""

import importlib.util as _util
from pathlib import Path as _Path


def _check_siblings() -> None:
    home = _Path(__file__).resolve().parent.parent
    for name in ("core", "store", "drivers"):
        spec = _util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue  # absent, or not a package: its import fails on its own
        where = _Path(next(iter(spec.submodule_search_locations))).resolve().parent
        if where != home:
            raise ImportError(
                f"Doorkeeper's {name!r} package would be imported from {where}, not from "
                f"{home} beside 'console': another project's {name!r} is first on sys.path "
                "(python -m puts the current folder there). Run the `doorkeeper` command, "
                "or `python -P -m console.cli`.")


_check_siblings()
