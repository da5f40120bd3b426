"""The set-up screens the main screen opens for the site shown, and the right each
needs: week types and holidays, access profiles."""

from __future__ import annotations

from textual.screen import Screen

from console.context import ConsoleContext
from core.rights import Area

#: screen -> the area of the rights matrix it needs (to consult)
SETUP_AREAS = {"week_types": Area.WEEK_TYPES, "profiles": Area.ACCESS_PROFILES}


def setup_allowed(ctx: ConsoleContext, site_id: int | None, which: str) -> bool:
    """Whether the operator may open this set-up screen on the site."""
    return site_id is not None and which in SETUP_AREAS and ctx.can(site_id, SETUP_AREAS[which])


def setup_screen(ctx: ConsoleContext, site_id: int, which: str) -> Screen:
    """The screen itself (imported when opened)."""
    if which == "week_types":
        from console.screens.week_types import WeekTypesScreen
        return WeekTypesScreen(ctx, site_id)
    from console.screens.profiles import ProfilesScreen
    return ProfilesScreen(ctx, site_id)
