"""What runs without a screen: the gateway, the `serve` supervisor, the bus's socket
transport, the SSH throttle, and the way these processes start one another.

Nothing here imports Textual, Rich or the console's screens: pyproject.toml's
import-linter contract forbids it, and tests/test_import_hygiene.py imports each module
in a fresh interpreter and checks. The console (app, SSH sessions) may import from
here; never the other way round. See docs/processes.md.
"""
