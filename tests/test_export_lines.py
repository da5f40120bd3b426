"""The Events export's CSV lines built by SQLite (core.views.export_lines) are the row
path's bytes exactly: hostile text, quotes and commas, formulas, the masked APass
numbers, deleted devices, daylight-saving changes to the second, events outside the
offsets' window, pages of 7; and the row path is taken only for the rows that need it."""

from __future__ import annotations

import random
import sqlite3
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from console.export.csv_out import write_csv
from core.text import safe_text
from core.views.export_lines import is_plain, offset_segments
from core.views.exports import event_export
from core.views.rows import EventFilter
from core.views.viewer import load_viewer
from store.reads import StoreReads
from tests.conftest import make_operator

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TEXTS = ["plain", "a, b", 'say "hi"', '=HYPERLINK("x","y")', "+44 7802", "-1", "@SUM",
         "Zoë Ångström", "e\u0301 not NFC", "tab\there", "esc\x1b[31mred", "bidi\u202eevil",
         "line\r\nbreak", "ünïcødé, \"quoted\"", "日本語", "", " lead space", "'quote"]
APASS = "1111100007"
#: UTC moments about Europe/London's changes (01:00 UTC), to the second and below it
MOMENTS = ["2026-03-29 00:59:59.999999", "2026-03-29 01:00:00.000000",
           "2026-03-29 01:00:00.000001", "2026-10-25 00:59:59.999999",
           "2026-10-25 01:00:00.000000", "2026-10-25 01:30:00.500000",
           "2025-06-01 12:00:00.000000", "2023-01-15 08:00:00.123456",
           "2026-12-05 09:00:00.000000"]  # the last: after the viewer's now and a day


class CountingReads(StoreReads):
    """The store's reads, noting which events went the row path."""

    fallback: list[int]

    async def event_rows_of(self, site_ids, ids):
        self.fallback = [*getattr(self, "fallback", []), *ids]
        return await super().event_rows_of(site_ids, ids)


@pytest.fixture
def hostile(store, estate) -> int:
    """400 events of every mix of the texts above, at the moments above and over three
    years, on a device whose name holds a comma, a quote and a formula, one deleted and
    none; written with plain sqlite3 so any text can be stored. How many are plain."""
    rng = random.Random(18)
    con = sqlite3.connect(store.where)
    con.execute("UPDATE devices SET name = ? WHERE id = ?", ('=Panel, "A"', estate.panel.id))
    plain = 0
    for i in range(400):
        at = (MOMENTS[i] if i < len(MOMENTS) else
              str(datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(3 * 365 * 86400),
                                                   microseconds=rng.randrange(10**6))))
        if len(at) == 19:
            at += ".000000"
        fob = i % 3 == 0
        kind = rng.choice(["Open by proximity fob", "Access by code", "Call, to resident",
                           "=kind", "Open by radio transmitter"]) if i % 5 else (
            "Open by proximity fob" if fob else "Access by code")
        name, desc = rng.choice(TEXTS), rng.choice(TEXTS)
        credential = rng.choice([APASS, APASS, "12\x0034", "", "4000", "ü1"])
        desc = f"{desc} APass number : {credential} end"
        device = rng.choice([estate.panel.id, estate.panel.id, 9999, None])
        con.execute(
            "INSERT INTO events (at, site_id, kind, result, device_id, credential, name, "
            "reason, description) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?)",
            (at, estate.site.id, kind, rng.choice(["Opening", "-Denied", 'x"y']), device,
             credential, name, desc))
        plain += all(is_plain(x) for x in (name, desc, credential)) and credential.isascii()
    con.commit()
    con.close()
    return plain


async def _export(store, who, reads, lines: bool, out: Path) -> bytes:
    async with store.reader() as uow:
        viewer = await load_viewer(uow, who, "test", lambda: NOW)
    export = await event_export(reads, viewer, EventFilter(site_id=1), page=7)
    rows = await write_csv(export, out, lines=lines)
    assert rows == export.rows_done
    return out.read_bytes()


@pytest.mark.parametrize("profile", ["admin", "Technical maintenance"])
async def test_lines_are_the_row_path_s_bytes(store, estate, admin, hostile, tmp_path,
                                              profile):
    who = admin.operator.email
    if profile != "admin":  # without APass mgmnt: no column, numbers masked
        who = "eng@test.example"
        await make_operator(store, admin, who, estate.site.id, profile)
    reads = CountingReads(store)
    by_lines = await _export(store, who, reads, True, tmp_path / "lines.csv")
    by_rows = await _export(store, who, StoreReads(store), False, tmp_path / "rows.csv")
    assert by_lines == by_rows
    assert by_lines.count(b"\r\n") > 400
    assert len(reads.fallback) < 400 - hostile + 10  # the plain ones went by SQL
    assert (b"(hidden)" in by_lines) == (profile != "admin")


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kolkata",
                                  "Australia/Lord_Howe", "Pacific/Apia", "UTC"])
def test_offset_segments_are_zoneinfo_s_offsets_to_the_second(zone):
    tz = ZoneInfo(zone)
    start, end = datetime(2010, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    segments = offset_segments(tz, start, end)
    assert segments[0][0] == "2010-01-01 00:00:00"
    rng = random.Random(zone)
    moments = [start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
               for _ in range(2000)]
    for text, _ in segments[1:]:  # each change, and the seconds either side of it
        at = datetime.fromisoformat(text).replace(tzinfo=UTC)
        moments += [at - timedelta(seconds=1), at, at + timedelta(seconds=1)]
    for moment in moments:
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
        offset = [o for s, o in segments if s <= stamp][-1]
        assert timedelta(seconds=offset) == moment.astimezone(tz).utcoffset(), moment


def test_is_plain_only_where_cleaning_changes_nothing():
    chars = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000]
    chars += ["\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069", "\U0001F600"]
    for c in chars:
        for text in (c, f"a{c}", f"e{c}b"):
            if is_plain(text):
                assert safe_text(text) == text, repr(text)
    assert not is_plain("e\u0301") and unicodedata.normalize("NFC", "e\u0301") == "é"
    assert is_plain("Zoë, \"x\"") and not is_plain("a\x1b[31m") and not is_plain("a\tb")
