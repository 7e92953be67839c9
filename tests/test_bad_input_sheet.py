"""Bad input typed by people into the Tracker Sheet: each case gets a message naming the place and the fix,
and loses nothing — no comment, no person's cell, and the rest of the cycle still works.

Everything runs in the offline World (both emulators in-process, simulated clock): no sleeping.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from gspread.utils import rowcol_to_a1

from sheets_sync.demo.world import IST, World
from sheets_sync.errors import SchemaError
from sheets_sync.schema import load_schema
from sheets_sync.tracker.cells import CELL_LIMIT, as_text
from sheets_sync.tracker.init import run_init
from sheets_sync.tracker.store import TrackerStore
from sheets_sync.tracker.table import Table, column_letter

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)
TRACKER_HEADERS = load_schema()["Tracker"].headers
DUE_LETTER, STATUS_LETTER = (column_letter(TRACKER_HEADERS.index(h)) for h in ("Due By", "Status"))


@pytest.fixture
def world(tmp_path) -> World:
    return World.create(tmp_path, START)


def read_tracker(world: World) -> Table:
    """The Tracker as the tool reads it."""
    return world.runner("reader").store.read(["Tracker"])["Tracker"]


def ticket_counts(world: World) -> dict[str, int]:
    """Ticket ID → how many rows hold it (every comment must be there exactly once)."""
    counts: dict[str, int] = {}
    for value in read_tracker(world).column("Ticket ID"):
        key = as_text(value).strip()
        if key:
            counts[key] = counts.get(key, 0) + 1
    return counts


def seed(world: World) -> dict[str, str]:
    """One post and one comment on every platform; returns name → comment id."""
    fb = world.post("facebook", "पाणीपुरवठा बंद राहील — water shutdown Thursday")
    ig = world.post("instagram", "Our gardens")
    yt = world.post("youtube", "Road repair plan")
    x = world.post("x", "New traffic rules")
    return {
        "fb": world.comment("facebook", fb, "कोथरूड मध्ये आज पाणी आले नाही", "Priya"),
        "ig": world.comment("instagram", ig, "Garbage not collected in Baner", "Neha"),
        "yt": world.comment("youtube", yt, "Sinhagad road pe bahut khadde hai", "Rohan"),
        "x": world.comment("x", x, "@PMCPune signal at Aundh chowk not working", "Farhan"),
    }


def more_comments(world: World) -> list[str]:
    """Comments that arrive later, on two platforms."""
    fb = world.post("facebook", "Property tax notice")
    yt = world.post("youtube", "Metro works")
    return [world.comment("facebook", fb, "Tax portal is down", "Asha"),
            world.comment("youtube", yt, "Dust everywhere near the metro site", "Vikram")]


def cell(ws: Any, row: int, header: str) -> Any:
    """A cell's raw value (UNFORMATTED), as the tool reads it."""
    col = ws.row_values(1).index(header) + 1
    got = ws.get(rowcol_to_a1(row, col), value_render_option="UNFORMATTED_VALUE")
    return got[0][0] if got and got[0] else ""


def put(ws: Any, row: int, header: str, value: Any) -> None:
    """A person types ``value`` (RAW: text stays text) into the cell under ``header``."""
    col = ws.row_values(1).index(header) + 1
    ws.update([[value]], rowcol_to_a1(row, col), raw=True)


def row_of(world: World, comment_id: str) -> int:
    """The sheet row (1-based) of a comment, wherever people moved it."""
    table = read_tracker(world)
    for n in table.row_numbers():
        if as_text(table.raw(n, "Comment ID")) == comment_id:
            return n
    raise AssertionError(f"comment {comment_id} not in the Tracker")


# ---- headers -------------------------------------------------------------------------------------------


def _delete_column(ws: Any, header: str) -> None:
    ws.delete_columns(ws.row_values(1).index(header) + 1)


def _rename(ws: Any, old: str, new: str) -> None:
    ws.update_cell(1, ws.row_values(1).index(old) + 1, new)


def _add_column(ws: Any, header: str) -> None:
    width = len(ws.row_values(1))
    ws.add_cols(1)
    ws.update_cell(1, width + 1, header)


