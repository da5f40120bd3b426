"""How the Facilities lists show a provider's validity: the guide's colour (red expired,
orange not started, grey current) and a word beside it, so the line reads the same on a
16-colour or monochrome terminal."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from console.widgets.plain import CURRENT, EXPIRED, NOT_STARTED
from core.model import ServiceProvider, ValidityStatus
from core.rules import provider_status

STYLE = {ValidityStatus.EXPIRED: EXPIRED, ValidityStatus.NOT_STARTED: NOT_STARTED,
         ValidityStatus.CURRENT: CURRENT}
WORD = {ValidityStatus.EXPIRED: "Expired", ValidityStatus.NOT_STARTED: "Not started",
        ValidityStatus.CURRENT: "Current"}


def validity_cell(provider: ServiceProvider, today: date) -> Text:
    """"Current 2026-01-05 → 2029-01-05", "Expired …", "Not started …", "Current permanent"."""
    status = provider_status(provider, today)
    if provider.valid_from is None and provider.valid_to is None:
        span = "permanent"
    else:
        span = f"{provider.valid_from or '…'} → {provider.valid_to or '…'}"
    text = Text(WORD[status], style=f"bold {STYLE[status]}", no_wrap=True, end="")
    text.append(f" {span}", style=STYLE[status])
    return text
