"""SMS to residents (the guide's Messages & Communication): New SMS, credits, campaigns.

Rights: the SMS area. Consult sees the recipient list, the balance and the campaigns;
Modify sends. Adding credits is an administrator's act: SMS and Users, both Modify.
Sending is one transaction: the text and the recipients are checked, the site's
balance must cover every message, then the campaign and each message are written as
rows of the outbox (the gateway's sender sends them), the credits are spent, and the
audit entry records the recipient count. Refused: nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core import sms
from core.errors import NotFound, QuotaExceeded, ValidationError
from core.model import Block, Flat, id_of
from core.model_sms import SmsCampaign, SmsCredit, SmsMessage
from core.natural_order import sort_key
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import Actor, authorize, record
from core.sms import MessageStatus, RecipientList

CREDITS_MAX = 100_000  # credits added at once


@dataclass(frozen=True)
class Selection:
    """New SMS's choice: the site, its blocks (none: all), flats (none: all of those
    blocks; by id, or by Flat N° as typed: "1-5, 8"), and all numbers of each flat or
    only its primary (first) one."""

    site_id: int
    block_ids: tuple[int, ...] = ()
    flat_ids: tuple[int, ...] = ()
    primary_only: bool = False
    flat_numbers: str = ""


@dataclass(frozen=True)
class CampaignRow:
    """A campaign in the list, with its messages counted by status."""

    campaign: SmsCampaign
    counts: dict[MessageStatus, int]


async def _credit(uow: UnitOfWork, site_id: int) -> SmsCredit:
    found = await uow.find(SmsCredit, site_id=site_id)
    return found[0] if found else SmsCredit(site_id, 0)


async def _flats(uow: UnitOfWork, selection: Selection) -> list[tuple[Flat, str]]:
    """The chosen flats with their "Block/Flat" label, block by block in natural order."""
    blocks = [b for b in await uow.find(Block, site_id=selection.site_id)
              if not selection.block_ids or b.id in selection.block_ids]
    if selection.block_ids and len(blocks) != len(set(selection.block_ids)):
        raise NotFound("A chosen block is not on this site.")
    out: list[tuple[Flat, str]] = []
    wanted = set(selection.flat_ids)
    for block in sorted(blocks, key=lambda b: sort_key(b.name)):
        flats = await uow.find(Flat, block_id=block.id)
        for flat in sorted(flats, key=lambda f: sort_key(f.number)):
            if not wanted or flat.id in wanted:
                out.append((flat, f"{block.name}/{flat.name or flat.number}"))
    if wanted and len(out) != len(wanted):
        raise NotFound("A chosen flat is not in the chosen blocks of this site.")
    if selection.flat_numbers.strip():
        out = picked(out, selection.flat_numbers)
    return out


def picked(flats: list[tuple[Flat, str]], spec: str) -> list[tuple[Flat, str]]:
    """The flats whose Flat N° is named in `spec` ("1-5, 8, A12"; ranges of numbers)."""
    numbers: set[str] = set()
    ranges: list[tuple[int, int]] = []
    for part in (p.strip() for p in spec.split(",")):
        low, dash, high = part.partition("-")
        if dash and low.strip().isdigit() and high.strip().isdigit():
            ranges.append((int(low), int(high)))
        elif part and not dash:
            numbers.add(part.casefold())
        elif part:
            raise ValidationError(f"Flats: {part!r} is neither a Flat N° nor a range "
                                  "like 1-5.", field="flats")

    def named(flat: Flat) -> bool:
        n = flat.number
        return n.casefold() in numbers or (n.isdigit() and (
            str(int(n)) in numbers or any(lo <= int(n) <= hi for lo, hi in ranges)))

    chosen = [(flat, label) for flat, label in flats if named(flat)]
    if not chosen:
        raise ValidationError(f"Flats: no Flat N° {spec.strip()!r} in the chosen blocks.",
                              field="flats")
    return chosen


async def _recipients(uow: UnitOfWork, selection: Selection) -> RecipientList:
    flats = await _flats(uow, selection)
    return sms.recipients(flats, await uow.site_telephones(selection.site_id),
                          selection.primary_only)


async def recipient_list(uow: UnitOfWork, actor: Actor, selection: Selection
                         ) -> tuple[RecipientList, int]:
    """The recipient list of a selection and the site's balance (nothing is written)."""
    async with uow:
        await authorize(uow, actor, selection.site_id, Area.SMS, Action.CONSULT)
        return await _recipients(uow, selection), (await _credit(uow, selection.site_id)).balance


