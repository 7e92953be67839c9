"""Figures per department and platform: the definitions case by case, and the Dashboard grid against an
independent pandas recount over a few thousand random rows."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pandas as pd
import pytest
from test_reports_data import DEPARTMENTS, IST, NOW, h, make_row, random_rows, scenario

from sheets_sync.reports.dashboard import DEPARTMENT_HEADER, HEADER_ROW, dashboard_grid
from sheets_sync.reports.metrics import (
    UNROUTED,
    by_department,
    by_platform,
    format_hours,
    is_active,
    is_escalated,
    is_open,
    is_overdue,
    percentile,
    reply_hours,
    summarize,
)


@pytest.mark.parametrize(("status", "overdue", "open_", "overdue_", "escalated"), [
    ("New", "", True, False, False),
    ("Assigned", "", True, False, False),
    ("Assigned", "Overdue", True, True, False),
    ("Assigned", "Escalated", True, False, True),
    ("Escalated", "", True, False, True),
    ("Escalated", "Overdue", True, False, True),   # escalated wins: the buckets are disjoint
    ("Replied", "Overdue", False, False, False),    # answered: the flag is history
    ("Closed", "Escalated", False, False, False),
])
def test_row_definitions(status: str, overdue: str, open_: bool, overdue_: bool, escalated: bool) -> None:
    row = make_row(2, Status=status, Overdue=overdue)
    assert (is_open(row), is_overdue(row), is_escalated(row)) == (open_, overdue_, escalated)


@pytest.mark.parametrize(("received", "posted", "hours"), [
    (h(10), h(4), 6.0),
    (h(10), h(10), 0.0),
    (h(4), h(10), None),      # reply before comment: bad data, left out
    (None, h(1), None),
    (h(1), None, None),
])
def test_reply_hours(received: Any, posted: Any, hours: float | None) -> None:
    assert reply_hours(make_row(2, received=received, posted=posted)) == hours


@pytest.mark.parametrize("values", [[], [5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], list(range(17))])
def test_percentile_matches_pandas(values: list[float]) -> None:
    expected = None if not values else float(pd.Series(values).quantile(0.9))
    assert percentile(values, 0.9) == (pytest.approx(expected) if values else None)


@pytest.mark.parametrize(("value", "active"), [
    (True, True), (False, False), ("TRUE", True), ("FALSE", False), ("false", False), ("", True), ("No", False),
])
def test_active_checkbox(value: Any, active: bool) -> None:
    assert is_active({"Active": value}) is active


def test_scenario_figures_and_order() -> None:
    figures = {m.name: m for m in by_department(scenario(), DEPARTMENTS, NOW)}
    # Tab order (inactive Old Octroi only because it has rows), then missing ones, then unrouted last.
    assert list(figures) == ["Roads", "Water Supply", "Solid Waste", "Gardens", "Old Octroi", "Traffic", UNROUTED]
    roads = figures["Roads"]  # "roads " in row 4 matched to the tab's spelling
    assert (roads.new, roads.open, roads.overdue, roads.escalated, roads.replied_24h) == (1, 3, 1, 1, 2)
    assert roads.median_7d == 8.0 and roads.p90_7d == pytest.approx(9.6)
    assert figures["Traffic"].listed is False and figures["Roads"].listed is True
    assert figures["Gardens"].median_7d is None and format_hours(None) == "—"
    water = figures["Water Supply"]
    assert water.replied_24h == 0 and water.median_7d == 28.0

    platforms = [m.name for m in by_platform(scenario(), NOW)]
    assert platforms == ["facebook", "instagram", "youtube", "x"]


def test_windows_are_by_reply_time() -> None:
    rows = [make_row(2, Status="Replied", received=h(24 * 10), posted=h(24 * 9)),   # 24 h, 9 days ago
            make_row(3, Status="Replied", received=h(30), posted=h(26)),             # 4 h, yesterday
            make_row(4, Status="Replied", received=h(24 * 40), posted=h(24 * 31))]   # outside 30 d
    total = summarize(rows, NOW)
    assert (total.median_7d, total.median_30d, total.replied_24h) == (4.0, 14.0, 0)


def _recount(rows: list[dict[str, Any]], key: str = "dept") -> pd.DataFrame:
    """The Dashboard's figures per ``key`` ("dept" or "Platform") computed a second, independent way."""
    df = pd.DataFrame(rows)
    for col in ("Received At", "Reply Posted At"):
        df[col] = pd.to_datetime(df[col], utc=True)
    canonical = {d["Department"].casefold(): d["Department"] for d in DEPARTMENTS}
    dept = df["Department"].str.strip()
    df["dept"] = dept.map(lambda d: canonical.get(d.casefold(), d) if d else UNROUTED)
    now = pd.Timestamp(NOW)
    open_ = df["Status"].isin(["New", "Assigned", "Escalated"])
    escalated = open_ & ((df["Overdue"] == "Escalated") | (df["Status"] == "Escalated"))
    df["open"] = open_.astype(int)
    df["escalated"] = escalated.astype(int)
    df["overdue"] = (open_ & (df["Overdue"] == "Overdue") & ~escalated).astype(int)
    posted = df["Reply Posted At"]
    df["replied"] = ((posted > now - pd.Timedelta(hours=24)) & (posted <= now)).astype(int)
    hours = (posted - df["Received At"]).dt.total_seconds() / 3600
    valid = hours.notna() & (hours >= 0)
    for days in (7, 30):
        in_window = valid & (posted > now - pd.Timedelta(days=days)) & (posted <= now)
        df[f"h{days}"] = hours.where(in_window)
    grouped = df.groupby(key)
    out = grouped[["open", "overdue", "escalated", "replied"]].sum()
    for days in (7, 30):
        out[f"median_{days}"] = grouped[f"h{days}"].median()
        out[f"p90_{days}"] = grouped[f"h{days}"].quantile(0.9)
    return out