HEADER_CASES = [
    # (break it, message parts, fix it)
    pytest.param(lambda w: _delete_column(w.worksheet(), "Overdue"),
                 ["Tracker", "'Overdue' is missing", "sheets-sync init"],
                 lambda w: run_init(TrackerStore(w.backend, tz=IST, clock=w.clock)), id="missing"),
    pytest.param(lambda w: _rename(w.worksheet(), "Due By", "Due Date"),
                 ["Tracker", "'Due By' is missing", f"column {DUE_LETTER} is headed 'Due Date': rename it back to 'Due By'"],
                 lambda w: _rename(w.worksheet(), "Due Date", "Due By"), id="renamed"),
    pytest.param(lambda w: _add_column(w.worksheet(), "Status"),
                 ["Tracker", "'Status' appears more than once",
                  f"columns {STATUS_LETTER}, {column_letter(len(TRACKER_HEADERS))}", "Rename or delete the extra"],
                 lambda w: w.worksheet().update_cell(1, len(TRACKER_HEADERS) + 1, "My status"), id="duplicated"),
]


@pytest.mark.parametrize("break_it, message, fix_it", HEADER_CASES)
def test_broken_tracker_header_refuses_the_write_and_loses_no_comment(world, break_it, message, fix_it):
    seed(world)
    world.runner("r1").cycle()
    break_it(world)
    later = more_comments(world)
    state_before = world.worksheet("_state").get_all_values()
    sheet_before = {t: world.worksheet(t).get_all_values() for t in ("Tracker", "Posts", "Dashboard")}

    result = world.runner("r2").cycle()
    assert not result.ok
    text = " ".join(result.problems)
    for part in message:
        assert part in text, text

    # The Tracker's jobs waited, before any fetch or reply: no tab changed, no cursor advanced (so the comments
    # are fetched again), and the cycle itself went on and released its lease in its own write.
    after = {t: world.worksheet(t).get_all_values() for t in ("Tracker", "Posts", "Dashboard")}
    assert after == sheet_before
    cursors = [r for r in world.worksheet("_state").get_all_values() if r[0].startswith("cursor:")]
    assert cursors == [r for r in state_before if r[0].startswith("cursor:")]
    assert any("ingest waits until the Tracker tab can be written" in n for n in result.notes)

    fix_it(world)
    result = world.runner("r3").cycle()  # at once: the waiting cycle released its lease
    assert result.ran
    assert not result.failed_jobs, result.notes
    counts = ticket_counts(world)
    assert all(n == 1 for n in counts.values()), counts
    assert {f"FB-{later[0]}", f"YT-{later[1]}"} <= set(counts) and len(counts) == 6


def test_refused_cycle_releases_the_lease_for_the_next_runner(world):
    seed(world)
    world.runner("r1").cycle()
    _rename(world.worksheet(), "Due By", "Due Date")
    assert not world.runner("r2").cycle().ok
    _rename(world.worksheet(), "Due Date", "Due By")
    assert world.runner("r3").cycle().ran  # e.g. the next `sheets-sync run --once` from cron, 5 minutes later


def test_renamed_header_message_names_the_cell_and_both_fixes():
    from sheets_sync.schema import load_schema

    tab = load_schema()["Tracker"]
    header = ["Due Date" if h == "Due By" else h for h in tab.headers]
    table = Table(tab, header, [], IST)
    assert not table.writable
    with pytest.raises(SchemaError) as info:
        table.require_writable()
    assert str(info.value) == ("Tracker: the required column 'Due By' is missing. Run `sheets-sync init` to add it "
                               f"at the end, or restore the header text — column {DUE_LETTER} is headed 'Due Date': rename it "
                               "back to 'Due By'.")


# ---- garbage in typed cells ----------------------------------------------------------------------------

GARBAGE = [
    ("Received At", "tomorrow", "'tomorrow' is not a date and time; write it as 2026-10-05 10:30"),
    ("Received At", "31/31/2026", "'31/31/2026' is not a date and time; write it as 2026-10-05 10:30"),
    ("Due By", "tomorrow", "'tomorrow' is not a date and time; write it as 2026-10-05 10:30"),
    ("Due By", "31/31/2026", "'31/31/2026' is not a date and time; write it as 2026-10-05 10:30"),
    ("Send", "maybe", "'maybe' is not a checkbox value; tick or untick the box (TRUE/FALSE)"),
    ("Send", "yes please", "'yes please' is not a checkbox value; tick or untick the box (TRUE/FALSE)"),
    ("Department", "Water Dept", "'Water Dept' is not a valid Department; use one of: "),
    ("Status", "Pending", "'Pending' is not a valid Status; use one of: New, Assigned, Replied, Closed, Escalated"),
]