async def site_blocks(uow: UnitOfWork, actor: Actor, site_id: int) -> list[Block]:
    """The blocks New SMS offers (with the SMS right: the Blocks right is not needed)."""
    async with uow:
        await authorize(uow, actor, site_id, Area.SMS, Action.CONSULT)
        return sorted(await uow.find(Block, site_id=site_id), key=lambda b: sort_key(b.name))


async def balance(uow: UnitOfWork, actor: Actor, site_id: int) -> int:
    """The SMS the site may still send."""
    async with uow:
        await authorize(uow, actor, site_id, Area.SMS, Action.CONSULT)
        return (await _credit(uow, site_id)).balance


async def send_sms(uow: UnitOfWork, actor: Actor, selection: Selection, text: str
                   ) -> SmsCampaign:
    """New SMS: the campaign and its messages into the outbox, the credits spent."""
    async with uow:
        await authorize(uow, actor, selection.site_id, Area.SMS, Action.MODIFY)
        body = sms.check_text(text)
        chosen = await _recipients(uow, selection)
        if not chosen.count:
            raise ValidationError("No mobile number among the chosen flats: nothing to send.",
                                  field="recipients")
        credit = await _credit(uow, selection.site_id)
        if chosen.count > credit.balance:
            raise QuotaExceeded(f"{chosen.count} SMS would be sent; only {credit.balance} "
                                "SMS currently available. Nothing was sent.")
        now = actor.now()
        campaign = await uow.add(SmsCampaign(
            selection.site_id, now, actor.operator.email, body, sms.encoding(body), "",
            chosen.count))
        await uow.add_all([SmsMessage(id_of(campaign), selection.site_id, r.number, r.flat,
                                      r.flat_id, updated_at=now) for r in chosen.to_send])
        credit.balance -= chosen.count
        await uow.update(credit)
        await record(uow, actor, "sms.send",
                     {"campaign": campaign.id, "recipients": chosen.count,
                      "duplicates": chosen.duplicates, "skipped": chosen.skipped,
                      "encoding": campaign.encoding.value, "balance": credit.balance},
                     site_id=selection.site_id, entity_id=campaign.id)
        await uow.commit()
    return campaign


async def add_credits(uow: UnitOfWork, actor: Actor, site_id: int, amount: int) -> int:
    """An administrator adds SMS credits to a site; the new balance."""
    async with uow:
        await authorize(uow, actor, site_id, Area.SMS, Action.MODIFY)
        await authorize(uow, actor, site_id, Area.USERS, Action.MODIFY)
        if isinstance(amount, bool) or not isinstance(amount, int) \
                or not 1 <= amount <= CREDITS_MAX:
            raise ValidationError(f"Credits to add must be a whole number from 1 to "
                                  f"{CREDITS_MAX:,}.", field="amount")
        credit = await _credit(uow, site_id)
        before = SmsCredit(credit.site_id, credit.balance, credit.id)
        credit.balance += amount
        if credit.id is None:
            credit = await uow.add(credit)
        else:
            await uow.update(credit)
        await record(uow, actor, "sms_credit.add", credit, before=before, site_id=site_id)
        await uow.commit()
    return credit.balance


async def campaigns(uow: UnitOfWork, actor: Actor, site_id: int, limit: int = 50
                    ) -> list[CampaignRow]:
    """The site's campaigns, newest first, each with its messages counted by status."""
    async with uow:
        await authorize(uow, actor, site_id, Area.SMS, Action.CONSULT)
        found = sorted(await uow.find(SmsCampaign, site_id=site_id),
                       key=lambda c: c.id or 0, reverse=True)[:limit]
        return [CampaignRow(c, await _counts(uow, id_of(c))) for c in found]


async def campaign_messages(uow: UnitOfWork, actor: Actor, campaign_id: int
                            ) -> tuple[SmsCampaign, list[SmsMessage]]:
    """One campaign and each of its messages: flat, number, status, the provider's
    reason for a failure."""
    async with uow:
        campaign = await uow.get(SmsCampaign, campaign_id)
        if campaign is None:
            raise NotFound(f"Campaign {campaign_id} does not exist.")
        await authorize(uow, actor, campaign.site_id, Area.SMS, Action.CONSULT)
        return campaign, await uow.find(SmsMessage, campaign_id=campaign_id)


async def _counts(uow: UnitOfWork, campaign_id: int) -> dict[MessageStatus, int]:
    return {status: await uow.count(SmsMessage, campaign_id=campaign_id, status=status)
            for status in MessageStatus}


def summary(counts: dict[MessageStatus, int], statuses: Iterable[MessageStatus] = MessageStatus
            ) -> str:
    """"2 queued · 40 delivered · 1 failed" (statuses with none left out)."""
    return " · ".join(f"{counts[s]} {s.value}" for s in statuses if counts.get(s)) or "none"
