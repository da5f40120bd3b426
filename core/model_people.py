"""The people of the field guide: console operators and their grants, contractors and their tasks.

Part of the domain model (re-exported by core.model, where the rest of it is):
field names match the store's columns one for one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

# --- people who use the console ---------------------------------------------------


@dataclass
class Operator:
    """A console user. Rights come per site through SiteGrant."""

    email: str
    name: str = ""
    login: str | None = None
    language: str = "en"
    password_hash: str | None = None
    can_create_sites: bool = False  # the guide's "Create a site" profile
    active: bool = True
    id: int | None = None


@dataclass
class SiteGrant:
    """An operator's profile and rights on one site, with validity dates."""

    operator_id: int
    site_id: int
    profile: str
    rights: frozenset[str]  # "area:action" strings, see core.rights
    valid_from: date | None = None  # None with valid_to None = permanent
    valid_to: date | None = None
    id: int | None = None


# --- facilities -------------------------------------------------------------------


@dataclass
class ManagementCompany:
    """A contractor firm in charge of a service on one or more sites."""

    name: str
    person_in_charge: str = ""
    telephone: str = ""
    email: str = ""
    id: int | None = None


@dataclass
class ServiceProvider:
    """A management company's employee with credentials and validity."""

    company_id: int
    name: str
    valid_from: date | None = None  # both None = permanent task
    valid_to: date | None = None
    email: str = ""
    mobile: str = ""  # E.164; mandatory for dial to open
    apass_number: str | None = None
    apass_dual_tech: bool = False
    radio_number: str | None = None
    radio_dual_tech: bool = False
    code_door: str | None = None
    code_relay_1: str | None = None
    code_relay_2: str | None = None
    code_key_safe: str | None = None
    mission: str = ""  # what the provider comes to do ("Cleaning of common areas")
    telephone: str = ""  # another number to reach them (E.164); not used to open
    id: int | None = None


@dataclass
class CompanyAccess:
    """An operator who manages a management company: its creator (owner), or one it was
    shared with (the guide's "Provider Access")."""

    company_id: int
    operator_id: int
    owner: bool = False
    added_at: datetime | None = None
    added_by: str = ""  # the email of who shared it
    id: int | None = None


class ValidityStatus(enum.StrEnum):
    EXPIRED = "expired"  # shown red
    NOT_STARTED = "not started"  # shown orange
    CURRENT = "current"  # shown grey


@dataclass
class TaskDoor:
    """How a task lets its provider through one door."""

    door_id: int
    by_code: bool = False
    by_apass: bool = False
    by_radio: bool = False
    by_mobile: bool = False
    by_telephone: bool = False


@dataclass
class Task:
    """Access rights given to a service provider on one or more sites."""

    name: str
    company_id: int
    provider_id: int
    site_ids: list[int] = field(default_factory=list)
    week_type_ids: dict[int, int | None] = field(default_factory=dict)  # site -> week type
    doors: list[TaskDoor] = field(default_factory=list)
    id: int | None = None


@dataclass
class OperatorKey:
    """One SSH public key an operator logs in with (type, base64 and comment)."""

    operator_id: int
    key: str  # "type base64" as core.keys stores it, without the comment
    fingerprint: str  # OpenSSH's "SHA256:…"
    comment: str = ""
    added_at: datetime | None = None
    id: int | None = None
