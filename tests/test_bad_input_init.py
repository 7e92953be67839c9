"""`sheets-sync init` on a sheet whose header row a person moved: a title row typed above the headers, text in
row 1, empty rows above the headers. ``init`` writes headers only into row 1, and only when row 1 is empty or
already holds headers; otherwise it leaves that tab untouched, lays out the other tabs, and fails naming the tab,
the header row and the fix.

Everything runs against the embedded Sheets emulator; people edit through gspread. No sleeping.
"""

from __future__ import annotations

from typing import Any

import pytest

from sheets_sync.errors import SchemaError
from sheets_sync.schema import load_schema
from sheets_sync.tracker.init import InitRefused, header_row_problem, run_init

SCHEMA = load_schema()
TITLE = "PMC Social Media Tracker — October"


def spreadsheet(store) -> Any:
    return store.backend.client.open_by_key(store.spreadsheet_id)


def writes(emu) -> int:
    return emu.stats()["writes"]


def sheet_ids_in(obj: Any) -> set[int]:
    """Every sheetId a request names, however deep."""
    found: set[int] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "sheetId" and isinstance(value, int):
                found.add(value)
            else:
                found |= sheet_ids_in(value)
    elif isinstance(obj, list):
        for value in obj:
            found |= sheet_ids_in(value)
    return found


def tab_state(store, title: str) -> dict[str, Any]:
    """All a tab holds: values, notes, validation, formats, frozen rows, protection, rules, filter views."""
    meta = spreadsheet(store).fetch_sheet_metadata({
        "ranges": [f"'{title}'!A1:AZ8"], "includeGridData": "true",
        "fields": "sheets(properties,data,protectedRanges,conditionalFormats,filterViews,merges)"})
    sheet = meta["sheets"][0]
    sheet["properties"].pop("index")  # moves when init re-creates a deleted tab before it
    return sheet


def add_data_row(store) -> None:
    """One comment in the Tracker, so misalignment would show."""
    ws = spreadsheet(store).worksheet("Tracker")
    row = {"Ticket ID": "FB-1", "Platform": "facebook", "Comment ID": "1", "Comment": "पाणी नाही", "Status": "New"}
    ws.append_row([row.get(h, "") for h in SCHEMA["Tracker"].headers], value_input_option="RAW")


# ---- set-ups: what a person did ---------------------------------------------------------------------------


def title_above_headers(book: Any) -> None:
    book.worksheet("Tracker").insert_row([TITLE], index=1)


def title_and_blank_row_above_headers(book: Any) -> None:
    ws = book.worksheet("Content")
    ws.insert_rows([["Content calendar 2026"], [""]], row=1)


def empty_row_above_headers(book: Any) -> None:
    book.worksheet("Posts").insert_row([""], index=1)


def garbage_row_one(book: Any) -> None:
    ws = book.worksheet("Routing")
    ws.clear()
    ws.update([["xyz rules kept by Sunil"], ["पाणी", "Water Supply"]], "A1", raw=True)


def long_garbage_row_one(book: Any) -> None:
    ws = book.worksheet("Audit")
    ws.clear()
    ws.update([["a" * 80, "second cell"]], "A1", raw=True)


REFUSED = [
    # (set-up, tab, the whole message)
    pytest.param(title_above_headers, "Tracker",
                 f"Tracker: the header row is row 2 (row 1 holds '{TITLE}'). The tool reads headers from row 1: "
                 "delete row 1 (or move that title to a cell comment or another tab), then run `sheets-sync init` "
                 "again.", id="title-above-headers"),
    pytest.param(title_and_blank_row_above_headers, "Content",
                 "Content: the header row is row 3 (row 1 holds 'Content calendar 2026'). The tool reads headers "
                 "from row 1: delete rows 1–2 (or move that title to a cell comment or another tab), then run "
                 "`sheets-sync init` again.", id="title-and-blank-row"),
    pytest.param(empty_row_above_headers, "Posts",
                 "Posts: the header row is row 2 (row 1 is empty). The tool reads headers from row 1: delete row 1, "
                 "then run `sheets-sync init` again.", id="empty-row-above-headers"),
    pytest.param(garbage_row_one, "Routing",
                 "Routing: row 1 holds 'xyz rules kept by Sunil', not the column headers (no cell in rows 1–5 "
                 "reads 'Keyword', 'Department' or another Routing header). The tool reads headers from row 1: "
                 "insert an empty row 1 above it (to keep that text) or clear row 1, then run `sheets-sync init` "
                 "again to write the headers there.", id="garbage-no-headers"),
    pytest.param(long_garbage_row_one, "Audit",
                 f"Audit: row 1 holds '{'a' * 59}…', not the column headers (no cell in rows 1–5 reads 'Time', "
                 "'Job' or another Audit header). The tool reads headers from row 1: insert an empty row 1 above it "
                 "(to keep that text) or clear row 1, then run `sheets-sync init` again to write the headers there.",
                 id="long-garbage-cut"),
]


