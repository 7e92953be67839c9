"""A re-read of what people can have changed, laid over the sheet as the tool last left it — pure, no I/O.

When the Drive version says someone else wrote since the last cycle, and ``_state`` says no other runner did,
the only cells that can have changed are those people type in — the columns the schema gives them (``human``
and ``shared``) — plus the rows they sorted, inserted or deleted. So a large tab is re-read narrow: its header
row, its key column and the people's columns (``values:batchGet``, the same one request), and every other cell
of a row is the tool's own, taken from the kept table by the row's key.

Anything the kept table cannot vouch for means a full read instead (``None``): the header moved, a key the
tool did not leave there (a pasted or typed row, another runner's), a key on two rows, or a row without a key
that holds anything. A person who types into a tool-owned cell (those columns are protected with a warning)
is seen at the next full read, which ``schedule.full_read_minutes`` bounds. That full read is laid over the
kept table the same way, with every column of the header asked for (``every_column``): each compared with the
kept one as it is parsed, so a 100,000-row Tracker is not held twice while it is read.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from typing import Any

from ..schema import Tab
from .cells import as_text
from .table import Table, rearranged, trim_header

__all__ = ["MIN_ROWS", "narrow_columns", "overlay"]

# Below this many rows a full read is as cheap as a narrow one, and simpler.
MIN_ROWS = 500


def narrow_columns(table: Table, min_rows: int = MIN_ROWS, every_column: bool = False) -> list[int] | None:
    """The column indexes a narrow re-read of ``table`` asks for (key first, then the people's columns — or,
    ``every_column``, every other column of the header), or None when this tab is read whole (under
    ``min_rows`` rows, no key, or nothing of it is the tool's alone)."""
    spec: Tab = table.tab
    if not spec.key or spec.key not in table.col or len(table.rows) < min_rows or not table.writable:
        return None
    if every_column:
        key = table.col[spec.key]
        return [key, *(i for i in range(len(table.header)) if i != key)]
    people = [table.col[c.header] for c in spec.columns if c.owner != "job" and c.header in table.col]
    if len(people) + 1 >= len(table.col):
        return None
    return [table.col[spec.key], *people]


def overlay(kept: Table, header: Sequence[Any], columns: Iterable[tuple[int, list[Any]]]) -> Table | None:
    """The tab as it is now: ``columns`` — (index, the column's cells from row 2, as a ``majorDimension=COLUMNS``
    read returns them: trailing empty cells left out), the key column first, then the people's — laid over
    ``kept`` by key; None when a full read is needed (see the module's docstring).

    The columns may come one at a time as the read is parsed (``store``'s streamed answer): each is compared
    with the kept one as it comes and only the cells people changed are held, so a 100,000-row tab's million
    narrow cells never sit in memory together. The new table takes the kept table's columns over (in place when
    no row moved) with the changed cells set; its times and the jobs' per-row results move with their rows."""
    if trim_header(list(header)) != kept.header or kept.tab.key is None:
        return None
    pairs = iter(columns)
    rows = _rows_by_key(kept, next(pairs, (kept.col[kept.tab.key], [])))
    if rows is None:
        return None
    source, keyless, typed_in, present = rows
    changed: dict[int, dict[int, Any]] = {}
    for c, values in pairs:
        if len(values) > len(source):
            return None  # a cell below the last key: typed into a row without one
        values.extend([""] * (len(source) - len(values)))  # not shared: only its changed cells are kept
        typed_in.update(i for i in keyless if values[i] != "")
        then = kept.column(kept.header[c])
        at = _differing(then if isinstance(source, range) else rearranged(then, source, ""), values)
        changed[c] = {i: values[i] for i in at}
        del values  # before the next column is parsed
    if keyless and not _keyless_are_empty(kept, present, keyless, typed_in):
        return None
    # Nobody moved a row (the usual case): the kept key index is this table's too — not built again beside it.
    same_rows = isinstance(source, range) and len(source) == len(kept.rows) == len(kept.key_rows)
    return kept.moved(source, changed, known_keys=kept.key_rows if same_rows else None)


def _rows_by_key(kept: Table, key_column: tuple[int, list[Any]]
                 ) -> tuple[Sequence[int], list[int], set[int], set[str]] | None:
    """From the key column read now: per row the kept row it is (``_sources_by_key``), the rows without a key,
    those of them people typed a key-column cell into, and the keys present (only when some row has none); None
    when a key cannot be vouched for. The read's copies of the keys are let go here, before the next column is
    parsed (the table indexes its rows' own key cells): at 100,000 rows they are 6 MB."""
    index, raw_keys = key_column
    if index != kept.col[kept.tab.key or ""]:
        raise ValueError("overlay: the key column comes first")
    keys = [v.strip() if v.__class__ is str else as_text(v).strip() for v in raw_keys]
    keyless = [i for i, key in enumerate(keys) if not key]
    typed_in = {i for i in keyless if raw_keys[i] != ""}  # rows without a key in which people typed something
    source = _sources_by_key(kept, keys)
    if source is None:
        return None
    return source, keyless, typed_in, set(keys) if keyless else set()


def _differing(then: Sequence[Any], now: Sequence[Any]) -> list[int]:
    """The indexes where two equally long columns differ (compared in C)."""
    return list(itertools.compress(range(len(now)), map(operator.ne, then, now)))


def _sources_by_key(kept: Table, keys: list[str]) -> Sequence[int] | None:
    """Per row now, the kept row with its key (its index), or -1 for a row without a key (``_keyless_are_empty``
    then vouches for it); None when a key is not one the tool left there, or is on two rows. A ``range`` when
    every row is where it was (the usual case: nobody sorted, inserted or deleted a row above the last)."""
    numbers = list(map(kept.key_rows.get, keys))
    if None not in numbers and _in_order(numbers, 2):
        return range(len(numbers))
    if None not in numbers and len(set(keys)) == len(keys):
        return [n - 2 for n in numbers]  # every row has a key the tool left there, once
    seen: set[str] = set()
    source: list[int] = []
    for key, number in zip(keys, numbers, strict=True):
        if not key:
            source.append(-1)
            continue
        if number is None or key in seen:
            return None
        seen.add(key)
        source.append(number - 2)
    return source


def _in_order(numbers: list[int], first: int) -> bool:
    """Whether ``numbers`` count up from ``first`` (nobody sorted, inserted or deleted rows): then the keys they
    came from are distinct (compared in C)."""
    return all(map(operator.eq, numbers, itertools.count(first)))


def _keyless_are_empty(kept: Table, present: set[str], keyless: list[int], typed_in: set[int]) -> bool:
    """Whether the rows without a key (0-based) are empty rows: False — read in full — when people typed in
    one, or when the kept table had there a row without a key, or one whose key is now nowhere (its key deleted,
    or the row deleted and a blank one inserted?): only a full read can say what such a row holds."""
    k = kept.col[kept.tab.key or ""]
    for i in keyless:
        if i in typed_in:
            return False
        old = kept.rows[i] if i < len(kept.rows) else []
        if not any(v != "" for v in old):
            continue
        old_key = as_text(old[k]).strip() if k < len(old) else ""
        if not (old_key and old_key in present):
            return False
    return True
