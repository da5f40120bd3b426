"""Facilities management: companies, their service providers, and tasks on sites.

Companies and providers are not tied to one site, so changing them needs the
Facilities right on at least one current site; a task needs it on every site
it grants access to.
"""

from __future__ import annotations

from dataclasses import replace

from core import rules
from core.errors import Conflict, ValidationError
from core.model import (
    CompanyAccess,
    Device,
    Door,
    ManagementCompany,
    ServiceProvider,
    Task,
    TaskDoor,
    WeekType,
    id_of,
)
from core.phones import parse_phone
from core.ports import UnitOfWork
from core.rights import Action, Area
from core.services.base import (
    Actor,
    authorize,
    must_get,
    record,
    require_somewhere,
    same_named,
)
from core.task_methods import DeviceDoors, door_flags

#: the ways a task door may carry, as the form names them
FLAG_WORDS = {"by_code": "code", "by_apass": "APass", "by_radio": "radio transmitter",
              "by_mobile": "mobile access", "by_telephone": "telephone"}
#: the guide's reason for refusing a task that opens nothing
NO_ACCESS = ("To validate the task, it is necessary to associate access to the on-site "
             "equipment.")


async def _require_task_sites(uow: UnitOfWork, actor: Actor, provider_id: int) -> None:
    """A provider's credentials open doors wherever their tasks are: changing them needs
    the Facilities right on every one of those sites."""
    for task in await uow.find(Task, provider_id=provider_id):
        for site_id in task.site_ids:
            await authorize(uow, actor, site_id, Area.FACILITIES, Action.MODIFY)


async def save_company(uow: UnitOfWork, actor: Actor,
                       company: ManagementCompany) -> ManagementCompany:
    """Create (no id) or change (id) a management company."""
    async with uow:
        await require_somewhere(uow, actor, Area.FACILITIES, Action.MODIFY)
        before = (await must_get(uow, ManagementCompany, company.id, "Management company")
                  if company.id else None)
        c = replace(company,
                    name=rules.text(company.name, "name", label="Company", required=True),
                    person_in_charge=rules.text(company.person_in_charge, "person_in_charge",
                                                label="Person in charge"),
                    email=rules.email(company.email),
                    telephone=rules.text(company.telephone, "telephone", label="Telephone"))
        if await same_named(uow, ManagementCompany, c.name, c.id):
            raise Conflict(f"A management company named {c.name!r} exists.", field="name")
        if before:
            await uow.update(c)
        else:
            c = await uow.add(c)
            if actor.operator.id is not None:  # its creator manages it (and may share it)
                await uow.add(CompanyAccess(id_of(c), actor.operator.id, owner=True,
                                            added_at=actor.now(), added_by=actor.operator.email))
        await record(uow, actor, "company.update" if before else "company.create", c,
                     before=before)
        await uow.commit()
    return c


async def delete_company(uow: UnitOfWork, actor: Actor, company_id: int) -> None:
    """Delete a management company that holds no provider and no task any more."""
    async with uow:
        await require_somewhere(uow, actor, Area.FACILITIES, Action.MODIFY)
        c = await must_get(uow, ManagementCompany, company_id, "Management company")
        providers = await uow.count(ServiceProvider, company_id=company_id)
        tasks = await uow.count(Task, company_id=company_id)
        if providers or tasks:
            held = " and ".join(part for part in (
                f"{providers} service provider{'s' if providers != 1 else ''}" if providers
                else "", f"{tasks} task{'s' if tasks != 1 else ''}" if tasks else "") if part)
            raise Conflict(f"{c.name} still holds {held}; delete them first.")
        await uow.delete(c)
        await record(uow, actor, "company.delete", before=c)
        await uow.commit()


async def save_provider(uow: UnitOfWork, actor: Actor, provider: ServiceProvider, *,
                        permanent: bool = False, country: str = "GB") -> ServiceProvider:
    """Create (no id) or change (id) a service provider and their credentials."""
    async with uow:
        await require_somewhere(uow, actor, Area.FACILITIES, Action.MODIFY)
        before = (await must_get(uow, ServiceProvider, provider.id, "Service provider")
                  if provider.id else None)
        if before:
            await _require_task_sites(uow, actor, id_of(before))
        await must_get(uow, ManagementCompany, provider.company_id, "Management company")
        p = replace(provider)
        p.name = rules.text(p.name, "name", label="Name & First Name", required=True)
        p.valid_from, p.valid_to = rules.provider_validity(
            p.valid_from, p.valid_to, permanent=permanent, today=actor.today())
        p.email = rules.email(p.email)
        p.mobile = parse_phone(p.mobile, country, "mobile").e164 if p.mobile else ""
        p.telephone = (parse_phone(p.telephone, country, "telephone").e164
                       if p.telephone and p.telephone.strip() else "")
        p.mission = rules.text(p.mission, "mission", label="Mission", max_len=rules.NOTES_MAX)
        numbers = []
        for attr in ("apass_number", "radio_number"):
            value = getattr(p, attr)
            if value:
                setattr(p, attr, rules.apass_number(value, attr))
                numbers.append(getattr(p, attr))
            else:
                setattr(p, attr, None)
        if len(numbers) == 2 and numbers[0] == numbers[1]:
            raise ValidationError("APass and radio transmitter numbers must differ.",
                                  field="radio_number")
        own = {before.apass_number, before.radio_number} if before else set()
        taken = await uow.taken_credentials([n for n in numbers if n not in own])
        if taken:
            raise Conflict(f"{', '.join(sorted(taken))} already belongs to an APass or "
                           "another provider.", field="apass_number")
        for attr in ("code_door", "code_relay_1", "code_relay_2", "code_key_safe"):
            code = rules.keypad_code(getattr(p, attr), attr, "Access code")
            setattr(p, attr, code)
            if code and await uow.code_holders(code, exclude_provider=p.id):
                raise Conflict(f"Code {code} is already used by a flat or another provider.",
                               field=attr)
        if before:
            await uow.update(p)
        else:
            p = await uow.add(p)
        await record(uow, actor, "provider.update" if before else "provider.create", p,
                     before=before)
        await uow.commit()
    return p


