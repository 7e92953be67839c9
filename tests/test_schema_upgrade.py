"""A Tracker Sheet made by the previous version (schema 1, kept in tests/data/sheet_schema_v1.yaml as it was
released) is upgraded — by ``init``, or by the runner itself on its first cycle — to this version's layout with
no person's cell changed: new columns after the existing ones, new tabs created and seeded, the default urgent
rules added after the cell's own Routing rules, filter views sorted urgent first, the version recorded."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sheets_sync.demo.world import IST, World
from sheets_sync.schema import load_schema
from sheets_sync.tracker import store as store_module
from sheets_sync.tracker.init import run_init
from sheets_sync.tracker.store import TrackerStore

V1 = Path(__file__).parent / "data" / "sheet_schema_v1.yaml"
START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


def all_values(world: World) -> dict[str, list[list[str]]]:
    book = world.person_client().open_by_key(world.backend.spreadsheet_id)
    return {ws.title: ws.get_all_values() for ws in book.worksheets()}


@pytest.fixture
def old_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """A world whose sheet the previous version laid out, with people's and the tool's data in it."""
    v1 = load_schema(V1)
    assert v1.version == 1 and "Templates" not in v1.tabs
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "load_schema", lambda: v1)
        world = World.create(tmp_path, START, quota_per_minute=0)
    tracker = world.worksheet()
    header = tracker.row_values(1)
    assert "Priority" not in header and "Parent Ticket" not in header
    row = dict.fromkeys(header, "")
    row.update({"Ticket ID": "FB-1_2", "Platform": "facebook", "Comment ID": "1_2", "Post ID": "1",
                "Author": "Priya", "Comment": "कोथरूड मध्ये पाणी नाही", "Department": "Water Supply",
                "Category": "Complaint", "Status": "Replied", "Reply": "Tanker sent", "Send": "TRUE",
                "Replied By": "Water desk", "Reply ID": "1_9", "Notes": "called the ward office"})
    tracker.append_row([row[h] for h in header], value_input_option="RAW")
    routing = world.worksheet("Routing")
    routing.insert_row(["भटकी कुत्री", "Health", "Complaint", 2, True], 2)  # the cell's own rule, on top
    return world


def test_init_upgrades_a_previous_versions_sheet_without_changing_data(old_world: World) -> None:
    before = all_values(old_world)
    report = run_init(TrackerStore(old_world.backend, tz=IST))
    after = all_values(old_world)
    schema = load_schema()
    for title, rows in before.items():
        new = after[title]
        for i, old_row in enumerate(rows):
            if title == "_state" and old_row and old_row[0] == "schema_version":
                assert new[i][:2] == ["schema_version", str(schema.version)]
                continue
            assert new[i][:len(old_row)] == old_row, (title, i)
    tracker_header = after["Tracker"][0]
    assert tracker_header[:len(before["Tracker"][0])] == before["Tracker"][0]
    assert {"Parent Ticket", "Priority", "Template"} <= set(tracker_header[len(before["Tracker"][0]):])
    assert after["Templates"][0] == schema["Templates"].headers and len(after["Templates"]) == 13
    # The cell's rules stay where they are; the urgent cues come after them, in the new Priority column.
    routing = after["Routing"]
    assert routing[1][:5] == ["भटकी कुत्री", "Health", "Complaint", "2", "TRUE"]
    priority = routing[0].index("Priority")
    urgent = [r for r in routing[len(before["Routing"]):] if r[priority] == "Urgent"]
    assert len(urgent) == len(routing) - len(before["Routing"]) > 30
    assert any("filter view" in a and "urgent first" in a for a in report.actions)
    assert not run_init(TrackerStore(old_world.backend, tz=IST)).changed


def test_the_runner_upgrades_an_old_sheet_itself_and_then_uses_it(old_world: World) -> None:
    post = old_world.post("facebook", "Monsoon")
    old_world.comment("facebook", post, "Huge tree fell on the road near Kothrud depot", "Sunita")
    result = old_world.runner("r").cycle()
    assert result.ok, result.problems
    assert any("upgraded" in note for note in result.notes)
    rows = old_world.worksheet().get_all_records()
    assert rows[0]["Notes"] == "called the ward office" and rows[0]["Reply"] == "Tanker sent"
    tree = next(r for r in rows if r["Comment"].startswith("Huge tree"))
    assert tree["Priority"] == "Urgent" and tree["Department"] == "Garden"
    state = dict(r[:2] for r in old_world.worksheet("_state").get_all_values()[1:])
    assert state["schema_version"] == str(load_schema().version)
    again = old_world.runner("r").cycle()
    assert not any("upgraded" in note for note in again.notes)
