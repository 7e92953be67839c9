"""The archive end to end in a World: finished rows move to the Archive tab — or to an archive spreadsheet once the
Tracker nears the cell limit — and a process killed anywhere loses and doubles nothing once rerun."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from jobs import archive as archive_job
from jobs.archive import archive_all
from sheets_sync.client import make_client
from sheets_sync.config import ArchiveConfig
from sheets_sync.demo.world import IST, World
from sheets_sync.tracker.archive_store import STATE_KEY, archive_title
from sheets_sync.tracker.changes import ChangeSet

START = datetime(2026, 10, 5, 10, 0, tzinfo=IST)
READ = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
TEXTS = ["Garbage not collected in Baner since Monday", "No water supply in Kothrud for two days",
         "Huge potholes on the main road in Aundh", "Streetlight not working on lane 4, Warje"]


def http(world: World) -> Any:
    """A person's gspread HTTP client (not the tool's budget)."""
    return make_client(world.sheets.session()).http_client


def rows_of(world: World, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
    """A tab's non-empty rows as raw values by header (trailing empty cells filled in)."""
    values = http(world).values_get(spreadsheet_id, f"'{tab}'", params=READ).get("values") or []
    if not values:
        return []
    header = values[0]
    return [dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in values[1:]
            if any(cell not in ("", None) for cell in row)]


def state(world: World) -> dict[str, str]:
    return world.runner("reader").store.read([]).state


@dataclass
class Finished:
    """A world 31 days after 12 of its 20 comments were answered (10 on the platform, 2 Closed by people)."""

    world: World
    originals: dict[str, dict[str, Any]]
    eligible: set[str]


def finished_world(tmp_path: Path, archive_config: dict[str, Any]) -> Finished:
    world = World.create(tmp_path, START, quota_per_minute=0)  # quotas are not under test: no 429 waits
    world.config = replace(world.config, archive=ArchiveConfig.parse(archive_config))
    comments = []
    for platform in ("facebook", "instagram", "youtube", "x"):
        post = world.post(platform, f"PMC update on {platform}")
        comments += [world.comment(platform, post, f"{TEXTS[i % 4]} #{i}", f"citizen {i}") for i in range(5)]
    world.runner("r1").cycle()
    for comment_id in comments[::2]:
        world.platforms.owner_reply(comment_id, "धन्यवाद, काम पूर्ण झाले आहे.")
    world.clock.advance(minutes=10)
    world.runner("r2").cycle()
    ws = world.worksheet()
    header = ws.row_values(1)
    status_col = header.index("Status") + 1
    statuses = ws.col_values(status_col)
    open_rows = [n for n, s in enumerate(statuses, start=1) if n > 1 and s not in ("Replied", "Closed")]
    for n in open_rows[:2]:
        ws.update_cell(n, status_col, "Closed")  # closed by a person: no reply time, finished all the same
    world.clock.advance(days=31)
    originals = {r["Ticket ID"]: r for r in rows_of(world, world.backend.spreadsheet_id, "Tracker")}
    eligible = {t for t, r in originals.items() if r["Status"] in ("Replied", "Closed")}
    assert len(originals) == 20 and len(eligible) == 12
    return Finished(world, originals, eligible)


def check_invariants(f: Finished) -> None:
    """Every original Ticket ID exactly once across Tracker and archive; archived rows equal the originals."""
    world = f.world
    tracker = rows_of(world, world.backend.spreadsheet_id, "Tracker")
    archived = rows_of(world, world.backend.spreadsheet_id, "Archive")
    external = state(world).get(STATE_KEY, "")
    if external:
        assert archived == [], "once an archive spreadsheet exists the Archive tab receives nothing"
        archived = rows_of(world, external, "Archive")
    seen = Counter([r["Ticket ID"] for r in tracker] + [r["Ticket ID"] for r in archived])
    assert set(seen) == set(f.originals)
    assert all(n == 1 for n in seen.values()), [t for t, n in seen.items() if n > 1]
    assert {r["Ticket ID"] for r in archived} == f.eligible
    for row in archived:
        original = f.originals[row["Ticket ID"]]
        assert {h: row.get(h, "") for h in original} == original


