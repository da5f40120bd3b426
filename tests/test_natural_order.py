"""The natural sort key of names (core/natural_order.py): table-driven, on the key's own
order (plain string order, as SQLite sorts the stored column)."""

from __future__ import annotations

import unicodedata

import pytest

from core.natural_order import sort_key

pytestmark = pytest.mark.both_engines


@pytest.mark.parametrize(("first", "then"), [
    # digits: numbers by value, not character by character
    ("Task 2", "Task 10"),
    ("Task 9", "Task 10"),
    ("Task 10", "Task 100"),
    ("Task 99", "Task 100"),
    ("a2b", "a10"),
    ("Block 2 flat 9", "Block 2 flat 10"),
    ("Block 2 flat 10", "Block 10 flat 1"),
    ("1", "9"),
    ("0", "1"),
    # a number sorts before letters, as a digit does
    ("Task 2", "Task b"),
    ("Task", "Task 1"),
    # leading zeros: the value counts
    ("Task 007", "Task 8"),
    ("Bulk task 00009", "Bulk task 00010"),
    # case and accents do not reorder
    ("apple", "Banana"),
    ("Émile", "Fred"),
    ("emile 2", "Émile 10"),
    ("Zoë", "zz"),
    # punctuation and spaces stay where a plain sort puts them
    ("Task #2", "Task 1"),
    ("Common areas #2", "Common areas #10"),
    # empty first
    ("", "a"),
    ("", "0"),
])
def test_natural_order(first, then):
    assert sort_key(first) < sort_key(then)


@pytest.mark.parametrize(("one", "other"), [
    ("Task 7", "Task 007"),  # leading zeros
    ("Task 0", "Task 000"),
    ("smith john", "Smith JOHN"),  # case
    ("Émile", "Emile"),  # accents
    (unicodedata.normalize("NFD", "Zoë"), "Zoe"),  # however written
    ("Task  2", "Task 2"),  # a run of spaces is one space
    (" Task 2 ", "Task 2"),  # outer spaces
    ("Task\u00a02", "Task 2"),  # a no-break space
    ("Task\u200b2", "Task2"),  # an invisible character is dropped
    ("Straße", "STRASSE"),  # casefolded
    ("x²", "x2"),  # a superscript digit is a digit
    (None, ""),
])
def test_same_key(one, other):
    assert sort_key(one) == sort_key(other)


def test_a_list_sorted_by_the_key_reads_as_a_person_expects():
    names = ["Task 10", "task 1", "Task 2", "Émile", "Task 02b", "Task 2a", "Emma", ""]
    assert sorted(names, key=sort_key) == [
        "", "Émile", "Emma", "task 1", "Task 2", "Task 2a", "Task 02b", "Task 10"]


async def test_the_facilities_lists_page_in_natural_order(store, admin, estate):
    """Providers and tasks saved through the services come back a page at a time (two
    rows a page: the keyset crosses names of the same key) in natural order."""
    from core.model import ManagementCompany, ServiceProvider, Task, TaskDoor
    from core.services.facilities import save_company, save_provider, save_task
    from core.views.facilities_rows import ProviderFilter, TaskFilter
    from store.facilities_queries import provider_page, task_page

    company = await save_company(store.uow(), admin, ManagementCompany("Natural Co"))
    for name in ["Task 10", "task 9", "Task 007", "Task 7", "Émile 2", "Task 2"]:
        provider = await save_provider(store.uow(), admin, ServiceProvider(
            company.id, name, None, None), permanent=True)
        await save_task(store.uow(), admin, Task(
            name, company.id, provider.id, [estate.site.id], {estate.site.id: None},
            [TaskDoor(estate.door.id, by_apass=True)]))

    async def pages(read) -> list[str]:
        names: list[str] = []
        after = None
        while page := await read(after):
            names += [getattr(r, "name", None) or r.provider.name for r in page]
            after = page[-1].key
        return names

    expected = ["Émile 2", "Task 2", "Task 007", "Task 7", "task 9", "Task 10"]
    assert await pages(lambda after: provider_page(
        store, ProviderFilter(), None, after, 2)) == expected
    assert await pages(lambda after: task_page(
        store, TaskFilter(), [estate.site.id], after, 2)) == expected