@pytest.mark.parametrize("header, garbage, expected", GARBAGE, ids=[f"{h}={g}" for h, g, _ in GARBAGE])
def test_garbage_in_a_cell_is_reported_with_its_address_and_left_as_typed(world, header, garbage, expected):
    ids = seed(world)
    world.runner("r1").cycle()
    row = row_of(world, ids["fb"])
    ticket = f"FB-{ids['fb']}"
    ws = world.worksheet()
    if header == "Send":
        world.type_reply(ticket, "Tanker sent — PMC")
    put(ws, row, header, garbage)
    address = f"Tracker!{column_letter(ws.row_values(1).index(header))}{row} ({header})"
    later = more_comments(world)
    world.clock.advance(hours=30)  # past due: the tool has work to do on this row (Overdue, Status)

    result = world.runner("r2").cycle()

    note = next((n for n in result.notes if n.startswith(address)), None)
    assert note is not None and expected in note, result.notes
    if header == "Department":
        assert "Water Supply" in note and "(from Departments)" in note
    assert cell(ws, row, header) == garbage  # the person's cell, untouched
    assert expected in as_text(cell(ws, row, "Sync Notes"))  # and explained on the row itself
    assert not world.platforms.replies("facebook")  # an unreadable Send is not a tick
    # The rest of the cycle went on: new comments in, other rows flagged overdue.
    counts = ticket_counts(world)
    assert all(n == 1 for n in counts.values()) and f"FB-{later[0]}" in counts
    assert cell(ws, row_of(world, ids["ig"]), "Overdue") == "Overdue"

    # The person fixes the cell: the note goes away at the next cycle.
    fixed = {"Received At": "2026-11-23 09:00", "Due By": "2026-11-24 09:00", "Send": True,
             "Department": "Water Supply", "Status": "Assigned"}[header]
    put(ws, row, header, fixed)
    world.clock.advance(minutes=5)
    result = world.runner("r3").cycle()
    assert not any(n.startswith(address) for n in result.notes)
    assert not as_text(cell(ws, row, "Sync Notes")).startswith("Tracker!")


def test_cell_problems_is_pure_and_table_driven():
    from sheets_sync.schema import load_schema

    tab = load_schema()["Tracker"]
    row = [""] * len(tab.headers)
    values = {"Ticket ID": "FB-1", "Received At": "tomorrow", "Send": "maybe", "Department": "Water Dept",
              "Status": "Pending", "Due By": 46350.5, "Platform": "facebook"}
    for header, value in values.items():
        row[tab.headers.index(header)] = value
    table = Table(tab, list(tab.headers), [row], IST)
    problems = table.cell_problems(2, {"Department": ["Water Supply", "Roads"]})
    at = {h: f"Tracker!{column_letter(tab.headers.index(h))}2" for h in values}
    assert problems == [
        f"{at['Received At']} (Received At): 'tomorrow' is not a date and time; write it as 2026-10-05 10:30",
        f"{at['Department']} (Department): 'Water Dept' is not a valid Department; use one of: Water Supply, Roads "
        "(from Departments)",
        f"{at['Status']} (Status): 'Pending' is not a valid Status; use one of: New, Assigned, Replied, Closed, "
        "Escalated",
        f"{at['Send']} (Send): 'maybe' is not a checkbox value; tick or untick the box (TRUE/FALSE)",
    ]


# ---- duplicated keys, empty rows, merged cells ---------------------------------------------------------


def test_copy_pasted_row_is_reported_never_merged_and_neither_copy_written(world):
    ids = seed(world)
    world.runner("r1").cycle()
    ws = world.worksheet()
    row = row_of(world, ids["fb"])
    copy = ws.row_values(row, value_render_option="UNFORMATTED_VALUE")
    ws.append_row(copy, value_input_option="RAW")
    copy_row = len(ws.col_values(1))
    ticket = f"FB-{ids['fb']}"
    world.type_reply(ticket, "Tanker sent — PMC")  # ticks Send on the first copy: must not be posted
    before = [ws.row_values(r, value_render_option="UNFORMATTED_VALUE") for r in (row, copy_row)]
    world.clock.advance(hours=30)

    result = world.runner("r2").cycle()

    expected = (f"Tracker: Ticket ID {ticket!r} is on rows {row}, {copy_row}. Keep one row and delete the others "
                "(move any notes first); the tool leaves these rows alone until then.")
    assert expected in result.notes
    after = [ws.row_values(r, value_render_option="UNFORMATTED_VALUE") for r in (row, copy_row)]
    assert after == before  # neither written (no Overdue, no Sync Notes, no reply)
    assert not world.platforms.replies("facebook")
    assert cell(ws, row_of(world, ids["ig"]), "Overdue") == "Overdue"  # the other rows go on
    assert ticket_counts(world)[ticket] == 2  # never merged into one


