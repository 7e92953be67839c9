"""The reliability run's invariant checks, each on a tiny hand-made sheet (no world, no emulator)."""

from __future__ import annotations

from types import SimpleNamespace

from sheets_sync.demo.reliability import (
    _cells_unlike_last_audit,
    _comments_never_arrived,
    _disappeared_rows,
    _duplicate_rows,
    _person_cells_changed,
    _replies_posted_twice,
    _rows_without_creation_audit,
    _TrackerView,
)
from sheets_sync.tracker.cells import ticket_id

WHERE = "after cycle 3"


def tracker(*rows: list[str]) -> _TrackerView:
    return _TrackerView([["Ticket ID", "Status", "Reply", "Send"], *rows])


def test_tracker_view_reads_tickets_and_short_rows() -> None:
    view = tracker(["FB-1", "New"], ["", "scratch"], ["X-2"])
    assert view.tickets == ["FB-1", "X-2"]
    assert view.cell(view.by_ticket["X-2"], "Status") == ""  # past the row's end


def test_duplicate_rows() -> None:
    assert _duplicate_rows(["FB-1", "FB-2"], WHERE) == []
    assert _duplicate_rows(["FB-1", "FB-2", "FB-1"], WHERE) == [f"{WHERE}: duplicate row FB-1 ×2"]


def test_disappeared_rows() -> None:
    assert _disappeared_rows(["FB-1", "FB-2"], {"FB-1"}, WHERE) == []
    assert _disappeared_rows(["FB-2"], {"FB-1", "FB-2"}, WHERE) == [f"{WHERE}: row FB-1 disappeared"]


def test_replies_posted_twice() -> None:
    def reply(parent: str, via: str | None = "api") -> SimpleNamespace:
        return SimpleNamespace(parent_id=parent, via=via)

    replies = {"facebook": [reply("c1"), reply("c2"), reply("c1", via=None)], "instagram": [],
               "youtube": [reply("c3"), reply("c3")], "x": []}
    platforms = SimpleNamespace(replies=lambda platform: replies[platform])
    assert _replies_posted_twice(platforms, WHERE) == [f"{WHERE}: 2 replies posted to youtube comment c3"]


def test_person_cells_changed() -> None:
    view = tracker(["FB-1", "New", "हो, पाहतो", "TRUE"], ["FB-2", "New", "", "FALSE"])
    kept = {"FB-1": {"Reply": "हो, पाहतो", "Send": True}, "FB-9": {"Reply": "row gone: not this check's job"}}
    assert _person_cells_changed(view, kept, WHERE) == []
    changed = {"FB-2": {"Reply": "typed", "Send": True}}
    assert _person_cells_changed(view, changed, WHERE) == [
        f"{WHERE}: FB-2 Reply is '', the person typed 'typed'",
        f"{WHERE}: FB-2 Send is 'FALSE', the person typed 'TRUE'",
    ]


def test_rows_without_creation_audit() -> None:
    audit = [["t", "ingest", "FB-1", "Tracker: new row", "", ""], ["short"]]
    assert _rows_without_creation_audit(["FB-1"], audit, WHERE) == []
    assert _rows_without_creation_audit(["FB-1", "FB-2"], audit, WHERE) == [
        f"{WHERE}: row FB-2 has no Audit entry for its creation"]


def test_cells_unlike_last_audit() -> None:
    view = tracker(["FB-1", "Assigned", "typed reply"], ["FB-2", "New"])
    audit = [
        ["t", "ingest", "FB-1", "Tracker: new row", "", ""],
        ["t", "route", "FB-1", "Status", "New", "New"],
        ["t", "route", "FB-1", "Status", "New", "Assigned"],  # the last change is what counts
        ["t", "reply", "FB-1", "Reply", "", "not what the person typed"],  # not a tool-only column
        ["t", "route", "FB-2", "Status", "New", "Assigned"],
        ["t", "route", "FB-3", "Status", "", "Assigned"],  # no such row
    ]
    assert _cells_unlike_last_audit(view, audit, {}, WHERE) == [
        f"{WHERE}: FB-2 Status is 'New' but Audit's last change says 'Assigned'"]
    # A cell the person typed themselves is the person's check, not Audit's.
    assert _cells_unlike_last_audit(view, audit, {"FB-2": {"Status": "New"}}, WHERE) == []


def test_comments_never_arrived() -> None:
    comments = [SimpleNamespace(platform="facebook", id="1_2", via=None),
                SimpleNamespace(platform="x", id="77", via=None),
                SimpleNamespace(platform="facebook", id="1_3", via="api")]  # the tool's own reply
    arrived = [ticket_id("facebook", "1_2")]
    assert _comments_never_arrived(comments, arrived, set()) == [
        f"at the end: comment {ticket_id('x', '77')} never reached the sheet"]
    assert _comments_never_arrived(comments, [*arrived, ticket_id("x", "77")], set()) == []
    # Deleted by its author before any cycle read it: the platform shows it to nobody, the sheet cannot have it.
    assert _comments_never_arrived(comments, arrived, {ticket_id("x", "77")}) == []
