"""``tracker.narrow``: the people's columns laid over the kept sheet by key — or None when only a full read can
say what a row holds. Table-driven over what people do to a shared sheet."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from sheets_sync.schema import load_schema
from sheets_sync.tracker.narrow import narrow_columns, overlay
from sheets_sync.tracker.table import Table

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


def test_carry_in_order_reuses_the_older_lists_and_the_older_table_rebuilds_its_own() -> None:
    old = Table(SPEC, list(HEADER), [list(r) for r in KEPT], TZ)
    old.micros("Received At"), old.typed_column("Status"), old.column("Status"), old.filled("Reply")
    old_status = old.column("Status")
    rows = [list(r) for r in KEPT] + [row("FB-4", "drain", "New")]  # nobody sorted; a row appended
    set_cell(rows[1], "Status", "Closed")
    new = Table(SPEC, list(HEADER), rows, TZ)
    new.carry(old, [0, 1, 2, -1], {"Status": [1]})
    truth = Table(SPEC, list(HEADER), [list(r) for r in rows], TZ)
    assert new.column("Status") is old_status  # extended in place, not copied
    assert new.column("Status") == truth.column("Status") == ["Assigned", "Closed", "Assigned", "New"]
    assert new.typed_column("Status") == truth.typed_column("Status")
    assert new.micros("Received At").tolist() == truth.micros("Received At").tolist()
    assert new.filled("Reply") == truth.filled("Reply")
    # The older table handed its lists over: asked again, it answers from its own rows.
    assert old.column("Status") == ["Assigned", "Replied", "Assigned"]
    assert old.typed_column("Status") == ["Assigned", "Replied", "Assigned"]
