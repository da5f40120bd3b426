"""Reads of the audit trail (the Audit screen, its exports): who changed what, when, from
where, before -> after, for the operator reading it.

Who sees what (docs/audit.md): the trail opens with **Events (Consult)** on a site; an
entry of a site shows when the reader may also consult the area the change belongs to
there (a flat's change needs Flats, an APass's APass mgmnt & transfer, a user's or a
grant's Users, …); entries of no site (users, logins, contractors) need Users or
Facilities on some site; keypad codes read "(hidden)" without Keypad code on the site.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.audit import ChainProgress, ChainReport
from core.errors import ValidationError
from core.rights import Area
from core.text import safe_text
from core.views.audit_names import Names, wanted
from core.views.audit_words import ENTITIES, GUARDED, area_of, changes, what
from core.views.exports import EXPORT_PAGE, Column, EventExport, Row
from core.views.port import ReadModel
from core.views.viewer import Viewer

#: areas whose entries have no site (a user, a login, a contractor): held on any site
GLOBAL_AREAS = (Area.USERS, Area.FACILITIES)


@dataclass(frozen=True)
class AuditFilter:
    """The Audit screen's filters: period, operator (part of an email), site, block,
    flat, APass number, area of the rights matrix."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str = ""
    site_id: int | None = None
    block_id: int | None = None
    flat_id: int | None = None
    apass: str = ""
    area: Area | None = None


@dataclass(frozen=True)
class Scope:
    """Entries the reader may see: of one site (None: of no site), of these entities."""

    site_id: int | None
    entities: frozenset[str]


@dataclass(frozen=True)
class AuditRow:
    """One entry as the screen shows it: texts cleaned, changes in the guide's words."""

    id: int
    at: datetime
    actor: str
    source: str
    what: str
    site_id: int | None
    entity_id: int | None
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The changes on one line: "Name: A → B; Floor: 1 → 2"."""
        return "; ".join(f"{k}: {a} → {b}" for k, a, b in self.changes)


def scopes(viewer: Viewer, flt: AuditFilter) -> list[Scope]:
    """What the reader may see of the trail, narrowed by the filter's site and area.
    PermissionDenied without Events (Consult) anywhere (or on the site filtered)."""
    if flt.site_id is not None:
        viewer.require(flt.site_id, Area.EVENTS)
        sites = [flt.site_id]
    else:
        sites = viewer.require_somewhere(Area.EVENTS)
    wanted = {e for e, (_, a) in ENTITIES.items() if flt.area is None or a is flt.area}
    found = []
    for site_id in sites:
        entities = frozenset(e for e in wanted if _may_see(viewer, site_id, area_of(e)))
        if entities:
            found.append(Scope(site_id, entities))
    if flt.site_id is None:
        held = {a for a in GLOBAL_AREAS if viewer.sites_with(a)}
        entities = frozenset(e for e in wanted if area_of(e) in held or (
            area_of(e) is None and viewer.operator.can_create_sites))
        if entities:
            found.append(Scope(None, entities))
    return found


def _may_see(viewer: Viewer, site_id: int, area: Area | None) -> bool:
    """Whether the reader may see a site's entries of this area (None: the site
    creators' own entries)."""
    return viewer.operator.can_create_sites if area is None else viewer.may(site_id, area)


def _check(flt: AuditFilter) -> None:
    if flt.apass and not flt.apass.strip().isdigit():
        raise ValidationError("An APass number is digits only.", field="apass")
    if flt.since and flt.until and flt.until <= flt.since:
        raise ValidationError("To is before From.", field="period")


async def audit_page(reads: ReadModel, viewer: Viewer, flt: AuditFilter,
                     before: int | None = None, limit: int = 100) -> list[AuditRow]:
    """The newest entries the reader may see matching the filter, older than entry
    `before` (keyset on the entry's id, which grows with time)."""
    _check(flt)
    found = scopes(viewer, flt)
    if not found:
        return []
    raw = await reads.audit_page(found, flt, before, limit)
    names = Names(viewer, await reads.audit_names(wanted(raw)))
    return [audit_row(viewer, r, names) for r in raw]


async def audit_count(reads: ReadModel, viewer: Viewer, flt: AuditFilter) -> int:
    """How many entries the reader may see match the filter (an export's progress)."""
    _check(flt)
    found = scopes(viewer, flt)
    return await reads.audit_count(found, flt) if found else 0


