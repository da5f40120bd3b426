"""The Audit screen (ctrl+p -> Audit, or `A`): the audit trail, newest first, a page at
a time: who, when, from where (the console, an SSH address, the CLI), what in the
guide's words, and each field's before -> after; filters by period, operator, site,
block, flat, APass and area; the hash chain's integrity at the top; `e` exports the
list as filtered. Read through core (core.views.audit) with the operator's rights:
it opens with Events (Consult), each entry needs its own area too (docs/audit.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.tabs.event_filters import period_bounds
from console.widgets.form import Field, FormScreen
from console.widgets.guard import attempt, guarded
from console.widgets.key_bar import KeyBar
from console.widgets.paged_table import PagedTable
from console.widgets.plain import plain
from core.audit import ChainProgress, ChainReport
from core.errors import ValidationError
from core.rights import Action, Area
from core.views.audit import AuditFilter, AuditRow, audit_integrity, audit_page
from core.views.blocks import block_rows, flat_by_number

#: a screen that finds the whole chain last checked longer ago checks it all again, in the
#: background (the checkpoint is shared: one desk a day does it for all)
FULL_CHECK_AGE = timedelta(hours=24)
#: the What column's widest cell (the line under the list shows an entry in full)
WHAT_WIDTH = 44
COLUMNS = ("Date & time", "Operator", "From", "What", "Changes")
AREAS = [(a.label, a.value) for a in Area if a not in (Area.EXPORT, Area.IMPORT)]


def may_open(ctx: ConsoleContext) -> bool:
    """The trail opens with Events (Consult) on some site."""
    return ctx.can(None, Area.EVENTS, Action.CONSULT)


class AuditScreen(Screen[None]):
    """The audit trail of the operator's sites."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f", "filters", "Filters"),
        Binding("x", "clear_filters", "Clear filters"),
        Binding("e", "export", "Export"),
        Binding("v", "check_all", "Check all"),
    ]

    DEFAULT_CSS = """
    AuditScreen #audit-title { height: 1; padding: 0 1; background: $panel;
                               text-style: bold; }
    AuditScreen #audit-chain { height: 1; padding: 0 1; }
    AuditScreen #audit-filters { height: 1; padding: 0 1; color: $text-muted; }
    AuditScreen PagedTable { height: 1fr; }
    AuditScreen #audit-detail { height: auto; max-height: 8; padding: 0 1;
                                border-top: solid $primary; }
    """

    def __init__(self, ctx: ConsoleContext, site_id: int | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.zones = {s.id: ZoneInfo(s.timezone) for s in ctx.sites}
        self.home = site_id if site_id is not None and ctx.can(site_id, Area.EVENTS) else None
        self.flt = AuditFilter(site_id=self.home)
        self.words: dict[str, str] = {}  # what the filter bar says, by field

    def compose(self) -> ComposeResult:
        yield Static("Audit trail", id="audit-title")
        yield Static("Chain: checking…", id="audit-chain")
        yield Static("", id="audit-filters")
        yield PagedTable(COLUMNS, fetch=self._fetch, cells=self._cells, key=lambda r: r.id,
                         id="audit-table")
        yield Static("", id="audit-detail")
        yield KeyBar()

    @property
    def table(self) -> PagedTable[AuditRow]:
        return self.query_one("#audit-table", PagedTable)

    async def on_mount(self) -> None:
        self._show_filters()
        await attempt(self, self.table.load())
        self.table.focus()
        self._show_detail()
        self.call_after_refresh(self.check_chain)  # the rows drawn first

    # --- reading ----------------------------------------------------------------------
    async def _fetch(self, after: Any, limit: int) -> list[AuditRow]:
        return await self.ctx.view(audit_page, self.flt, after, limit)

    def _zone(self, site_id: int | None) -> ZoneInfo:
        if site_id in self.zones:
            return self.zones[site_id]
        return self.zones.get(self.home) or ZoneInfo("UTC")

    def _cells(self, row: AuditRow) -> tuple[Text, ...]:
        at = row.at.astimezone(self._zone(row.site_id)).strftime("%Y-%m-%d %H:%M:%S")
        what = row.what if len(row.what) <= WHAT_WIDTH else row.what[:WHAT_WIDTH - 1] + "…"
        return (Text(at), plain(row.actor), plain(row.source), plain(what),
                plain(row.summary[:80]))

    @work(group="chain", exclusive=True)
    async def check_chain(self, full: bool = False) -> None:
        """The chain checked in the store's thread while the list works: the entries
        since the last intact check (a checkpoint beside the store), or all of them
        (`v`, or when there is no checkpoint), with how far it has got."""
        line = self.query_one("#audit-chain", Static)
        progress = ChainProgress()

        def show() -> None:
            if progress.total:
                line.update(Text(f"Chain: checking{' all' if full else ''}… "
                                 f"{progress.checked:,} of {progress.total:,} entries"))
        timer = self.set_interval(0.25, show)
        try:
            report = await attempt(self, self.ctx.view(audit_integrity, progress, full=full))
        finally:
            timer.stop()
        if isinstance(report, ChainReport):
            line.update(self._chain_words(report))
            if report.ok and report.since and self._stale(report.full_at):
                self.check_chain(full=True)  # (this worker has nothing left to do)

    def _stale(self, full_at: str) -> bool:
        """Whether the whole chain was last checked more than FULL_CHECK_AGE ago."""
        try:
            return self.ctx.actor.now() - datetime.fromisoformat(full_at) > FULL_CHECK_AGE
        except (ValueError, TypeError):
            return True

    def _chain_words(self, report: ChainReport) -> Text:
        if not report.ok:
            where = f" at entry {report.entry_id}" if report.entry_id is not None else ""
            return Text(f"Chain: BROKEN{where}: {report.problem} "
                        f"({report.checked:,} entries hold before it)", "bold red")
        if not report.since:
            return Text(f"Chain: intact ({report.checked:,} entries)", "green")
        try:
            when = datetime.fromisoformat(report.full_at).astimezone(
                self._zone(self.home)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            when = "?"
        new = report.checked - report.since
        if not new:
            return Text(f"Chain: intact ({report.checked:,} entries, checked in full on "
                        f"{when}; v checks them all again)", "green")
        return Text(f"Chain: intact ({report.checked:,} entries: the {new:,} newest checked "
                    f"now, the rest in full on {when}; v checks all)", "green")

    def action_check_all(self) -> None:
        """The whole chain again, every entry (what `doorkeeper audit verify` does)."""
        self.query_one("#audit-chain", Static).update("Chain: checking all…")
        self.check_chain(full=True)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        row = self.table.current
        detail = self.query_one("#audit-detail", Static)
        if row is None:
            detail.update("No entry matches." if not self.table.rows_held else "")
            return
        text = Text()
        text.append(f"#{row.id} ", "dim")
        text.append(row.what, "bold")
        text.append(f" · {row.actor} · {row.source}")
        for label, before, after in row.changes:
            text.append(f"\n{label}: ")
            text.append(before, "red")
            text.append(" → ")
            text.append(after, "green")
        detail.update(text)

    def _show_filters(self) -> None:
        parts = [f"{k}: {v}" for k, v in self.words.items() if v]
        site = self.ctx.site(self.flt.site_id).name if self.flt.site_id is not None else \
            "every site"
        self.query_one("#audit-filters", Static).update(
            plain(f"Site: {site}   " + "   ".join(parts)))

    async def apply(self, flt: AuditFilter, words: dict[str, str]) -> None:
        self.flt, self.words = flt, words
        self._show_filters()
        self.refresh_bindings()
        await attempt(self, self.table.load())
        self._show_detail()

    # --- actions ----------------------------------------------------------------------
    @guarded
    async def action_filters(self) -> None:
        """The filters in a dialog; a bad value is refused by its field."""
        form = FormScreen("Audit filters", self._fields(), self._parse, save_label="Filter")
        self.app.push_screen(form, callback=self._filtered)

    async def _filtered(self, result: Any) -> None:
        if isinstance(result, tuple):
            await self.apply(*result)

    def _fields(self) -> list[Field]:
        w = self.words
        sites = [(s.name, s.id) for s in self.ctx.sites if self.ctx.can(s.id, Area.EVENTS)]
        return [
            Field("date_from", "From (YYYY-MM-DD)", w.get("From", ""), max_length=10),
            Field("date_to", "To (YYYY-MM-DD, included)", w.get("To", ""), max_length=10),
            Field("actor", "Operator (part of the email)", self.flt.actor, max_length=60),
            Field("site", "Site", self.flt.site_id, kind="select", options=sites),
            Field("block", "Block (name)", w.get("Block", ""), max_length=60),
            Field("flat", "Flat N° (in the block)", w.get("Flat", ""), max_length=20),
            Field("apass", "APass number", self.flt.apass, max_length=10),
            Field("area", "Area", self.flt.area.value if self.flt.area else None,
                  kind="select", options=AREAS),
        ]

    async def _parse(self, v: dict[str, Any]) -> tuple[AuditFilter, dict[str, str]]:
        """The filter the dialog describes, each value checked (by its field)."""
        site_id = v["site"]
        tz = self._zone(site_id)
        since, until = period_bounds("range", self.ctx.actor.now(), tz,
                                     v["date_from"], v["date_to"])
        block_id = flat_id = None
        block_name, flat_no = v["block"].strip(), v["flat"].strip()
        if (block_name or flat_no) and site_id is None:
            raise ValidationError("Choose the site of the block.", field="site")
        if flat_no and not block_name:
            raise ValidationError("Name the flat's block.", field="block")
        if block_name:
            blocks = await self.ctx.view(block_rows, site_id)
            match = [b for b in blocks if b.name.casefold() == block_name.casefold()]
            if not match:
                raise ValidationError(f"No block called {block_name!r} on this site.",
                                      field="block")
            block_id = match[0].id
        if flat_no:
            assert block_id is not None
            flat = await self.ctx.view(flat_by_number, site_id, block_id, flat_no)
            if flat is None:
                raise ValidationError(f"No flat {flat_no!r} in {block_name}.", field="flat")
            flat_id = flat.id
        apass = v["apass"].strip()
        if apass and not apass.isdigit():
            raise ValidationError("An APass number is digits only.", field="apass")
        flt = AuditFilter(since=since, until=until, actor=v["actor"].strip(), site_id=site_id,
                          block_id=block_id, flat_id=flat_id, apass=apass,
                          area=Area(v["area"]) if v["area"] else None)
        words = {"From": v["date_from"].strip(), "To": v["date_to"].strip(),
                 "Operator": flt.actor, "Block": block_name, "Flat": flat_no,
                 "APass": apass, "Area": flt.area.label if flt.area else ""}
        return flt, words

    async def action_clear_filters(self) -> None:
        await self.apply(AuditFilter(site_id=self.home), {})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Export with the Export right on the site filtered (an export is of one site)."""
        if action == "export":
            site = self.flt.site_id
            return site is not None and self.ctx.can(site, Area.EXPORT)
        return True

    async def action_export(self) -> None:
        if self.check_action("export", ()):
            from console.screens.export_progress import open_export
            await open_export(self, "audit", "the audit trail", replace(self.flt))

    def action_close(self) -> None:
        self.dismiss(None)
