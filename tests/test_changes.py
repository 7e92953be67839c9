"""The write planner: rows found by key after people sort, insert and delete; people's cells never written."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sheets_sync.schema import load_schema
from sheets_sync.tracker.changes import ChangeSet, Fresh, WriteTarget, plan_write

IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=IST)
SCHEMA = load_schema()
HEADER = SCHEMA["Tracker"].headers


def fresh(key_rows, shared=None, header=HEADER, dups=()):
    return {"Tracker": Fresh(header=list(header), key_rows=key_rows, duplicate_keys=set(dups),
                             shared=shared or {}, sheet_id=7)}


def plan(changes, f, read_header=HEADER):
    return plan_write(changes, WriteTarget(fresh=f, read_headers={"Tracker": list(read_header)}, state_rows={},
                                           state_sheet_id=None, audit_sheet_id=99, sizes={}, now=NOW, tz=IST))


def test_people_columns_are_refused():
    cs = ChangeSet(SCHEMA)
    for header in ("Send", "Notes", "Template"):
        assert not cs.set("Tracker", "FB-1", header, "", "x", "test")
    # Reply (from a template) and Replied By ("on platform") only into an empty cell, never over a person's text.
    for header in ("Reply", "Replied By"):
        assert not cs.set("Tracker", "FB-1", header, "typed by a person", "x", "test")
    assert not cs.updates and len(cs.refused) == 5
    assert cs.set("Tracker", "FB-2", "Reply", "", "from a template", "templates")


def test_shared_column_transitions():
    cs = ChangeSet(SCHEMA)
    assert cs.set("Tracker", "FB-1", "Status", "New", "Assigned", "route")
    assert not cs.set("Tracker", "FB-2", "Status", "Closed", "Assigned", "route")
    assert not cs.set("Tracker", "FB-3", "Category", "Complaint", "Question", "route")
    assert cs.set("Tracker", "FB-4", "Category", "", "Question", "route")


def test_update_lands_on_the_row_where_the_key_is_now():
    cs = ChangeSet(SCHEMA)
    cs.set("Tracker", "FB-1", "Overdue", "", "Overdue", "sla")
    p = plan(cs, fresh({"FB-1": 40, "FB-2": 2}))
    [req] = [r for r in p.requests if "updateCells" in r]
    rng = req["updateCells"]["range"]
    assert rng["startRowIndex"] == 39 and rng["startColumnIndex"] == HEADER.index("Overdue")
    assert req["updateCells"]["fields"] == "userEnteredValue"


def test_deleted_row_is_skipped_never_misplaced():
    cs = ChangeSet(SCHEMA)
    cs.set("Tracker", "FB-9", "Overdue", "", "Overdue", "sla")
    p = plan(cs, fresh({"FB-1": 2}))
    assert not [r for r in p.requests if "updateCells" in r]
    assert "no longer" in p.skipped[0]


def test_person_changed_shared_cell_since_read_wins():
    cs = ChangeSet(SCHEMA)
    cs.set("Tracker", "FB-1", "Category", "", "Complaint", "route")
    p = plan(cs, fresh({"FB-1": 2}, shared={("FB-1", "Category"): "Question"}))
    assert not p.applied and "kept theirs" in p.skipped[0]


def test_reordered_columns_since_read_postpone_the_write():
    cs = ChangeSet(SCHEMA)
    cs.set("Tracker", "FB-1", "Overdue", "", "Overdue", "sla")
    moved = list(reversed(HEADER))
    p = plan(cs, fresh({"FB-1": 2}, header=moved))
    assert not p.applied and "columns changed" in p.skipped[0]


def test_duplicated_key_left_alone():
    cs = ChangeSet(SCHEMA)
    cs.set("Tracker", "FB-1", "Overdue", "", "Overdue", "sla")
    p = plan(cs, fresh({"FB-1": 2}, dups={"FB-1"}))
    assert not p.applied


def test_adjacent_cells_share_one_update_and_audit_is_written():
    cs = ChangeSet(SCHEMA)
    cs.set("Tracker", "FB-1", "Due By", None, NOW, "sla")
    cs.set("Tracker", "FB-1", "Status", "New", "Assigned", "route")
    cs.set("Tracker", "FB-1", "Overdue", "", "Overdue", "sla")
    cs.append("Tracker", {"Ticket ID": "FB-2", "Comment": "=HYPERLINK(\"x\")"}, "ingest")
    p = plan(cs, fresh({"FB-1": 5}, shared={("FB-1", "Status"): "New"}))
    updates = [r for r in p.requests if "updateCells" in r]
    assert len(updates) == 1 and len(updates[0]["updateCells"]["rows"][0]["values"]) == 3
    appends = [r["appendCells"] for r in p.requests if "appendCells" in r]
    tracker_rows = [a for a in appends if a["sheetId"] == 7][0]["rows"]
    comment = tracker_rows[0]["values"][HEADER.index("Comment")]
    assert comment == {"userEnteredValue": {"stringValue": "=HYPERLINK(\"x\")"}}
    audit = [a for a in appends if a["sheetId"] == 99][0]["rows"]
    assert len(audit) == 4  # three cell changes and one new row
