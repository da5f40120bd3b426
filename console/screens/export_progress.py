"""Exporting the list on screen (the Events tab, the Audit screen) from the console: the
operator picks a format; the rows go to a new file in their export folder
(console/export/folder.py), written atomically (console/export/files.py) while a bar
shows the rows done, the rate and the time left. Escape cancels: a cancelled export
leaves no file. At the end the file's name is shown (and how to fetch it over SFTP)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from console.context import ConsoleContext
from console.export.files import FORMATS, Written, write_export
from console.export.folder import export_file_name, operator_folder
from console.widgets.guard import Dropped, attempt
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.views.audit import AuditFilter, audit_count, audit_export
from core.views.events import event_count
from core.views.exports import EventExport, event_export
from core.views.rows import EventFilter

if TYPE_CHECKING:
    from textual.dom import DOMNode

#: builds the export of the list as it is filtered (rights checked in core)
MakeExport = Callable[[], Awaitable[EventExport]]


def left(seconds: float) -> str:
    """A time left as people say it: "4 s", "2 min 05 s"."""
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


class ExportScreen(ModalScreen[Written | None]):
    """Format, then progress; dismissed with what was written (None: cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                Binding("ctrl+s", "start", "Export")]

    DEFAULT_CSS = """
    ExportScreen #export-choice { height: auto; }
    ExportScreen #export-format { width: 20; }
    ExportScreen #export-bar { margin: 1 0 0 0; }
    ExportScreen #export-status { height: auto; }
    """

    def __init__(self, ctx: ConsoleContext, kind: str, what: str, make: MakeExport,
                 total: int | None) -> None:
        super().__init__(classes="form-screen")
        self.ctx, self.kind, self.what, self.make, self.total = ctx, kind, what, make, total
        self.started = 0.0
        self.rows = 0
        self.written: Written | None = None
        self.worker: Worker[Any] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(f"Export {self.what}", "bold"), classes="dialog-title")
            with Horizontal(id="export-choice"):
                yield Label("Format ")
                yield Select([(f.upper(), f) for f in FORMATS], value="xlsx",
                             allow_blank=False, compact=True, id="export-format")
            yield ProgressBar(total=self.total, show_eta=False, id="export-bar")
            yield Static(self._rows_text(), id="export-status")
            yield Static("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """ctrl+s is dim once the export started, as its button is (it does nothing)."""
        return None if action == "start" and self.worker is not None else True

    def key_description(self, binding: Binding) -> str:
        """Escape closes once the file is written, as the button then says."""
        if binding.action == "cancel" and self.written is not None:
            return "Close"
        return binding.description

    def _rows_text(self) -> str:
        of = f" of {self.total:,}" if self.total is not None else ""
        return f"{self.rows:,}{of} rows"

    # --- running ------------------------------------------------------------------------
    @on(Button.Pressed, "#save")
    def action_start(self) -> None:
        if self.worker is not None:
            return
        fmt = str(self.query_one("#export-format", Select).value)
        self.query_one("#export-format", Select).disabled = True
        self.query_one("#save", Button).disabled = True
        self.started = time.monotonic()
        self.worker = self.run_worker(attempt(self, self._run(fmt), show=self._failed),
                                      exclusive=True, group="export")
        self.refresh_bindings()

    async def _run(self, fmt: str) -> Written | None:
        folder = operator_folder(self.ctx.store, self.ctx.operator.email)
        now = self.ctx.actor.now()
        target = folder / export_file_name(self.kind, fmt, now)
        export = await self.make()
        written = await write_export(export, fmt, target, self._progress)
        self.written = written
        self._done(written)
        return written

    def _progress(self, rows: int) -> None:
        self.rows = rows
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = rows / elapsed
        text = f"{self._rows_text()} · {rate:,.0f} rows/s"
        if self.total and rate > 0:
            text += f" · {left((self.total - rows) / rate)} left"
        self.query_one("#export-bar", ProgressBar).update(progress=rows)
        self.query_one("#export-status", Static).update(plain(text))

    def _done(self, written: Written) -> None:
        bar = self.query_one("#export-bar", ProgressBar)
        bar.update(total=max(written.rows, 1), progress=max(written.rows, 1))
        cut = " (a PDF holds no more: export XLSX or CSV for every row)" if written.cut else ""
        self.query_one("#export-status", Static).update(plain(
            f"Wrote {written.rows:,} row{'s' if written.rows != 1 else ''} to "
            f"{written.path.name}{cut}\n"
            f"in {_shown_folder(written.path)} (fetch it with sftp or scp)"))
        button = self.query_one("#cancel", Button)
        button.label = "Close"
        button.focus()
        self.refresh_bindings()

    def _failed(self, err) -> None:
        self.query_one(".form-error", Static).update(plain(err.message))

    @on(Button.Pressed, "#cancel")
    async def action_cancel(self) -> None:
        """Stop a running export (its temporary file is removed first) or close."""
        worker = self.worker
        if worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            worker.cancel()
            with contextlib.suppress(Exception):
                await worker.wait()
            self.dismiss(None)
            return
        self.dismiss(self.written)


def _shown_folder(path: Path) -> str:
    return str(path.parent)


async def open_export(node: DOMNode, kind: str, what: str,
                      flt: EventFilter | AuditFilter) -> ExportScreen | None:
    """Count the rows of the list as filtered, then open the export dialog."""
    ctx: ConsoleContext = node.ctx  # type: ignore[attr-defined]  # the tab's or screen's

    if isinstance(flt, AuditFilter):
        async def make() -> EventExport:
            return await ctx.view(audit_export, flt)
        counted = attempt(node, ctx.view(audit_count, flt))
    else:
        async def make() -> EventExport:
            return await ctx.view(event_export, flt)
        counted = attempt(node, ctx.view(event_count, flt))
    total = await counted
    if isinstance(total, Dropped):
        return None
    screen = ExportScreen(ctx, kind, what, make, total)
    await node.app.push_screen(screen)
    return screen


async def open_list_export(node: DOMNode, kind: str, what: str,
                           make: MakeExport) -> ExportScreen:
    """The export dialog for one of the other lists (a block's flats, APasses, names on
    the panels), as the tab shows it; its rows are not counted first (no time left)."""
    ctx: ConsoleContext = node.ctx  # type: ignore[attr-defined]  # the tab's
    screen = ExportScreen(ctx, kind, what, make, None)
    await node.app.push_screen(screen)
    return screen
