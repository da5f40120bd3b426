"""The guide's rights matrix: areas × (Consult, Create/Modify/Delete), and profiles.

A right is stored as "area:action". Modify implies Consult. The four named
profiles are fixed matrices; "custom" is whatever set an administrator ticks.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

from core.errors import PermissionDenied, ValidationError
from core.model import Operator, SiteGrant
from core.rules import is_valid_on


class Area(enum.StrEnum):
    FACILITIES = "facilities"
    USERS = "users"
    SMS = "sms"
    BLOCKS = "blocks"
    FLATS = "flats"
    RESIDENTS_DISPLAYS = "residents_displays"
    APASS_MANAGEMENT = "apass_management"
    CREATE_APASSES = "create_apasses"
    KEYPAD_CODE = "keypad_code"
    ACCESS_PROFILES = "access_profiles"
    DEVICES = "devices"
    WEEK_TYPES = "week_types"
    EVENTS = "events"
    EXPORT = "export"
    IMPORT = "import"

    @property
    def label(self) -> str:
        """The column heading of the guide's matrix."""
        return AREA_LABELS[self]


AREA_LABELS = {
    Area.FACILITIES: "Facilities",
    Area.USERS: "Users",
    Area.SMS: "SMS",
    Area.BLOCKS: "Blocks",
    Area.FLATS: "Flats",
    Area.RESIDENTS_DISPLAYS: "Residents & Displays",
    Area.APASS_MANAGEMENT: "APass mgmnt & transfer",
    Area.CREATE_APASSES: "Create APasses",
    Area.KEYPAD_CODE: "Keypad code",
    Area.ACCESS_PROFILES: "Access profiles",
    Area.DEVICES: "Devices",
    Area.WEEK_TYPES: "Week types / Holidays",
    Area.EVENTS: "Events",
    Area.EXPORT: "Export",
    Area.IMPORT: "Import",
}


class Action(enum.StrEnum):
    CONSULT = "consult"
    MODIFY = "modify"  # the guide's "Create/Del/Modify"


def right(area: Area, action: Action) -> str:
    """The stored form of one right."""
    return f"{area.value}:{action.value}"


ALL_RIGHTS = frozenset(right(a, x) for a in Area for x in Action)


def _matrix(modify: Iterable[Area], consult: Iterable[Area]) -> frozenset[str]:
    modify = list(modify)
    return frozenset(
        [right(a, Action.MODIFY) for a in modify]
        + [right(a, Action.CONSULT) for a in [*modify, *consult]]
    )


class Profile(enum.StrEnum):
    ADMINISTRATION = "Administration"
    MANAGEMENT = "Management"
    CONCIERGE = "Concierge"
    TECHNICAL_MAINTENANCE = "Technical maintenance"
    CUSTOM = "Custom"


A = Area
PROFILE_RIGHTS: dict[Profile, frozenset[str]] = {
    Profile.ADMINISTRATION: ALL_RIGHTS,
    # Managing agents: residents, passes, contractors, SMS, exports; they see
    # devices and users but do not commission hardware or add operators.
    Profile.MANAGEMENT: _matrix(
        modify=[A.FACILITIES, A.SMS, A.BLOCKS, A.FLATS, A.RESIDENTS_DISPLAYS,
                A.APASS_MANAGEMENT, A.CREATE_APASSES, A.KEYPAD_CODE, A.ACCESS_PROFILES,
                A.WEEK_TYPES, A.EVENTS, A.EXPORT, A.IMPORT],
        consult=[A.USERS, A.DEVICES],
    ),
    # The desk: find a resident, keep phones and displays right, block a lost
    # fob, watch events and acknowledge alarms. No new passes, codes, profiles
    # or hardware.
    Profile.CONCIERGE: _matrix(
        modify=[A.RESIDENTS_DISPLAYS, A.APASS_MANAGEMENT, A.SMS, A.EVENTS],
        consult=[A.FACILITIES, A.BLOCKS, A.FLATS, A.CREATE_APASSES, A.ACCESS_PROFILES,
                 A.DEVICES, A.WEEK_TYPES],
    ),
    # Engineers: devices, doors, week types and profiles, and the alarms they
    # fix; see residents but don't change them.
    Profile.TECHNICAL_MAINTENANCE: _matrix(
        modify=[A.DEVICES, A.ACCESS_PROFILES, A.WEEK_TYPES, A.EVENTS],
        consult=[A.BLOCKS, A.FLATS, A.RESIDENTS_DISPLAYS, A.KEYPAD_CODE, A.EXPORT],
    ),
}
del A


def rights_for(profile: Profile | str, custom: Iterable[str] | None = None) -> frozenset[str]:
    """The rights of a named profile, or the checked set of a custom one."""
    try:
        profile = Profile(profile)
    except ValueError:
        names = ", ".join(p.value for p in Profile)
        raise ValidationError(f"Unknown profile {profile!r}; choose one of {names}.",
                              field="profile") from None
    if profile is Profile.CUSTOM:
        rights = frozenset(custom or ())
        unknown = rights - ALL_RIGHTS
        if unknown:
            raise ValidationError(f"Unknown rights: {', '.join(sorted(unknown))}.",
                                  field="rights")
        # Modify implies Consult, as in the guide's matrix.
        implied = {r.replace(":modify", ":consult") for r in rights if r.endswith(":modify")}
        return rights | implied
    if custom:
        raise ValidationError("Only a custom profile takes its own rights.", field="rights")
    return PROFILE_RIGHTS[profile]


def grant_is_current(grant: SiteGrant, today: date) -> bool:
    """A grant counts only between its validity dates."""
    return is_valid_on(grant.valid_from, grant.valid_to, today)


def check(operator: Operator, grant: SiteGrant | None, area: Area, action: Action,
          today: date, site_name: str = "this site") -> None:
    """Raise PermissionDenied unless the operator may do `action` in `area` on the site."""
    if not operator.active:
        raise PermissionDenied(f"{operator.email} is disabled.")
    if grant is None:
        raise PermissionDenied(f"{operator.email} has no access to {site_name}.")
    if not grant_is_current(grant, today):
        raise PermissionDenied(
            f"{operator.email}'s access to {site_name} is outside its validity dates."
        )
    if right(area, action) not in grant.rights:
        verb = "consult" if action is Action.CONSULT else "change"
        raise PermissionDenied(
            f"{operator.email} may not {verb} {area.label} on {site_name}."
        )
