"""A cycle's changes, and the plan that turns them into one atomic ``batchUpdate``.

Pure. Jobs record *what* should change by key (Ticket ID) and header; the planner places each change on the
row where a fresh read of the key column says the row is now, writes only the changed cells, never a cell a
person owns, and drops a shared-column change when a person changed that cell since the read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..schema import Schema
from .cells import as_text, cell_equal, to_cell_data

AUDIT_TAB = "Audit"
STATE_TAB = "_state"


@dataclass
class CellChange:
    """One cell the tool wants to change: ``old`` is what the tool read, ``new`` what it writes."""

    tab: str
    key: str
    header: str
    old: Any
    new: Any
    job: str


@dataclass
class NewRow:
    """One row the tool appends, values keyed by header."""

    tab: str
    values: dict[str, Any]
    job: str


@dataclass
class Fresh:
    """What the pre-write re-read saw of one tab: its header row, and per key its row and current values of
    the shared columns about to be written."""

    header: list[str]
    key_rows: dict[str, int]
    duplicate_keys: set[str]
    shared: dict[tuple[str, str], Any]  # (key, header) -> current raw value
    sheet_id: int


@dataclass
class ChangeSet:
    """Everything one cycle wants to write."""

    schema: Schema
    updates: dict[tuple[str, str, str], CellChange] = field(default_factory=dict)
    appends: list[NewRow] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)
    grids: dict[str, list[list[Any]]] = field(default_factory=dict)
    extra_requests: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    deletes: dict[tuple[str, str], str] = field(default_factory=dict)  # (tab, key) -> job

    def set(self, tab: str, key: str, header: str, old: Any, new: Any, job: str) -> bool:
        """Ask to change one cell; refused (False) when a person owns it or the transition is not allowed."""
        spec = self.schema[tab]
        if cell_equal(old, new):
            return False
        old_text, new_text = as_text(old), as_text(new)
        if not spec.allows(header, old_text, new_text):
            self.refused.append(f"{job}: {tab} {key} {header} {old_text!r} → {new_text!r} is not the tool's "
                                "to make")
            return False
        existing = self.updates.get((tab, key, header))
        first_old = existing.old if existing else old
        self.updates[(tab, key, header)] = CellChange(tab, key, header, first_old, new, job)
        return True

    def append(self, tab: str, values: dict[str, Any], job: str) -> NewRow:
        """Ask to add a row at the end of ``tab``; the row (its values still changeable until the write)."""
        row = NewRow(tab, values, job)
        self.appends.append(row)
        return row

    def delete(self, tab: str, key: str, job: str) -> None:
        """Ask to delete the row holding ``key`` (the archive job, after the row's copy was verified)."""
        self.deletes[(tab, key)] = job

    def set_state(self, key: str, value: str) -> None:
        """Ask to write one ``_state`` key."""
        self.state[key] = value

    def replace_grid(self, tab: str, grid: list[list[Any]]) -> None:
        """Ask to rewrite a tool-owned tab (the Dashboard) from A1."""
        self.grids[tab] = grid

    def drop_tab(self, tab: str) -> int:
        """Forget every change, new row and deletion asked for ``tab`` (it cannot be written this cycle);
        how many there were."""
        updates = [k for k in self.updates if k[0] == tab]
        deletes = [k for k in self.deletes if k[0] == tab]
        appends = [r for r in self.appends if r.tab == tab]
        for key in updates:
            del self.updates[key]
        for key in deletes:
            del self.deletes[key]
        self.appends = [r for r in self.appends if r.tab != tab]
        return len(updates) + len(deletes) + len(appends)

    def __len__(self) -> int:
        return len(self.updates) + len(self.appends) + len(self.state) + len(self.grids) + len(self.deletes)

    def tabs_updated(self) -> set[str]:
        """Tabs with keyed cell updates or deletes (they need a fresh read of their keys before writing)."""
        return {tab for tab, _, _ in self.updates} | {tab for tab, _ in self.deletes}


@dataclass
class Plan:
    """The write: requests for one ``batchUpdate``, what it changes (for Audit) and what was skipped."""

    requests: list[dict[str, Any]]
    applied: list[CellChange]
    appended: list[NewRow]
    skipped: list[str]
    deleted: list[tuple[str, str]] = field(default_factory=list)
    written_at: datetime | None = None  # the time written beside each _state value (WriteTarget.now)


def _grid_range(sheet_id: int, row0: int, col0: int, row1: int, col1: int) -> dict[str, int]:
    return {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": row1,
            "startColumnIndex": col0, "endColumnIndex": col1}


def _row_data(values: list[Any], tz: ZoneInfo) -> dict[str, Any]:
    return {"values": [to_cell_data(v, tz) for v in values]}


@dataclass
class WriteTarget:
    """What a write is planned against: the pre-write re-read, and how the cycle read the tabs.

    ``read_headers``: each tab's header row as the cycle read it; a tab whose header row changed since (a
    person moved columns) is not written this cycle. ``state_rows``: ``_state`` key → 1-based row.
    ``sizes``: tab → (sheetId, rows, columns), for the tool-rewritten tabs.
    """

    fresh: dict[str, Fresh]
    read_headers: dict[str, list[str]]
    state_rows: dict[str, int]
    state_sheet_id: int | None
    audit_sheet_id: int | None
    sizes: dict[str, tuple[int, int, int]]
    now: datetime
    tz: ZoneInfo

    def current(self, tab: str) -> Fresh | None:
        """The tab as re-read, or None when it is missing or its columns moved since the cycle's read."""
        f = self.fresh.get(tab)
        return f if f is not None and f.header == self.read_headers.get(tab) else None

    def rows(self, values: list[list[Any]]) -> list[dict[str, Any]]:
        """Rows of values as ``RowData``."""
        return [_row_data(r, self.tz) for r in values]


def plan_write(changes: ChangeSet, target: WriteTarget) -> Plan:
    """Turn a ChangeSet into the requests of one ``batchUpdate``, placed by the pre-write re-read.

    Order matters: cell updates and appends first, then the rewritten grids, ``_state``, Audit, and the row
    deletions last and bottom-up (so no deletion shifts a row another request still points at).
    """
    plan = Plan([], [], [], [], written_at=target.now)
    _plan_updates(changes, target, plan)
    _plan_appends(changes, target, plan)
    _plan_grids(changes, target, plan)
    _plan_state(changes, target, plan)
    _plan_audit(changes, target, plan)
    _plan_deletes(changes, target, plan)
    plan.requests.extend(changes.extra_requests)
    return plan


def _placed(change: CellChange, changes: ChangeSet, target: WriteTarget, skipped: list[str]) -> tuple[int, int] | None:
    """(row, column) where a keyed cell change goes now, or None (and why, in ``skipped``) when it must wait or
    must not be written: columns moved, key gone or duplicated, or a person changed a shared cell since."""
    f = target.current(change.tab)
    where = f"{change.tab} {change.key}"
    if f is None:
        skipped.append(f"{where} {change.header}: the tab's columns changed since the read; retried next cycle")
        return None
    if change.key in f.duplicate_keys:
        skipped.append(f"{where}: key now on several rows; left alone")
        return None
    row = f.key_rows.get(change.key)
    if row is None:
        skipped.append(f"{where} {change.header}: row no longer in the sheet (deleted?)")
        return None
    if change.header not in f.header:
        skipped.append(f"{where}: column {change.header!r} missing")
        return None
    if changes.schema[change.tab].column(change.header).checked_before_write:
        current = f.shared.get((change.key, change.header), "")
        if as_text(current).strip() != as_text(change.old).strip():
            skipped.append(f"{where} {change.header}: a person changed it to {as_text(current)!r} since the "
                           "read; kept theirs")
            return None
    return row, f.header.index(change.header)


def _plan_updates(changes: ChangeSet, target: WriteTarget, plan: Plan) -> None:
    """Keyed cell updates, grouped per row so adjacent cells go in one ``updateCells``."""
    by_row: dict[tuple[str, int], dict[int, CellChange]] = {}
    for change in changes.updates.values():
        placed = _placed(change, changes, target, plan.skipped)
        if placed is not None:
            by_row.setdefault((change.tab, placed[0]), {})[placed[1]] = change
    for (tab, row), cells in sorted(by_row.items()):
        sheet_id = target.fresh[tab].sheet_id
        for run in _runs(sorted(cells)):
            plan.requests.append({"updateCells": {
                "range": _grid_range(sheet_id, row - 1, run[0], row, run[-1] + 1),
                "rows": [_row_data([cells[c].new for c in run], target.tz)],
                "fields": "userEnteredValue",
            }})
            plan.applied.extend(cells[c] for c in run)


def _runs(columns: list[int]) -> list[list[int]]:
    """Sorted column indexes cut into runs of adjacent columns."""
    runs: list[list[int]] = []
    for col in columns:
        if runs and col == runs[-1][-1] + 1:
            runs[-1].append(col)
        else:
            runs.append([col])
    return runs


def _plan_appends(changes: ChangeSet, target: WriteTarget, plan: Plan) -> None:
    """New rows: ``appendCells`` places them after the last row with data, wherever people moved things."""
    per_tab: dict[str, list[NewRow]] = {}
    for new in changes.appends:
        per_tab.setdefault(new.tab, []).append(new)
    for tab, rows in per_tab.items():
        f = target.fresh.get(tab)
        header = f.header if f else target.read_headers.get(tab)
        if not header or (f and f.header != target.read_headers.get(tab)):
            plan.skipped.append(f"{tab}: {len(rows)} new rows wait for the next cycle (columns changed since the "
                                "read)")
            continue
        sheet_id = f.sheet_id if f else target.sizes.get(tab, (None, 0, 0))[0]
        if sheet_id is None:
            plan.skipped.append(f"{tab}: tab not found; run `sheets-sync init`")
            continue
        plan.requests.append({"appendCells": {
            "sheetId": sheet_id,
            "rows": target.rows([[r.values.get(h, "") for h in header] for r in rows]),
            "fields": "userEnteredValue",
        }})
        plan.appended.extend(rows)


def _plan_grids(changes: ChangeSet, target: WriteTarget, plan: Plan) -> None:
    """Tool-owned grids (Dashboard): rewrite from A1, clearing whatever the previous grid left beyond."""
    for tab, grid in changes.grids.items():
        sheet_id, old_rows, old_cols = target.sizes[tab]
        n_rows = max(len(grid), 1)
        n_cols = max((len(r) for r in grid), default=1)
        if n_rows > old_rows or n_cols > old_cols:
            plan.requests.append({"updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {
                    "rowCount": max(n_rows, old_rows), "columnCount": max(n_cols, old_cols)}},
                "fields": "gridProperties.rowCount,gridProperties.columnCount"}})
        plan.requests.append({"updateCells": {
            "range": _grid_range(sheet_id, 0, 0, max(n_rows, old_rows), max(n_cols, old_cols)),
            "rows": target.rows(grid),
            "fields": "userEnteredValue",
        }})


