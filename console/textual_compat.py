"""The private parts of Textual the console uses, in one place.

- `DataTable._require_update_dimensions`: `widths_pending` tells a paged table that
  the column widths are not measured yet (it repaints once they are).

Nothing else in the code may reach into Textual's private names.

Textual is pinned in pyproject.toml to the version this was tested with (TESTED);
tests/test_private_apis.py runs `check()` and fails naming the installed version if
a release moves any of it.
"""

from __future__ import annotations

import textual
from textual.widgets import DataTable

__all__ = ["TESTED", "check", "widths_pending"]

TESTED = "8.2.8"  # the Textual release this module was tested with (pinned in pyproject.toml)


def _broken(what: str) -> RuntimeError:
    return RuntimeError(f"textual {textual.__version__}: {what}; console/textual_compat.py "
                        f"was written for textual {TESTED} (pinned in pyproject.toml) and must "
                        "be updated")


def widths_pending(table: DataTable[object]) -> bool:
    """True while a table's column widths are still to be measured (on its next idle)."""
    return bool(table._require_update_dimensions)


def check() -> None:
    """Raise RuntimeError unless Textual still has what this module uses, as it was."""
    if not isinstance(getattr(DataTable(), "_require_update_dimensions", None), bool):
        raise _broken("DataTable()._require_update_dimensions is gone")