def dies_at(runner: Any, when: Callable[[ChangeSet], bool]) -> None:
    """Make ``runner``'s process die (SystemExit) just before the write ``when`` picks."""
    real = runner.store.commit

    def commit(changes: ChangeSet, snapshot: Any, *args: Any) -> Any:
        if when(changes):
            raise SystemExit("killed before the write")
        return real(changes, snapshot, *args)

    runner.store.commit = commit


def cycle_write(changes: ChangeSet) -> bool:
    return "last_run" in changes.state


KILLS: dict[str, Callable[[ChangeSet], bool]] = {
    "copy cycle, before its write": lambda ch: cycle_write(ch) and not ch.deletes,
    "delete cycle, before its write": lambda ch: cycle_write(ch) and bool(ch.deletes),
    "recording the archive spreadsheet": lambda ch: STATE_KEY in ch.state,
}
TARGETS = {"Archive tab": {}, "archive spreadsheet": {"cell_limit_fraction": 1e-9,
                                                      "share_with": ["socialmedia-cell@pmc.example"]}}


@pytest.mark.parametrize("target", list(TARGETS))
def test_archive_moves_finished_rows_once(tmp_path: Path, target: str) -> None:
    f = finished_world(tmp_path, TARGETS[target])
    totals = archive_all(f.world.runner("archiver"))
    assert totals == {"copied": 12, "deleted": 12, "restored": 0}
    check_invariants(f)
    # A second run the same night finds nothing left to do.
    assert archive_all(f.world.runner("again")) == {"copied": 0, "deleted": 0, "restored": 0}
    check_invariants(f)
    external = state(f.world).get(STATE_KEY, "")
    if target == "Archive tab":
        assert external == ""
    else:
        # The new spreadsheet's Archive tab carries the Tracker's headers, its id is kept in _state.
        tracker_header = f.world.worksheet("Tracker").row_values(1)
        book = make_client(f.world.sheets.session()).open_by_key(external)
        assert book.title == archive_title(f.world.backend.spreadsheet_id)
        assert [ws.title for ws in book.worksheets()] == ["Archive"]
        assert book.worksheet("Archive").row_values(1) == tracker_header
        # People can see it: shared with the configured addresses as writers, once even after two runs.
        shared = [p for p in book.list_permissions() if p.get("role") == "writer"]
        assert [p["emailAddress"] for p in shared] == ["socialmedia-cell@pmc.example"]


def check_nothing_lost_or_doubled(f: Finished) -> None:
    """Mid-way (after a kill): every original somewhere, none twice in one place, only finished ones archived."""
    world = f.world
    tracker = Counter(r["Ticket ID"] for r in rows_of(world, world.backend.spreadsheet_id, "Tracker"))
    archived = Counter(r["Ticket ID"] for r in rows_of(world, world.backend.spreadsheet_id, "Archive"))
    external = state(world).get(STATE_KEY, "")
    if external:
        archived += Counter(r["Ticket ID"] for r in rows_of(world, external, "Archive"))
    assert set(tracker) | set(archived) == set(f.originals)
    assert max(tracker.values()) == 1 and max(archived.values(), default=1) == 1
    assert set(archived) <= f.eligible


