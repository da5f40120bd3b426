"""One SSH session in-process with the real console app over a fake channel: no PTY,
keys, resize, colour depth per client, a closed channel, a slow client, an error inside
one session (the others carry on), the idle timeout."""

from __future__ import annotations

import asyncio
import time

import pytest

from console.ssh.session import NO_PTY, SessionHost, SSHSession
from tests.console.conftest import context_for


class FakeChannel:
    """What asyncssh's server channel gives a session."""

    def __init__(self, env: dict | None = None) -> None:
        self.out = bytearray()
        self.waiting = 0
        self.status: int | None = None
        self.aborted = False
        self.env = env or {}

    def write(self, data: bytes) -> None:
        self.out += data

    def get_write_buffer_size(self) -> int:
        return self.waiting

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass

    def get_environment(self) -> dict:
        return self.env

    def exit(self, status: int) -> None:
        self.status = status

    def abort(self) -> None:
        self.aborted = True

    def text(self) -> str:
        return self.out.decode("utf-8", "replace")


async def until(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


@pytest.fixture
def host(store, estate):
    async def make_context(operator: str, source: str):
        return await context_for(store, operator)
    return SessionHost(make_context, output_limit=64 * 1024)


async def open_session(host: SessionHost, term: str = "xterm-256color", size=(100, 30),
                       env: dict | None = None) -> tuple[SSHSession, FakeChannel]:
    session, chan = SSHSession(host, "admin@test.example", "ssh 127.0.0.1"), FakeChannel(env)
    session.connection_made(chan)  # type: ignore[arg-type]
    session.pty_requested(term, (*size, 0, 0), {})
    session.session_started()
    await until(lambda: "Demo Cases" in chan.text() and session.app is not None
                and session.app.screen_stack and session.app.main.is_mounted)
    return session, chan


async def close(session: SSHSession) -> None:
    session.connection_lost(None)
    await asyncio.wait_for(session.task, 5)


async def test_no_pty_gets_one_line_and_is_closed(host):
    ended: list = []
    host.on_end = ended.append  # the worker forgets the session
    session, chan = SSHSession(host, "admin@test.example", "ssh 127.0.0.1"), FakeChannel()
    session.connection_made(chan)  # type: ignore[arg-type]
    session.session_started()
    assert bytes(chan.out) == NO_PTY and chan.status == 1
    assert session.task is None  # no app was started
    assert ended == [session]


async def test_keys_resize_and_quit(host):
    session, chan = await open_session(host)
    app = session.app
    assert (app.size.width, app.size.height) == (100, 30)
    session.data_received(b"5", None)  # the Events tab
    await until(lambda: app.main.query_one("TabbedContent").active == "pane-eventstab")
    session.terminal_size_changed(80, 24, 0, 0)
    await until(lambda: (app.size.width, app.size.height) == (80, 24))
    session.data_received(b"\x11", None)  # ctrl+q
    await asyncio.wait_for(session.task, 5)
    assert chan.status == 0
    assert chan.out.endswith(b"\x1b[?1049l\x1b[?25h")  # the client's screen given back


@pytest.mark.parametrize(("term", "env", "has", "lacks"), [
    ("xterm-256color", {}, "\x1b[38;5;", "\x1b[38;2;"),
    ("xterm-256color", {"COLORTERM": "truecolor"}, "\x1b[38;2;", None),
    ("xterm", {}, "\x1b[3", "\x1b[38;"),
])
async def test_colour_depth_follows_the_client(host, term, env, has, lacks):
    session, chan = await open_session(host, term=term, env=env)
    assert has in chan.text()
    assert lacks is None or lacks not in chan.text()
    await close(session)


async def test_a_closed_channel_ends_the_app_at_once(host):
    session, chan = await open_session(host)
    started = time.monotonic()
    session.connection_lost(ConnectionResetError())
    await asyncio.wait_for(session.task, 3)
    assert time.monotonic() - started < 1.5
    written = len(chan.out)
    await asyncio.sleep(0.1)
    assert len(chan.out) == written  # nothing more to a closed channel
    assert session.app is None


async def test_a_slow_client_costs_frames_not_memory_then_gets_a_full_repaint(host):
    session, chan = await open_session(host)
    driver = session.driver
    chan.waiting = 10 * 1024 * 1024  # the client reads nothing
    written = len(chan.out)
    for key in (b"2", b"3", b"4"):
        session.data_received(key, None)
        await asyncio.sleep(0.15)
    assert driver.frames_dropped >= 1 and len(chan.out) == written
    chan.waiting = 0
    session.resume_writing()
    await until(lambda: "Demo Cases" in chan.out[written:].decode("utf-8", "replace"))
    assert "Access Passes" in chan.out[written:].decode("utf-8", "replace")
    await close(session)


async def test_an_error_ends_that_session_only(host, caplog):
    broken, broken_chan = await open_session(host)
    other, other_chan = await open_session(host)

    def fail() -> None:
        raise RuntimeError("boom inside one session")

    broken.app.call_later(fail)
    await asyncio.wait_for(broken.task, 5)
    assert broken_chan.status == 1
    assert "Doorkeeper hit an error and closed this session" in broken_chan.text()
    assert "boom inside one session" in caplog.text  # logged, not shown
    assert "boom" not in broken_chan.text()
    other.data_received(b"5", None)  # the other session carries on
    await until(lambda: other.app.main.query_one("TabbedContent").active == "pane-eventstab")
    await close(other)


async def test_idle_sessions_are_closed_with_a_line(host):
    host.idle_timeout = 1.0
    session, chan = SSHSession(host, "admin@test.example", "ssh 127.0.0.1"), FakeChannel()
    session.connection_made(chan)  # type: ignore[arg-type]
    session.pty_requested("xterm", (80, 24, 0, 0), {})
    session.session_started()
    await asyncio.wait_for(session.task, 10)
    assert "Demo Cases" in chan.text()
    assert "Closed after 1 second without a key press." in chan.text()
    assert chan.status == 0


@pytest.mark.parametrize(("argv", "words"), [
    (["--listen", "nope"], "--listen must be host:port"),
    (["--listen", "127.0.0.1:0"], "--listen must be host:port"),
    (["--workers", "0"], "--workers must be 1 to 64"),
    (["--rate", "-1"], "--rate must be 0 to 10000"),
])
def test_serve_refuses_bad_options_in_one_line(tmp_path, capsys, argv, words):
    from console.cli import main
    assert main(["serve", "--db", str(tmp_path / "x.db"), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
