"""``jobs.dashboard.metric_frame``: the figures' columns as this cycle leaves the Tracker — rows as read, the
cycle's changes laid over them, its new rows added — the same whether every row is keyed in order (the usual
case, taken without a position index) or people sorted the rows and left one without a Ticket ID."""

from __future__ import annotations

from datetime import datetime

import pytest
from gspread.utils import rowcol_to_a1

from jobs.dashboard import DATETIMES, GROUPS, TEXTS, _build_frame
from jobs.runner import READ_TABS
from sheets_sync.demo.world import IST, World
from sheets_sync.reports.frame import RowFrame
from sheets_sync.tracker.cells import microseconds

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture
def world(tmp_path) -> World:
    return World.create(tmp_path, START, quota_per_minute=0)


@pytest.mark.parametrize("people_sorted", [False, True])
def test_the_frame_is_the_cycles_view_of_the_rows(world: World, people_sorted: bool) -> None:
    posts = [world.post("facebook", "Water notice"), world.post("facebook", "Roads notice")]
    tickets = [f"FB-{world.comment('facebook', posts[i % 2], f'No water in lane {i}', f'Citizen {i}')}"
               for i in range(8)]
    runner = world.runner("r")
    runner.cycle()
    if people_sorted:
        ws = world.worksheet()
        ws.sort((1, "des"), range=f"A2:{rowcol_to_a1(ws.row_count, ws.col_count)}")
        ws.insert_row(["", "", "", "", "", "", "", "a note on a row without a Ticket ID"], 4)
    work = runner.store.begin(READ_TABS)
    tracker = work.tab("Tracker")
    order = list(tracker.read_keys())
    in_order = list(tracker.read_keys().values()) == list(range(2, 2 + len(order)))
    assert in_order is not people_sorted  # the row without a Ticket ID: the frame's places are not the rows'
    tracker.set(tickets[0], "Status", "Replied", "test")
    tracker.set(tickets[3], "Department", "Roads", "test")
    tracker.set(tickets[5], "Reply Posted At", START, "test")
    new = tracker.append({"Ticket ID": "FB-new_1", "Platform": "facebook", "Status": "New", "Post ID": "p9",
                          "Received At": START}, "test")
    assert new is not None
    frame = _build_frame(tracker)
    keys = [*tracker.read_keys(), "FB-new_1"]
    expected = RowFrame.build(*([tracker.get(t, h) for t in keys] for h in (*TEXTS, *DATETIMES)),
                              {h: [tracker.get(t, h) for t in keys] for h in GROUPS})
    assert len(frame) == len(keys) == 9
    for name in ("new", "open", "overdue", "escalated", "status_replied"):
        assert getattr(frame, name).tolist() == getattr(expected, name).tolist(), name
    assert frame.received.tolist() == expected.received.tolist()
    assert frame.posted.tolist() == expected.posted.tolist()
    assert frame.posted.tolist().count(microseconds(START)) == 1
    for h in GROUPS:
        (codes, names), (want_codes, want_names) = frame.groups[h], expected.groups[h]
        assert [names[c] for c in codes.tolist()] == [want_names[c] for c in want_codes.tolist()], h
