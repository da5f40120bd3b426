"""Terminal safety of outside text (core.text)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.text import has_control_chars, safe_text


def is_c0_or_c1(ch: str) -> bool:
    """C0 controls, DEL and C1 controls (space, U+0020, is not one of them)."""
    return ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # CSI
        ("\x1b[31mred", "red"),
        ("\x1b[1;31mbold red\x1b[0m", "bold red"),
        ("\x1b[2J\x1b[Hclear", "clear"),
        ("a\x1b[?25lb", "ab"),
        # OSC, terminated by BEL and by ST; OSC 8 hyperlinks
        ("\x1b]0;pwned\x07after", "after"),
        ("\x1b]0;pwned\x1b\\after", "after"),
        ("\x1b]2;title\x07", ""),
        ("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("before\x1b]0;unterminated", "before"),
        # DCS
        ("\x1bPq#0;2;0;0;0\x1b\\x", "x"),
        # 8-bit CSI
        ("\x9b31mred", "red"),
        ("a\x9b2Jb", "ab"),
        # lone ESC
        ("\x1b", ""),
        ("end\x1b", "end"),
        ("\x1b\x1b", ""),
        # C0 and DEL
        ("a\x00b\x07c\x08d\x7fe", "abcde"),
        ("\x01\x02\x03\x1f", ""),
        ("a\x0bb\x0cc", "abc"),
        # C1
        ("\x80\x85x\x90\x9f", "x"),
        # bidi overrides and isolates
        ("abc\u202eevil", "abcevil"),
        ("\u202a\u202b\u202c\u202d\u202e", ""),
        ("\u2066x\u2067y\u2068z\u2069", "xyz"),
        # newlines and tabs become spaces
        ("line1\nline2", "line1 line2"),
        ("a\tb", "a b"),
        ("a\r\nb", "a  b"),
        ("a\rb", "a b"),
        # not strings
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_text_removes(raw, expected):
    assert safe_text(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Zoë Ćwik",
        "Ωμέγα",
        "東京タワー",
        "مرحبا",
        "Door 🚪 key 🔑",
        "👩‍👩‍👧",  # ZWJ sequence
        "[b]x[/b]",
        "[@click=app.quit]",
        "[red]alert[/red]",
        "[link=http://x]y[/link]",
        "50% off; a<b>c & d",
        "non\xa0breaking",
        "",
        " ",
    ],
)
def test_safe_text_keeps(raw):
    assert safe_text(raw) == raw


def test_safe_text_normalises_to_nfc():
    decomposed = "Zoe\u0308 C\u0301wik"
    assert safe_text(decomposed) == "Zoë Ćwik"
    assert unicodedata.is_normalized("NFC", safe_text(decomposed))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", False),
        ("", False),
        (" ", False),
        ("Zoë Ćwik", False),
        ("[b]x[/b]", False),
        ("🚪", False),
        ("non\xa0breaking", False),  # U+00A0 is just after the C1 range
        ("\u200f", False),  # RLM is a mark, not an override
        ("a\x00", True),
        ("\x1b[31m", True),
        ("\t", True),
        ("\n", True),
        ("\r", True),
        ("\x1f", True),
        ("\x7f", True),
        ("\x80", True),
        ("\x85", True),
        ("\x9b", True),
        ("\x9f", True),
        ("\u202a", True),
        ("\u202e", True),
        ("\u2066", True),
        ("\u2069", True),
    ],
)
def test_has_control_chars(value, expected):
    assert has_control_chars(value) is expected


# Text rich in the characters escape sequences are made of, so hypothesis gets to
# ESC-introduced sequences often, plus arbitrary unicode.
_NASTY = st.sampled_from(
    list("\x1b\x9b\x9d\x9c\x07\x00\t\n\r\x7f\x85[]\\;?0123456789mPX^_ a@~é\u202e\u2066\u0301")
)
_TEXT = st.one_of(st.text(), st.text(alphabet=_NASTY), st.text(alphabet=st.characters()))


@settings(max_examples=500)
@given(_TEXT)
@example("\x1b\x00[31m")
@example("\x1b]0;t\x1b[31m")
@example("e\u0301\x00\u0301")
def test_safe_text_output_has_no_controls_and_is_idempotent(value):
    out = safe_text(value)
    assert not any(is_c0_or_c1(ch) for ch in out)
    assert not has_control_chars(out)
    assert safe_text(out) == out


def _console_log(path):
    from console.cli import _log_to_file
    _log_to_file(str(path.with_suffix(".db")), "console")
    return path.with_suffix(".console.log")


def _worker_log(path):
    from console.ssh.server import setup_logging
    setup_logging(str(path))
    return path


def _serve_log(path):
    from console.headless.watchdog import serve_log
    serve_log(str(path))
    return path


@pytest.mark.parametrize("make_log", [_console_log, _worker_log, _serve_log])
def test_every_log_file_is_written_plain(tmp_path, make_log):
    """A log read with `cat` or `tail -f` never carries a device's or a client's escape
    sequences (the console's, the SSH workers' and serve's files used a bare Formatter);
    a traceback keeps its lines."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        path = make_log(tmp_path / "x.log")
        try:
            raise ValueError("bad \x1b]0;owned\x07 value")
        except ValueError:
            logging.getLogger("console.test").exception("a reader said %s", "\x1b[2Jname\x9b")
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                handler.close()
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
    text = path.read_text(encoding="utf-8")
    assert "a reader said name" in text and "Traceback" in text and "ValueError: bad" in text
    assert not any(has_control_chars(line) for line in text.splitlines()), text
