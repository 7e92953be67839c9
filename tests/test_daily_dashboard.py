"""The Dashboard tab end to end: after cycles over a World with a few hundred comments, replies and escalations,
its figures equal an independent recount of the Tracker tab (read with gspread, counted with pandas); the chart
is added once; rows left over from a longer grid are cleared."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from gspread.utils import DateTimeOption, ValueRenderOption, rowcol_to_a1

from sheets_sync.client import make_client
from sheets_sync.demo.scenario_data import AREAS, TEMPLATES
from sheets_sync.demo.world import IST, World
from sheets_sync.reports.dashboard import METRIC_COLUMNS
from sheets_sync.tracker.init import run_init

START = datetime(2026, 11, 20, 9, 0, tzinfo=IST)
OPEN = ("New", "Assigned", "Escalated")
N_COMMENTS = 300


def values(world: World, title: str) -> list[list[Any]]:
    """A tab's values as the API gives them unformatted (numbers as numbers, datetimes as serials)."""
    return world.worksheet(title).get_values(value_render_option=ValueRenderOption.unformatted,
                                             date_time_render_option=DateTimeOption.serial_number)


def tracker_frame(world: World) -> pd.DataFrame:
    rows = values(world, "Tracker")
    header = rows[0]
    frame = pd.DataFrame([r + [""] * (len(header) - len(r)) for r in rows[1:]], columns=header)
    frame = frame[frame["Ticket ID"] != ""].copy()
    for column in ("Received At", "Reply Posted At"):
        serial = pd.to_numeric(frame[column].replace("", None), errors="coerce")
        frame[column] = (pd.to_datetime(serial, unit="D", origin="1899-12-30").dt.tz_localize(IST))
    return frame


def recount(frame: pd.DataFrame, now: datetime) -> list[Any]:
    """The Dashboard's figures for a group of rows, counted afresh from the definitions in metrics.py."""
    is_open = frame["Status"].isin(OPEN)
    escalated = is_open & ((frame["Overdue"] == "Escalated") | (frame["Status"] == "Escalated"))
    overdue = is_open & (frame["Overdue"] == "Overdue") & ~escalated
    posted, received = frame["Reply Posted At"], frame["Received At"]
    hours = (posted - received).dt.total_seconds() / 3600

    def window(days: int) -> pd.Series:
        valid = posted.notna() & received.notna() & (posted >= received)
        return hours[valid & (posted > now - timedelta(days=days)) & (posted <= now)]

    replied_24h = int(((posted > now - timedelta(days=1)) & (posted <= now)).sum())
    out: list[Any] = [int(is_open.sum()), int(overdue.sum()), int(escalated.sum()), replied_24h]
    for days in (7, 30):
        h = window(days)
        out += ["—", "—"] if h.empty else [round(float(h.median()), 1), round(float(h.quantile(0.9)), 1)]
    return out


