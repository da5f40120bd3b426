"""Dialogs with fields: each field shows its own error under it, from the service that
refused (core errors name their field). A refused save changes nothing and the dialog
stays open with what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from console.widgets.guard import DROPPED, attempt, is_current
from console.widgets.key_bar import KeyBar
from console.widgets.plain import plain
from console.widgets.text_input import TextInput
from core.errors import DoorkeeperError
from core.text import long_words_cut, safe_text

if TYPE_CHECKING:
    from textual.dom import DOMNode

    _Node = DOMNode  # the mixin queries the screen or widget it is mixed into
else:
    _Node = object

#: a word of a refusal longer than this (a long paste, quoted back) is shown by its ends
ECHOED_WORD = 32


@dataclass
class Field:
    """One field of a form. kind: "text", "select" (options) or "switch"."""

    name: str
    label: str
    value: Any = ""
    kind: str = "text"
    options: Sequence[tuple[str | Text, Any]] = field(default_factory=list)  # (label, value)
    placeholder: str = ""
    max_length: int = 0
    disabled: bool = False
    allow_blank: bool = True
    password: bool = False  # a text field whose characters are hidden


def field_widget(f: Field, compact: bool = False):
    """The input widget of a field, id'd by its name; `compact`: one line, no frame."""
    if f.kind == "select":
        return Select(list(f.options), value=f.value if f.value is not None else Select.NULL,
                      allow_blank=f.allow_blank, id=f"f-{f.name}", disabled=f.disabled)
    if f.kind == "switch":
        return Switch(bool(f.value), id=f"f-{f.name}", disabled=f.disabled)
    return TextInput("" if f.value is None else str(f.value), placeholder=f.placeholder,
                     max_length=f.max_length, password=f.password, id=f"f-{f.name}",
                     disabled=f.disabled, compact=compact)


class FieldsMixin(_Node):
    """Reads values and shows errors for a set of fields composed with `compose_fields`."""

    fields: list[Field]
    #: one line per text field, with no frame (a flat's form)
    compact_fields: ClassVar[bool] = False

    def compose_fields(self) -> ComposeResult:
        for f in self.fields:
            with Vertical(classes="field", id=f"field-{f.name}"):
                yield Label(f.label)
                yield field_widget(f, self.compact_fields)
                yield Static("", classes="field-error", id=f"e-{f.name}")

    def values(self) -> dict[str, Any]:
        """What the operator entered, by field name (a blank select is None)."""
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.name}")
            if not isinstance(widget, Input | Select | Switch):  # what field_widget makes
                raise TypeError(f"field {f.name} is a {type(widget).__name__}")
            value = widget.value
            if isinstance(widget, Select) and value is Select.NULL:
                value = None
            out[f.name] = value
        return out

    def clear_errors(self) -> None:
        for error in self.query(".field-error").results(Static):
            error.update("")
        for error in self.query(".form-error").results(Static):
            error.update("")

    def show_error(self, err: DoorkeeperError) -> None:
        """Next to its field when it names one of ours, else at the foot of the form. What
        the refusal quotes of a long paste is cut to its ends: a line or two, not a wall
        of the 5,000 characters pasted filling the dialog."""
        said = plain(long_words_cut(safe_text(err.message), ECHOED_WORD, 16, 8))
        names = {f.name for f in self.fields}
        if err.field in names:
            self.query_one(f"#e-{err.field}", Static).update(said)
            self.query_one(f"#f-{err.field}").focus()
        else:
            self.query_one(".form-error", Static).update(said)


class FormScreen(FieldsMixin, ModalScreen[Any]):
    """A modal form: Save runs `save(values)`; on success the dialog closes with its
    result. A refusal or a store error (locked, disk full, damaged) shows by its field or
    at the foot of the form, the dialog stays open with what was typed, and nothing was
    saved (console.widgets.guard). A save still running when the dialog was closed is
    dropped when it ends."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"),
                Binding("ctrl+s", "save", "Save")]
    #: typing goes to the first field that takes it (a dialog may name another)
    AUTO_FOCUS = ".field > Input, .field > Select, .field > Switch"

    def __init__(self, title: str, fields: list[Field],
                 save: Callable[[dict[str, Any]], Awaitable[Any]], *,
                 save_label: str = "Save", first: str | None = None) -> None:
        super().__init__(classes="form-screen")
        if first is not None:  # the field one types first (its name), not the first field
            self.AUTO_FOCUS = f"#f-{first}"  # type: ignore[misc]  # one dialog's choice
        self.title_text = title
        self.fields = fields
        self.save = save
        self.save_label = save_label
        self.saving = False  # a second ctrl+s while the store is slow saves nothing twice

    def set_focus(self, widget: Widget | None, scroll_visible: bool = True,
                  from_app_focus: bool = False) -> None:
        """The focused field comes into view whole, label and error included: Textual
        centres a focused widget in the scrolling body, which at 80x24 hid the label of
        the first field (or cut the field above the one focused first)."""
        super().set_focus(widget, scroll_visible=False, from_app_focus=from_app_focus)
        if scroll_visible and widget is not None and widget is self.focused:
            self.call_after_refresh(self._show_field, widget)

    def _show_field(self, widget: Widget) -> None:
        if widget is not self.focused:
            return
        field = next((node for node in widget.ancestors_with_self
                      if isinstance(node, Widget) and node.has_class("field")), None)
        if field is not None:
            field.scroll_visible(animate=False)
            return
        # a widget of the dialog's own (the rights matrix, a task's perimeter) has its
        # label, which says its keys, just above it: that comes into view too (each scroll
        # at once: a deferred one is worked out from where the body was, and the second
        # would undo the first)
        widget.scroll_visible(animate=False, immediate=True)
        siblings = list(widget.parent.children) if widget.parent is not None else []
        at = siblings.index(widget) if widget in siblings else 0
        if at > 0 and isinstance(siblings[at - 1], Label):
            siblings[at - 1].scroll_visible(animate=False, immediate=True)

    def key_description(self, binding: Binding) -> str:
        """ctrl+s is worded as the dialog's button is ("Add flats", "Import"), not "Save"
        (the key bar asks)."""
        return self.save_label if binding.action == "save" else binding.description

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text, "bold"), classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield from self.compose_body()
            yield Static("", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.save_label, variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        """The dialog's scrolling body: its fields (a dialog may add widgets under them)."""
        yield from self.compose_fields()

    @on(Button.Pressed, "#save")
    async def action_save(self) -> None:
        if self.saving:
            return
        self.clear_errors()
        self.saving = True
        try:
            result = await attempt(self, self.save(self.values()), show=self.show_error)
        finally:
            self.saving = False
        if result is DROPPED or not is_current(self):
            return
        self.dismiss(result if result is not None else True)

    @on(Input.Submitted)
    async def _submitted(self, event: Input.Submitted) -> None:
        """Enter goes on to the next field (a half-filled dialog is never saved by
        accident, ctrl+s saves); in a dialog of one text field it saves."""
        event.stop()
        if sum(1 for f in self.fields if f.kind == "text" and not f.disabled) <= 1:
            await self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; Enter or y confirms, Escape or n declines."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No"),
                Binding("escape", "answer(False)", "No")]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__(classes="form-screen")
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Static(plain(self.question))
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="warning", id="yes")
                yield Button("No", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes").focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
