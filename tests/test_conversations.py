"""Conversations: a citizen's answer to a comment in the Tracker, or to our reply to it, continues that ticket —
Parent Ticket, the conversation's Department and Category, reopened when it was finished — and a reply typed on
a follow-up goes where the platform takes it in that thread. Over both emulators, through the real jobs."""

from __future__ import annotations

from datetime import datetime

import pytest

from jobs.archive import eligible
from sheets_sync.conversations import REOPENED, find_parent
from sheets_sync.demo.world import IST, World
from sheets_sync.reports.conversations import dashboard_block, reopened_sections
from sheets_sync.reports.digest import CELL_KEY
from sheets_sync.tracker.cells import as_text

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture
def world(tmp_path) -> World:
    return World.create(tmp_path, START, quota_per_minute=0)


def rows(world: World) -> dict[str, dict]:
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    return {as_text(table.raw(n, "Ticket ID")): table.record(n) for n in table.row_numbers()}


def by_comment(world: World, comment_id: str) -> dict:
    return next(r for r in rows(world).values() if r["Comment ID"] == comment_id)


def answered(world: World, platform: str, text: str) -> tuple[str, str, dict]:
    """A citizen's comment, routed, answered by the department through the sheet: (post, comment, its row)."""
    post = world.post(platform, "PMC: water supply schedule")
    comment = world.comment(platform, post, text, "Priya")
    world.runner("r").cycle()
    ticket = by_comment(world, comment)["Ticket ID"]
    assert world.type_reply(ticket, "Tanker sent today.")
    world.clock.advance(minutes=10)
    world.runner("r").cycle()
    row = by_comment(world, comment)
    assert row["Status"] == "Replied" and row["Reply ID"]
    return post, comment, row


def test_an_answer_to_our_reply_reopens_the_conversation_on_facebook(world: World) -> None:
    post, comment, parent = answered(world, "facebook", "कोथरूड मध्ये आज पाणी आले नाही")
    world.clock.advance(hours=3)
    # The citizen answers the corporation's reply (on Facebook its parent is our reply comment).
    follow = world.comment("facebook", post, "still not fixed, it's been a week", "Priya",
                           parent_id=parent["Reply ID"])
    result = world.runner("r").cycle()
    row = by_comment(world, follow)
    assert row["Parent Ticket"] == parent["Ticket ID"]
    # The rules are not asked again ("still not fixed" names no department): the conversation's are kept.
    assert row["Department"] == parent["Department"] == "Water Supply"
    assert row["Category"] == parent["Category"]
    assert row["Assigned By"] == REOPENED
    assert row["Status"] == "Assigned" and isinstance(row["Due By"], datetime)
    assert result.counts["ingest"]["conversations reopened"] == 1
    assert "reopened" in rows(world)[parent["Ticket ID"]]["Sync Notes"]
    # The Dashboard counts it for the department; the digest lists it for the department and the cell.
    block = dashboard_block(rows(world).values())
    assert ["Water Supply", 0, 1] in block
    sections = reopened_sections(rows(world).values(), "sid", 0)
    assert sections["Water Supply"][0].rows[0][:2] == [row["Ticket ID"], parent["Ticket ID"]]
    assert sections[CELL_KEY][0].bullets == ["Water Supply: 1"]
    dashboard = world.worksheet("Dashboard").get_all_values()
    assert any(line[:3] == ["Water Supply", "0", "1"] for line in dashboard)


def test_a_follow_up_to_an_open_ticket_joins_it_without_reopening(world: World) -> None:
    post = world.post("youtube", "Road repair plan")
    first = world.comment("youtube", post, "Sinhagad road pe bahut khadde hai", "Rohan")
    world.runner("r").cycle()
    root = by_comment(world, first)
    second = world.comment("youtube", post, "aur ek baat, koi jawab nahi aaya", "Rohan", parent_id=first)
    world.runner("r").cycle()
    row = by_comment(world, second)
    assert row["Parent Ticket"] == root["Ticket ID"]
    assert row["Department"] == root["Department"] == "Roads" and row["Assigned By"] == "follow-up"
    assert dashboard_block(rows(world).values()) == []


