"""``dashboard``: the Dashboard tab rewritten each cycle, inside the cycle's one write, from the rows as this
cycle leaves them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import numpy as np

from sheets_sync.conversations import REOPENED
from sheets_sync.reports.conversations import dashboard_block
from sheets_sync.reports.dashboard import HEADER_ROW, dashboard_chart_spec, dashboard_grid
from sheets_sync.reports.frame import RowFrame
from sheets_sync.routing.learned_report import dashboard_lines, figures_from_state
from sheets_sync.tracker.cells import as_text, microseconds
from sheets_sync.tracker.init import DASHBOARD_CHART_ID
from sheets_sync.tracker.unit_of_work import TabRows

from . import posts as posts_module
from .cycle import CycleContext, unchanged_since_last
from .health import STATE_KEY as HEALTH_KEY
from .health import Health

JOB = "dashboard"
# The figures that move with time alone (replied in 24 h, medians over 7 and 30 days) and the runner's "last
# successful cycle" line are refreshed at least this often even when no row changed (`job dashboard`: now).
REFRESH = timedelta(minutes=15)
CHART_STATE_KEY = "dashboard_chart_departments"
TEXTS = ("Status", "Overdue")
GROUPS = ("Department", "Platform", "Post ID")
DATETIMES = ("Received At", "Reply Posted At")
# What the urgent and reopened block needs (reports.conversations.dashboard_block).
CONVERSATION_COLUMNS = ("Department", "Status", "Priority", "Assigned By", "Parent Ticket")


def metric_frame(ctx: CycleContext) -> RowFrame:
    """The columns the figures need, for every row as this cycle leaves it, as arrays (``reports.frame``):
    Status, Overdue, the two times, and the columns figures are grouped by (``GROUPS``).

    Read by whole columns — the times parsed once per process and kept across cycles — then the cycle's
    changes laid over them and its new rows added: a 100,000-row Tracker costs a few vector operations. Built
    once for the posts job and the Dashboard, unless the Tracker's changes differ between them.
    """
    tracker = ctx.tracker
    key = ("metric_frame", tracker.table.token, tuple(tracker.changed_cells()), tuple(tracker.new_keys()))
    try:
        frame = ctx.derived.get(key)
    except TypeError:  # a change whose value cannot be a key: build it afresh
        return _build_frame(tracker)
    if frame is None:
        frame = ctx.derived[key] = _build_frame(tracker)
    return frame


def _build_frame(tracker: TabRows) -> RowFrame:
    keys = tracker.read_keys()
    picks = np.fromiter(keys.values(), np.int64, len(keys)) - 2
    # Every row keyed, in order (the usual case): a row's place in the frame is its index in the table, and
    # no 100,000-entry position index is built beside it each cycle.
    in_order = bool((picks == np.arange(len(picks))).all())
    where: dict[str, int] = {} if in_order else {ticket: i for i, ticket in enumerate(keys)}

    def place(ticket: str) -> int | None:
        return (keys[ticket] - 2 if ticket in keys else None) if in_order else where.get(ticket)

    # As the frame takes them: each text column as codes (no list of 100,000 texts each, no copy of the cells).
    index = None if in_order else picks.tolist()
    n, new = len(picks), tracker.new_keys()
    coded = {h: _coded(tracker.column(h), index, ((place(t), v) for t, v in tracker.changed(h)),
                       [tracker.get(t, h) for t in new]) for h in (*TEXTS, *GROUPS)}
    times: dict[str, np.ndarray] = {}
    for header in DATETIMES:
        column = times[header] = np.empty(n + len(new), dtype=np.int64)  # one array, not one and then a longer
        column[:n] = tracker.table.micros(header)[picks]
        column[n:] = np.fromiter((microseconds(tracker.get(t, header)) for t in new), np.int64, len(new))
        for ticket, value in tracker.changed(header):
            if (i := place(ticket)) is not None:
                column[i] = microseconds(value)
    return RowFrame.of_codes(*coded["Status"], *coded["Overdue"], times["Received At"], times["Reply Posted At"],
                             {h: coded[h] for h in GROUPS})


def _coded(values: list[Any], index: list[int] | None, changes: Iterable[tuple[int | None, Any]],
           added: list[Any]) -> tuple[np.ndarray, list[str]]:
    """A column as the frame codes it (``reports.frame.coded``): each row's stripped text as an int32 code —
    taken at ``index`` (None: every cell, in order), the ``changes`` (place, value) laid over, the ``added``
    values after — and the texts the codes stand for. Each distinct cell is turned into text once."""
    code_of_text: dict[str, int] = {}
    code_of = {v: code_of_text.setdefault(as_text(v).strip(), len(code_of_text)) for v in set(values)}
    n = len(values) if index is None else len(index)
    codes = np.empty(n + len(added), dtype=np.int32)
    codes[:n] = np.fromiter(map(code_of.__getitem__, values if index is None else map(values.__getitem__, index)),
                            dtype=np.int32, count=n)
    for i, value in changes:
        if i is not None:
            codes[i] = code_of_text.setdefault(as_text(value).strip(), len(code_of_text))
    for j, value in enumerate(added):
        codes[n + j] = code_of_text.setdefault(as_text(value).strip(), len(code_of_text))
    return codes, list(code_of_text)


def _stripped(values: list[Any], index: list[int] | None) -> list[str]:
    """Raw cells as the tool reads them as text, stripped — computed once per distinct value — in a new list,
    taken at ``index`` (None: every cell, in order)."""
    distinct = {v: as_text(v).strip() for v in set(values)}
    if index is None:
        return [distinct[v] for v in values]
    return [distinct[values[j]] for j in index]


def _conversation_rows(ctx: CycleContext) -> list[dict[str, Any]]:
    """The rows the urgent-and-reopened block can count — urgent or reopened ones — as this cycle leaves them:
    the two columns are scanned first, so a 100,000-row Tracker with a handful of such rows costs little."""
    tracker = ctx.tracker
    if not {"Priority", "Assigned By"} <= set(tracker.table.col):
        return []
    priority, assigned = tracker.filled("Priority"), tracker.column("Assigned By")
    reopened = {v for v in set(assigned) if as_text(v).startswith(REOPENED)}  # distinct values, tested once
    picked = [t for t, n in tracker.read_keys().items() if priority[n - 2] or assigned[n - 2] in reopened]
    picked += tracker.new_keys() + [t for h in ("Priority", "Assigned By") for t, _ in tracker.changed(h)]
    return [{h: tracker.text(t, h) for h in CONVERSATION_COLUMNS} for t in dict.fromkeys(picked)]


def department_rows(ctx: CycleContext) -> list[dict[str, Any]]:
    """The Departments tab as records."""
    view = ctx.work.tab("Departments")
    return view.table.records() if view is not None else []


def run(ctx: CycleContext) -> None:
    """Queue the Dashboard's new grid (and re-aim the chart when the number of departments changed) — unless the
    rows it counts are the very ones it last counted, less than ``REFRESH`` ago: its figures would be the same."""
    if unchanged_since_last(ctx, JOB, ("Tracker", "Departments", "Posts"), REFRESH):
        ctx.count(JOB, "unchanged")
        return
    conversations = dashboard_block(_conversation_rows(ctx))
    posts = list(posts_module.dashboard_rows(ctx))
    blocks = [*posts, *([[]] if posts and conversations else []), *conversations]
    learned = dashboard_lines(figures_from_state(ctx.work.changes.state, ctx.work.state))
    blocks += [*([[]] if blocks and learned else []), *learned]
    grid = dashboard_grid(metric_frame(ctx), department_rows(ctx), ctx.now, ctx.config.tz, health=_health(ctx),
                          posts_block=blocks)
    ctx.work.replace_grid("Dashboard", grid)
    ctx.count(JOB, "rows", len(grid))
    aim_chart(ctx, grid)


def _health(ctx: CycleContext) -> dict[str, str]:
    """The runner's last successful cycle and last error, this cycle included so far (the Dashboard is the
    cycle's last job)."""
    health = Health.parse(ctx.work.state.get(HEALTH_KEY))
    if ctx.work.problems:
        return {"last_ok": health.last_ok, "last_error": "; ".join(ctx.work.problems),
                "last_error_at": ctx.now.isoformat()}
    return {"last_ok": ctx.now.isoformat(), "last_error": health.last_error, "last_error_at": health.last_error_at}


