"""``tracker.narrow``: the people's columns laid over the kept sheet by key — or None when only a full read can
say what a row holds. Table-driven over what people do to a shared sheet."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from sheets_sync.schema import load_schema
from sheets_sync.tracker.narrow import narrow_columns, overlay
from sheets_sync.tracker.table import MISS, Table

TZ = ZoneInfo("Asia/Kolkata")
SPEC = load_schema()["Tracker"]
HEADER = SPEC.headers
PEOPLE = [HEADER.index(c.header) for c in SPEC.columns if c.owner != "job"]


def row(ticket: str, comment: str, status: str = "Assigned", reply: str = "") -> list:
    values = {"Ticket ID": ticket, "Platform": "facebook", "Comment": comment, "Status": status, "Reply": reply,
              "Received At": 46346.5, "Department": "Roads"}
    cells = [values.get(h, "") for h in HEADER]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


KEPT = [row("FB-1", "pothole"), row("FB-2", "garbage", "Replied", "Done"), row("FB-3", "water")]


def read_now(rows: list[list]) -> dict[int, list]:
    """What the narrow read returns for ``rows``: each asked column from row 2, as a COLUMNS values read."""
    columns = {}
    for c in [HEADER.index("Ticket ID"), *PEOPLE]:
        values = [r[c] if c < len(r) else "" for r in rows]
        while values and values[-1] == "":
            values.pop()
        columns[c] = values
    return columns


def person(edit: Callable[[list[list]], None]) -> list[list]:
    rows = [list(r) for r in KEPT]
    edit(rows)
    return rows


def set_cell(r: list, header: str, value) -> None:
    i = HEADER.index(header)
    r.extend([""] * (i + 1 - len(r)))
    r[i] = value


CASES = {
    "nothing changed": (lambda rows: None, True),
    "a reply typed": (lambda rows: set_cell(rows[0], "Reply", "Attended"), True),
    "rows sorted": (lambda rows: rows.reverse(), True),
    "a row deleted": (lambda rows: rows.pop(1), True),
    "a blank row inserted": (lambda rows: rows.insert(1, []), True),
    "a department changed and a note typed": (
        lambda rows: (set_cell(rows[2], "Department", "Water Supply"), set_cell(rows[2], "Notes", "call")), True),
    "a pasted row (a Ticket ID the tool did not write)": (lambda rows: rows.append(row("FB-9", "new")), False),
    "a Ticket ID on two rows": (lambda rows: rows.append(list(rows[0])), False),
    "a note on a row without a Ticket ID": (lambda rows: (rows.append([]), set_cell(rows[-1], "Notes", "call")), False),
    "a Ticket ID deleted (the row's cells are the tool's)": (lambda rows: set_cell(rows[1], "Ticket ID", ""), False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_overlay(name: str) -> None:
    edit, vouched = CASES[name]
    kept = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    for n in kept.row_numbers():  # parsed once, as a runner's kept sheet is
        kept.typed(n, "Received At"), kept.typed(n, "Status")
    now = person(edit)
    got = overlay(kept, HEADER, read_now(now).items())
    if not vouched:
        assert got is None
        return
    truth = Table(SPEC, list(HEADER), now, TZ)
    assert got is not None and got.rows == truth.rows and got.key_rows == truth.key_rows
    for n in truth.row_numbers():
        assert [got.typed(n, h) for h in HEADER] == [truth.typed(n, h) for h in HEADER]
    for h in ("Status", "Reply", "Ticket ID"):
        assert got.column(h) == truth.column(h)


def test_a_moved_header_means_a_full_read() -> None:
    kept = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    moved = list(HEADER)
    moved[3], moved[4] = moved[4], moved[3]
    assert overlay(kept, moved, read_now(KEPT).items()) is None


def test_only_large_tabs_with_tool_columns_are_narrowed() -> None:
    small = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    assert narrow_columns(small) is None
    columns = narrow_columns(small, min_rows=0)
    assert columns is not None and columns[0] == HEADER.index("Ticket ID")
    assert {HEADER[c] for c in columns[1:]} == {c.header for c in SPEC.columns if c.owner != "job"}
    assert "Comment" not in {HEADER[c] for c in columns}


@pytest.mark.parametrize("raw", ["", " ", "\t\n", "x", " y ", 0.0, 7.0, 2.5, True, False, None, "0"])
def test_filled_says_what_as_text_strip_says(raw) -> None:
    from sheets_sync.tracker.cells import as_text

    table = Table(SPEC, list(HEADER), [["FB-1", raw]], TZ)
    assert table.filled("Platform") == [bool(as_text(raw).strip())]


def test_carry_moves_parsed_cells_and_times_with_their_rows_and_takes_stale_ones_afresh() -> None:
    old = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    old.micros("Received At"), old.typed_column("Status"), old.column("Status")
    rows = [list(KEPT[2]), list(KEPT[0]), []]  # rows 3 and 1 moved up, an empty row of its own
    set_cell(rows[1], "Received At", 46000.25)
    set_cell(rows[1], "Status", "Closed")
    new = Table(SPEC, list(HEADER), rows, TZ)
    new.carry(old, [2, 0, -1], {"Received At": [1], "Status": [1]})
    truth = Table(SPEC, list(HEADER), [list(r) for r in rows], TZ)
    assert new.micros("Received At").tolist() == truth.micros("Received At").tolist()
    assert new.typed_column("Status") == truth.typed_column("Status")
    assert new.column("Status") == truth.column("Status")


def test_moved_in_place_takes_over_the_kept_columns_and_spends_the_kept_table() -> None:
    """Nobody moved a row: the new table's columns are the kept table's own lists, people's cells set in place;
    parsed cells, times and row versions move with them, and the kept table can no longer be taken over."""
    old = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    old.micros("Received At"), old.typed_column("Status")
    old.row_results("job", "context")[:] = ["r1", "r2", "r3"]
    old_status = old.column("Status")
    new = old.moved(range(3), {HEADER.index("Status"): {1: "Closed"}})
    rows = [list(r) for r in KEPT]
    set_cell(rows[1], "Status", "Closed")
    truth = Table(SPEC, list(HEADER), rows, TZ)
    assert new.column("Status") is old_status  # the kept list, changed in place, not copied
    assert new.column("Status") == truth.column("Status") == ["Assigned", "Closed", "Assigned"]
    assert new.rows == truth.rows and new.key_rows == truth.key_rows
    assert new.typed_column("Status") == truth.typed_column("Status")
    assert new.micros("Received At").tolist() == truth.micros("Received At").tolist()
    assert new.row_results("job", "context") == ["r1", MISS, "r3"]  # worked out again: the changed row only
    assert new.row_results("job", "other context") == [MISS] * 3
    with pytest.raises(RuntimeError, match="taken over"):
        old.moved(range(3), {})


def test_written_appends_in_place_and_forgets_only_the_written_rows_results() -> None:
    old = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    old.micros("Received At"), old.typed_column("Status")
    old.row_results("job", "context")[:] = ["r1", "r2", "r3"]
    old_ticket = old.column("Ticket ID")
    added = row("FB-4", "drain", "New")
    new = old.written([(1, HEADER.index("Status"), "Closed")], [added], {"Status": {3}})
    rows = [list(r) for r in KEPT] + [list(added)]
    set_cell(rows[1], "Status", "Closed")
    truth = Table(SPEC, list(HEADER), rows, TZ)
    assert new.column("Ticket ID") is old_ticket and new.rows == truth.rows and new.key_rows == truth.key_rows
    assert new.typed_column("Status") == truth.typed_column("Status")
    assert new.micros("Received At").tolist() == truth.micros("Received At").tolist()
    assert new.row_results("job", "context") == ["r1", MISS, "r3", MISS]  # the written row and the new one
    with pytest.raises(RuntimeError, match="taken over"):
        old.written([], [], {})


def test_a_full_read_keeps_the_results_of_rows_that_read_the_same() -> None:
    """After a full read (people sorted the rows and edited one), unchanged rows keep the jobs' per-row results,
    matched by key: the edited row's are worked out again."""
    old = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    old.row_results("job", "context")[:] = ["r1", "r2", "r3"]
    rows = [list(KEPT[2]), list(KEPT[0]), list(KEPT[1])]
    set_cell(rows[2], "Reply", "Done, thank you")
    new = Table(SPEC, list(HEADER), rows, TZ)
    new.adopt_parsed(old)
    assert new.row_results("job", "context") == ["r3", "r1", MISS]
