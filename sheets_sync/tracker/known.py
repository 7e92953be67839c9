"""The sheet as the tool itself last left it, so a cycle can skip re-reading a sheet nobody else changed.

After a cycle's write, the sheet holds exactly what the cycle read plus what it wrote — unless someone else
wrote in between. Who else wrote is told by the Drive file's ``version`` ("a monotonically increasing version
number ... reflects every change made to the file on the server"): each accepted write request moves it, so
when the version at the next cycle's start equals the version at this cycle's start plus the writes this
runner made (counted as Sheets accepted them, ``RequestCounter.sheet_writes``), nobody else changed anything,
and :func:`after_write` — the snapshot with the cycle's own write applied, cell for cell as a read would return
it — *is* the sheet. Anything else (a person's edit, another runner, a write that may or may not have landed,
a write this module cannot mirror exactly) means a full read: the check can only err towards reading.

Pure: no I/O. The runner keeps one :class:`Known` in memory; ``schedule.full_read_minutes`` bounds how long a
known snapshot is trusted without a full read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .cells import as_text, to_cell_data
from .changes import STATE_TAB, ChangeSet, Plan
from .store import Snapshot, cell_value
from .table import Table

__all__ = ["Known", "after_write"]


@dataclass(frozen=True)
class Known:
    """A snapshot equal to the sheet at Drive ``version``, and when the sheet was last read in full."""

    version: int
    snapshot: Snapshot
    read_at: datetime
    # The runner's sheet writes counted when this was made: its writes since (the next cycle's lease claim)
    # move the version too, and are taken off before comparing.
    writes: int = 0

    def usable(self, version: int | None, tabs: list[str], now: datetime, max_age_s: float) -> Snapshot | None:
        """The snapshot, when the sheet is still at its version, holds the tabs asked for, and was read in full
        less than ``max_age_s`` ago; else None (read the sheet)."""
        if version is None or version != self.version or (now - self.read_at).total_seconds() >= max_age_s:
            return None
        if not set(tabs) <= set(self.snapshot.tables) - self.snapshot.key_only:
            return None
        return self.snapshot


def _raw(value: Any, tz: ZoneInfo) -> Any:
    """What a read (UNFORMATTED_VALUE, SERIAL_NUMBER) returns for a cell the tool wrote ``value`` into."""
    return cell_value(to_cell_data(value, tz))


def _set(row: list[Any], index: int, value: Any) -> None:
    if index >= len(row):
        row.extend([""] * (index + 1 - len(row)))
    row[index] = value


def _mirrorable(snapshot: Snapshot, changes: ChangeSet, plan: Plan) -> bool:
    """Whether this module can mirror the write exactly: nothing skipped or deleted, no raw requests, no grid
    or append into a tab read key-only, no blocked tab."""
    if plan.skipped or plan.deleted or changes.deletes or changes.extra_requests or snapshot.blocked:
        return False
    if any(tab in snapshot.tables for tab in changes.grids):
        return False
    return not any(row.tab in snapshot.key_only for row in plan.appended)


def _keys_after(old: Table, rows: list[list[Any]]) -> dict[str, int] | None:
    """The key index of ``old`` with ``rows`` (its rows, some cells written, rows appended): the old index plus
    the appended rows' keys — or None (index afresh) when the old one had a key on two rows or an appended
    row's key is empty or already there. The tool never writes an existing row's key."""
    if old.tab.key is None or old.tab.key not in old.col or old.duplicate_keys:
        return None
    keys, k = dict(old.key_rows), old.col[old.tab.key]
    for number, row in enumerate(rows[len(old.rows):], start=len(old.rows) + 2):
        key = as_text(row[k]).strip() if k < len(row) else ""
        if not key or key in keys:
            return None
        keys[key] = number
    return keys


def after_write(snapshot: Snapshot, changes: ChangeSet, plan: Plan, tz: ZoneInfo) -> Snapshot | None:
    """The sheet after this cycle's write, as a read would return it, if nobody else wrote; None when the write
    cannot be mirrored exactly (the next cycle then reads)."""
    if not _mirrorable(snapshot, changes, plan) or plan.written_at is None:
        return None
    rows: dict[str, list[list[Any]]] = {}
    copied: set[tuple[str, int]] = set()

    def rows_of(tab: str) -> list[list[Any]] | None:
        if tab not in snapshot.tables:
            return None  # not read (Audit, Dashboard): nothing to mirror
        if tab not in rows:
            rows[tab] = list(snapshot.tables[tab].rows)  # unchanged rows are shared, changed ones copied
        return rows[tab]

    def row_of(tab: str, target: list[list[Any]], index: int) -> list[Any]:
        if (tab, index) not in copied:
            copied.add((tab, index))
            target[index] = list(target[index])
        return target[index]

    for change in plan.applied:
        table, target = snapshot.tables.get(change.tab), rows_of(change.tab)
        if table is None or target is None:
            continue
        row = table.key_rows.get(change.key)
        if row is None or change.header not in table.col:
            return None
        _set(row_of(change.tab, target, row - 2), table.col[change.header], _raw(change.new, tz))
    for new in plan.appended:
        table, target = snapshot.tables.get(new.tab), rows_of(new.tab)
        if table is not None and target is not None:
            target.append([_raw(new.values.get(h, ""), tz) for h in table.header])
    state, state_rows = dict(snapshot.state), dict(snapshot.state_rows)
    if changes.state:
        target = rows_of(STATE_TAB)
        if target is None:
            return None
        stamp = _raw(plan.written_at, tz)
        for key, value in sorted(changes.state.items()):  # the order _plan_state appends new keys in
            state[key] = value
            if key in state_rows:
                row = row_of(STATE_TAB, target, state_rows[key] - 2)
                _set(row, 1, _raw(value, tz))
                _set(row, 2, stamp)
            else:
                target.append([key, _raw(value, tz), stamp])
                state_rows[key] = len(target) + 1
    tables = dict(snapshot.tables)
    for tab, new_rows in rows.items():
        old = snapshot.tables[tab]
        tables[tab] = Table(old.tab, list(old.header), new_rows, old.tz, sheet_id=old.sheet_id,
                            known_keys=_keys_after(old, new_rows))
        if tab == STATE_TAB:
            tables[tab].parent_token = old.token
            continue  # its rows change by key, outside plan.applied: parsed afresh
        stale: dict[str, set[int]] = {}
        for change in plan.applied:
            if change.tab == tab:
                stale.setdefault(change.header, set()).add(old.key_rows[change.key])
        tables[tab].keep_parsed(old, stale)
    return Snapshot(tables, state, state_rows, snapshot.key_only)
