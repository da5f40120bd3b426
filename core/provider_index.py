"""The service providers and tasks part of the access snapshot, kept up to date one
provider or task at a time.

Providers and tasks span sites, so they are indexed beside the per-site indexes:
each provider's credentials (APass and radio numbers, mobile, codes) and, per
provider, the doors their tasks open (`ProviderGrant`). A change to one task or
provider re-indexes only that provider's part: on a book of thousands of tasks the
gateway honours a change in milliseconds, not in a full reload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from core.model import ServiceProvider, Task, id_of

#: which relay each of a provider's codes opens (the key-safe code opens a key safe)
PROVIDER_CODE_RELAYS = {"code_door": 1, "code_relay_1": 2, "code_relay_2": 3}


@dataclass(frozen=True)
class ProviderGrant:
    """A door a provider's task opens, how, and when."""

    by_code: bool
    by_apass: bool
    by_radio: bool
    by_telephone: bool
    week_type_id: int | None


class ProviderBook:
    """Providers' credentials and the doors their tasks open (a part of AccessSnapshot)."""

    door_site: dict[int, int]  # door -> site, kept by the snapshot's site indexes

    def __init__(self) -> None:
        self.providers: dict[int, ServiceProvider] = {}
        self.provider_by_number: dict[str, int] = {}
        self.provider_by_mobile: dict[str, int] = {}
        # code -> (provider id, relay, or a key safe's door)
        self.provider_codes: dict[str, list[tuple[int, int | Literal["key safe"]]]] = {}
        self.provider_doors: dict[int, dict[int, ProviderGrant]] = {}
        self._tasks: dict[int, Task] = {}
        self._tasks_of: dict[int, set[int]] = {}  # provider -> task ids
        self._site_doors: dict[int, frozenset[int]] = {}  # site -> its doors when indexed

    def load_facilities(self, providers: Iterable[ServiceProvider], tasks: Iterable[Task]
                        ) -> None:
        """(Re)load every service provider and task."""
        self.providers, self.provider_by_number, self.provider_by_mobile = {}, {}, {}
        self.provider_codes, self._tasks, self._tasks_of = {}, {}, {}
        for p in providers:
            self.put_provider(p)
        for task in tasks:
            self._tasks[id_of(task)] = task
            self._tasks_of.setdefault(task.provider_id, set()).add(id_of(task))
        self.provider_doors = {}
        for provider_id in self._tasks_of:
            self._index_provider(provider_id)

    # --- one provider ----------------------------------------------------------------
    def put_provider(self, p: ServiceProvider) -> None:
        """Add or replace one provider's credentials (their tasks' doors stay)."""
        provider_id = id_of(p)
        self._forget_credentials(provider_id)
        self.providers[provider_id] = p
        for number in (p.apass_number, p.radio_number):
            if number:
                self.provider_by_number[number] = provider_id
        if p.mobile:
            self.provider_by_mobile[p.mobile] = provider_id
        for code, relay in _codes(p):
            self.provider_codes.setdefault(code, []).append((provider_id, relay))

    def drop_provider(self, provider_id: int) -> None:
        """Forget a deleted provider: their credentials open nothing any more."""
        self._forget_credentials(provider_id)
        self.providers.pop(provider_id, None)
        for task_id in self._tasks_of.pop(provider_id, set()):
            self._tasks.pop(task_id, None)
        self.provider_doors.pop(provider_id, None)

    def _forget_credentials(self, provider_id: int) -> None:
        old = self.providers.get(provider_id)
        if old is None:
            return
        for number in (old.apass_number, old.radio_number):
            if number and self.provider_by_number.get(number) == provider_id:
                del self.provider_by_number[number]
        if old.mobile and self.provider_by_mobile.get(old.mobile) == provider_id:
            del self.provider_by_mobile[old.mobile]
        for code, _ in _codes(old):
            left = [e for e in self.provider_codes.get(code, []) if e[0] != provider_id]
            if left:
                self.provider_codes[code] = left
            else:
                self.provider_codes.pop(code, None)

    # --- one task ----------------------------------------------------------------------
    def put_task(self, task: Task) -> None:
        """Add or replace one task; its provider's doors are indexed again."""
        task_id = id_of(task)
        old = self._tasks.get(task_id)
        self._tasks[task_id] = task
        self._tasks_of.setdefault(task.provider_id, set()).add(task_id)
        if old is not None and old.provider_id != task.provider_id:
            self._tasks_of.get(old.provider_id, set()).discard(task_id)
            self._index_provider(old.provider_id)
        self._index_provider(task.provider_id)

    def drop_task(self, task_id: int) -> None:
        """Withdraw a deleted task's access."""
        old = self._tasks.pop(task_id, None)
        if old is not None:
            self._tasks_of.get(old.provider_id, set()).discard(task_id)
            self._index_provider(old.provider_id)

    def index_site_tasks(self, site_id: int) -> None:
        """After a site's reload: re-index the providers whose tasks name a door that came,
        went or moved (a grant depends on its door's site). Most reloads change no door
        (a flat, a week type, a pass), and re-indexing every provider with a task there
        held the event loop half a second on a book of 20,000 tasks."""
        doors = frozenset(d for d, s in self.door_site.items() if s == site_id)
        changed = doors ^ self._site_doors.get(site_id, frozenset())
        self._site_doors[site_id] = doors
        if not changed or not self._tasks:
            return
        for provider_id in {t.provider_id for t in self._tasks.values()
                            if any(td.door_id in changed for td in t.doors)}:
            self._index_provider(provider_id)

    def _index_provider(self, provider_id: int) -> None:
        """The doors a provider's tasks open, merged over the tasks (the ways any of them
        allows; the week type of the last task, by id, that names the door)."""
        merged: dict[int, tuple[bool, bool, bool, bool, int | None]] = {}
        for task_id in sorted(self._tasks_of.get(provider_id, ())):
            task = self._tasks[task_id]
            for td in task.doors:
                site_id = self.door_site.get(td.door_id)
                wt = task.week_type_ids.get(site_id) if site_id is not None else None
                old = merged.get(td.door_id)
                if old is None:
                    merged[td.door_id] = (td.by_code, td.by_apass, td.by_radio,
                                          td.by_telephone, wt)
                else:
                    merged[td.door_id] = (old[0] or td.by_code, old[1] or td.by_apass,
                                          old[2] or td.by_radio, old[3] or td.by_telephone,
                                          wt)
        if merged:
            self.provider_doors[provider_id] = {door: _grant(*ways)
                                                for door, ways in merged.items()}
        else:
            self.provider_doors.pop(provider_id, None)


@cache
def _grant(by_code: bool, by_apass: bool, by_radio: bool, by_telephone: bool,
           week_type_id: int | None) -> ProviderGrant:
    """One shared grant per distinct value: a book of 20,000 tasks holds some 150,000
    provider doors but only a few dozen different grants."""
    return ProviderGrant(by_code, by_apass, by_radio, by_telephone, week_type_id)


def _codes(p: ServiceProvider) -> list[tuple[str, int | Literal["key safe"]]]:
    """A provider's codes with what each opens."""
    out: list[tuple[str, int | Literal["key safe"]]] = []
    relays: Mapping[str, int] = PROVIDER_CODE_RELAYS
    for attr, relay in relays.items():
        code = getattr(p, attr)
        if code:
            out.append((code, relay))
    if p.code_key_safe:
        out.append((p.code_key_safe, "key safe"))
    return out
