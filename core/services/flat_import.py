"""Import of a block's flats (issue 18): plan, then apply, all or nothing.

The file's lines come parsed (console/imports/ reads CSV and XLSX) in the layout of the
flats export (core.flat_layout). The plan checks every line with the rules the services
use (core.rules through `clean_flat`, `clean_telephone_value`, the refusals of
core.services.flats and residents) and against the store, and lists the flats to add,
to change (field by field), unchanged, refused (line and message) and, when asked, the
flats of the block that the file no longer has, to remove. `apply_import`
(core.services.flat_import_apply) plans again inside its one transaction and writes it.

A line is refused alone (its message says why); a file that cannot be read at all is
refused by the reader with one reason. A column missing from the file leaves that part
of every flat as it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from core import rules
from core.errors import Conflict, DoorkeeperError, PermissionDenied, QuotaExceeded
from core.flat_layout import BY_PART, CODE_PARTS, PHONE_PARTS, pass_numbers
from core.model import (
    AccessPass,
    APassState,
    Block,
    Flat,
    Site,
    Telephone,
    TelephoneKind,
    id_of,
)
from core.ports import UnitOfWork
from core.rights import Action, Area, check
from core.services.base import Actor, authorize, must_get
from core.services.flats import clean_flat, code_taken, still_has_passes
from core.services.residents import clean_telephone_value, still_called, telephone_taken
from core.services.sites import check_quota

FLAT_FIELDS = ("name", "floor", *CODE_PARTS, "notes")
#: the columns that the Flats right changes (the codes need Keypad code)
FLAT_TITLES = frozenset(BY_PART[p].title for p in ("name", "floor", "notes"))


@dataclass(frozen=True)
class SheetLine:
    """One line of the file: its line number, its cells by part (core.flat_layout), and
    what the reader found wrong with it (a formula, a cell too long), if anything."""

    line: int
    cells: dict[str, str]
    problem: str = ""


@dataclass(frozen=True)
class Sheet:
    """A file as read: the parts its columns hold, its lines, and its name."""

    parts: tuple[str, ...]
    lines: list[SheetLine]
    name: str = ""


@dataclass(frozen=True)
class FieldChange:
    """One field of a flat: its column's title, what is stored, what the file says."""

    column: str
    before: str
    after: str


@dataclass(frozen=True)
class PlannedFlat:
    """A flat the plan adds, changes or removes (line 0: not in the file)."""

    line: int
    number: str
    name: str
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """A line refused (line 0: a flat to remove that cannot be), and the rule's words."""

    line: int
    number: str
    message: str


@dataclass
class Target:
    """What one line makes of its flat, for apply."""

    line: int
    flat: Flat
    before: Flat | None
    phones: list[Telephone] | None  # None: the file has no telephone columns
    passes: list[str] | None  # None: the file has no APasses column
    changes: list[FieldChange]


@dataclass
class ImportPlan:
    """The diff of a file against a block."""

    site: Site
    block: Block
    file: str
    add: list[PlannedFlat] = field(default_factory=list)
    change: list[PlannedFlat] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # Flat N°s
    refused: list[Refusal] = field(default_factory=list)
    remove: list[PlannedFlat] = field(default_factory=list)
    remove_missing: bool = False
    # what apply writes (filled by the plan; not shown)
    targets: list[Target] = field(default_factory=list, repr=False)
    stored_phones: dict[int, list[Telephone]] = field(default_factory=dict, repr=False)
    stored_passes: dict[int, list[AccessPass]] = field(default_factory=dict, repr=False)
    known_passes: dict[str, AccessPass] = field(default_factory=dict, repr=False)
    removed_flats: list[Flat] = field(default_factory=list, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.add), "changed": len(self.change),
                "unchanged": len(self.unchanged), "refused": len(self.refused),
                "removed": len(self.remove)}

    @property
    def digest(self) -> str:
        """A fingerprint of what applying would write: apply refuses a plan whose block
        changed since it was shown."""
        h = hashlib.sha256()
        for kind, items in (("+", self.add), ("~", self.change), ("-", self.remove)):
            for p in items:
                h.update(repr((kind, p.number, p.name, p.changes)).encode())
        h.update(repr(sorted((r.line, r.message) for r in self.refused)).encode())
        return h.hexdigest()[:16]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _phone(site: Site, value: str) -> Telephone:
    kind = TelephoneKind.EMAIL if "@" in value else TelephoneKind.TELEPHONE
    return clean_telephone_value(site, Telephone(flat_id=0, kind=kind, value=value))


