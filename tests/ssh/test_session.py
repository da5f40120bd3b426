"""One SSH session's pump on a real pty with a real process behind it (a small Python
program in place of the console, started here rather than by the zygote: the pump is the
same): no PTY or a command gets one line, input goes through the edge limits, the window
size reaches the process, its output and exit status reach the channel, a closed channel
ends the process, a client that stops reading pauses the process, a session over its
limits is ended with a line and audited. The channel is a fake (asyncssh's server channel
needs a live connection; tests/ssh/test_serve.py drives real ones)."""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import pytest

from console.ssh import session as session_module
from console.ssh.session import (
    NO_COMMANDS,
    NO_PTY,
    RESIZE_EVERY,
    SessionHost,
    SSHSession,
    spoken_duration,
)

#: a console stand-in: prints its window size, echoes every line, says how it ends
PROGRAM = r"""
import fcntl, os, signal, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # its terminal, as login_tty makes it in the zygote
signal.signal(signal.SIGWINCH, lambda *_: print("size", *os.get_terminal_size(), flush=True))
print("ready", *os.get_terminal_size(), flush=True)
for line in sys.stdin:
    if line.strip() == "big":
        sys.stdout.write("y" * 2_000_000); sys.stdout.flush(); print("done", flush=True)
    elif line.strip() == "exit":
        sys.exit(3)
    else:
        print("got", len(line.strip()), flush=True)
"""


class FakeChannel:
    """What asyncssh's server channel gives a session."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.status: int | None = None
        self.aborted = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.out += data

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        pass

    def get_environment(self) -> dict:
        return {}

    def exit(self, status: int) -> None:
        self.status = status

    def abort(self) -> None:
        self.aborted = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def text(self) -> str:
        return self.out.decode("utf-8", "replace")


async def until(check, timeout: float = 10.0, what=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out {what()!r}")
        await asyncio.sleep(0.01)


class Processes:
    """Starts PROGRAM on the session's pty slave, as the zygote starts a console."""

    def __init__(self) -> None:
        self.procs: dict[int, asyncio.subprocess.Process] = {}
        self.ended: list[SSHSession] = []

    async def open_process(self, session, fds, on_exit) -> int:
        slave, _control = fds
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PROGRAM, stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True)
        self.procs[proc.pid] = proc
        asyncio.get_running_loop().create_task(proc.wait()).add_done_callback(
            lambda t: t.cancelled() or on_exit(t.result()))
        return proc.pid

    def kill(self, pid: int, sig: int) -> None:
        proc = self.procs[pid]
        if proc.returncode is None:
            proc.send_signal(sig)


@pytest.fixture
def procs():
    made = Processes()
    yield made
    for proc in made.procs.values():
        if proc.returncode is None:
            proc.kill()


def host_for(procs: Processes, **kw) -> SessionHost:
    return SessionHost(procs.open_process, procs.kill, on_end=procs.ended.append, **kw)


async def open_session(procs: Processes, size=(100, 30), **kw) -> tuple[SSHSession, FakeChannel]:
    session, chan = SSHSession(host_for(procs, **kw), "admin@test.example", "ssh 127.0.0.1"), \
        FakeChannel()
    session.connection_made(chan)  # type: ignore[arg-type]
    session.pty_requested("xterm-256color", (*size, 0, 0), {})
    session.session_started()
    # the whole line: on a loaded machine "ready" may come in a chunk of its own
    await until(lambda: "\n" in chan.text().partition("ready")[2])
    return session, chan


@pytest.mark.parametrize(("command", "said"), [(None, NO_PTY), ("uptime", NO_COMMANDS)])
async def test_no_pty_or_a_command_gets_one_line_and_no_process(procs, command, said):
    session, chan = SSHSession(host_for(procs), "admin@test.example", "ssh x"), FakeChannel()
    session.connection_made(chan)  # type: ignore[arg-type]
    if command is not None:
        session.pty_requested("xterm", (80, 24, 0, 0), {})
        session.exec_requested(command)
    session.session_started()
    assert bytes(chan.out) == said and chan.status == 1
    assert not procs.procs and procs.ended == [session]


