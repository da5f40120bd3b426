"""The rows of the set-up screens: access profiles with what uses them, the doors a
profile can open."""

from __future__ import annotations

from dataclasses import dataclass

from core.model import AccessProfile


@dataclass(frozen=True)
class DoorChoice:
    """A door of the site as a profile lists it: "PP4G : IP MiniPro · Main entrance"."""

    id: int
    device_id: int
    device: str
    name: str
    relay: int

    @property
    def label(self) -> str:
        return f"{self.device} · {self.name}"


@dataclass(frozen=True)
class ProfileRow:
    """An access profile with its week type's name and how many use it."""

    profile: AccessProfile
    week_type: str  # "" = always
    blocks: tuple[str, ...]  # the blocks whose default it is
    displays: int
    passes: int

    @property
    def id(self) -> int | None:
        return self.profile.id

    @property
    def uses(self) -> int:
        return len(self.blocks) + self.displays + self.passes
