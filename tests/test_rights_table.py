"""The rights table itself (tests/rights_table.py): a row for every service function, no
row twice, and a Custom profile that really splits it; the rows are run as every operator
by tests/test_rights_services.py."""

from __future__ import annotations

from core.rights import PROFILE_RIGHTS, Profile
from tests.rights_cases import BY_PROFILE, OWN_ACCOUNT, SITE_CREATOR
from tests.rights_table import CASES, SERVICE_MODULES


def test_table_covers_every_service_function():
    """A new service function must get its row here."""
    import inspect

    public = {
        f"{m.__name__.rsplit('.', 1)[-1]}.{name}"
        for m in SERVICE_MODULES
        for name, fn in vars(m).items()
        if inspect.iscoroutinefunction(fn) and not name.startswith("_")
        and fn.__module__ == m.__name__
    }
    # not services: helpers used inside other services' units of work, and setup
    internal = {"sites.check_quota", "operators.set_grant", "operators.bootstrap_admin",
                "operator_keys.require_key_rights"}
    # the SMS area's reads: every profile in tests/sms/test_sms_rights.py
    internal |= {"sms.recipient_list", "sms.balance", "sms.campaigns", "sms.campaign_messages",
                 "sms.site_blocks"}
    covered = {c.name.split(" ", 1)[0] for c in CASES}
    assert public - internal - covered == set()
    assert covered <= public
    assert len({c.name for c in CASES}) == len(CASES)
    # the table's Custom profile really splits it: some rows allowed, some refused
    custom = next(w for w in BY_PROFILE if w.profile is Profile.CUSTOM)
    outcomes = {c.allows(custom) for c in CASES if c.needs not in (SITE_CREATOR, OWN_ACCOUNT)}
    assert outcomes == {True, False}
    assert set(PROFILE_RIGHTS) | {Profile.CUSTOM} == {w.profile for w in BY_PROFILE}
