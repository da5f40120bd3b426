"""One SSH session's edge limits with the real console app over a fake channel
(tests/ssh/test_session.py): a command, a huge window, a storm of resizes, a flood of
keys, a megabyte paste; the idle message's wording."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input

from console.ssh.session import NO_COMMANDS, RESIZE_EVERY, SSHSession, spoken_duration
from tests.ssh.test_session import FakeChannel, close, host, open_session, until

__all__ = ["host"]  # the fixture


async def test_a_command_gets_one_line_even_with_a_pty(host):
    session, chan = SSHSession(host, "admin@test.example", "ssh 127.0.0.1"), FakeChannel()
    session.connection_made(chan)  # type: ignore[arg-type]
    session.pty_requested("xterm", (80, 24, 0, 0), {})
    session.exec_requested("uptime")
    session.session_started()
    assert bytes(chan.out) == NO_COMMANDS and chan.status == 1
    assert session.task is None


async def test_a_huge_window_is_clamped_and_a_resize_storm_costs_a_few_resizes(host):
    session, chan = await open_session(host, size=(10000, 10000))
    app = session.app
    assert (app.size.width, app.size.height) == (500, 200)
    resizes = []
    original = session.driver.resize
    session.driver.resize = lambda w, h: (resizes.append((w, h)), original(w, h))
    loop = asyncio.get_running_loop()
    started = loop.time()
    for n in range(500):
        session.terminal_size_changed(60 + n % 50, 20 + n % 10, 0, 0)
        if n % 50 == 0:
            await asyncio.sleep(0.01)
    session.terminal_size_changed(90, 25, 0, 0)
    await until(lambda: (app.size.width, app.size.height) == (90, 25))
    assert len(resizes) <= (loop.time() - started) / RESIZE_EVERY + 2
    await close(session)


async def test_a_megabyte_paste_and_a_key_flood_are_cut_with_a_notice(host):
    session, chan = await open_session(host)
    app = session.app
    session.data_received(b"/", None)  # the search screen, its field focused
    await until(lambda: isinstance(app.focused, Input))
    field = app.focused
    body = b"x" * (1 << 20)
    session.data_received(b"\x1b[200~" + body[:32768], None)
    for i in range(32768, len(body), 32768):
        session.data_received(body[i:i + 32768], None)
    session.data_received(b"\x1b[201~", None)
    await until(lambda: any("Input cut" in str(n.message) for n in app._notifications))
    assert len(field.value) <= session.limiter.paste_max
    session.data_received(b"y" * 20_000, None)  # typed, not pasted
    assert session.limiter.tokens < 1
    await close(session)


@pytest.mark.parametrize(("seconds", "said"), [
    (1, "1 second"), (20, "20 seconds"), (60, "1 minute"), (90, "90 seconds"),
    (900, "15 minutes"),
])
def test_the_idle_message_states_the_real_timeout(seconds, said):
    assert spoken_duration(seconds) == said
