"""The shared fixture estate builds through the services and is audited."""

from core.model import Flat


async def test_small_estate_is_built_and_audited(store, estate):
    async with store.reader() as uow:
        assert await uow.count(Flat, block_id=estate.block.id) == 3
        usage = await uow.site_usage(estate.site.id)
    assert usage == {"flats": 3, "foreign_numbers": 0, "panel_names": 0, "panels": 1}
    report = await store.verify_audit()
    assert report.ok and report.checked >= 8
