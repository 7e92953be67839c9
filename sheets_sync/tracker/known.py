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


def _keys_after(old: Table, appended: list[list[Any]]) -> dict[str, int] | None:
    """The key index of ``old`` with the ``appended`` rows below its own — ``old``'s own index, added to in place
    (``old`` is then taken over: a 100,000-key index is not copied each cycle) — or None (index afresh) when the
    old one had a key on two rows or an appended row's key is empty or already there. The tool never writes an
    existing row's key."""
    if old.tab.key is None or old.tab.key not in old.col or old.duplicate_keys:
        return None
    keys, k = old.key_rows, old.col[old.tab.key]
    added = [as_text(row[k]).strip() if k < len(row) else "" for row in appended]
    if not all(added) or len(set(added)) < len(added) or any(key in keys for key in added):
        return None
    for number, key in enumerate(added, start=len(old.rows) + 2):
        keys[key] = number
    return keys


def after_write(snapshot: Snapshot, changes: ChangeSet, plan: Plan, tz: ZoneInfo) -> Snapshot | None:
    """The sheet after this cycle's write, as a read would return it, if nobody else wrote; None when the write
    cannot be mirrored exactly (the next cycle then reads). The tables written take over the snapshot's
    (``Table.written``, in place): the runner keeps only the newer."""
    if not _mirrorable(snapshot, changes, plan) or plan.written_at is None:
        return None
    # Everything is checked before anything is taken over: a write that cannot be mirrored leaves the
    # snapshot as it was.
    cells: dict[str, list[tuple[int, int, Any]]] = {}
    stale: dict[str, dict[str, set[int]]] = {}
    for change in plan.applied:
        table = snapshot.tables.get(change.tab)
        if table is None:
            continue  # not read (Audit, Dashboard): nothing to mirror
        row = table.key_rows.get(change.key)
        if row is None or change.header not in table.col:
            return None
        cells.setdefault(change.tab, []).append((row - 2, table.col[change.header], _raw(change.new, tz)))
        stale.setdefault(change.tab, {}).setdefault(change.header, set()).add(row)
    appended: dict[str, list[list[Any]]] = {}
    for new in plan.appended:
        table = snapshot.tables.get(new.tab)
        if table is not None:
            appended.setdefault(new.tab, []).append([_raw(new.values.get(h, ""), tz) for h in table.header])
    if changes.state and STATE_TAB not in snapshot.tables:
        return None
    tables = dict(snapshot.tables)
    for tab in {*cells, *appended} - {STATE_TAB}:
        old, added = snapshot.tables[tab], appended.get(tab, [])
        tables[tab] = old.written(cells.get(tab, []), added, stale.get(tab, {}), known_keys=_keys_after(old, added))
    state, state_rows = dict(snapshot.state), dict(snapshot.state_rows)
    if changes.state or STATE_TAB in cells or STATE_TAB in appended:
        tables[STATE_TAB] = _state_after(snapshot, changes, plan, tz, cells.get(STATE_TAB, []),
                                         appended.get(STATE_TAB, []), state, state_rows)
    return Snapshot(tables, state, state_rows, snapshot.key_only)


def _state_after(snapshot: Snapshot, changes: ChangeSet, plan: Plan, tz: ZoneInfo, cells: list[tuple[int, int, Any]],
                 appended: list[list[Any]], state: dict[str, str], state_rows: dict[str, int]) -> Table:
    """The ``_state`` tab after the write (a few rows: copied, and parsed afresh — its rows change by key,
    outside ``plan.applied``); ``state`` and ``state_rows`` updated to match."""
    old = snapshot.tables[STATE_TAB]
    rows = [list(row) for row in old.rows]
    for i, c, value in cells:
        _set(rows[i], c, value)
    rows += appended
    stamp = _raw(plan.written_at, tz)
    for key, value in sorted(changes.state.items()):  # the order _plan_state appends new keys in
        state[key] = value
        if key in state_rows:
            row = rows[state_rows[key] - 2]
            _set(row, 1, _raw(value, tz))
            _set(row, 2, stamp)
        else:
            rows.append([key, _raw(value, tz), stamp])
            state_rows[key] = len(rows) + 1
    table = Table(old.tab, list(old.header), rows, old.tz, sheet_id=old.sheet_id)
    table.parent_token = old.token
    return table
