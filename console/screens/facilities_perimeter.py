"""The task form's ACCESS AUTHORISED grid: one line per device of the site shown, a
column per way of opening (the guide's "Open by code … Open by telephone"), ticked with
space; only the ways the device type supports can be ticked. One widget drawing every
line (as the rights matrix does): a switch per cell made the dialog slow to open."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from console.widgets.plain import cut
from core.task_methods import Method, methods_for
from core.text import safe_text
from core.views.facilities_rows import PerimeterDevice

HEADS = {Method.DOOR_CODE: "Door", Method.RELAY_CODE_1: "Rly1", Method.RELAY_CODE_2: "Rly2",
         Method.APASS: "Pass", Method.RADIO_1: "Rd1", Method.RADIO_2: "Rd2",
         Method.RADIO_3: "Rd3", Method.RADIO_4: "Rd4", Method.MOBILE: "Mob",
         Method.TELEPHONE: "Tel"}
LEGEND = ("Door/Rly1/Rly2 open by code (door, relay 1, relay 2) · Pass APass · Rd1-4 radio "
          "buttons · Mob mobile access · Tel open by telephone")


def device_label(device: PerimeterDevice, width: int) -> str:
    """ "Block · device" in `width` cells: a long block is shortened first, so the device's
    own name (which tells the lines of one block apart) stays whole."""
    name = safe_text(device.name)
    if not device.block:
        return cut(name, width).plain
    block = safe_text(device.block)
    room = width - cell_len(name) - len(" · ")
    if cell_len(block) <= room:
        return f"{block} · {name}"
    if room >= 4:  # "Bl…" and more: enough of the block to read
        return f"{cut(block, room).plain} · {name}"
    return cut(name, width).plain


class PerimeterGrid(Widget, can_focus=True):
    """Ticks per device and method; `chosen` is shared with the form (all sites)."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("space", "tick", "Tick"),
        Binding("a", "select_all", "Select all"),
    ]
    DEFAULT_CSS = """
    PerimeterGrid { height: auto; padding: 0 1; }
    PerimeterGrid:focus { background-tint: $foreground 5%; }
    """
    NAME = 22
    CELL = 5
    cursor = reactive((0, 0))

    def __init__(self, chosen: dict[int, set[Method]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chosen = chosen
        self.devices: list[PerimeterDevice] = []

    def show(self, devices: list[PerimeterDevice]) -> None:
        """Show these devices (a site's, filtered by type)."""
        self.devices = devices
        self.cursor = (0, self.cursor[1])
        self.refresh(layout=True)

    def ticked(self, device: PerimeterDevice, method: Method) -> bool:
        return method in self.chosen.get(device.id, set())

    def switch(self, device: PerimeterDevice, method: Method) -> None:
        """Tick or untick one way of opening one device, where its type allows it."""
        if method not in methods_for(device.doors):
            return
        ticks = self.chosen.setdefault(device.id, set())
        ticks.symmetric_difference_update({method})
        if not ticks:
            del self.chosen[device.id]
        self.post_message(self.Changed())

    class Changed(Message):
        """The ticks changed (the form recounts its perimeter)."""

    def render(self) -> Text:
        text = Text(no_wrap=True, end="")
        text.append("Device".ljust(self.NAME), "bold")
        for method in Method:
            text.append(HEADS[method].ljust(self.CELL), "bold")
        if not self.devices:
            text.append("\nNo device of this kind on the site.", "italic")
        row, col = self.cursor
        for r, device in enumerate(self.devices):
            text.append("\n" + set_cell_size(device_label(device, self.NAME - 1), self.NAME))
            offered = methods_for(device.doors)
            for c, method in enumerate(Method):
                here = self.has_focus and (r, c) == (row, col)
                if method in offered:
                    on = self.ticked(device, method)
                    cell, style = ("[x]", "green") if on else ("[ ]", "")
                else:
                    cell, style = " · ", "dim"
                text.append(cell, f"{style} reverse".strip() if here else style)
                text.append(" " * (self.CELL - 3))
        return text

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return max(len(self.devices), 1) + 1

    def get_content_width(self, container: Any, viewport: Any) -> int:
        return self.NAME + self.CELL * len(Method)

    def action_move(self, rows: int, cols: int) -> None:
        if not self.devices:
            return
        row, col = self.cursor
        self.cursor = ((row + rows) % len(self.devices), (col + cols) % len(Method))

    def action_tick(self) -> None:
        row, col = self.cursor
        if 0 <= row < len(self.devices):
            self.switch(self.devices[row], list(Method)[col])
            self.refresh()

    def action_select_all(self) -> None:
        """The guide's "Select all": every way each shown device offers (again: none)."""
        every = all(set(methods_for(d.doors)) <= self.chosen.get(d.id, set())
                    for d in self.devices)
        for device in self.devices:
            if every:
                self.chosen.pop(device.id, None)
            elif methods_for(device.doors):
                self.chosen[device.id] = set(methods_for(device.doors))
        self.post_message(self.Changed())
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        row, x = event.y - 1, event.x - 1 - self.NAME
        if 0 <= row < len(self.devices) and 0 <= x < self.CELL * len(Method):
            self.cursor = (row, x // self.CELL)
            self.action_tick()

    def watch_cursor(self) -> None:
        self.refresh()
