"""The keyset pager PagedTable and LogTable share: pages follow the last key held, a short
page ends the list, and a page that comes back after a newer load is dropped."""

from __future__ import annotations

import asyncio

from console.widgets.pager import Pager

NUMBERS = list(range(1000, 0, -1))  # newest first, keyed by the number itself


def pager(**kwargs) -> tuple[Pager[int], list]:
    asked = []

    async def fetch(after, limit):
        asked.append((after, limit))
        rows = [n for n in NUMBERS if after is None or n < after]
        return rows[:limit]

    return Pager(fetch, lambda n: n, **kwargs), asked


async def test_pages_follow_the_last_key_held_until_a_short_page():
    p, asked = pager(page_size=400, first_page=50)
    assert await p.load() == NUMBERS[:50] and p.rows == NUMBERS[:50]
    assert p.can_load_more and not p.exhausted
    assert await p.more() == NUMBERS[50:450]
    assert await p.more() == NUMBERS[450:850]
    assert await p.more() == NUMBERS[850:]  # short: nothing after it
    assert p.exhausted and not p.can_load_more
    assert await p.more() is None
    assert asked == [(None, 50), (951, 400), (551, 400), (151, 400)]
    assert p.rows == NUMBERS


async def test_a_reload_keeps_as_many_rows_as_were_held():
    p, asked = pager(page_size=100, first_page=30)
    await p.load()
    await p.more()
    assert await p.load(keep=True) == NUMBERS[:130]
    assert await p.load() == NUMBERS[:30]
    assert asked[-2:] == [(None, 130), (None, 30)]


async def test_a_page_that_comes_after_a_newer_load_is_dropped():
    gate = asyncio.Event()
    p, _ = pager(page_size=10, first_page=10)
    await p.load()
    slow = p.fetch

    async def held_back(after, limit):
        await gate.wait()
        return await slow(after, limit)

    p.fetch = held_back
    coming = asyncio.ensure_future(p.more())
    await asyncio.sleep(0)
    assert not p.can_load_more and await p.more() is None  # one page at a time
    p.fetch = slow
    assert await p.load() == NUMBERS[:10]
    gate.set()
    assert await coming is None and p.rows == NUMBERS[:10]


async def test_a_live_tail_keeps_the_newest_and_lets_the_rest_page_back_in():
    p, _ = pager(page_size=10, first_page=10)
    p.fetch = lambda after, limit: _rows(NUMBERS[-5:] if after is None else [])
    await p.load()
    assert p.exhausted  # five rows: all there is
    p.prepend([2000, 1999], keep=6)
    assert p.rows == [2000, 1999, *NUMBERS[-5:-1]] and not p.exhausted


async def _rows(rows):
    return rows


async def test_the_rest_comes_in_a_few_large_pages_and_keeps_the_page_size():
    p, asked = pager(page_size=100, first_page=50)
    await p.load()
    assert await p.rest(page=400) == NUMBERS[50:]
    assert asked == [(None, 50), (951, 400), (551, 400), (151, 400)]
    assert p.exhausted and p.page_size == 100 and p.rows == NUMBERS
    assert await p.rest() == []  # nothing left


async def test_the_rest_stops_at_the_most_rows_a_list_holds():
    p, _ = pager(page_size=100, first_page=50)
    await p.load()
    await p.rest(page=300, most=400)
    assert len(p.rows) == 650 and not p.exhausted  # 50 + 300 + 300: past 400, it stopped


async def test_home_and_end_go_to_the_true_first_and_last_rows():
    from textual.app import App

    from console.widgets.paged_table import PagedTable

    numbers = list(range(1, 1235))

    async def fetch(after, limit):
        return [n for n in numbers if after is None or n > after][:limit]

    class Lists(App):
        def compose(self):
            yield PagedTable(["N°"], fetch=fetch, cells=lambda n: [str(n)], key=lambda n: n,
                             page_size=100, first_page=50)

    app = Lists()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(PagedTable)
        await table.load()
        table.focus()
        await pilot.press("end")  # one press: the last of 1,234, not the next page
        await pilot.pause()
        assert (table.row_count, table.cursor_row, table.current) == (1234, 1233, 1234)
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("ctrl+end")
        assert table.current == 1234
