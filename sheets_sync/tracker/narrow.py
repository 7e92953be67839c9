"""A re-read of what people can have changed, laid over the sheet as the tool last left it — pure, no I/O.

When the Drive version says someone else wrote since the last cycle, and ``_state`` says no other runner did,
the only cells that can have changed are those people type in — the columns the schema gives them (``human``
and ``shared``) — plus the rows they sorted, inserted or deleted. So a large tab is re-read narrow: its header
row, its key column and the people's columns (``values:batchGet``, the same one request), and every other cell
of a row is the tool's own, taken from the kept table by the row's key.

Anything the kept table cannot vouch for means a full read instead (``None``): the header moved, a key the
tool did not leave there (a pasted or typed row, another runner's), a key on two rows, or a row without a key
that holds anything. A person who types into a tool-owned cell (those columns are protected with a warning)
is seen at the next full read, which ``schedule.full_read_minutes`` bounds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..schema import Tab
from .cells import as_text
from .table import Table, trim_header

__all__ = ["MIN_ROWS", "narrow_columns", "overlay"]

# Below this many rows a full read is as cheap as a narrow one, and simpler.
MIN_ROWS = 500


def narrow_columns(table: Table, min_rows: int = MIN_ROWS) -> list[int] | None:
    """The column indexes a narrow re-read of ``table`` asks for (key first, then the people's columns), or
    None when this tab is read whole (under ``min_rows`` rows, no key, or nothing of it is the tool's alone)."""
    spec: Tab = table.tab
    if not spec.key or spec.key not in table.col or len(table.rows) < min_rows or not table.writable:
        return None
    people = [table.col[c.header] for c in spec.columns if c.owner != "job" and c.header in table.col]
    if len(people) + 1 >= len(table.col):
        return None
    return [table.col[spec.key], *people]


def overlay(kept: Table, header: Sequence[Any], columns: Mapping[int, Sequence[Sequence[Any]]]) -> Table | None:
    """The tab as it is now: ``columns`` (index → the column's rows from row 2, as a values read returns them)
    laid over ``kept`` by key; None when a full read is needed (see the module's docstring)."""
    if trim_header(list(header)) != kept.header or kept.tab.key is None:
        return None
    key_index = kept.col[kept.tab.key]
    keys = [as_text(row[0]).strip() if row else "" for row in columns.get(key_index, [])]
    people = {i: [row[0] if row else "" for row in rows] for i, rows in columns.items()}  # the key's too, raw
    height = max([len(keys), *(len(v) for v in people.values())])
    keys += [""] * (height - len(keys))
    cols = [(i, v + [""] * (height - len(v))) for i, v in people.items()]
    width = max(people, default=-1) + 1
    rows: list[list[Any]] = []
    seen: set[str] = set()
    present = set(keys)
    for i, key in enumerate(keys):
        base = _base(kept, key, i, any(v[i] != "" for _, v in cols) if not key else False, present, seen)
        if base is None:
            return None
        row = list(base)
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        for c, values in cols:
            row[c] = values[i]
        while row and row[-1] == "":
            row.pop()  # as a read returns a row: without trailing empty cells
        rows.append(row)
    return Table(kept.tab, list(kept.header), rows, kept.tz, sheet_id=kept.sheet_id)


def _base(kept: Table, key: str, index: int, typed_in: bool, keys: set[str], seen: set[str]) -> Sequence[Any] | None:
    """The tool's cells of row ``index`` (0 = row 2): the kept row with this key. A row without a key has
    none — but is read in full (None) when people typed in it, or when the kept table had there a row without
    a key, or one whose key is now nowhere (its key deleted, or the row deleted and a blank one inserted?):
    only a full read can say what such a row holds."""
    if key:
        number = kept.key_rows.get(key)
        if number is None or key in seen:
            return None
        seen.add(key)
        return kept.rows[number - 2]
    if typed_in:
        return None
    old = kept.rows[index] if index < len(kept.rows) else []
    if not any(v != "" for v in old):
        return ()
    k = kept.col[kept.tab.key or ""]
    old_key = as_text(old[k]).strip() if k < len(old) else ""
    return () if old_key and old_key in keys else None


def _place(row: list[Any], index: int, value: Any) -> None:
    if index >= len(row):
        if value == "":
            return
        row.extend([""] * (index + 1 - len(row)))
    row[index] = value
