"""``dashboard``: the Dashboard tab rewritten each cycle, inside the cycle's one write, from the rows as this
cycle leaves them."""

from __future__ import annotations

from typing import Any

from sheets_sync.reports.dashboard import dashboard_grid
from sheets_sync.tracker.cells import as_text

from .cycle import TRACKER, CycleContext

JOB = "dashboard"
COLUMNS = ("Department", "Platform", "Status", "Overdue", "Received At", "Reply Posted At")
DATETIMES = ("Received At", "Reply Posted At")


def metric_rows(ctx: CycleContext) -> list[dict[str, Any]]:
    """The few columns the figures need, for every row (read, changed this cycle, or pending)."""
    tracker = ctx.tracker
    rows: list[dict[str, Any]] = []
    overlay: dict[str, dict[str, Any]] = {}
    for (tab, key, header), change in ctx.changes.updates.items():
        if tab == TRACKER and header in COLUMNS:
            overlay.setdefault(key, {})[header] = change.new
    cols = {h: tracker.column(h) for h in COLUMNS if h not in DATETIMES}
    for ticket, n in tracker.key_rows.items():
        i = n - 2
        row = {h: as_text(cols[h][i]).strip() for h in cols}
        for h in DATETIMES:
            row[h] = tracker.typed(n, h)
        row.update(overlay.get(ticket, {}))
        rows.append(row)
    for values in ctx.pending.values():
        rows.append({h: values.get(h, "" if h not in DATETIMES else None) for h in COLUMNS})
    return rows


def department_rows(ctx: CycleContext) -> list[dict[str, Any]]:
    """The Departments tab as records."""
    table = ctx.snapshot.tables.get("Departments")
    return table.records() if table is not None else []


def run(ctx: CycleContext) -> None:
    """Queue the Dashboard's new grid."""
    grid = dashboard_grid(metric_rows(ctx), department_rows(ctx), ctx.now, ctx.config.tz)
    ctx.changes.replace_grid("Dashboard", grid)
    ctx.count(JOB, "rows", len(grid))
