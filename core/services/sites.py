"""Sites and their quotas."""

from __future__ import annotations

import copy
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from core import rules
from core.errors import QuotaExceeded, ValidationError
from core.model import Site, id_of
from core.ports import UnitOfWork
from core.rights import Profile
from core.services.base import Actor, changed, must_get, record, require_site_creator
from core.services.operators import set_grant

QUOTAS = {
    "max_panels": ("panels", "Qty of panels"),
    "max_flats": ("flats", "Qty of flats/units"),
    "max_foreign_numbers": ("foreign_numbers", "Qty of Foreign/init numbers"),
    "max_panel_names": ("panel_names", "Qty of names on panels"),
}


def _clean(site: Site) -> Site:
    site.name = rules.text(site.name, "name", label="Site name", required=True)
    site.notes = rules.notes(site.notes)
    site.address = rules.text(site.address, "address", label="Address", max_len=rules.NOTES_MAX)
    site.default_country = (site.default_country or "").upper()
    if site.default_country not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"{site.default_country!r} is not a country code.",
                              field="default_country")
    try:
        ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{site.timezone!r} is not a timezone.", field="timezone") from None
    for attr, (_, label) in QUOTAS.items():
        value = getattr(site, attr)
        if isinstance(value, str):  # as typed in a form: ASCII digits only
            value = rules.whole_number(value, attr, label, 0, rules.QUOTA_MAX)
        setattr(site, attr, rules.quota(value, attr, label))
    return site


async def check_quota(uow: UnitOfWork, site: Site, usage_key: str, adding: int = 1) -> None:
    """Refuse a change that would take a site past one of its quotas."""
    attr = next(a for a, (k, _) in QUOTAS.items() if k == usage_key)
    limit = getattr(site, attr)
    used = (await uow.site_usage(id_of(site)))[usage_key]
    if used + adding > limit:
        label = QUOTAS[attr][1]
        raise QuotaExceeded(
            f"{label} on {site.name} is {used} / {limit}: no room for {adding} more.",
            field=attr,
        )


async def create_site(uow: UnitOfWork, actor: Actor, site: Site) -> Site:
    """Create a site (the guide's "Create a site" right)."""
    require_site_creator(actor)
    async with uow:
        site = await uow.add(_clean(copy.copy(site)))
        await record(uow, actor, "site.create", site, site_id=site.id)
        if actor.operator.id is not None:
            # whoever creates a site administers it
            await set_grant(uow, actor, actor.operator, id_of(site), Profile.ADMINISTRATION)
        await uow.commit()
    return site


async def update_site(uow: UnitOfWork, actor: Actor, site_id: int, **changes: object) -> Site:
    """Change a site's name, country, timezone or quotas; a quota may not drop below use."""
    require_site_creator(actor)
    async with uow:
        before = await must_get(uow, Site, site_id, "Site")
        site = _clean(changed(before, changes, set(QUOTAS) | {
            "name", "default_country", "timezone", "residents_dial_to_open", "notes",
            "address"}))
        if site.default_country != before.default_country:
            # "foreign" is relative to the site's country: re-mark every number
            changed_phones = []
            for phone in await uow.site_telephones(site_id):
                foreign = bool(phone.country) and phone.country != site.default_country
                if foreign != phone.foreign:
                    phone.foreign = foreign
                    changed_phones.append(phone)
            if changed_phones:
                await uow.update_all(changed_phones)
        usage = await uow.site_usage(site_id)
        for attr, (key, label) in QUOTAS.items():
            if getattr(site, attr) < usage[key]:
                raise QuotaExceeded(
                    f"{label} cannot be {getattr(site, attr)}: {usage[key]} are in use.",
                    field=attr,
                )
        await uow.update(site)
        await record(uow, actor, "site.update", site, before=before, site_id=site_id)
        await uow.commit()
    return site