class _Planner:
    """The plan of one file against one block, line by line."""

    def __init__(self, uow: UnitOfWork, actor: Actor, plan: ImportPlan, sheet: Sheet,
                 stored: dict[str, Flat], grant_check: dict[Area, str]) -> None:
        self.uow, self.actor, self.plan, self.sheet = uow, actor, plan, sheet
        self.stored = stored
        self.denied = grant_check  # area -> why it is refused ("" when allowed)
        self.numbers: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.pass_lines: dict[str, int] = {}

    def need(self, area: Area) -> None:
        if self.denied[area]:
            raise PermissionDenied(self.denied[area])

    def line(self, sl: SheetLine) -> Target | None:
        cells, parts = sl.cells, self.sheet.parts
        number = rules.flat_number(cells.get("number", ""))
        if number in self.numbers:
            raise Conflict(f"Flat N° {number} is also on line {self.numbers[number]}.")
        self.numbers[number] = sl.line
        before = self.stored.get(number)
        base = before or Flat(block_id=id_of(self.plan.block), number=number, name="")
        values: dict[str, object] = {}
        for part in FLAT_FIELDS:
            if part in parts:
                values[part] = cells.get(part, "")
        flat = clean_flat(replace(base, **values))  # type: ignore[arg-type]  # text cells, cleaned by the rules
        changes = [FieldChange(BY_PART[p].title, _text(getattr(before, p, None)),
                               _text(getattr(flat, p))) for p in FLAT_FIELDS
                   if p in parts and (before is None or getattr(before, p) != getattr(flat, p))
                   and (before is not None or getattr(flat, p) not in (None, ""))]
        if before is None or any(c.column in FLAT_TITLES for c in changes):
            self.need(Area.FLATS)
        codes: list[str] = []  # registered once the whole line is accepted
        for attr in CODE_PARTS:
            code = getattr(flat, attr)
            if attr in parts and code != (getattr(before, attr) if before else None):
                self.need(Area.FLATS)  # update_flat's rights: Flats, and Keypad code
                self.need(Area.KEYPAD_CODE)
            if code is not None and code != (getattr(before, attr) if before else None):
                if code in self.codes or code in codes:
                    raise Conflict(f"{BY_PART[attr].title} {code} is also on line "
                                   f"{self.codes.get(code, sl.line)}.", field=attr)
                codes.append(code)
        phones: list[Telephone] | None = None
        if any(p in parts for p in PHONE_PARTS):
            phones = []
            for p in PHONE_PARTS:
                value = cells.get(p, "").strip()
                if value:
                    phone = _phone(self.plan.site, value)
                    if any(x.value == phone.value for x in phones):
                        raise telephone_taken(phone.value)
                    phones.append(phone)
            old = [t.value for t in self.plan.stored_phones.get(before.id or 0, [])] \
                if before else []
            if {x.value for x in phones} != set(old):
                self.need(Area.RESIDENTS_DISPLAYS)
                changes.append(FieldChange("Telephones / Emails", ", ".join(old),
                                           ", ".join(x.value for x in phones)))
        passes: list[str] | None = None
        if "passes" in parts:
            passes = []
            for n in pass_numbers(cells.get("passes", "")):
                n = rules.apass_number(n, "passes")
                if n in self.pass_lines or n in passes:
                    raise Conflict(f"APass {n} is also on line "
                                   f"{self.pass_lines.get(n, sl.line)}.", field="passes")
                passes.append(n)
            old = sorted(p.number for p in self.plan.stored_passes.get(before.id or 0, [])) \
                if before else []
            if sorted(passes) != old:
                self.need(Area.APASS_MANAGEMENT)
                changes.append(FieldChange("APasses", " ".join(old), " ".join(sorted(passes))))
        self.codes.update(dict.fromkeys(codes, sl.line))
        self.pass_lines.update(dict.fromkeys(passes or (), sl.line))
        return Target(sl.line, flat, before, phones, passes, changes)


async def plan_import(uow: UnitOfWork, actor: Actor, block_id: int, sheet: Sheet, *,
                      remove_missing: bool = False) -> ImportPlan:
    """The plan of `sheet` against the block, read in one transaction; nothing written."""
    async with uow:
        return await make_plan(uow, actor, block_id, sheet, remove_missing=remove_missing)