async def test_window_size_input_output_and_exit_status(procs):
    session, chan = await open_session(procs, size=(10000, 10000))
    assert "ready 500 200" in chan.text()  # a huge window is clamped
    session.data_received(b"hello\n", None)
    await until(lambda: "got 5" in chan.text())
    for n in range(500):  # a storm of resizes costs a few, at the latest size
        session.terminal_size_changed(60 + n % 50, 20 + n % 10, 0, 0)
    session.terminal_size_changed(90, 25, 0, 0)
    await until(lambda: "size 90 25" in chan.text(), what=chan.text)
    await asyncio.sleep(RESIZE_EVERY * 2)
    assert chan.text().count("size ") <= 2
    session.data_received(b"exit\n", None)
    await until(lambda: chan.status is not None)
    assert chan.status == 3 and procs.ended == [session]


async def test_a_closed_channel_ends_the_process(procs):
    session, chan = await open_session(procs)
    proc = procs.procs[session.pid]
    session.connection_lost(ConnectionResetError())
    await asyncio.wait_for(proc.wait(), 5)
    await until(lambda: procs.ended == [session])
    # SIGHUP; SIGKILL when the process has not ended END_GRACE later (a loaded machine)
    assert proc.returncode in (-signal.SIGHUP, -signal.SIGKILL)
    assert chan.status is None  # nothing to a gone channel


async def test_a_client_that_reads_nothing_pauses_the_process_not_the_worker(procs):
    session, chan = await open_session(procs)
    session.pause_writing()  # asyncssh: the channel's buffer is over its limit
    session.data_received(b"big\n", None)
    await asyncio.sleep(0.3)
    held = len(chan.out)
    assert held < 200_000  # the rest waits in the pty and the process, not in the worker
    session.resume_writing()
    await until(lambda: "done" in chan.text())
    assert len(chan.out) > 2_000_000
    session.connection_lost(None)


async def test_a_flood_of_keys_is_cut_at_the_edge(procs):
    session, chan = await open_session(procs)
    session.data_received(b"k" * 20_000 + b"\n", None)
    await asyncio.sleep(0.2)
    assert session.limiter.tokens < 1
    assert "got 20000" not in chan.text()
    session.connection_lost(None)


async def test_a_session_over_its_limit_is_ended_with_a_line(procs):
    session, chan = await open_session(procs)
    session.stop("This session used more than 400 MB of memory and was closed.")
    await until(lambda: chan.status is not None)
    assert chan.status == 128 + signal.SIGKILL
    assert chan.text().endswith("\r\nThis session used more than 400 MB of memory and was "
                                "closed.\r\n")
    assert b"\x1b[?1049l" in chan.out  # the client's screen is given back


async def test_idle_sessions_are_asked_to_quit_with_a_line(procs, monkeypatch):
    monkeypatch.setattr(session_module, "END_GRACE", 0.1)
    session, chan = await open_session(procs, idle_timeout=1.0)
    await until(lambda: chan.status is not None)  # PROGRAM ignores "quit": SIGHUP ends it
    assert chan.text().endswith("\r\nClosed after 1 second without a key press.\r\n")


@pytest.mark.parametrize(("seconds", "said"), [
    (1, "1 second"), (20, "20 seconds"), (60, "1 minute"), (90, "90 seconds"),
    (900, "15 minutes"),
])
def test_the_idle_message_states_the_real_timeout(seconds, said):
    assert spoken_duration(seconds) == said


@pytest.mark.parametrize(("argv", "words"), [
    (["--listen", "nope"], "--listen must be host:port"),
    (["--listen", "127.0.0.1:0"], "--listen must be host:port"),
    (["--listen", "127.0.0.1:²"], "--listen must be host:port"),
    (["--listen", "\x1b[2J:22"], "--listen must be host:port"),
    (["--listen", "localhsot.invalid:2222"], "--listen 'localhsot.invalid': no such host"),
    (["--workers", "0"], "--workers must be 1 to 64"),
    (["--rate", "-1"], "--rate must be 0 to 10000"),
])
def test_serve_refuses_bad_options_in_one_line(tmp_path, capsys, argv, words):
    from console.cli import main
    assert main(["serve", "--db", str(tmp_path / "x.db"), *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


async def test_a_channel_that_stopped_sending_ends_the_console_without_an_error(procs):
    """asyncssh raises BrokenPipeError on write once the channel is closing, which may be
    before the session hears of it (the fake channel does the same)."""
    session, chan = await open_session(procs)
    errors: list[dict] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))

    def refuse(data: bytes) -> None:
        raise BrokenPipeError("Channel not open for sending")

    chan.write = refuse  # type: ignore[method-assign]
    session.data_received(b"hello\n", None)  # the console answers: its output meets the pipe
    await until(lambda: session.finished, what=lambda: session.status)
    assert session.closed and errors == []
    assert procs.ended == [session]