def _cell(value: float) -> Any:
    return "—" if pd.isna(value) else round(float(value), 1)


def test_dashboard_grid_equals_pandas_recount() -> None:
    rows = random_rows(4000)
    grid = dashboard_grid(rows, DEPARTMENTS, NOW, IST)
    assert grid[0][0] == "Dashboard — Updated 2026-11-26 13:30 IST"
    assert grid[HEADER_ROW] == DEPARTMENT_HEADER
    assert len({len(r) for r in grid}) == 1  # rectangular

    expected = _recount(rows)
    body = grid[HEADER_ROW + 1:]
    total_at = next(i for i, r in enumerate(body) if r[0] == "Total")
    dept_rows = body[:total_at]
    tab = [d["Department"] for d in DEPARTMENTS]
    names = [r[0] for r in dept_rows]
    others = sorted(n for n in expected.index if n not in tab and n != UNROUTED)
    assert names == [n for n in tab if n in expected.index] + others + [UNROUTED]

    for r in dept_rows:
        e = expected.loc[r[0]]
        assert r[1:5] == [int(e["open"]), int(e["overdue"]), int(e["escalated"]), int(e["replied"])], r[0]
        assert r[5:] == [_cell(e["median_7"]), _cell(e["p90_7"]), _cell(e["median_30"]), _cell(e["p90_30"])], r[0]

    total = body[total_at]
    assert total[1:5] == [int(expected[c].sum()) for c in ("open", "overdue", "escalated", "replied")]

    # The platform block: the same recount grouped by platform, and the same Total.
    assert body[total_at + 1] == [""] * len(DEPARTMENT_HEADER)
    platforms = _recount(rows, "Platform")
    platform_rows = body[total_at + 3:-1]
    assert [r[0] for r in platform_rows] == ["facebook", "instagram", "youtube", "x"]
    for r in platform_rows:
        e = platforms.loc[r[0]]
        assert r[1:] == [int(e["open"]), int(e["overdue"]), int(e["escalated"]), int(e["replied"]),
                         _cell(e["median_7"]), _cell(e["p90_7"]), _cell(e["median_30"]), _cell(e["p90_30"])]
    assert body[-1] == total


def test_summarize_agrees_with_the_row_tests_on_random_rows():
    """The one-pass ``summarize`` gives what the public row tests (is_open, is_overdue, is_escalated,
    reply_hours) and the windows say, on rows with every awkward value a sheet holds."""
    import random
    from datetime import datetime, timedelta

    from sheets_sync.reports import metrics as m

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    rng = random.Random(5)
    statuses = ["New", "Assigned", "Escalated", "Replied", "Closed", " Assigned ", "", None, 3]
    flags = ["", "Overdue", "Escalated", " Overdue", None, True]

    def moment():
        choice = rng.random()
        if choice < 0.15:
            return rng.choice(["", None, "yesterday"])
        return now - timedelta(hours=rng.uniform(-5, 24 * 40))

    rows = [{"Status": rng.choice(statuses), "Overdue": rng.choice(flags), "Received At": moment(),
             "Reply Posted At": moment()} for _ in range(3000)]
    got = m.summarize(rows, now)
    hours = [(r, m.reply_hours(r)) for r in rows]
    in_30 = [h for r, h in hours if h is not None and m._within(r["Reply Posted At"], now, m.WINDOW_30D)]
    in_7 = [h for r, h in hours if h is not None and m._within(r["Reply Posted At"], now, m.WINDOW_7D)]
    assert got.new == sum(m._text(r, "Status") == "New" for r in rows)
    assert got.open == sum(m.is_open(r) for r in rows)
    assert got.overdue == sum(m.is_overdue(r) for r in rows)
    assert got.escalated == sum(m.is_escalated(r) for r in rows)
    assert got.replied_24h == sum(m._within(r["Reply Posted At"], now, m.DAY) for r in rows)
    assert got.received_24h == sum(m._within(r["Received At"], now, m.DAY) for r in rows)
    assert (got.median_30d, got.p90_30d) == (m._median(in_30), m.percentile(in_30, 0.9))
    assert (got.median_7d, got.p90_7d) == (m._median(in_7), m.percentile(in_7, 0.9))
    assert got.open and got.overdue and got.escalated and got.replied_24h and in_7
