"""Bad input that reaches a whole cycle: each case is isolated, named with its place and fix, and everything
else in the cycle goes on (issue 11). Offline World (both emulators in-process, simulated clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from gspread.utils import rowcol_to_a1

from jobs.daily import daily_trigger, digest_done
from sheets_sync.cli import _report
from sheets_sync.demo.world import IST, World
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.table import Table

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture
def world(tmp_path) -> World:
    return World.create(tmp_path, START, quota_per_minute=0)


def tracker(world: World) -> Table:
    return world.runner("reader").store.read(["Tracker"])["Tracker"]


def row(world: World, ticket: str) -> dict[str, Any]:
    table = tracker(world)
    return table.record(table.key_rows[ticket])


def type_in(world: World, ticket: str, values: dict[str, Any], raw: bool) -> None:
    """A person types into the row of ``ticket``: RAW (text stays text) or as the Sheets UI does (USER_ENTERED:
    ``=1+1`` becomes a formula)."""
    ws = world.worksheet()
    header = ws.row_values(1)
    number = ws.col_values(header.index("Ticket ID") + 1).index(ticket) + 1
    ws.batch_update([{"range": rowcol_to_a1(number, header.index(h) + 1), "values": [[v]]}
                     for h, v in values.items()], value_input_option="RAW" if raw else "USER_ENTERED")


def replies_on(world: World, platform: str) -> list[str]:
    return [c.text for c in world.platforms.replies(platform) if c.via == "api"]


# ---- 1. the text posted is the text typed -----------------------------------------------------------------

FORMULAS = [
    pytest.param("=1+1", id="arithmetic"),
    pytest.param('=HYPERLINK("https://pmc.gov.in","PMC")', id="hyperlink"),
    pytest.param("=NOSUCHFUNCTION(1)", id="error value"),
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_reply_that_is_a_formula_is_never_posted_and_sync_notes_says_why(world: World, formula: str) -> None:
    post = world.post("facebook", "Water notice")
    ticket = f"FB-{world.comment('facebook', post, 'No water in Kothrud', 'Priya')}"
    world.runner("r1").cycle()
    type_in(world, ticket, {"Reply": formula, "Send": True}, raw=False)
    result = world.runner("r2").cycle()
    assert replies_on(world, "facebook") == []
    notes = row(world, ticket)["Sync Notes"]
    assert "formula" in notes and formula[:20] in notes and "apostrophe" in notes, notes
    assert result.counts["reply"]["formula, not posted"] == 1
    # The person retypes it as text: it goes, exactly as typed.
    type_in(world, ticket, {"Reply": "टँकर पाठवला आहे"}, raw=True)
    world.runner("r3").cycle()
    assert replies_on(world, "facebook") == ["टँकर पाठवला आहे"]


@pytest.mark.parametrize("rows_max", [200, 0], ids=["due rows read one by one", "whole columns read"])
def test_what_people_typed_is_read_by_key_either_way(world: World, rows_max: int, monkeypatch) -> None:
    """Only the due rows are read again as typed (their key with their cell), or the two whole columns when
    more are due than ``TYPED_ROWS_MAX``: the same answer, matched by key after people sorted the rows."""
    from sheets_sync.tracker import store as store_module

    monkeypatch.setattr(store_module, "TYPED_ROWS_MAX", rows_max)
    post = world.post("facebook", "Water notice")
    tickets = [f"FB-{world.comment('facebook', post, f'No water in lane {i}', 'Priya')}" for i in range(3)]
    runner = world.runner("r1")
    runner.cycle()
    before = tracker(world)
    type_in(world, tickets[0], {"Reply": "=1+1"}, raw=False)
    type_in(world, tickets[2], {"Reply": "tanker sent"}, raw=True)
    ws = world.worksheet()
    ws.sort((1, "des"), range=f"A2:{rowcol_to_a1(ws.row_count, ws.col_count)}")  # rows move after our read
    typed = runner.store.read_as_typed(before, "Reply", [tickets[0], tickets[2]])
    assert typed[tickets[2]] == "tanker sent"
    if rows_max:  # read where the cycle saw them: a moved row is left out, the next cycle finds it
        assert set(typed) <= {tickets[0], tickets[2]}
    else:
        assert typed[tickets[0]] == "=1+1" and typed[tickets[1]] == ""


def test_text_that_only_looks_like_a_formula_is_posted_exactly(world: World) -> None:
    post = world.post("facebook", "Quiz")
    ticket = f"FB-{world.comment('facebook', post, 'What is the answer?', 'Priya')}"
    world.runner("r1").cycle()
    type_in(world, ticket, {"Reply": "=1+1 is 2, as typed", "Send": True}, raw=True)  # text, not a formula
    world.runner("r2").cycle()
    assert replies_on(world, "facebook") == ["=1+1 is 2, as typed"]


# ---- 2. one poison comment does not block ingest ----------------------------------------------------------

def test_a_comment_with_a_lone_surrogate_lands_and_so_do_the_others(world: World) -> None:
    post = world.post("facebook", "Roads")
    poison = world.comment("facebook", post, "Pothole \ud83d near Aundh", "Rohan")  # half an emoji
    good = world.comment("facebook", post, "Signal broken at Baner", "Neha")
    result = world.runner("r1").cycle()
    assert result.ok, result.problems
    table = tracker(world)
    assert {f"FB-{poison}", f"FB-{good}"} <= set(table.key_rows)
    assert as_text(table.raw(table.key_rows[f"FB-{poison}"], "Comment")) == "Pothole \ufffd near Aundh"
    # The cursor moved past both: the next cycle adds nothing twice.
    assert world.runner("r2").cycle().counts["ingest"]["facebook new"] == 0


def test_the_sheets_emulator_refuses_a_lone_surrogate_as_google_does(world: World) -> None:
    """Without the tool's repair, Sheets would refuse the cycle's whole write: the emulator must too."""
    import gspread

    ws = world.worksheet()
    with pytest.raises(gspread.exceptions.APIError, match="Unpaired surrogate"):
        ws.update([["bad \ud800"]], "W2", raw=True)


# ---- 7. no platform side effect before the write is known to be possible ----------------------------------

def test_with_a_tool_column_deleted_no_reply_is_posted_until_it_is_back(world: World) -> None:
    from sheets_sync.tracker.init import run_init
    from sheets_sync.tracker.store import TrackerStore

    post = world.post("facebook", "Water notice")
    ticket = f"FB-{world.comment('facebook', post, 'No water in Kothrud', 'Priya')}"
    world.runner("r1").cycle()
    world.type_reply(ticket, "Tanker sent")
    ws = world.worksheet()
    ws.delete_columns(ws.row_values(1).index("Reply ID") + 1)
    later = world.comment("facebook", post, "Still no water", "Asha")

    result = world.runner("r2").cycle()
    assert replies_on(world, "facebook") == []  # nothing posted that could not be recorded
    assert not result.ok and any("'Reply ID' is missing" in p and "sheets-sync init" in p for p in result.problems)
    assert "reply" not in result.counts

    run_init(TrackerStore(world.backend, tz=IST, clock=world.clock))  # what the message advises
    result = world.runner("r3").cycle()
    assert result.ok, result.problems
    assert replies_on(world, "facebook") == ["Tanker sent"]
    assert row(world, ticket)["Reply ID"] and f"FB-{later}" in tracker(world).key_rows  # nothing lost


# ---- 8. pasted rows ---------------------------------------------------------------------------------------

def test_a_pasted_row_with_a_made_up_ticket_id_is_flagged_and_never_sent(world: World) -> None:
    post = world.post("facebook", "Water notice")
    real = world.comment("facebook", post, "No water in Kothrud", "Priya")
    world.runner("r1").cycle()
    ws = world.worksheet()
    header = ws.row_values(1)
    pasted = {h: "" for h in header}
    pasted.update({"Ticket ID": "FB-made-up-1", "Platform": "facebook", "Comment ID": real,
                   "Reply": "Pasted reply", "Send": True, "Status": "Assigned"})
    ws.append_row([pasted[h] for h in header], value_input_option="RAW")

    world.runner("r2").cycle()
    assert replies_on(world, "facebook") == []
    notes = row(world, "FB-made-up-1")["Sync Notes"]
    assert notes.startswith("Tracker!A") and "does not match Platform 'facebook'" in notes
    assert f"FB-{real}" in notes and "no reply is sent" in notes


# ---- 9. failures cron can see ------------------------------------------------------------------------------

def test_a_refused_token_makes_the_cycle_not_ok_and_run_once_exit_non_zero(world: World, capsys) -> None:
    post = world.post("youtube", "Metro works")
    world.comment("youtube", post, "Dust everywhere", "Vikram")
    world.platforms.expire_token("facebook")
    result = world.runner("r1").cycle()
    assert not result.ok and any(p.startswith("facebook") for p in result.problems), result.problems
    assert result.counts["ingest"]["youtube new"] == 1  # the other platforms went on
    assert _report(result) == 1
    assert "sheets-sync: problem: facebook" in capsys.readouterr().err


def test_a_clean_cycle_exits_zero(world: World, capsys) -> None:
    result = world.runner("r1").cycle()
    assert result.ok and _report(result) == 0 and capsys.readouterr().err == ""


# ---- 12. one broken tab does not stop the others ------------------------------------------------------------

def test_a_renamed_tab_is_named_and_the_tracker_still_fills(world: World) -> None:
    world.worksheet("Content").update_title("Content (old)")
    post = world.post("facebook", "Roads")
    comment = world.comment("facebook", post, "Pothole near Aundh", "Rohan")
    result = world.runner("r1").cycle()
    assert f"FB-{comment}" in tracker(world).key_rows
    problem = " ".join(result.problems)
    assert "the tab 'Content' is missing" in problem and "'Content (old)': rename it back" in problem
    assert row(world, f"FB-{comment}")["Department"]  # routed


def test_a_broken_header_in_one_tab_leaves_the_tracker_written(world: World) -> None:
    ws = world.worksheet("Content")
    ws.update_cell(1, ws.row_values(1).index("Flags") + 1, "Flags (old)")
    post = world.post("facebook", "Roads")
    comment = world.comment("facebook", post, "Pothole near Aundh", "Rohan")
    result = world.runner("r1").cycle()
    assert f"FB-{comment}" in tracker(world).key_rows
    assert any("Content: the required column 'Flags' is missing" in p for p in result.problems)
    assert any("content waits until the Content tab can be written" in n for n in result.notes)


# ---- 4. digests after SMTP trouble are retried the same day ------------------------------------------------

@pytest.mark.parametrize(("results", "runs_at"), [
    ([True], ["08:00"]),  # delivered: once
    ([False, False, True], ["08:00", "08:30", "09:00"]),  # retried every 30 minutes until delivered
    ([False] * 100, [f"{8 + m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60 - 8 * 60, 30)]),  # until the day ends
])
def test_undelivered_digests_are_retried_every_half_hour_that_day(results: list[bool], runs_at: list[str]) -> None:
    now = [datetime(2026, 11, 23, 7, 59, tzinfo=IST)]
    ran: list[str] = []
    outcomes = iter(results)

    def job() -> bool:
        ran.append(now[0].strftime("%H:%M"))
        return next(outcomes)

    check = daily_trigger("08:00", IST, job, lambda: now[0], retry_every=timedelta(minutes=30))
    while now[0] < datetime(2026, 11, 24, 7, 59, tzinfo=IST):
        check()
        now[0] += timedelta(minutes=1)
    assert ran == runs_at


def test_a_digest_run_is_done_only_when_nothing_waits() -> None:
    from jobs.runner import CycleResult

    assert digest_done(CycleResult(ran=True, counts={"digest": {"to send": 3, "to retry": 0}}))
    assert not digest_done(CycleResult(ran=True, counts={"digest": {"to retry": 2}}))
    assert not digest_done(CycleResult(ran=False, holder="other"))
    assert not digest_done(CycleResult(ran=True, failed_jobs=["digest"]))


def test_comments_land_while_the_posts_tab_is_blocked_and_their_posts_are_registered_after(world: World) -> None:
    ws = world.worksheet("Posts")
    ws.insert_row(["PMC posts — October"], 1)  # a title row above the headers: Posts cannot be written
    post = world.post("facebook", "Roads")
    comment = world.comment("facebook", post, "Pothole near Aundh", "Rohan")
    result = world.runner("r1").cycle()
    assert f"FB-{comment}" in tracker(world).key_rows  # ingest did not wait for Posts
    assert any("Posts: the header row is row 2" in p for p in result.problems)
    ws.delete_rows(1)
    result = world.runner("r2").cycle()
    assert result.counts["ingest"]["posts registered from the Tracker"] == 1
    assert post in world.worksheet("Posts").col_values(2)
    assert "posts registered from the Tracker" not in world.runner("r3").cycle().counts.get("ingest", {})
