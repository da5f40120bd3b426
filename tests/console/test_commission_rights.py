"""Who may commission what, over the guide's profiles (one row each): the Devices tab's
add / modify / remove / restart keys (Devices Create/Modify) and its open-door key
(Devices Consult), the Blocks list's go to Flat N° (Flats Consult), the flat's Add
APasses and where it may take them from, and the Sites key (the "Create a site" right,
held by no site profile). A hidden key is False; the services refuse anyway
(tests/test_rights_services.py)."""

from __future__ import annotations

import pytest

from console.screens.add_passes import CREATE, STOCK, add_sources
from core.model import Device, DeviceType
from core.rights import Profile
from core.services import devices
from tests.conftest import make_operator
from tests.console.conftest import context_for, settled, show_tab
from tests.console.setup_helpers import settle

DEVICE_KEYS = ("add", "modify", "remove", "restart_reader", "open_door")
TABLE = [  # profile, device keys (as DEVICE_KEYS), go to flat, Add APasses sources
    (Profile.ADMINISTRATION, [True] * 5, True, [STOCK, CREATE]),
    (Profile.MANAGEMENT, [False] * 4 + [True], True, [STOCK, CREATE]),
    (Profile.CONCIERGE, [False] * 4 + [True], True, [STOCK]),
    (Profile.TECHNICAL_MAINTENANCE, [True] * 5, True, []),
]


@pytest.mark.parametrize(("profile", "device_keys", "goto", "sources"), TABLE,
                         ids=[p.name for p, *_ in TABLE])
async def test_commissioning_keys_follow_the_profile(store, admin, estate, make_app, profile,
                                                     device_keys, goto, sources):
    reader = await devices.create_device(store.uow(), admin, Device(
        estate.site.id, "A reader", DeviceType.READER, bus="/dev/ttyUSB0", address="2",
        parent_id=estate.panel.id))
    await make_operator(store, admin, "who@test.example", estate.site.id, profile)
    ctx = await context_for(store, "who@test.example")
    assert [v for _, v in add_sources(ctx, estate.site.id)] == sources
    app = make_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main.check_action("sites", ()) is False
        assert bool(app.main.tabs["pane-blockstab"].check_action("goto_flat", ())) is goto
        await show_tab(pilot, "2")
        await settle(pilot)
        tab = app.main.tabs["pane-devicestab"]
        tab.table.move_cursor(row=[r.id for r in tab.rows].index(reader.id))
        await settled(pilot)
        assert [bool(tab.check_action(a, ())) for a in DEVICE_KEYS] == device_keys
