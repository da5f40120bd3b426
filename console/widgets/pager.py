"""Keyset paging, shared by the lists that page from the store (PagedTable, LogTable).

A Pager holds the rows a list has been given and knows how to get more: an async
`fetch(after, limit)` that pages by keyset (`after` is the key of the last row held, None
for the first page), so a deep page costs what the first does and a list of millions opens
at once (as toolong opens huge logs). The list asks for the first page on `load()`, for
the next one when its cursor comes within PREFETCH rows of the last row held, and draws
the rows it is handed; a page that arrives after a newer load began is dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

R = TypeVar("R")
Fetch = Callable[[Any, int], Awaitable[list[R]]]

#: the next page loads when the cursor comes this close to the last row held
PREFETCH = 25
#: End reads what is left in pages this large, and holds at most REST_MOST rows
REST_PAGE = 5_000
REST_MOST = 200_000


class Pager(Generic[R]):
    """The rows held, the keyset to go on from, and whether the store has more."""

    def __init__(self, fetch: Fetch[R], key: Callable[[R], Any], *, page_size: int = 100,
                 first_page: int = 50) -> None:
        self.fetch = fetch
        self.key = key
        self.page_size = page_size
        #: the first page is about a screenful: it is what the operator waits for
        self.first_page = min(first_page, page_size)
        self.rows: list[R] = []
        #: True once a page came back short: the store has no more rows
        self.exhausted = False
        self._loading = False
        self._generation = 0

    @property
    def can_load_more(self) -> bool:
        """Whether asking for the next page now could bring rows."""
        return bool(self.rows) and not self.exhausted and not self._loading

    async def load(self, keep: bool = False) -> list[R] | None:
        """Hold the first page (with `keep`, at least as many rows as are held) and return
        it; None when a newer load began meanwhile (nothing changed)."""
        self._generation += 1
        generation = self._generation
        want = max(self.first_page, len(self.rows)) if keep else self.first_page
        rows = await self.fetch(None, want)
        if generation != self._generation:
            return None
        self.rows = list(rows)
        self.exhausted = len(rows) < want
        return rows

    async def more(self, size: int | None = None) -> list[R] | None:
        """Add the page (of `size` rows, else `page_size`) after the last row held and
        return it; None when there is none, one is already coming, or a newer load began
        meanwhile."""
        if self.exhausted or self._loading:
            return None
        size = size or self.page_size
        self._loading = True
        generation = self._generation
        try:
            after = self.key(self.rows[-1]) if self.rows else None
            rows = await self.fetch(after, size)
        finally:
            self._loading = False
        if generation != self._generation:
            return None
        self.rows.extend(rows)
        self.exhausted = len(rows) < size
        return rows

    async def rest(self, page: int = REST_PAGE, most: int = REST_MOST) -> list[R] | None:
        """Add every row after those held, in pages of `page`, up to `most` rows held (End:
        the true last row, in one or a few keyset reads, not a page per key press); the
        rows added, or None when another page or a newer load was under way."""
        if self._loading:
            return None
        added: list[R] = []
        while not self.exhausted and len(self.rows) < most:
            rows = await self.more(page)
            if rows is None:
                return added or None
            added += rows
        return added

    def prepend(self, rows: list[R], keep: int) -> None:
        """Put rows above those held (a live tail) and keep the first `keep`; what falls
        off the bottom is the store's to page back in."""
        if len(rows) + len(self.rows) > keep:
            self.exhausted = False
        self.rows = (rows + self.rows)[:keep]


class PagedRows(Generic[R]):
    """What a list that pages through a Pager shows its callers (a mixin for widgets)."""

    pager: Pager[R]
    cursor_row: int

    @property
    def rows_held(self) -> list[R]:
        """The rows loaded so far, top to bottom."""
        return self.pager.rows

    @property
    def current(self) -> R | None:
        """The row under the cursor."""
        if 0 <= self.cursor_row < len(self.pager.rows):
            return self.pager.rows[self.cursor_row]
        return None

    @property
    def exhausted(self) -> bool:
        return self.pager.exhausted

    @property
    def page_size(self) -> int:
        return self.pager.page_size

    @property
    def first_page(self) -> int:
        return self.pager.first_page

    @property
    def fetch(self) -> Fetch[R]:
        return self.pager.fetch

    @fetch.setter
    def fetch(self, fetch: Fetch[R]) -> None:
        self.pager.fetch = fetch
