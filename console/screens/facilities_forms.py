"""The Facilities screen's dialogs for companies and service providers (the guide's
12.3 and 12.4): every save goes through core services, whose refusals land by the
field they name; a refused save changes nothing and the dialog stays open."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from rich.text import Text

from console.context import ConsoleContext
from console.screens.user_forms import parse_day
from console.widgets.form import Field, FormScreen
from core import days, rules
from core.errors import ValidationError
from core.model import ManagementCompany, ServiceProvider
from core.services.facilities import save_company, save_provider
from core.views.facilities_rows import CompanyRow

DATE_HINT = days.DAY_HINT


def default_country(ctx: ConsoleContext) -> str:
    """Numbers typed without a country are read as of the operator's first site."""
    return ctx.sites[0].default_country if ctx.sites else "GB"


def company_form(ctx: ConsoleContext, company: CompanyRow | None) -> FormScreen:
    """Add or modify a management company."""

    async def save(values: dict[str, Any]) -> ManagementCompany:
        return await ctx.change(save_company, ManagementCompany(
            values["name"], values["person_in_charge"], values["telephone"], values["email"],
            id=company.id if company else None))

    c = company
    return FormScreen("Modify the management company" if c else "Add a management company", [
        Field("name", "Company *", c.name if c else "", max_length=60),
        Field("person_in_charge", "Person in charge", c.person_in_charge if c else "",
              max_length=60),
        Field("telephone", "Telephone N°", c.telephone if c else "", max_length=60),
        Field("email", "Email", c.email if c else "", max_length=254),
    ], save)


def _provider_fields(companies: list[tuple[Text, int]], p: ServiceProvider, today: date
                     ) -> list[Field]:
    new = p.id is None
    permanent = not new and p.valid_from is None and p.valid_to is None
    start = p.valid_from or (today if new else None)
    end = p.valid_to or (rules.add_years(today, rules.PROVIDER_VALIDITY_DEFAULT_YEARS)
                         if new else None)
    return [
        Field("company_id", "Management co. *", p.company_id or None, kind="select",
              options=companies, allow_blank=False),
        Field("name", "Name & First Name *", p.name, max_length=60),
        Field("mission", "Mission", p.mission, max_length=rules.NOTES_MAX),
        Field("valid_from", "Validity From", start or "", placeholder=DATE_HINT),
        Field("valid_to", f"To (limited to {rules.PROVIDER_VALIDITY_MAX_YEARS} years)",
              end or "", placeholder=DATE_HINT),
        Field("permanent", "Permanent", permanent, kind="switch"),
        Field("mobile", "Mobile telephone (mobile access, dial to open)", p.mobile,
              placeholder="e.g. 07546277399 or +33612345678", max_length=20),
        Field("telephone", "Other telephone", p.telephone, max_length=20),
        Field("email", "Email", p.email, max_length=254),
        Field("apass_number", "APass number (10 digits)", p.apass_number or "",
              max_length=10),
        Field("apass_dual_tech", "Dual-tech radio/prox", p.apass_dual_tech, kind="switch"),
        Field("radio_number", "Radio transmitter number (radio only)", p.radio_number or "",
              max_length=10),
        Field("radio_dual_tech", "Radio: dual tech", p.radio_dual_tech, kind="switch"),
        Field("code_door", "Door access code", p.code_door or "", max_length=8),
        Field("code_relay_1", "Door relay code 1", p.code_relay_1 or "", max_length=8),
        Field("code_relay_2", "Door relay code 2", p.code_relay_2 or "", max_length=8),
        Field("code_key_safe", "IPKEYSAFE access code", p.code_key_safe or "", max_length=8),
    ]


def provider_form(ctx: ConsoleContext, companies: list[tuple[Text, int]],
                  provider: ServiceProvider | None) -> FormScreen:
    """Add or modify a service provider: identity, validity, mobile access, APass and
    radio transmitter, codes."""
    start = provider or ServiceProvider(companies[0][1] if companies else 0, "")
    today = ctx.actor.today(ctx.sites[0] if ctx.sites else None)

    async def save(values: dict[str, Any]) -> ServiceProvider:
        if values["company_id"] is None:
            raise ValidationError("Choose a management company.", field="company_id")
        permanent = bool(values.pop("permanent"))
        values["valid_from"] = None if permanent else parse_day(values["valid_from"],
                                                                 "valid_from")
        values["valid_to"] = None if permanent else parse_day(values["valid_to"], "valid_to")
        if not permanent and (values["valid_from"] is None) != (values["valid_to"] is None):
            missing = "valid_to" if values["valid_to"] is None else "valid_from"
            raise ValidationError("Give both dates, or choose Permanent.", field=missing)
        for name in ("apass_number", "radio_number", "code_door", "code_relay_1",
                     "code_relay_2", "code_key_safe"):
            values[name] = (values[name] or "").strip() or None
        return await ctx.change(save_provider, replace(start, **values), permanent=permanent,
                                country=default_country(ctx))

    title = "Modify the service provider" if provider else "Add a service provider"
    return FormScreen(title, _provider_fields(companies, start, today), save)