def close(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= 0.05 + 1e-9  # one decimal shown; rounding the same figure may differ by a hair
    return a == b


@dataclass
class Busy:
    world: World
    comment_ids: list[str]


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Busy:
    """300 comments over four days on four platforms; replies on the platform and from the sheet; deadlines
    passed and escalated; a final quiet cycle so the Dashboard is computed from the sheet as written."""
    world = World.create(tmp_path_factory.mktemp("dash"), START, quota_per_minute=0)
    rng = random.Random(11)
    platforms = ["facebook", "instagram", "youtube", "x"]
    posts = {p: [world.post(p, f"PMC update {i} on {p}") for i in range(3)] for p in platforms}
    ids = []
    for i in range(N_COMMENTS):
        platform = platforms[i % 4]
        _, template = TEMPLATES[rng.randrange(len(TEMPLATES))]
        when = START - timedelta(hours=rng.uniform(0, 96))
        ids.append(world.comment(platform, rng.choice(posts[platform]), template.format(area=rng.choice(AREAS)),
                                 f"citizen {i}", when=when))
    world.runner("r1").cycle()
    for comment_id in ids[::5]:  # answered on the platform itself
        world.platforms.owner_reply(comment_id, "धन्यवाद, तक्रार नोंदवली आहे.")
    # Replies typed in the sheet (one person's batch edit), for rows not answered on the platform.
    ws = world.worksheet()
    header = ws.row_values(1)
    col = {h: header.index(h) + 1 for h in ("Comment ID", "Reply", "Send", "Replied By")}
    row_of = {cid: n for n, cid in enumerate(ws.col_values(col["Comment ID"]), start=1)}
    edits = []
    for comment_id in ids[1::7]:
        n = row_of[comment_id]
        edits += [{"range": rowcol_to_a1(n, col["Reply"]), "values": [["Work order issued."]]},
                  {"range": rowcol_to_a1(n, col["Send"]), "values": [[True]]},
                  {"range": rowcol_to_a1(n, col["Replied By"]), "values": [["Ward office"]]}]
    ws.batch_update(edits, value_input_option="RAW")
    world.clock.advance(hours=2)
    world.runner("r2").cycle()
    world.clock.advance(hours=26)
    world.runner("r3").cycle()
    for comment_id in ids[3::11]:
        world.platforms.owner_reply(comment_id, "Resolved.")
    world.clock.advance(hours=1)
    world.runner("r4").cycle()
    world.clock.advance(minutes=5)
    world.runner("r5").cycle()
    return Busy(world, ids)


def dashboard_blocks(grid: list[list[Any]]) -> dict[str, dict[str, list[Any]]]:
    """The Dashboard's two blocks: {"Department": {name: figures}, "Platform": {...}} (Total included), found by
    their bilingual headers ("विभाग / Department", "माध्यम / Platform")."""
    starts = {"विभाग / Department": "Department", "माध्यम / Platform": "Platform"}
    blocks: dict[str, dict[str, list[Any]]] = {}
    current: dict[str, list[Any]] | None = None
    for row in grid[1:]:
        row = row + [""] * (1 + len(METRIC_COLUMNS) - len(row))
        if row[0] in starts:
            current = blocks.setdefault(starts[row[0]], {})
            assert row[1:1 + len(METRIC_COLUMNS)] == METRIC_COLUMNS
        elif row[0] and current is not None:
            current[str(row[0])] = row[1:1 + len(METRIC_COLUMNS)]
        else:
            current = None
    return blocks


def test_dashboard_equals_an_independent_recount_of_the_tracker(busy: Busy) -> None:
    world = busy.world
    frame = tracker_frame(world)
    assert len(frame) == N_COMMENTS and frame["Ticket ID"].is_unique
    # The scenario has every kind of row the figures tell apart.
    statuses = set(frame["Status"])
    assert {"Replied", "Assigned", "Escalated"} <= statuses and (frame["Overdue"] == "Overdue").any()
    state = {r[0]: r[1] for r in values(world, "_state")[1:] if r}
    now = datetime.fromisoformat(json.loads(state["last_run"])["at"])  # the last cycle's "now"
    blocks = dashboard_blocks(values(world, "Dashboard"))
    departments, platforms = blocks["Department"], blocks["Platform"]

    expected = {name: recount(group, now) for name, group in frame.groupby("Department")}
    expected["Total"] = recount(frame, now)
    shown = {name: figures for name, figures in departments.items() if name in expected}
    assert set(shown) == set(expected)
    # Departments without rows are shown with zeros (every active one is listed).
    for name, figures in departments.items():
        if name not in expected:
            assert figures[:4] == [0, 0, 0, 0] and figures[4:] == ["—"] * 4, name
    for name, figures in shown.items():
        assert all(close(a, b) for a, b in zip(figures, expected[name], strict=True)), (name, figures,
                                                                                         expected[name])
    for name, group in frame.groupby("Platform"):
        assert all(close(a, b) for a, b in zip(platforms[name], recount(group, now), strict=True)), name
    assert all(close(a, b) for a, b in zip(platforms["Total"], expected["Total"], strict=True))
    assert expected["Total"][0] > 0 and expected["Total"][2] > 0 and expected["Total"][3] > 0


def test_the_chart_is_added_once_even_when_init_runs_again(busy: Busy) -> None:
    world = busy.world
    http = make_client(world.sheets.session()).http_client

    def charts() -> list[dict[str, Any]]:
        meta = http.fetch_sheet_metadata(world.backend.spreadsheet_id,
                                         params={"fields": "sheets(properties(title),charts)"})
        return [c for s in meta["sheets"] if s["properties"]["title"] == "Dashboard" for c in s.get("charts", [])]

    assert len(charts()) == 1
    spec = charts()[0]["spec"]
    assert spec["title"] == "विभागनिहाय मुदतबाह्य प्रतिक्रिया / Overdue by department" and spec["basicChart"]["chartType"] == "COLUMN"
    run_init(world.runner("init again").store)
    run_init(world.runner("and again").store)
    assert len(charts()) == 1


def test_rows_below_a_shorter_dashboard_are_cleared(tmp_path: Path) -> None:
    world = World.create(tmp_path, START, quota_per_minute=0)
    post = world.post("facebook", "Notice")
    world.comment("facebook", post, "No water supply in Kothrud for two days", "Priya")
    world.runner("r1").cycle()
    before = values(world, "Dashboard")
    # The cell removes the departments that have no rows: the department block shrinks by that many rows.
    ws = world.worksheet("Departments")
    names = ws.col_values(1)
    keep = {"Department", "Water Supply", "Roads"}
    for n in sorted((n for n, name in enumerate(names, start=1) if name not in keep), reverse=True):
        ws.delete_rows(n)
    world.clock.advance(minutes=5)
    world.runner("r2").cycle()
    after = values(world, "Dashboard")
    removed = len(names) - len(keep)
    assert len(after) == len(before) - removed
    assert list(dashboard_blocks(after)["Department"]) == ["Water Supply", "Roads", "Total"]
    # Nothing of the longer grid is left below or beside the new one.
    full = world.worksheet("Dashboard").get_all_values()
    assert all(not any(row) for row in full[len(after):])
    assert sum(row[0] == "Total" for row in full) == 2
    # The chart now reads the two department rows (header + 2, Total left out), not the old nineteen.
    meta = world.person_client().http_client.fetch_sheet_metadata(
        world.backend.spreadsheet_id, params={"fields": "sheets(properties(title),charts)"})
    [chart] = [c for sh in meta["sheets"] if sh["properties"]["title"] == "Dashboard" for c in sh.get("charts", [])]
    [source] = chart["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"]
    assert source["endRowIndex"] - source["startRowIndex"] == 1 + 2