async def save_task(uow: UnitOfWork, actor: Actor, task: Task) -> Task:
    """Create (no id) or replace (id) a task: its sites, week types and doors."""
    async with uow:
        before = await must_get(uow, Task, task.id, "Task") if task.id else None
        t = replace(task, name=rules.text(task.name, "name", label="Name of the task",
                                          required=True))
        provider = await must_get(uow, ServiceProvider, t.provider_id, "Service provider")
        if provider.company_id != t.company_id:
            raise ValidationError("That provider works for another company.",
                                  field="provider_id")
        t.site_ids = sorted(set(t.site_ids))
        if not t.site_ids or not t.doors:
            raise ValidationError(NO_ACCESS, field="doors")
        for site_id in sorted(set(t.site_ids) | set(before.site_ids if before else [])):
            await authorize(uow, actor, site_id, Area.FACILITIES, Action.MODIFY)
        for site_id, wt_id in t.week_type_ids.items():
            if site_id not in t.site_ids:
                raise ValidationError("A week type is given for a site outside the task.",
                                      field="week_type_ids")
            if wt_id is not None:
                wt = await uow.get(WeekType, wt_id)
                if wt is None or wt.site_id != site_id:
                    raise ValidationError("That week type is not on the task's site.",
                                          field="week_type_ids")
        doors = [TaskDoor(**d) if isinstance(d, dict) else d for d in t.doors]
        for td in doors:
            door = await uow.get(Door, td.door_id)
            device = await uow.get(Device, door.device_id) if door else None
            if door is None or device is None or device.site_id not in t.site_ids:
                raise ValidationError(f"Door {td.door_id} is not on the task's sites.",
                                      field="doors")
            refused = _unsupported(td, door, device, await uow.find(Door, device_id=door.device_id))
            if refused:
                raise ValidationError(f"{device.name} ({device.type.value}) cannot be opened by "
                                      f"{refused} at {door.name}.", field="doors")
            if td.by_telephone and not provider.mobile:
                raise ValidationError("Open by telephone needs the provider's mobile number.",
                                      field="doors")
        t.doors = doors
        if before:
            await uow.update(t)
        else:
            t = await uow.add(t)
        await record(uow, actor, "task.update" if before else "task.create", t, before=before)
        await uow.commit()
    return t


def _unsupported(td: TaskDoor, door: Door, device: Device, doors: list[Door]) -> str:
    """The ways a task door asks for that its device type does not offer at that relay
    (the form offers only the supported ones; the service holds the rule for every caller)."""
    allowed = door_flags(DeviceDoors(id_of(device), device.type,
                                     {d.relay: id_of(d) for d in doors}), door.relay)
    asked = [flag for flag in FLAG_WORDS if getattr(td, flag)]
    return ", ".join(FLAG_WORDS[f] for f in asked if f not in allowed)


async def delete_task(uow: UnitOfWork, actor: Actor, task_id: int) -> None:
    """Withdraw a task's access."""
    async with uow:
        t = await must_get(uow, Task, task_id, "Task")
        for site_id in t.site_ids:
            await authorize(uow, actor, site_id, Area.FACILITIES, Action.MODIFY)
        await uow.delete(t)
        await record(uow, actor, "task.delete", before=t)
        await uow.commit()


async def delete_provider(uow: UnitOfWork, actor: Actor, provider_id: int) -> None:
    """Delete a provider who has no task left."""
    async with uow:
        await require_somewhere(uow, actor, Area.FACILITIES, Action.MODIFY)
        p = await must_get(uow, ServiceProvider, provider_id, "Service provider")
        await _require_task_sites(uow, actor, id_of(p))
        if await uow.count(Task, provider_id=provider_id):
            raise Conflict(f"{p.name} still has tasks; delete them first.")
        await uow.delete(p)
        await record(uow, actor, "provider.delete", before=p)
        await uow.commit()

