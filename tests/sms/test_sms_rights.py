"""The SMS area's reads, every profile (the changes are rows of tests/rights_table.py):
Consult sees the recipient list, the balance and the campaigns; without it, refused."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied
from core.rights import PROFILE_RIGHTS, Profile
from core.services import sms
from core.services.sms import Selection
from tests.conftest import make_operator

READS = {  # every read of core.services.sms (the changes: tests/test_rights_services.py)
    "recipient_list": lambda s, a, site, c: sms.recipient_list(s.uow(), a, Selection(site)),
    "balance": lambda s, a, site, c: sms.balance(s.uow(), a, site),
    "campaigns": lambda s, a, site, c: sms.campaigns(s.uow(), a, site),
    "site_blocks": lambda s, a, site, c: sms.site_blocks(s.uow(), a, site),
    "campaign_messages": lambda s, a, site, c: sms.campaign_messages(s.uow(), a, c),
}
PROFILES = [Profile.ADMINISTRATION, Profile.MANAGEMENT, Profile.CONCIERGE,
            Profile.TECHNICAL_MAINTENANCE]


@pytest.mark.parametrize("profile", PROFILES, ids=[p.value for p in PROFILES])
async def test_the_sms_reads_need_the_sms_consult_right(store, admin, sms_estate, profile):
    who = await make_operator(store, admin, "op@test.example", sms_estate.site_id,
                              profile.value)
    campaign = await sms.send_sms(store.uow(), admin, Selection(sms_estate.site_id), "Hi")
    allowed = "sms:consult" in PROFILE_RIGHTS[profile]
    for read in READS.values():
        if allowed:
            await read(store, who, sms_estate.site_id, campaign.id)
        else:
            with pytest.raises(PermissionDenied, match="may not consult SMS"):
                await read(store, who, sms_estate.site_id, campaign.id)
    assert allowed is (profile is not Profile.TECHNICAL_MAINTENANCE)
