"""The SSH driver on its own: input parsing (Textual's private xterm parser, pinned),
the escape delay, resize, and output bounded by dropping whole frames."""

from __future__ import annotations

import asyncio

import textual
from textual import events
from textual.messages import TerminalSupportsSynchronizedOutput

from console.ssh.driver import SSHDriver


class StubApp:
    """Collects what the driver posts."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refreshed = 0

    def post_message(self, message) -> bool:
        self.messages.append(message)
        return True

    def refresh(self, repaint: bool = True) -> None:
        self.refreshed += 1

    def keys(self) -> list[str]:
        return [m.key for m in self.messages if isinstance(m, events.Key)]


class StubChannel:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.waiting = 0
        self.over: list[bool] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def buffered(self) -> int:
        return self.waiting

    def dropping(self, over: bool) -> None:
        self.over.append(over)


def make(limit: int = 1000) -> tuple[SSHDriver, StubApp, StubChannel]:
    app, chan = StubApp(), StubChannel()
    driver = SSHDriver(app, size=(100, 30), channel=chan, limit=limit)  # type: ignore[arg-type]
    driver.start_application_mode()
    return driver, app, chan


def test_textual_is_the_pinned_version():
    # the driver uses textual._xterm_parser; a new Textual must be checked first
    assert textual.__version__ == "8.2.8"


async def test_start_sets_modes_and_posts_the_size():
    driver, app, chan = make()
    modes = chan.sent[0]
    for seq in (b"\x1b[?1049h", b"\x1b[?25l", b"\x1b[?1006h", b"\x1b[?2004h", b"\x1b[?2026$p"):
        assert seq in modes
    resize = [m for m in app.messages if isinstance(m, events.Resize)]
    assert resize and (resize[0].size.width, resize[0].size.height) == (100, 30)
    driver.stop_application_mode()
    assert b"\x1b[?1049l" in chan.sent[-1] and b"\x1b[?25h" in chan.sent[-1]


async def test_keys_arrows_and_utf8_split_across_reads():
    driver, app, _ = make()
    driver.feed(b"5q\x1b[A\x1b[B\x11")
    driver.feed("é".encode()[:1])
    driver.feed("é".encode()[1:])
    assert app.keys() == ["5", "q", "up", "down", "ctrl+q", "é"]


async def test_lone_escape_arrives_after_the_delay():
    driver, app, _ = make()
    driver.feed(b"\x1b")
    assert app.keys() == []
    await asyncio.sleep(0.3)
    assert app.keys() == ["escape"]


async def test_mouse_and_sync_reply_are_parsed():
    driver, app, _ = make()
    driver.feed(b"\x1b[<0;10;5M\x1b[?2026;2$y")
    clicks = [m for m in app.messages if isinstance(m, events.MouseDown)]
    assert clicks and (clicks[0].x, clicks[0].y) == (9, 4)
    assert any(isinstance(m, TerminalSupportsSynchronizedOutput) for m in app.messages)


async def test_resize_posts_the_new_size():
    driver, app, _ = make()
    driver.resize(80, 24)
    last = [m for m in app.messages if isinstance(m, events.Resize)][-1]
    assert (last.size.width, last.size.height) == (80, 24)


async def test_no_input_once_disabled():
    driver, app, _ = make()
    driver.disable_input()
    driver.feed(b"x")
    assert app.keys() == []


async def test_a_frame_goes_out_whole_or_not_at_all():
    driver, app, chan = make(limit=1000)
    before = len(chan.sent)
    driver.write("\x1b[?2026h")
    driver.write("frame one")
    driver.write("\x1b[?2026l")
    driver.flush()
    assert chan.sent[before:] == [b"\x1b[?2026hframe one\x1b[?2026l"]
    chan.waiting = 5000  # the client stopped reading
    driver.write("frame two")
    driver.flush()
    assert len(chan.sent) == before + 1 and driver.frames_dropped == 1
    assert chan.over == [True]
    chan.waiting = 0
    driver.caught_up()  # the backlog was read: one full repaint is asked for
    assert app.refreshed == 1 and chan.over == [True, False]
    driver.caught_up()
    assert app.refreshed == 1