def aim_chart(ctx: CycleContext, grid: list[list[Any]]) -> None:
    """The chart reads a fixed block of rows; when the department rows grow or shrink, point it at the new
    block. Only the chart ``init`` made (known id) is touched, and only when the count changed."""
    n_departments = _department_rows(grid)
    if ctx.work.state.get(CHART_STATE_KEY) == str(n_departments):
        return
    # Recorded either way, so this small read happens once per change, not every cycle.
    ctx.work.set_state(CHART_STATE_KEY, str(n_departments))
    sheet_id, charts = ctx.work.tabs_meta().get("Dashboard", (None, set()))
    if sheet_id is None or DASHBOARD_CHART_ID not in charts:
        return  # a chart people made themselves, or none: not ours to move
    spec = dashboard_chart_spec(sheet_id, HEADER_ROW, n_departments, chart_id=DASHBOARD_CHART_ID)
    ctx.work.add_request({"updateChartSpec": {"chartId": DASHBOARD_CHART_ID,
                                              "spec": spec["addChart"]["chart"]["spec"]}})


def _department_rows(grid: list[list[Any]]) -> int:
    # The block under the header row, up to the Total row.
    rows = 0
    for row in grid[HEADER_ROW + 1:]:
        if not row or row[0] in ("Total", ""):
            break
        rows += 1
    return rows