@pytest.mark.parametrize("target", list(TARGETS))
def test_archive_killed_at_every_step_loses_and_doubles_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                target: str) -> None:
    """One process after another dies a step further in; each rerun finishes what the last one left."""
    f = finished_world(tmp_path, TARGETS[target])
    # On the spreadsheet path the copy lands before the cycle's write, so "killed before the copy cycle's write"
    # already leaves the state "between the copy and the delete cycle".
    steps = {"Archive tab": ["copy cycle, before its write", "between the copy and the delete cycle",
                             "delete cycle, before its write", "after the delete write"],
             "archive spreadsheet": ["recording the archive spreadsheet", "copy cycle, before its write",
                                     "delete cycle, before its write", "after the delete write"]}[target]
    for step in steps:
        doomed = f.world.runner(f"doomed {step}")
        if step == "between the copy and the delete cycle":
            doomed.cycle(["archive"])  # the copy cycle completes; the process dies before the next
        else:
            if step == "after the delete write":
                def die(*_: Any) -> list[str]:
                    raise SystemExit("killed after the delete landed")
                monkeypatch.setattr(archive_job, "restore_lost", die)
            else:
                dies_at(doomed, KILLS[step])
            with pytest.raises(SystemExit):
                archive_all(doomed)
            monkeypatch.undo()
        check_nothing_lost_or_doubled(f)
        f.world.clock.advance(minutes=11)  # the dead runner's lease expires
    assert archive_all(f.world.runner("rerun"))["copied"] == 0  # everything was copied by the dead ones
    check_invariants(f)
    if target == "archive spreadsheet":
        title = archive_title(f.world.backend.spreadsheet_id)
        assert len(make_client(f.world.sheets.session()).list_spreadsheet_files(title=title)) == 1


def test_rows_people_move_during_the_delete_are_put_back(tmp_path: Path) -> None:
    """A row deleted by position that was not the archived one (a person sorted in between) comes back."""
    f = finished_world(tmp_path, {})
    runner = f.world.runner("archiver")
    runner.cycle(["archive"])  # copy
    real = runner.store.commit

    def commit_after_a_person_deletes(changes: ChangeSet, snapshot: Any, *args: Any) -> Any:
        plan = real(changes, snapshot, *args)
        if changes.deletes:
            # Simulate the race: a row the tool did not archive disappears in the same instant.
            ws = f.world.worksheet()
            ids = ws.col_values(1)
            victim = next(n for n, t in enumerate(ids, start=1) if n > 1 and t and t not in f.eligible)
            ws.delete_rows(victim)
        return plan

    runner.store.commit = commit_after_a_person_deletes
    result = runner.cycle(["archive"])
    assert result.counts["archive"]["deleted"] == 12 and result.counts["archive"]["restored"] == 1
    tracker = {r["Ticket ID"] for r in rows_of(f.world, f.world.backend.spreadsheet_id, "Tracker")}
    assert tracker == set(f.originals) - f.eligible


@pytest.mark.parametrize("target", list(TARGETS))
def test_ingest_never_re_adds_an_archived_comment(tmp_path: Path, target: str) -> None:
    f = finished_world(tmp_path, TARGETS[target])
    archive_all(f.world.runner("archiver"))
    # Forget every platform cursor: the connectors fetch everything reachable again, archived comments too.
    ws = f.world.worksheet("_state")
    keys = ws.col_values(1)
    for n, key in enumerate(keys, start=1):
        if key.startswith("cursor:"):
            ws.update_cell(n, 2, "")
    post = f.world.post("facebook", "Fresh notice")
    f.world.comment("facebook", post, "Drainage overflow at Kondhwa", "Sita")
    result = f.world.runner("ingest").cycle(["ingest"])
    assert sum(v for k, v in result.counts["ingest"].items() if k.endswith(" new")) == 1
    tracker = [r["Ticket ID"] for r in rows_of(f.world, f.world.backend.spreadsheet_id, "Tracker")]
    assert not set(tracker) & f.eligible and len(tracker) == len(f.originals) - len(f.eligible) + 1


def test_the_cell_count_is_every_tabs_grid(tmp_path: Path) -> None:
    world = World.create(tmp_path, START, quota_per_minute=0)
    meta = http(world).fetch_sheet_metadata(world.backend.spreadsheet_id)
    expected = sum(s["properties"]["gridProperties"]["rowCount"] * s["properties"]["gridProperties"]["columnCount"]
                   for s in meta["sheets"])
    assert world.runner("r").store.archive.total_cells() == expected
    assert 0 < expected < 0.8 * 10_000_000  # a new Tracker archives into its own Archive tab
