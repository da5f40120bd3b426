"""Rows <-> core.model dataclasses, one generic mapping instead of one per type.

Columns carry the dataclass field names; enums, sets and time windows are
converted on the way in and out; list fields backed by child tables (a
display's call chain, a profile's doors, a task's sites and doors) are
listed in CHILDREN.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Table

from core import model as m
from core import model_sms as sms
from core.natural_order import sort_key
from store import tables as t

S = TypeVar("S", bound=m.Stored)
#: a row as the database gives it, or as it is written: column -> value
Values = dict[str, Any]


@dataclass(frozen=True)
class ChildSpec:
    """A list field of a dataclass stored as rows of a child table."""

    table: Table
    fk: str
    dump: Callable[[Any], list[Values]]
    load: Callable[[Any, list[Values]], None]
    order_by: str | None = None


def _load_chain(obj: m.PanelDisplay, rows: list[Values]) -> None:
    obj.call_chain = [m.CallStep(r["telephone_id"], r["ring_seconds"]) for r in rows]


def _load_profile_doors(obj: m.AccessProfile, rows: list[Values]) -> None:
    obj.door_ids = sorted(r["door_id"] for r in rows)


def _load_task_sites(obj: m.Task, rows: list[Values]) -> None:
    obj.site_ids = sorted(r["site_id"] for r in rows)
    obj.week_type_ids = {r["site_id"]: r["week_type_id"] for r in rows}


def _load_task_doors(obj: m.Task, rows: list[Values]) -> None:
    obj.doors = [m.TaskDoor(**{k: v for k, v in r.items() if k != "task_id"}) for r in rows]


CHILDREN: dict[type, list[ChildSpec]] = {
    m.PanelDisplay: [ChildSpec(
        t.panel_display_calls, "panel_display_id",
        lambda o: [{"position": i, "telephone_id": s.telephone_id,
                    "ring_seconds": s.ring_seconds} for i, s in enumerate(o.call_chain, 1)],
        _load_chain, order_by="position")],
    m.AccessProfile: [ChildSpec(
        t.access_profile_doors, "access_profile_id",
        lambda o: [{"door_id": d} for d in o.door_ids], _load_profile_doors)],
    m.Task: [
        ChildSpec(t.task_sites, "task_id",
                  lambda o: [{"site_id": s, "week_type_id": o.week_type_ids.get(s)}
                             for s in o.site_ids], _load_task_sites),
        ChildSpec(t.task_doors, "task_id",
                  lambda o: [dataclasses.asdict(d) for d in o.doors], _load_task_doors),
    ],
}

TABLES: dict[type, Table] = {
    m.Site: t.sites, m.Block: t.blocks, m.Flat: t.flats, m.Telephone: t.telephones,
    m.PanelDisplay: t.panel_displays, m.AccessPass: t.access_passes,
    m.WeekType: t.week_types, m.Holiday: t.holidays, m.AccessProfile: t.access_profiles,
    m.Device: t.devices, m.Door: t.doors, m.Operator: t.operators,
    m.SiteGrant: t.site_grants, m.ManagementCompany: t.management_companies,
    m.ServiceProvider: t.service_providers, m.Task: t.tasks, m.Event: t.events,
    m.Alarm: t.alarms, m.AuditEntry: t.audit_entries, m.OperatorKey: t.operator_keys,
    m.CompanyAccess: t.company_access,
    sms.SmsCredit: t.sms_credits, sms.SmsCampaign: t.sms_campaigns,
    sms.SmsMessage: t.sms_messages,
}


def _windows_out(windows: list[m.TimeWindow]) -> list[dict[str, object]]:
    return [{"day": w.day, "start": w.start.isoformat("minutes"),
             "end": w.end.isoformat("minutes")} for w in windows]


def _windows_in(rows: list[Values]) -> list[m.TimeWindow]:
    return [m.TimeWindow(r["day"], time.fromisoformat(r["start"]), time.fromisoformat(r["end"]))
            for r in rows]


# Field-specific conversions that the type hints alone don't give.
SPECIAL_OUT: dict[tuple[type, str], Callable[[Any], object]] = {
    (m.WeekType, "windows"): _windows_out,
    (m.SiteGrant, "rights"): sorted,
}
SPECIAL_IN: dict[tuple[type, str], Callable[[Any], object]] = {
    (m.WeekType, "windows"): _windows_in,
    (m.SiteGrant, "rights"): frozenset,
}


# Columns the store derives from an object and writes with it, in this one place: the
# natural sort key of a name, which the long lists page by (migration 0007 filled it in).
DERIVED: dict[type, dict[str, Callable[[Any], object]]] = {
    m.ServiceProvider: {"sort_key": lambda p: sort_key(p.name)},
    m.Task: {"sort_key": lambda task: sort_key(task.name)},
}


def _enum_of(annotation: object) -> type[enum.Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _enum_of(arg)
            if found:
                return found
    return None


class Mapper(Generic[S]):
    """How one dataclass is written to and read from its table."""

    def __init__(self, cls: type[S]) -> None:
        self.cls = cls
        self.table = TABLES[cls]
        self.children = CHILDREN.get(cls, [])
        child_fields = {"call_chain", "door_ids", "site_ids", "week_type_ids", "doors"}
        hints = typing.get_type_hints(cls)
        self.columns = [f.name for f in dataclasses.fields(cls)
                        if f.name in self.table.c and f.name not in child_fields]
        self.inbound: dict[str, Callable[[Any], object]] = {}
        for name in self.columns:
            special = SPECIAL_IN.get((cls, name))
            enum_cls = _enum_of(hints[name])
            if special:
                self.inbound[name] = special
            elif enum_cls:
                self.inbound[name] = enum_cls
        self.outbound = {name: fn for (c, name), fn in SPECIAL_OUT.items() if c is cls}
        self.derived = DERIVED.get(cls, {})

    def to_row(self, obj: S, *, with_id: bool = False) -> Values:
        """Column values of an object (without its id unless asked)."""
        row: Values = {}
        for name in self.columns:
            if name == "id" and not with_id:
                continue
            value = getattr(obj, name)
            if name in self.outbound:
                value = self.outbound[name](value)
            elif isinstance(value, enum.Enum):
                value = value.value
            row[name] = value
        for column, derive in self.derived.items():
            row[column] = derive(obj)
        return row

    def from_row(self, row: Row[Any] | Mapping[str, Any]) -> S:
        """An object from a result row (children are filled separately)."""
        data = dict(row._mapping) if isinstance(row, Row) else dict(row)
        values = {}
        for name in self.columns:
            value = data[name]
            conv = self.inbound.get(name)
            if conv is not None and value is not None:
                value = conv(value)
            values[name] = value
        return self.cls(**values)


_MAPPERS: dict[type, Mapper[Any]] = {}


def mapper(cls: type[S]) -> Mapper[S]:
    """The (cached) mapper of a domain class."""
    found = _MAPPERS.get(cls)
    if found is None:
        found = _MAPPERS[cls] = Mapper(cls)
    return found