def audit_row(viewer: Viewer, r: dict[str, Any], names: Names | None = None) -> AuditRow:
    """One stored entry as the reader sees it (guarded fields masked, text cleaned, the
    objects it refers to by their names when `names` has them)."""
    site_id = r["site_id"]
    hidden = frozenset(f for f, area in GUARDED.items()
                       if site_id is None or not viewer.may(site_id, area))
    entity = r["entity"]
    image = r["after"] or r["before"]
    subject = safe_text(_subject(image))
    context = safe_text(names.context(entity, r["action"], r["entity_id"],
                                      image if isinstance(image, dict) else None)
                        ) if names else ""
    about = f"{subject} ({context})" if subject and context else subject or context
    return AuditRow(r["id"], r["at"], safe_text(r["actor"]), safe_text(r["source"]),
                    what(r["action"]) + (f": {about}" if about else ""),
                    site_id, r["entity_id"],
                    [(k, safe_text(a), safe_text(b)) for k, a, b in
                     changes(entity, r["before"], r["after"], hidden,
                             named=names.value if names else None)])


def _subject(image: object) -> str:
    """What the entry is about, as a person names it (a Flat N°, a name, an email)."""
    if isinstance(image, dict):
        for key in SUBJECT_KEYS:
            value = image.get(key)
            if isinstance(value, str | int) and value != "":
                return str(value)
    return ""


SUBJECT_KEYS = ("number", "display_name", "name", "email", "value", "who", "door")


async def audit_integrity(reads: ReadModel, viewer: Viewer,
                          progress: ChainProgress | None = None, *,
                          full: bool = False) -> ChainReport:
    """Whether the trail's hash chain holds (for anyone who may open the trail: where it
    breaks names an entry, not its content): the entries since the last intact check,
    or the whole chain (`full`, or when there was none)."""
    viewer.require_somewhere(Area.EVENTS)
    return await reads.audit_chain(progress, full=full, now=viewer.actor.now())


# --- exports ---------------------------------------------------------------------------
AUDIT_COLUMNS = (Column("Date & time", 19, is_datetime=True), Column("Operator", 24),
                 Column("From", 18), Column("What", 26), Column("Changes", 90))


class AuditExport(EventExport):
    """The audit trail of a site as an export (the writers of the Events export)."""

    @property
    def title(self) -> str:
        return f"Audit trail – {self.site.name}"


async def audit_export(reads: ReadModel, viewer: Viewer, flt: AuditFilter, *,
                       page: int = EXPORT_PAGE) -> AuditExport:
    """The audit trail of one site with these filters, for this operator: Export and
    Events (Consult) on the site."""
    if flt.site_id is None:
        raise ValidationError("An export is of one site: choose it.", field="site")
    _check(flt)
    site = viewer.require(flt.site_id, Area.EVENTS)
    viewer.require(flt.site_id, Area.EXPORT)
    tz = ZoneInfo(site.timezone)
    refs = {k: {v} for k, v in (("block", flt.block_id), ("flat", flt.flat_id))
            if v is not None}
    names = Names(viewer, await reads.audit_names(refs)) if refs else None
    return AuditExport(site, AUDIT_COLUMNS, describe(flt, names),
                       safe_text(viewer.operator.email),
                       viewer.actor.now().astimezone(tz).replace(tzinfo=None),
                       _pages(reads, viewer, flt, page, tz), kind="Audit trail",
                       noun="entry", plural="entries")


def describe(flt: AuditFilter, names: Names | None = None) -> list[tuple[str, str]]:
    """The filters in words, for a report's header (the block and flat by their names
    when `names` has them)."""
    period = "All" if flt.since is None and flt.until is None else (
        f"{flt.since:%Y-%m-%d %H:%M}" if flt.since else "…") + " – " + (
        f"{flt.until:%Y-%m-%d %H:%M}" if flt.until else "now")
    found = [("Period", period)]
    for label, value in (("Operator", flt.actor), ("APass", flt.apass),
                         ("Area", flt.area.label if flt.area else "")):
        if value:
            found.append((label, safe_text(value)))
    if flt.block_id is not None:
        found.append(("Block", safe_text(names.of("block", flt.block_id)) if names
                      else f"#{flt.block_id}"))
    if flt.flat_id is not None:
        found.append(("Flat", safe_text(names.of("flat", flt.flat_id)) if names
                      else f"#{flt.flat_id}"))
    return found


async def _pages(reads: ReadModel, viewer: Viewer, flt: AuditFilter, page: int,
                 tz: ZoneInfo) -> AsyncGenerator[list[Row], None]:
    before: int | None = None
    while True:
        rows = await audit_page(reads, viewer, flt, before, page)
        if not rows:
            return
        yield [(r.at.astimezone(tz).replace(tzinfo=None), r.actor, r.source, r.what, r.summary) for r in rows]
        if len(rows) < page:
            return
        before = rows[-1].id