def _plan_state(changes: ChangeSet, target: WriteTarget, plan: Plan) -> None:
    """State keys: updated in place by key, new keys appended."""
    sheet_id = target.state_sheet_id
    if not changes.state or sheet_id is None:
        return
    new_state = []
    for key, value in sorted(changes.state.items()):
        row = target.state_rows.get(key)
        if row is None:
            new_state.append([key, value, target.now])
        else:
            plan.requests.append({"updateCells": {
                "range": _grid_range(sheet_id, row - 1, 1, row, 3),
                "rows": target.rows([[value, target.now]]), "fields": "userEnteredValue"}})
    if new_state:
        plan.requests.append({"appendCells": {"sheetId": sheet_id, "rows": target.rows(new_state),
                                              "fields": "userEnteredValue"}})


def _plan_audit(changes: ChangeSet, target: WriteTarget, plan: Plan) -> None:
    """The Audit log, in the same atomic write as the changes it records."""
    if target.audit_sheet_id is None or not (plan.applied or plan.appended):
        return
    now = target.now
    audit = [[now, c.job, c.key, c.header, as_text(c.old)[:500], as_text(c.new)[:500]] for c in plan.applied
             if _audited(changes, c)]
    for new in plan.appended:
        key_header = changes.schema[new.tab].key
        key = as_text(new.values.get(key_header, "")) if key_header else ""
        audit.append([now, new.job, key, f"{new.tab}: new row", "", ""])
    if not audit:
        return  # only figures changed (``audit: false``)
    plan.requests.append({"appendCells": {"sheetId": target.audit_sheet_id, "rows": target.rows(audit),
                                          "fields": "userEnteredValue"}})


