"""The objects an audit entry refers to by id, named as the guide names them: a Block by
its name, a flat as "Flat N° 012 (Block A)", an APass by its number, a user by their
email, a site, an access profile, a week type, a device, a door, a company, a provider.

The ids of a page of entries are resolved in one read per kind (the store's
`audit_names`). A name is shown only for an object of a site where the reader consults
Events (the trail's own right) or of no site; an object of another site reads "#id", and
one removed since "#id (removed)".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.rights import Area
from core.views.viewer import Viewer

#: the fields of the images that hold another object's id (or ids), and its kind
REFERENCES: dict[str, str] = {
    "site_id": "site", "site_ids": "site", "block_id": "block", "flat_id": "flat",
    "access_pass_id": "access_pass", "access_profile_id": "access_profile",
    "default_access_profile_id": "access_profile", "week_type_id": "week_type",
    "auto_open_week_type_id": "week_type", "week_type_ids": "week_type",
    "device_id": "device", "parent_id": "device", "door_id": "door", "door_ids": "door",
    "operator_id": "operator", "company_id": "company", "provider_id": "provider",
}
#: entries whose own id is of another kind than their entity (a batch of flats is
#: audited with its block's id)
ENTRY_KINDS: dict[str, str] = {"flat.create_batch": "block"}
#: what a flat's telephones, displays and passes are shown with: the flat
FLAT_THINGS = frozenset({"telephone", "panel_display", "access_pass"})

Found = dict[str, dict[int, tuple[str, int | None]]]


def _ids(value: Any) -> Iterable[int]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _ids(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _ids(v)


def wanted(entries: Iterable[dict[str, Any]]) -> dict[str, set[int]]:
    """The ids a page of stored entries refers to, by kind."""
    found: dict[str, set[int]] = {}
    for entry in entries:
        kind = ENTRY_KINDS.get(entry["action"])
        if kind is not None and entry["entity_id"] is not None:
            found.setdefault(kind, set()).add(entry["entity_id"])
        for image in (entry["before"], entry["after"]):
            if isinstance(image, dict):
                for key, value in image.items():
                    if key in REFERENCES:
                        found.setdefault(REFERENCES[key], set()).update(_ids(value))
    return found


class Names:
    """Names for the ids of a page, as this reader may read them."""

    def __init__(self, viewer: Viewer, found: Found) -> None:
        self.viewer = viewer
        self.found = found

    def of(self, kind: str, id_: int) -> str:
        """One object's name ("#id (removed)", "#id" on a site the reader does not see)."""
        hit = self.found.get(kind, {}).get(id_)
        if hit is None:
            return f"#{id_} (removed)"
        name, site_id = hit
        if site_id is not None and not self.viewer.may(site_id, Area.EVENTS):
            return f"#{id_}"
        return name

    def value(self, field: str, value: Any) -> Any:
        """A field's value with the ids it holds named (others as they are); a dict of
        site ids to ids (a task's week types per site) as "site: name"."""
        kind = REFERENCES.get(field)
        if kind is None or value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return self.of(kind, value)
        if isinstance(value, list):
            return [self.of(kind, v) if isinstance(v, int) and not isinstance(v, bool) else v
                    for v in value]
        if isinstance(value, dict):
            return {(self.of("site", int(k)) if str(k).isdigit() else k):
                    self.of(kind, v) if isinstance(v, int) else v for k, v in value.items()}
        return value

    def context(self, entity: str, action: str, entity_id: int | None,
                image: dict[str, Any] | None) -> str:
        """What names the entry's object beyond its own name: the flat of a telephone,
        a display or a pass, the block of a flat, the user and site of a grant."""
        img = image or {}
        if ENTRY_KINDS.get(action) and entity_id is not None:
            return self.of(ENTRY_KINDS[action], entity_id)
        if entity in FLAT_THINGS and isinstance(img.get("flat_id"), int):
            return self.of("flat", img["flat_id"])
        if entity in ("flat", "access_pass") and isinstance(img.get("block_id"), int):
            return self.of("block", img["block_id"])
        parts = [self.of(kind, img[key]) for key, kind in (
            ("operator_id", "operator"), ("company_id", "company"), ("site_id", "site"))
            if isinstance(img.get(key), int) and entity in ("grant", "company_access",
                                                           "operator_key")]
        return " on ".join(parts)