def test_empty_rows_in_the_middle_are_ignored_and_appends_go_after_the_last_row(world):
    ids = seed(world)
    world.runner("r1").cycle()
    ws = world.worksheet()
    ws.insert_rows([[""], [""]], row=3)  # a person opens a gap after the first data row
    last = len(ws.col_values(1))
    later = more_comments(world)

    result = world.runner("r2").cycle()

    assert not result.failed_jobs
    assert ws.row_values(3) == [] and ws.row_values(4) == []  # the gap is still the person's
    ticket_col = ws.col_values(1)
    assert ticket_col[last:] == [f"FB-{later[0]}", f"YT-{later[1]}"]  # after the last row, not in the gap
    counts = ticket_counts(world)
    assert len(counts) == len(ids) + 2 and all(n == 1 for n in counts.values())


def test_merged_notes_cells_do_not_hide_rows_and_are_never_written(world):
    ids = seed(world)
    world.runner("r1").cycle()
    ws = world.worksheet()
    notes_col = ws.row_values(1).index("Notes")
    put(ws, 2, "Notes", "both rows: same caller")
    ws.spreadsheet.batch_update({"requests": [{"mergeCells": {"mergeType": "MERGE_ALL", "range": {
        "sheetId": ws.id, "startRowIndex": 1, "endRowIndex": 3,
        "startColumnIndex": notes_col, "endColumnIndex": notes_col + 1}}}]})
    later = more_comments(world)
    world.clock.advance(hours=30)

    result = world.runner("r2").cycle()

    assert not result.failed_jobs
    counts = ticket_counts(world)
    assert len(counts) == len(ids) + 2 and all(n == 1 for n in counts.values())
    assert f"FB-{later[0]}" in counts
    for comment_id in ids.values():  # every row found and worked on, the merged ones included
        assert cell(ws, row_of(world, comment_id), "Overdue") == "Overdue"
    assert cell(ws, 2, "Notes") == "both rows: same caller" and cell(ws, 3, "Notes") == ""
    meta = ws.spreadsheet.fetch_sheet_metadata({"fields": "sheets(properties(title),merges)"})
    merges = next(s.get("merges", []) for s in meta["sheets"] if s["properties"]["title"] == "Tracker")
    assert [(m["startRowIndex"], m["endRowIndex"], m["startColumnIndex"]) for m in merges] == [(1, 3, notes_col)]


# ---- comment text ---------------------------------------------------------------------------------------


def test_sixty_thousand_character_comment_is_cut_with_a_marker_and_its_link(world):
    post = world.post("facebook", "Budget 2026")
    text = "पाणी " * 12_000  # 60,000 characters
    cid = world.comment("facebook", post, text, "Long writer")
    world.runner("r1").cycle()
    ws = world.worksheet()
    row = row_of(world, cid)
    stored = as_text(cell(ws, row, "Comment"))
    assert len(stored) == CELL_LIMIT
    assert stored.startswith(text[:1000])
    marker = re.search(r"… \[cut by sheets-sync: (\d+) more characters; open the Link for the full text\]$", stored)
    assert marker is not None
    kept = stored[: marker.start()]
    assert kept == text[: len(text) - int(marker.group(1))]  # the marker counts exactly what was cut
    assert as_text(cell(ws, row, "Link")).startswith("https://")
    world.clock.advance(minutes=5)
    world.runner("r2").cycle()  # the cut text is not "changed" again and again
    assert as_text(cell(ws, row, "Comment")) == stored and ticket_counts(world) == {f"FB-{cid}": 1}


def test_control_characters_are_removed_and_newlines_kept(world):
    post = world.post("instagram", "Ganesh festival")
    cid = world.comment("instagram", post, "No\x00 water\x07 in\x1b[31m Baner\nsecond line\r\nthird", "Ctl")
    result = world.runner("r1").cycle()
    assert not result.failed_jobs
    stored = as_text(cell(world.worksheet(), row_of(world, cid), "Comment"))
    assert stored == "No water in[31m Baner\nsecond line\r\nthird"


def test_cursor_is_kept_in_state_as_json(world):
    """Sanity for the header tests above: the cursors they compare are real and advance on a good cycle."""
    seed(world)
    world.runner("r1").cycle()
    rows = {r[0]: r[1] for r in world.worksheet("_state").get_all_values()[1:]}
    facebook = next(v for k, v in rows.items() if k.startswith("cursor:facebook:"))
    assert json.loads(facebook)["platform"] == "facebook"
