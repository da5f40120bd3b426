"""An import plan in words, one line per flat, for the CLI and the preview screen alike:
"+" a flat to add, "~" one to change (each field: before → after), "!" a refused line
with the rule's message, "-" a flat to remove. Every text from the file or the store goes
through the plain-text cleaning."""

from __future__ import annotations

from core.services.flat_import import FieldChange, ImportPlan, PlannedFlat
from core.text import safe_text

ADD, CHANGE, REFUSED, REMOVE = "+", "~", "!", "-"


def _changes(changes: tuple[FieldChange, ...], *, new: bool) -> str:
    if new:
        return "; ".join(f"{c.column}: {c.after}" for c in changes)
    return "; ".join(f"{c.column}: {c.before or '(none)'} → {c.after or '(none)'}"
                     for c in changes)


def _flat(p: PlannedFlat) -> str:
    where = f"line {p.line}: " if p.line else ""
    return f"{where}Flat N° {p.number} {p.name!r}"


def summary(plan: ImportPlan) -> str:
    """The counts, in one line."""
    c = plan.counts
    removed = (f"{c['removed']:,} to remove" if plan.remove_missing
               else "none removed (not asked)")
    return (f"{c['added']:,} to add, {c['changed']:,} to change, {c['unchanged']:,} "
            f"unchanged, {c['refused']:,} refused, {removed}")


def plan_lines(plan: ImportPlan) -> list[tuple[str, str]]:
    """(mark, text) for each flat the plan adds, changes, refuses or removes, in the
    file's order (removals last)."""
    found: list[tuple[int, str, str]] = []
    for p in plan.add:
        found.append((p.line, ADD, f"{_flat(p)}  {_changes(p.changes, new=True)}"))
    for p in plan.change:
        found.append((p.line, CHANGE, f"{_flat(p)}  {_changes(p.changes, new=False)}"))
    for r in plan.refused:
        where = f"line {r.line}" if r.line else ("not in the file" if r.number
                                                  else "the file")
        number = f", Flat N° {r.number}" if r.number else ""
        found.append((r.line or 10**9, REFUSED, f"{where}{number}: {r.message}"))
    for p in plan.remove:
        found.append((10**9, REMOVE, _flat(p)))
    found.sort(key=lambda f: f[0])
    return [(mark, safe_text(text)) for _, mark, text in found]