def _audited(changes: ChangeSet, change: CellChange) -> bool:
    """Whether a change goes to Audit: every change, except to a column the schema marks ``audit: false``."""
    tab = changes.schema.tabs.get(change.tab)
    try:
        return tab is None or tab.column(change.header).audited
    except KeyError:
        return True


def _plan_deletes(changes: ChangeSet, target: WriteTarget, plan: Plan) -> None:
    """Row deletions, bottom-up, and their Audit rows."""
    targets: list[tuple[int, int, str, str]] = []
    for (tab, key), _job in changes.deletes.items():
        f = target.current(tab)
        if f is None or key in f.duplicate_keys or key not in f.key_rows:
            plan.skipped.append(f"{tab} {key}: not deleted (moved, duplicated or gone since the read)")
            continue
        targets.append((f.sheet_id, f.key_rows[key], tab, key))
    for sheet_id, row, tab, key in sorted(targets, key=lambda t: (t[0], -t[1])):
        plan.requests.append({"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS",
                                                            "startIndex": row - 1, "endIndex": row}}})
        plan.deleted.append((tab, key))
    if target.audit_sheet_id is not None and plan.deleted:
        plan.requests.append({"appendCells": {"sheetId": target.audit_sheet_id, "fields": "userEnteredValue",
                                              "rows": target.rows([
                                                  [target.now, changes.deletes[(tab, key)], key,
                                                   f"{tab}: row removed", "", "archived"]
                                                  for tab, key in plan.deleted])}})
