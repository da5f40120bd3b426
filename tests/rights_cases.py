"""Who acts and what a row is, for tests/test_rights_services.py: the operators every row of
the rights table (tests/rights_table.py) is run as, and a Case: what a service call needs
and how to make it.

The operators: one of every profile (Administration, Management, Concierge, Technical
maintenance, a Custom set of rights), a site creator with a Concierge profile, and four
who must be refused whatever their profile says: grant expired, grant not yet started, no
grant on the site, deactivated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.rights import ALL_RIGHTS, Profile, rights_for
from core.services.base import Actor
from store.database import Store
from tests.conftest import SmallEstate, fixed_clock

TODAY = fixed_clock().date()  # 2026-11-27
SITE_CREATOR = "site creator"  # marker: the guide's separate "Create a site" profile
OWN_ACCOUNT = "own account"  # marker: any active operator, on their own account
PASSWORD = "correct horse battery"
KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICI85aXj6D0v7Y9/ttvXDan2SK+6bwNaHvQNn/ooH+ee "
       "colleague@desk")

# The Custom profile: allows flats, residents and week types; refuses keypad codes
# (it may only consult them), so a flat change is allowed but a code change is not.
CUSTOM_RIGHTS = ["flats:modify", "residents_displays:modify", "week_types:modify",
                 "keypad_code:consult"]


# --- who acts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """One operator under test: a profile on the estate's site, or a reason to refuse."""

    key: str
    profile: Profile | None  # None: no grant on the site at all
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True
    can_create_sites: bool = False

    @property
    def rights(self) -> frozenset[str]:
        if self.profile is None:
            return frozenset()
        return rights_for(self.profile, CUSTOM_RIGHTS if self.profile is Profile.CUSTOM
                          else None)

    @property
    def grant_current(self) -> bool:
        return (self.profile is not None
                and (self.valid_from is None or self.valid_from <= TODAY)
                and (self.valid_to is None or self.valid_to >= TODAY))

    @property
    def email(self) -> str:
        return f"{self.key.lower().replace(' ', '.')}@test.example"


ADMIN = Profile.ADMINISTRATION
BY_PROFILE = [Who(p.value, p) for p in Profile]
# Operators refused whatever their profile: the strongest profile, to prove it.
REFUSED = [
    Who("expired", ADMIN, valid_from=date(2026, 1, 1), valid_to=date(2026, 11, 26)),
    Who("not yet started", ADMIN, valid_from=date(2026, 11, 28), valid_to=date(2027, 11, 28)),
    Who("no grant", None),
    # even a site creator is refused once deactivated
    Who("deactivated", ADMIN, active=False, can_create_sites=True),
]
CREATOR = Who("site creator", Profile.CONCIERGE, can_create_sites=True)
EVERYONE = [*BY_PROFILE, CREATOR, *REFUSED]


# --- a row of the table (tests/rights_table.py) ---------------------------------

Setup = Callable[[Store, Actor, SmallEstate], Awaitable[Any]]
Call = Callable[[Store, Actor, SmallEstate, Any], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    name: str
    needs: frozenset[str] | str  # rights, or SITE_CREATOR / OWN_ACCOUNT
    call: Call  # (store, actor, estate, what setup returned)
    setup: Setup | None = None  # run by the administrator before the call
    bug: str | None = None  # known bug: the service lets through what it should refuse

    def allows(self, who: Who) -> bool:
        """Whether core.rights says `who` may make this call."""
        if not who.active:
            return False
        if self.needs == SITE_CREATOR:
            return who.can_create_sites
        if self.needs == OWN_ACCOUNT:
            return True
        return who.grant_current and self.needs <= who.rights


def needs(*rights: str) -> frozenset[str]:
    assert rights and set(rights) <= ALL_RIGHTS, rights
    return frozenset(rights)