def test_an_answer_to_our_tweet_continues_the_mention_on_x(world: World) -> None:
    post, comment, parent = answered(world, "x", "@PMCPune no water in Aundh since morning")
    follow = world.comment("x", post, "@PMCPune tanker never came", "Farhan", parent_id=parent["Reply ID"])
    world.runner("r").cycle()
    row = by_comment(world, follow)
    assert row["Parent Ticket"] == parent["Ticket ID"] and row["Assigned By"] == REOPENED
    assert row["Department"] == parent["Department"]


def test_a_reply_on_an_instagram_follow_up_goes_to_the_top_level_comment_once(world: World) -> None:
    post, comment, parent = answered(world, "instagram", "Garbage not collected in Baner since Monday")
    follow = world.comment("instagram", post, "Still lying there today", "Neha", parent_id=comment)
    world.runner("r").cycle()
    row = by_comment(world, follow)
    assert row["Parent Ticket"] == parent["Ticket ID"] and row["Assigned By"] == REOPENED
    assert world.type_reply(row["Ticket ID"], "Sorry — the truck is on its way now.")
    world.runner("r").cycle()
    after = by_comment(world, follow)
    # Instagram takes replies to top-level comments only: posted there, and not mistaken for our first answer.
    assert after["Status"] == "Replied" and after["Reply ID"] and after["Reply ID"] != parent["Reply ID"]
    replies = world.platforms.replies("instagram")
    assert [r.parent_id for r in replies] == [comment, comment]
    assert replies[-1].text == "Sorry — the truck is on its way now."
    world.runner("r").cycle()
    assert len(world.platforms.replies("instagram")) == 2


def test_a_conversation_is_archived_together_once_its_last_row_is_finished(world: World) -> None:
    post, comment, parent = answered(world, "facebook", "Drainage overflowing near Kothrud depot")
    follow = world.comment("facebook", post, "It is overflowing again", "Priya", parent_id=comment)
    world.runner("r").cycle()
    world.clock.advance(days=40)
    runner = world.runner("archiver")
    work = runner.store.begin(["Tracker"])
    ctx = runner._begin(work)
    # The root is finished long ago, but its follow-up is open: neither moves.
    assert parent["Ticket ID"] not in eligible(ctx, 30)
    assert world.type_reply(by_comment(world, follow)["Ticket ID"], "Cleaned again today.")
    world.runner("r").cycle()
    world.clock.advance(days=40)
    ctx = runner._begin(runner.store.begin(["Tracker"]))
    assert {parent["Ticket ID"], by_comment(world, follow)["Ticket ID"]} <= set(eligible(ctx, 30))


@pytest.mark.parametrize(("case", "expected"), [
    ("unknown parent", None),
    ("no parent", None),
    ("parent in tracker", ("FB-1_2", "FB-1_2", True)),
    ("parent is a follow-up", ("FB-1_3", "FB-1_2", True)),
    ("parent archived", ("FB-1_9", "FB-1_9", False)),
    ("parent is our reply", ("FB-1_2", "FB-1_2", True)),
])
def test_find_parent(case: str, expected: tuple[str, str, bool] | None) -> None:
    parent_id = {"unknown parent": "1_77", "no parent": None, "parent in tracker": "1_2",
                 "parent is a follow-up": "1_3", "parent archived": "1_9", "parent is our reply": "1_50"}[case]
    tracker = {"FB-1_2": "", "FB-1_3": "FB-1_2"}
    found = find_parent("facebook", parent_id, in_tracker=tracker.__contains__, in_archive={"FB-1_9"}.__contains__,
                        root_of=tracker.__getitem__, reply_index=lambda: {"1_50": "FB-1_2"})
    assert (None if found is None else (found.ticket, found.root, found.in_tracker)) == expected
