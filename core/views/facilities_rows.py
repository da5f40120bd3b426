"""Rows of the Facilities screen: management companies, service providers, tasks, the
operators a company is shared with, and a site's devices for a task's perimeter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.model import ServiceProvider
from core.natural_order import sort_key
from core.task_methods import DeviceDoors

#: the labels of a provider's codes in the tasks list ("1234 (door code)")
CODE_LABELS = {"code_door": "door code", "code_relay_1": "relay code 1",
               "code_relay_2": "relay code 2", "code_key_safe": "code for IPKEYSAFE"}


@dataclass(frozen=True)
class CompanyRow:
    """A management company, how much it holds, and whether the viewer manages it."""

    id: int
    name: str
    person_in_charge: str
    telephone: str
    email: str
    providers: int
    tasks: int
    managed: bool = False


@dataclass(frozen=True)
class ProviderFilter:
    """The guide's filter of the providers list (empty: no condition)."""

    company_id: int | None = None
    provider: str = ""  # part of the name
    empty_dates: bool = False  # "Empty dates for access rights": permanent ones
    code: str = ""
    telephone: str = ""  # digits, or a number in E.164
    apass: str = ""  # an APass or radio transmitter number, or its first digits


@dataclass(frozen=True)
class ProviderRow:
    """A service provider and the name of their company."""

    provider: ServiceProvider
    company: str

    @property
    def key(self) -> tuple[str, int]:
        """The keyset the list pages by (the name's natural sort key, then id)."""
        return (sort_key(self.provider.name), self.provider.id or 0)


@dataclass(frozen=True)
class TaskFilter:
    """The guide's filter of the tasks list."""

    company_id: int | None = None
    provider: str = ""
    site_id: int | None = None
    code: str = ""
    telephone: str = ""
    apass: str = ""


@dataclass(frozen=True)
class TaskRow:
    """A line of "Task(s) on my sites": its perimeter counted on the viewer's sites."""

    id: int
    name: str
    company_id: int
    company: str
    provider_id: int
    provider: str
    codes: tuple[str, ...] = ()  # "1234 (door code)"
    passes: tuple[str, ...] = ()  # "0082105798 (APass)"
    sites: int = 0
    devices: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """The keyset the list pages by (the name's natural sort key, then id)."""
        return (sort_key(self.name), self.id)

    @property
    def perimeter(self) -> str:
        """The guide's "4 Sites 20 Devices"."""
        return (f"{self.sites} site{'s' if self.sites != 1 else ''} "
                f"{self.devices} device{'s' if self.devices != 1 else ''}")


@dataclass(frozen=True)
class ShareRow:
    """An operator who manages a company (the guide's SERVICE PROVIDER ACCESS list)."""

    id: int
    operator_id: int
    name: str
    email: str
    owner: bool
    added_at: datetime | None
    added_by: str


@dataclass(frozen=True)
class PerimeterDevice:
    """A device a task may open, with its block and its doors by relay."""

    doors: DeviceDoors
    name: str
    block: str  # "" for a device of the whole site

    @property
    def id(self) -> int:
        return self.doors.device_id


@dataclass(frozen=True)
class SitePerimeter:
    """A site's devices and week types, for the task form's ACCESS AUTHORISED tab."""

    site_id: int
    site: str
    devices: list[PerimeterDevice] = field(default_factory=list)
    week_types: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FacilitiesHit:
    """A service provider or management company found by the cross-site search."""

    kind: str  # PROVIDER or COMPANY
    id: int
    name: str
    company_id: int
    company: str
    telephone: str = ""  # E.164
    apass: str = ""  # the APass or radio transmitter number


PROVIDER, COMPANY = "Service provider", "Management co."