async def make_plan(uow: UnitOfWork, actor: Actor, block_id: int, sheet: Sheet, *,
                    remove_missing: bool = False) -> ImportPlan:
    """The plan, inside the caller's unit of work (apply writes it in the same one)."""
    block = await must_get(uow, Block, block_id, "Block")
    site = await authorize(uow, actor, block.site_id, Area.IMPORT, Action.MODIFY)
    grant = await uow.grant(id_of(actor.operator), id_of(site))
    denied: dict[Area, str] = {}
    for area in (Area.FLATS, Area.KEYPAD_CODE, Area.RESIDENTS_DISPLAYS,
                 Area.APASS_MANAGEMENT, Area.CREATE_APASSES):
        try:
            check(actor.operator, grant, area, Action.MODIFY, actor.today(site), site.name)
            denied[area] = ""
        except PermissionDenied as err:
            denied[area] = err.message
    plan = ImportPlan(site, block, sheet.name, remove_missing=remove_missing)
    flats = await uow.find(Flat, order_by="number", block_id=block_id)
    stored = {f.number: f for f in flats}
    ids = [id_of(f) for f in flats]
    for phone in await uow.find_in(Telephone, "flat_id", ids):
        plan.stored_phones.setdefault(phone.flat_id, []).append(phone)
    for ap in await uow.find_in(AccessPass, "flat_id", ids):
        if ap.state is APassState.ASSIGNED and ap.flat_id is not None:
            plan.stored_passes.setdefault(ap.flat_id, []).append(ap)
    planner = _Planner(uow, actor, plan, sheet, stored, denied)
    for sl in sheet.lines:
        if sl.problem:
            plan.refused.append(Refusal(sl.line, sl.cells.get("number", ""), sl.problem))
            number = sl.cells.get("number", "").strip()
            planner.numbers.setdefault(number, sl.line)  # a refused flat is not removed
            continue
        try:
            target = planner.line(sl)
        except DoorkeeperError as err:
            plan.refused.append(Refusal(sl.line, sl.cells.get("number", ""), err.message))
            continue
        if target is not None:
            plan.targets.append(target)
    await _check_store(uow, plan, planner)
    for t in plan.targets:
        row = PlannedFlat(t.line, t.flat.number, t.flat.name, tuple(t.changes))
        if t.before is None:
            plan.add.append(row)
        elif t.changes:
            plan.change.append(row)
        else:
            plan.unchanged.append(t.flat.number)
    if remove_missing:
        await _removals(uow, plan, planner, stored)
    await _quotas(uow, plan)
    plan.refused.sort(key=lambda r: r.line)
    return plan


def _refuse(plan: ImportPlan, target: Target, message: str) -> None:
    plan.targets.remove(target)
    plan.refused.append(Refusal(target.line, target.flat.number, message))


async def _check_store(uow: UnitOfWork, plan: ImportPlan, planner: _Planner) -> None:
    """What only the store can say: codes used elsewhere, APass numbers, in bulk."""
    site_id = id_of(plan.site)
    by_line = {t.line: t for t in plan.targets}
    holders = await uow.code_holders_in(planner.codes, site_id=site_id)
    for code, line in planner.codes.items():
        target = by_line.get(line)
        if target is None:
            continue
        others = [name for flat_id, name in holders.get(code, []) if flat_id != target.flat.id]
        if others:
            attr = next(a for a in CODE_PARTS if getattr(target.flat, a) == code)
            _refuse(plan, target, code_taken(attr, code, others[0]).message)
            del by_line[line]
    known = {p.number: p for p in await uow.find_in(AccessPass, "number", planner.pass_lines)}
    plan.known_passes = known
    credentials = await uow.taken_credentials(n for n in planner.pass_lines if n not in known)
    for number, line in planner.pass_lines.items():
        target = by_line.get(line)
        if target is None:
            continue
        ap = known.get(number)
        why = ""
        if ap is not None and ap.site_id != site_id:
            why = f"APass {number} belongs to another site."
        elif number in credentials:
            why = f"APass {number} is already a service provider's credential."
        elif ap is None and planner.denied[Area.CREATE_APASSES]:
            why = planner.denied[Area.CREATE_APASSES]
        if why:
            _refuse(plan, target, why)
            del by_line[line]
    for target in list(by_line.values()):  # numbers a panel display still calls
        if target.phones is None or target.before is None:
            continue
        kept = {p.value for p in target.phones}
        for phone in plan.stored_phones.get(id_of(target.before), []):
            callers = [] if phone.value in kept else await uow.displays_calling(id_of(phone))
            if callers:
                _refuse(plan, target, still_called(phone, callers).message)
                break


async def _removals(uow: UnitOfWork, plan: ImportPlan, planner: _Planner,
                    stored: dict[str, Flat]) -> None:
    """The block's flats the file does not have, when asked to remove them."""
    moved_away = set(planner.pass_lines)
    for number, flat in stored.items():
        if number in planner.numbers:
            continue
        left = [p for p in plan.stored_passes.get(id_of(flat), []) if p.number not in moved_away]
        if planner.denied[Area.FLATS]:
            plan.refused.append(Refusal(0, number, planner.denied[Area.FLATS]))
        elif left:
            plan.refused.append(Refusal(0, number, still_has_passes(flat, len(left)).message))
        else:
            plan.remove.append(PlannedFlat(0, number, flat.name))
            plan.removed_flats.append(flat)


async def _quotas(uow: UnitOfWork, plan: ImportPlan) -> None:
    """The site's quotas of flats and foreign numbers, for the plan as a whole."""
    more = len(plan.add) - len(plan.remove)
    foreign = 0
    for t in plan.targets:
        if t.phones is None:
            continue
        old = {p.value for p in plan.stored_phones.get(t.flat.id or 0, []) if p.foreign}
        foreign += sum(1 for p in t.phones if p.foreign and p.value not in old)
    for key, adding in (("flats", more), ("foreign_numbers", foreign)):
        try:
            if adding > 0:
                await check_quota(uow, plan.site, key, adding)
        except QuotaExceeded as err:  # the file as a whole: shown with the plan
            plan.refused.append(Refusal(0, "", err.message))
