"""The guide's rights matrix and the permission check (pure part of core.rights)."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import PermissionDenied, ValidationError
from core.model import Operator, SiteGrant
from core.rights import (
    ALL_RIGHTS,
    PROFILE_RIGHTS,
    Action,
    Area,
    Profile,
    check,
    grant_is_current,
    right,
    rights_for,
)

# The matrix written out independently of rights.py: M = create/modify/delete (and
# consult), C = consult only, - = nothing.
AREAS = [
    "facilities", "users", "sms", "blocks", "flats", "residents_displays",
    "apass_management", "create_apasses", "keypad_code", "access_profiles", "devices",
    "week_types", "events", "export", "import",
]  # fmt: skip
MATRIX = {
    #                              fac usr sms blk flt res apm cap key acp dev wkt evt exp imp
    Profile.ADMINISTRATION:        "M   M   M   M   M   M   M   M   M   M   M   M   M   M   M",
    Profile.MANAGEMENT:            "M   C   M   M   M   M   M   M   M   M   C   M   M   M   M",
    Profile.CONCIERGE:             "C   -   M   C   C   M   M   C   -   C   C   C   M   -   -",
    Profile.TECHNICAL_MAINTENANCE: "-   -   -   C   C   C   -   -   C   M   M   M   M   C   -",
}  # fmt: skip
NAMED = list(MATRIX)
CASES = [
    (profile, area, level)
    for profile, row in MATRIX.items()
    for area, level in zip(AREAS, row.split(), strict=True)
]


def test_table_covers_every_area_and_profile():
    assert sorted(AREAS) == sorted(a.value for a in Area)
    assert set(NAMED) | {Profile.CUSTOM} == set(Profile)
    assert set(PROFILE_RIGHTS) == set(NAMED)


@pytest.mark.parametrize(("profile", "area", "level"), CASES)
def test_profile_matrix(profile, area, level):
    rights = rights_for(profile)
    assert (f"{area}:modify" in rights) is (level == "M")
    assert (f"{area}:consult" in rights) is (level in ("M", "C"))


@pytest.mark.parametrize("profile", NAMED)
def test_profile_has_nothing_outside_the_matrix(profile):
    expected = {
        f"{area}:{action}"
        for area, level in zip(AREAS, MATRIX[profile].split(), strict=True)
        for action in {"M": ["modify", "consult"], "C": ["consult"], "-": []}[level]
    }
    assert rights_for(profile) == expected
    assert rights_for(profile.value) == expected  # by its stored name


def test_administration_has_every_right():
    assert rights_for(Profile.ADMINISTRATION) == ALL_RIGHTS
    assert len(ALL_RIGHTS) == 2 * len(Area) == 30


@pytest.mark.parametrize("profile", NAMED)
def test_modify_implies_consult(profile):
    rights = rights_for(profile)
    for r in rights:
        if r.endswith(":modify"):
            assert r.replace(":modify", ":consult") in rights


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        (None, set()),
        ([], set()),
        (["flats:modify"], {"flats:modify", "flats:consult"}),
        (["flats:consult"], {"flats:consult"}),
        (
            ["devices:modify", "events:consult"],
            {"devices:modify", "devices:consult", "events:consult"},
        ),
        (["flats:modify", "flats:consult"], {"flats:modify", "flats:consult"}),
        (sorted(ALL_RIGHTS), set(ALL_RIGHTS)),
        ([r for r in ALL_RIGHTS if r.endswith(":modify")], set(ALL_RIGHTS)),
    ],
)
def test_custom_rights(custom, expected):
    assert rights_for(Profile.CUSTOM, custom) == expected
    assert rights_for("Custom", custom) == expected


@pytest.mark.parametrize(
    "custom",
    [
        ["flats:delete"],
        ["flats"],
        ["Flats:modify"],
        ["nowhere:consult"],
        ["flats:modify", "bogus:consult"],
        [""],
    ],
)
def test_custom_unknown_right_refused(custom):
    with pytest.raises(ValidationError) as exc:
        rights_for(Profile.CUSTOM, custom)
    assert exc.value.field == "rights"
    assert "Unknown rights" in exc.value.message


@pytest.mark.parametrize("profile", NAMED)
def test_named_profile_refuses_custom_rights(profile):
    with pytest.raises(ValidationError) as exc:
        rights_for(profile, ["flats:consult"])
    assert exc.value.field == "rights"


@pytest.mark.parametrize("profile", NAMED)
def test_named_profile_with_an_empty_custom_list_is_the_profile(profile):
    assert rights_for(profile, []) == PROFILE_RIGHTS[profile]


# --- check ---------------------------------------------------------------------------

FROM, TO = date(2024, 1, 10), date(2024, 1, 20)
OP = Operator(email="desk@example.com", id=7)


def grant(profile: Profile = Profile.CONCIERGE, valid_from=FROM, valid_to=TO, custom=None):
    return SiteGrant(
        operator_id=7,
        site_id=1,
        profile=profile.value,
        rights=rights_for(profile, custom),
        valid_from=valid_from,
        valid_to=valid_to,
    )


@pytest.mark.parametrize(
    ("operator", "the_grant", "area", "action", "today", "message"),
    [
        (Operator(email="off@example.com", active=False), grant(), Area.FLATS,
         Action.CONSULT, date(2024, 1, 15), "off@example.com is disabled"),
        (Operator(email="off@example.com", active=False), None, Area.FLATS,
         Action.CONSULT, date(2024, 1, 15), "is disabled"),
        (OP, None, Area.FLATS, Action.CONSULT, date(2024, 1, 15), "has no access to Site A"),
        (OP, grant(), Area.FLATS, Action.CONSULT, date(2024, 1, 9), "outside its validity"),
        (OP, grant(), Area.FLATS, Action.CONSULT, date(2024, 1, 21), "outside its validity"),
        (OP, grant(valid_from=FROM, valid_to=None), Area.FLATS, Action.CONSULT,
         date(2024, 1, 9), "outside its validity"),
        (OP, grant(valid_from=None, valid_to=TO), Area.FLATS, Action.CONSULT,
         date(2024, 1, 21), "outside its validity"),
        (OP, grant(), Area.FLATS, Action.MODIFY, date(2024, 1, 15), "may not change Flats"),
        (OP, grant(), Area.USERS, Action.CONSULT, date(2024, 1, 15), "may not consult Users"),
        (OP, grant(), Area.KEYPAD_CODE, Action.MODIFY, date(2024, 1, 15),
         "may not change Keypad code"),
        (OP, grant(Profile.TECHNICAL_MAINTENANCE), Area.IMPORT, Action.CONSULT,
         date(2024, 1, 15), "may not consult Import"),
        (OP, grant(Profile.CUSTOM, custom=[]), Area.EVENTS, Action.CONSULT,
         date(2024, 1, 15), "may not consult Events"),
    ],
)  # fmt: skip
def test_check_denies(operator, the_grant, area, action, today, message):
    with pytest.raises(PermissionDenied) as exc:
        check(operator, the_grant, area, action, today, site_name="Site A")
    assert message in exc.value.message


def test_check_denies_a_modify_only_grant_built_by_hand_for_consult():
    # A grant's rights are taken as stored: check() itself does not imply Consult.
    hand_built = SiteGrant(
        operator_id=7, site_id=1, profile="Custom", rights=frozenset({"flats:modify"})
    )
    with pytest.raises(PermissionDenied):
        check(OP, hand_built, Area.FLATS, Action.CONSULT, date(2024, 1, 15))


@pytest.mark.parametrize("today", [FROM, date(2024, 1, 15), TO])
@pytest.mark.parametrize(
    ("area", "action"),
    [
        (Area.FLATS, Action.CONSULT),
        (Area.RESIDENTS_DISPLAYS, Action.MODIFY),
        (Area.RESIDENTS_DISPLAYS, Action.CONSULT),
        (Area.EVENTS, Action.CONSULT),
    ],
)
def test_check_passes_within_validity_including_edges(today, area, action):
    assert check(OP, grant(), area, action, today) is None


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "today"),
    [
        (None, None, date(1990, 1, 1)),  # permanent
        (None, None, date(2100, 1, 1)),
        (FROM, None, date(2100, 1, 1)),
        (None, TO, date(1990, 1, 1)),
    ],
)
def test_check_passes_open_ended_grants(valid_from, valid_to, today):
    g = grant(Profile.ADMINISTRATION, valid_from, valid_to)
    assert check(OP, g, Area.USERS, Action.MODIFY, today) is None


def test_custom_grant_modify_gives_consult_through_check():
    g = grant(Profile.CUSTOM, custom=["flats:modify"])
    today = date(2024, 1, 15)
    assert check(OP, g, Area.FLATS, Action.CONSULT, today) is None
    assert check(OP, g, Area.FLATS, Action.MODIFY, today) is None
    with pytest.raises(PermissionDenied):
        check(OP, g, Area.BLOCKS, Action.CONSULT, today)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 1, 9), False),
        (FROM, True),
        (TO, True),
        (date(2024, 1, 21), False),
    ],
)
def test_grant_is_current(today, expected):
    assert grant_is_current(grant(), today) is expected


def test_right_format():
    assert right(Area.CREATE_APASSES, Action.MODIFY) == "create_apasses:modify"
    assert right(Area.FLATS, Action.CONSULT) == "flats:consult"
