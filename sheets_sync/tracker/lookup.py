"""Where rows are now: one small read of a tab's key column, after the cycle's write (links to new rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .cells import as_text
from .table import Table, column_letter, quote_title

if TYPE_CHECKING:
    from .store import TrackerStore


def rows_of(store: TrackerStore, table: Table, keys: Iterable[str]) -> dict[str, int]:
    """Key → its 1-based sheet row now, for the given keys found exactly once in the tab's key column."""
    wanted = set(keys)
    letter = column_letter(table.col[table.tab.key or ""])
    body = store.http.values_get(store.spreadsheet_id, f"{quote_title(table.tab.title)}!{letter}2:{letter}")
    found: dict[str, int] = {}
    repeated: set[str] = set()
    for index, row in enumerate(body.get("values") or [], start=2):
        key = as_text(row[0]).strip() if row else ""
        if key in found:
            repeated.add(key)
        elif key in wanted:
            found[key] = index
    return {key: row for key, row in found.items() if key not in repeated}
