"""Import flats (key `i` on the Blocks tab, for the block picked): the file is named in a
dialog, read and planned (nothing written), and the plan shown as a diff on the preview
screen: "+" flats to add, "~" to change (field: before → after), "!" lines refused with
the rule's words, "-" flats to remove (only when asked). ctrl+s applies it, once
confirmed, in one transaction; a plan with a refused line cannot be applied.

The file is read on the machine the console runs on (an SSH session's too): the path is
typed, as the CLI takes it (docs/import.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from console.context import ConsoleContext
from console.imports.plan_text import ADD, CHANGE, REFUSED, REMOVE, plan_lines, summary
from console.imports.read import read_sheet
from console.widgets.form import ConfirmScreen, Field, FormScreen
from console.widgets.guard import attempt, guarded
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from core.errors import ValidationError
from core.rights import Action, Area
from core.services.flat_import import ImportPlan, Sheet, plan_import
from core.services.flat_import_apply import apply_import
from core.views.list_exports import flats_export
from core.views.rows import BlockRow

if TYPE_CHECKING:
    from console.tabs.blocks import BlocksTab

#: the plan's lines shown at most (the CLI prints every one)
SHOWN_MAX = 1000
STYLES = {ADD: "green", CHANGE: "yellow", REFUSED: "bold red", REMOVE: "magenta"}


async def import_flats(tab: BlocksTab, imported: Callable[[str], Awaitable[None]]) -> None:
    """Ask for the file, plan it, show the plan; once applied, `imported` is told what
    was (the tab reloads and says it)."""
    block = tab.block or tab.current_block
    if block is None or tab.site_id is None:
        return
    planned = await tab.app.push_screen_wait(import_form(tab.ctx, block))
    if not planned:
        return
    sheet, plan = planned
    done = await tab.app.push_screen_wait(ImportPreview(tab.ctx, block, sheet, plan))
    if done:
        c = done.counts
        await imported(f"Imported {sheet.name} into {block.name}: {c['added']:,} added, "
                       f"{c['changed']:,} changed, {c['removed']:,} removed.")


class ImportFlatsKey:
    """The Blocks tab's `i` (import) and `x` (export) of a block's flats (a mixin: the
    tab's module is at its size)."""

    @work(exclusive=True, group="blocks-form")
    @guarded
    async def action_import_flats(self: BlocksTab) -> None:
        await import_flats(self, self._changed_blocks)

    async def action_export_flats(self) -> None:
        """The block's flats in the import's layout, to the operator's export folder."""
        tab = cast("BlocksTab", self)
        block, site = tab.block or tab.current_block, tab.site_id
        if block is None or site is None:
            return
        from console.screens.export_progress import open_list_export
        await open_list_export(tab, "flats", f"the flats of {block.name}",
                               lambda: tab.ctx.view(flats_export, site, block.id))

    def flats_transfer(self, action: str) -> bool | None:
        """Whether `i` or `x` applies: a block picked (the one shown, or the cursor's)
        and the right (Import; Export and Flats)."""
        tab = cast("BlocksTab", self)
        picked = (tab.block or tab.current_block or None) is not None
        if action == "import_flats":
            return tab.can(Action.MODIFY, Area.IMPORT) and (picked or None)
        return tab.can(Action.CONSULT, Area.EXPORT) and (picked or None)


def import_form(ctx: ConsoleContext, block: BlockRow) -> FormScreen:
    """The file to import into `block`; the dialog closes with (sheet, plan)."""
    fields = [Field("file", "CSV or XLSX file (the flats export's layout)",
                    placeholder="e.g. /home/desk/flats-block-c.csv"),
              Field("remove_missing", "Also remove the flats the file does not have",
                    False, kind="switch")]

    async def plan(values: dict[str, Any]) -> tuple[Sheet, ImportPlan]:
        typed = (values["file"] or "").strip()
        if not typed:
            raise ValidationError("Type the file's path.", field="file")
        sheet = await asyncio.to_thread(read_sheet, Path(typed).expanduser())
        return sheet, await ctx.consult(plan_import, block.id, sheet,
                                        remove_missing=bool(values["remove_missing"]))

    return FormScreen(f"Import flats into {block.name}", fields, plan, save_label="Plan")


class ImportPreview(ModalScreen[ImportPlan | None]):
    """The plan of a file as a diff; ctrl+s applies it (closing with the plan applied).
    Modal, over the whole screen: the tab's worker waits on it as on its dialogs."""

    BINDINGS = [Binding("ctrl+s", "apply", "Apply"), Binding("escape", "close", "Close")]

    DEFAULT_CSS = """
    ImportPreview { background: $background; }
    ImportPreview #import-title { height: 1; padding: 0 1; background: $panel;
                                  text-style: bold; }
    ImportPreview #import-summary { height: auto; padding: 0 1; }
    ImportPreview DataTable { height: 1fr; }
    ImportPreview #import-status { height: auto; padding: 0 1; }
    ImportPreview #import-status.-error { color: $error; }
    """

    def __init__(self, ctx: ConsoleContext, block: BlockRow, sheet: Sheet,
                 plan: ImportPlan) -> None:
        super().__init__()
        self.ctx, self.block, self.sheet, self.plan = ctx, block, sheet, plan
        self.applying = False

    def compose(self) -> ComposeResult:
        yield Static(plain(f"Import {self.sheet.name} into {self.block.name}"),
                     id="import-title")
        yield Static(plain(summary(self.plan)), id="import-summary")
        yield DataTable(id="import-plan", cursor_type="row", zebra_stripes=True)
        yield Static("", id="import-status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#import-plan", DataTable)
        table.add_columns("", "What")
        lines = plan_lines(self.plan)
        for mark, text in lines[:SHOWN_MAX]:
            table.add_row(Text(mark, style=STYLES[mark]), Text(text))
        if len(lines) > SHOWN_MAX:
            table.add_row(Text(""), Text(f"… {len(lines) - SHOWN_MAX:,} more lines: "
                                         "`doorkeeper import flats` prints every one"))
        if self.plan.refused:
            self.say("Lines are refused: correct the file and import it again. Nothing "
                     "can be applied while a line is refused.", error=True)
        elif not self._writes():
            self.say("The file changes nothing in this block.")
        else:
            self.say("ctrl+s applies the plan, in one go; Esc leaves the block as it is.")
        table.focus()

    def _writes(self) -> int:
        return len(self.plan.add) + len(self.plan.change) + len(self.plan.remove)

    def say(self, message: str, error: bool = False) -> None:
        status = self.query_one("#import-status", Static)
        status.update(plain(message))
        status.set_class(error, "-error")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return not self.plan.refused and self._writes() > 0
        return True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        if not self.applying and self.check_action("apply", ()):
            self.run_worker(self._apply(), group="import-apply", exclusive=True)

    async def _apply(self) -> None:
        c = self.plan.counts
        question = (f"Import {self.sheet.name} into {self.block.name}: {c['added']:,} "
                    f"added, {c['changed']:,} changed, {c['removed']:,} removed?")
        if not await self.app.push_screen_wait(ConfirmScreen(question, yes="Import")):
            return
        self.applying = True
        try:
            done = await attempt(self, self.ctx.change(
                apply_import, self.block.id, self.sheet,
                remove_missing=self.plan.remove_missing, expected=self.plan.digest),
                show=lambda err: self.say(err.message, error=True))
        finally:
            self.applying = False
        if isinstance(done, ImportPlan):
            self.dismiss(done)