@pytest.mark.parametrize("set_up, tab, message", REFUSED)
def test_init_refuses_a_tab_whose_row_one_is_not_its_header_row(store, sheets_emulator, set_up, tab, message):
    add_data_row(store)
    book = spreadsheet(store)
    set_up(book)
    # Other tabs need work too: a deleted tab and a deleted column, which init must still fix.
    book.del_worksheet(book.worksheet("Departments"))
    archive = book.worksheet("Archive")
    archive.delete_columns(archive.row_values(1).index("Sync Notes") + 1)
    refused_id = book.worksheet(tab).id
    before = tab_state(store, tab)

    with pytest.raises(InitRefused) as info:
        run_init(store)

    assert isinstance(info.value, SchemaError)  # the CLI prints it and exits 2
    assert str(info.value) == message
    report = info.value.report
    assert report.problems == [message]
    # Nothing sent names the refused tab, and the tab is exactly as the person left it.
    assert refused_id not in set().union(*(sheet_ids_in(r) for r in report.requests))
    assert tab_state(store, tab) == before
    # The other tabs were still laid out.
    assert "tab Departments created" in report.actions
    assert book.worksheet("Departments").row_values(1) == SCHEMA["Departments"].headers
    assert len(book.worksheet("Departments").get_all_values()) > 1  # seeded
    assert book.worksheet("Archive").row_values(1)[-1] == "Sync Notes"

    # Run again without fixing: refused again, and nothing else left to write.
    writes_before = writes(sheets_emulator)
    with pytest.raises(InitRefused) as again:
        run_init(store)
    assert str(again.value) == message and not again.value.report.requests
    assert writes(sheets_emulator) == writes_before


def test_after_the_person_deletes_the_title_row_init_succeeds_and_nothing_is_misaligned(store, sheets_emulator):
    add_data_row(store)
    ws = spreadsheet(store).worksheet("Tracker")
    good = ws.get_all_values()
    ws.insert_row([TITLE], index=1)
    with pytest.raises(InitRefused, match="delete row 1"):
        run_init(store)
    # The tool's cycle refuses too, and its advice (run init) now leads to the message above.
    with pytest.raises(SchemaError, match="sheets-sync init"):
        store.read(["Tracker"])["Tracker"].require_writable()

    ws.delete_rows(1)
    report = run_init(store)

    assert ws.get_all_values() == good  # headers in row 1, the comment under its own headers
    table = store.read(["Tracker"])["Tracker"]
    assert table.writable and table.raw(2, "Comment") == "पाणी नाही" and table.raw(2, "Status") == "New"
    assert not report.changed, report.actions
    before = writes(sheets_emulator)
    assert not run_init(store).changed
    assert writes(sheets_emulator) == before


ACCEPTED = [
    # (set-up of the Posts tab, what row 1 must read afterwards)
    pytest.param(lambda ws: ws.clear(), SCHEMA["Posts"].headers, id="empty-tab"),
    pytest.param(lambda ws: (ws.clear(), ws.update([["", ""], ["facebook", "p-1"]], "A1", raw=True)),
                 SCHEMA["Posts"].headers, id="empty-row-one-data-below"),
    pytest.param(lambda ws: ws.delete_columns(SCHEMA["Posts"].headers.index("Title") + 1),
                 [h for h in SCHEMA["Posts"].headers if h != "Title"] + ["Title"], id="one-header-missing"),
    pytest.param(lambda ws: (ws.clear(), ws.update([["Post ID", "Ward"]], "A1", raw=True)),
                 ["Post ID", "Ward"] + [h for h in SCHEMA["Posts"].headers if h != "Post ID"],
                 id="one-header-and-extra"),
]


@pytest.mark.parametrize("set_up, header", ACCEPTED)
def test_init_lays_out_row_one_when_it_is_empty_or_holds_headers(store, sheets_emulator, set_up, header):
    ws = spreadsheet(store).worksheet("Posts")
    set_up(ws)
    report = run_init(store)
    assert report.changed and not report.problems
    assert ws.row_values(1) == header
    before = writes(sheets_emulator)
    assert not run_init(store).changed  # the second run writes nothing
    assert writes(sheets_emulator) == before


def test_header_row_problem_is_pure_and_table_driven():
    tab = SCHEMA["Departments"]
    headers = list(tab.headers)
    cases = [
        ([], None),
        ([[]], None),
        ([headers], None),
        ([["Department", "Ward"]], None),  # some headers: init adds the rest
        ([["", "", ""], ["Water Supply", "पाणीपुरवठा"]], None),  # empty row 1, no header row below: laid out
        ([["  "], headers], "row 1 is empty"),  # a blank cell is empty
        ([["Heads of department"], ["Department"], headers], "the header row is row 3"),  # one match is data
        ([["Heads"], [], [], [], headers], "the header row is row 5 (row 1 holds 'Heads')"),
        ([["Heads"], [], [], [], [], headers], "row 1 holds 'Heads', not the column headers"),  # beyond 5 rows
        ([["A", "", "B"]], "row 1 holds 'A | B'"),
    ]
    for top, expected in cases:
        problem = header_row_problem("Departments", tab, top)
        if expected is None:
            assert problem is None, (top, problem)
        else:
            assert problem is not None and problem.startswith("Departments: ") and expected in problem, (top, problem)


def test_cli_init_prints_the_problem_and_exits_non_zero(tmp_path, monkeypatch, capsys):
    from sheets_sync.cli import main
    from sheets_sync.client import connect
    from sheets_sync.config import load_config

    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    backend = connect(load_config(None))
    backend.client.open_by_key(backend.spreadsheet_id).worksheet("Tracker").insert_row([TITLE], index=1)
    capsys.readouterr()
    assert main(["init"]) == 2
    err = capsys.readouterr().err
    assert "Tracker: the header row is row 2" in err and "delete row 1" in err
