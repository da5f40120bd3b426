"""The Audit screen shows every kind of entry the services write.

An SMS sent, SMS credits added and a flat import were written to the trail (and counted
in "Chain: intact (N entries)") but never listed, for anyone: their kinds had no area of
the rights matrix, so no reader's scope held them. They now belong to SMS and Flats.
"""

from __future__ import annotations

from console.imports.read import read_sheet
from core.services import residents, sms
from core.services.flat_import_apply import apply_import
from core.services.sms import Selection
from tests.console.test_audit_screen import SIZE, open_audit, whats
from tests.test_flat_import import write_csv


async def test_sms_and_an_import_are_in_the_trail(console_ctx, make_app, store, admin,
                                                   estate, tmp_path):
    await residents.add_telephone(store.uow(), admin, estate.flats[1].id, "07546277360")
    await sms.add_credits(store.uow(), admin, estate.site.id, 10)
    await sms.send_sms(store.uow(), admin, Selection(estate.site.id), "Lift repaired")
    source = write_csv(tmp_path / "flats.csv", [["Flat N°", "Flat"], ["090", "Appt. 090"]])
    await apply_import(store.uow(), admin, estate.block.id, read_sheet(source))
    app = make_app(console_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot)
        shown = whats(screen)
        assert shown[0].startswith("Import of flats"), shown
        assert shown[1].startswith("SMS sent"), shown
        assert shown[2].startswith("SMS credits added"), shown
