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

import itertools
import operator
from collections.abc import Mapping, Sequence
from typing import Any

from ..schema import Tab
from .cells import as_text
from .table import Table, even_columns, rearranged, trim_header

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


def overlay(kept: Table, header: Sequence[Any], columns: Mapping[int, list[Any]]) -> Table | None:
    """The tab as it is now: ``columns`` (index → the column's cells from row 2, as a ``majorDimension=COLUMNS``
    read returns them: trailing empty cells left out) laid over ``kept`` by key; None when a full read is
    needed (see the module's docstring).

    A row whose people's cells read as kept *is* the kept row (the same list): only rows people changed are
    copied, and the kept table's parsed cells and scanned columns move with their rows. The ``columns`` lists
    are padded and their repeated cells shared in place (``table.share_repeated``): they are the read's own."""
    if trim_header(list(header)) != kept.header or kept.tab.key is None:
        return None
    fresh = _padded(columns)  # the key column's too, raw
    key_index = kept.col[kept.tab.key]
    keys = [v.strip() if v.__class__ is str else as_text(v).strip() for v in fresh.get(key_index, [])]
    source = _sources(kept, keys, fresh)
    if source is None:
        return None
    changed = {c: _differing(rearranged(kept.column(kept.header[c]), source, ""), values)
               for c, values in fresh.items()}
    # The table indexes its rows' own key cells — the kept rows' strings — not the read's equal copies, which
    # are then freed (100,000 Ticket IDs: 6 MB).
    table = Table(kept.tab, list(kept.header), _rows(kept, source, fresh, changed), kept.tz,
                  sheet_id=kept.sheet_id)
    table.carry(kept, source, {kept.header[c]: at for c, at in changed.items() if at})
    return table


def _padded(columns: Mapping[int, list[Any]]) -> dict[int, list[Any]]:
    """The columns as lists of one height, padded and their repeated cells shared in place
    (``table.even_columns``): the rows people changed take the shared cells, the rest are freed at once."""
    even_columns(columns.values())
    return dict(columns)


def _differing(then: Sequence[Any], now: Sequence[Any]) -> list[int]:
    """The indexes where two equally long columns differ (compared in C)."""
    return list(itertools.compress(range(len(now)), map(operator.ne, then, now)))


def _rows(kept: Table, source: list[int], fresh: Mapping[int, list[Any]],
          changed: Mapping[int, list[int]]) -> list[list[Any]]:
    """The rows now: the kept row itself where people changed nothing in it, else a copy with their cells."""
    rows = [kept.rows[j] if j >= 0 else [] for j in source]
    copied: set[int] = set()
    for c, at in changed.items():
        for i in at:
            if i not in copied:
                copied.add(i)
                rows[i] = list(rows[i])
            _place(rows[i], c, fresh[c][i])
    for i in copied:
        row = rows[i]
        while row and row[-1] == "":
            row.pop()  # as a read returns a row: without trailing empty cells
    return rows


def _sources(kept: Table, keys: list[str], fresh: Mapping[int, list[Any]]) -> list[int] | None:
    """Per row now, the kept row it is (its index), or -1 for an empty row without a key; None when some row
    cannot be vouched for (``_base``)."""
    numbers = list(map(kept.key_rows.get, keys))
    if None not in numbers and len(set(keys)) == len(keys):
        return [n - 2 for n in numbers]  # every row has a key the tool left there, once: the usual case
    present = set(keys)
    seen: set[str] = set()
    source: list[int] = []
    for i, key in enumerate(keys):
        typed_in = not key and any(values[i] != "" for values in fresh.values())
        base = _base(kept, key, i, typed_in, present, seen)
        if base is None:
            return None
        source.append(base)
    return source


def _base(kept: Table, key: str, index: int, typed_in: bool, keys: set[str], seen: set[str]) -> int | None:
    """The kept row (its index) that row ``index`` (0 = row 2) is: the one with this key. A row without a key
    is empty (-1) — but is read in full (None) when people typed in it, or when the kept table had there a row
    without a key, or one whose key is now nowhere (its key deleted, or the row deleted and a blank one
    inserted?): only a full read can say what such a row holds."""
    if key:
        number = kept.key_rows.get(key)
        if number is None or key in seen:
            return None
        seen.add(key)
        return number - 2
    if typed_in:
        return None
    old = kept.rows[index] if index < len(kept.rows) else []
    if not any(v != "" for v in old):
        return -1
    k = kept.col[kept.tab.key or ""]
    old_key = as_text(old[k]).strip() if k < len(old) else ""
    return -1 if old_key and old_key in keys else None


def _place(row: list[Any], index: int, value: Any) -> None:
    if index >= len(row):
        if value == "":
            return
        row.extend([""] * (index + 1 - len(row)))
    row[index] = value
