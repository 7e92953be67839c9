"""Posts monitored (issue 18, part 1): per-post comment figures and engagement in the Posts tab, the
department's "your posts, last 7 days" table, the Dashboard's posts section, and Department Remarks reaching
the cell's digest exactly once — a World's Tracker Sheet and platform emulators, digests as .eml files."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from jobs.daily import run_digest
from sheets_sync.config import DigestConfig
from sheets_sync.demo.world import IST, World

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)
CELL = "smcell@pmc.example"
WATER = "water.head@pmc.example"
REMARK = "कृपया या पोस्टसोबत टँकरचे वेळापत्रक जोडावे / please pin the tanker timetable"


@pytest.fixture
def world(tmp_path: Path) -> World:
    """Four posts with engagement on their platforms, comments on each, one cycle run; Water Supply has an
    address, the cell too (digests go to .eml files)."""
    world = World.create(tmp_path, START, quota_per_minute=0)
    world.config = replace(world.config, digest=DigestConfig.parse({"folder": str(tmp_path / "digests"),
                                                                     "cell_email": CELL}))
    world.posts = {p: world.post(p, f"Water supply notice on {p}\nDetails inside") for p in
                   ("facebook", "instagram", "youtube", "x")}
    figures = {"facebook": {"reactions": 125, "shares": 10}, "instagram": {"likes": 48},
               "youtube": {"views": 1250, "likes": 40}, "x": {"likes": 7, "reposts": 3, "quotes": 1,
                                                                "impressions": 900}}
    for platform, values in figures.items():
        world.platforms.set_post_metrics(world.posts[platform], **values)
    world.comment_ids = [world.comment("facebook", world.posts["facebook"], f"कोथरूड मध्ये पाणी आले नाही {i}",
                                       f"citizen {i}") for i in range(3)]
    for platform in ("instagram", "youtube", "x"):
        world.comment(platform, world.posts[platform], "No water supply in Baner since yesterday", "citizen x")
    ws = world.worksheet("Departments")
    ws.update_cell(ws.col_values(1).index("Water Supply") + 1, ws.row_values(1).index("Email") + 1, WATER)
    world.runner("r1").cycle()
    return world


def posts_tab(world: World) -> dict[str, dict[str, str]]:
    """The Posts tab as a person sees it: Post ID → values by header."""
    values = world.worksheet("Posts").get_all_values()
    header = values[0]
    return {row[header.index("Post ID")]: dict(zip(header, row, strict=False)) for row in values[1:] if any(row)}


def set_post_cell(world: World, post_id: str, header: str, value: str) -> None:
    ws = world.worksheet("Posts")
    names = ws.row_values(1)
    ws.update_cell(ws.col_values(names.index("Post ID") + 1).index(post_id) + 1, names.index(header) + 1, value)


def digests(folder: Path, day: str) -> dict[str, EmailMessage]:
    """The day's digests written as .eml files, by their X-Sheets-Sync-Digest department."""
    out = {}
    for path in sorted(folder.glob(f"{day}-*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=email_policy.default)
        out[str(message["X-Sheets-Sync-Digest"]).partition("/")[2]] = message
    return out


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return body.get_content()


def test_after_a_cycle_each_post_row_carries_its_comment_counts_and_engagement(world: World) -> None:
    rows = posts_tab(world)
    fb, ig, yt, x = (rows[world.posts[p]] for p in ("facebook", "instagram", "youtube", "x"))
    assert (fb["Comments Received"], fb["Open"], fb["Overdue"], fb["Replied"]) == ("3", "3", "0", "0")
    assert fb["Median Reply Hours"] == ""
    assert (fb["Reactions"], fb["Shares"], fb["Views"]) == ("125", "10", "")
    assert (ig["Comments Received"], ig["Reactions"], ig["Shares"], ig["Views"]) == ("1", "48", "", "")
    assert (yt["Comments Received"], yt["Reactions"], yt["Shares"], yt["Views"]) == ("1", "40", "", "1250")
    # X: likes, reposts + quotes, impressions; and the conversation's publish time from its snowflake id.
    assert (x["Comments Received"], x["Reactions"], x["Shares"], x["Views"]) == ("1", "7", "4", "900")
    assert x["Published At"].startswith("2026-11-23")
    assert all(r["Engagement Updated"].startswith("2026-11-23") for r in (fb, ig, yt, x))
    # The figures are recomputed, not logged: the Audit tab holds no Posts figure.
    audit_columns = {r[3] for r in world.worksheet("Audit").get_all_values()[1:]}
    assert not audit_columns & {"Comments Received", "Open", "Reactions", "Engagement Updated"}


def test_replies_and_deadlines_move_the_counts_and_engagement_refreshes_daily(world: World) -> None:
    fb_post = world.posts["facebook"]
    tracker = world.worksheet().get_all_records()
    ticket = next(r["Ticket ID"] for r in tracker if r["Post ID"] == fb_post)
    world.clock.advance(hours=2)
    assert world.type_reply(ticket, "टँकर पाठवला आहे / a tanker is on its way")
    world.platforms.set_post_metrics(fb_post, reactions=130)
    world.runner("r2").cycle()
    fb = posts_tab(world)[fb_post]
    assert (fb["Open"], fb["Replied"]) == ("2", "1")
    assert float(fb["Median Reply Hours"]) == pytest.approx(2.0, abs=0.1)
    assert fb["Reactions"] == "125"  # engagement waits for its daily turn (schedule.engagement_every_hours)

    world.clock.advance(hours=30)  # past every deadline (24 h and office hours), and past the daily refresh
    world.runner("r3").cycle()
    fb = posts_tab(world)[fb_post]
    assert fb["Overdue"] == "2" and fb["Reactions"] == "130"

    world.platforms.set_post_metrics(fb_post, shares=11)
    result = world.runner("r4").cycle(["posts"], on_demand=True)  # `sheets-sync job posts`: now
    assert posts_tab(world)[fb_post]["Shares"] == "11"
    assert result.counts["posts"]["facebook engagement read"] == 1


def test_a_department_digest_lists_its_posts_and_the_dashboard_has_a_posts_section(world: World,
                                                                                   tmp_path: Path) -> None:
    fb_post, yt_post = world.posts["facebook"], world.posts["youtube"]
    world.set_post_department(fb_post, "Water Supply")
    world.set_post_department(yt_post, "Water Supply")
    world.runner("r2").cycle()
    dashboard = world.worksheet("Dashboard").get_all_values()
    start = next(i for i, row in enumerate(dashboard) if row[0].startswith("पोस्ट, गेले ७ दिवस"))
    water = next(row for row in dashboard[start:] if row[0] == "Water Supply")
    assert water[1:7] == ["2", "4", "4", "0", "0", "165"]  # posts, comments, open, overdue, replied, reactions

    run_digest(world.runner("digest"))
    mails = digests(tmp_path / "digests", "2026-11-23")
    text = text_of(mails["Water Supply"])
    assert "Your posts, last 7 days (2)" in text
    rows = posts_tab(world)
    for post_id in (fb_post, yt_post):
        assert "Water supply notice on" in text and rows[post_id]["Link"] in text
    assert "facebook | 3 | 3 | 0 | 125 reactions, 10 shares" in text
    assert "youtube | 1 | 1 | 0 | 1,250 views, 40 likes" in text
    # Another department's digest, if any, does not list them.
    assert all("Your posts" not in text_of(m) for name, m in mails.items() if name not in ("Water Supply",))


def test_a_remark_reaches_the_cells_digest_once_and_again_when_changed(world: World, tmp_path: Path) -> None:
    fb_post = world.posts["facebook"]
    world.set_post_department(fb_post, "Water Supply")
    set_post_cell(world, fb_post, "Department Remarks", REMARK)
    run_digest(world.runner("d1"))
    day1 = digests(tmp_path / "digests", "2026-11-23")
    assert REMARK in text_of(day1["_cell"])
    assert "Water Supply — Water supply notice on facebook" in text_of(day1["_cell"])
    # The department's own digest does not carry its remark back to it.
    assert REMARK not in text_of(day1["Water Supply"])
    run_digest(world.runner("d1-again"))  # a retry the same day keeps the same choice and sends nothing new
    state = json.loads(world.runner("reader").store.read([]).state["posts_remarks"])
    assert list(state["pending"]) == [fb_post] and state["day"] == "2026-11-23"

    world.clock.advance(days=1)
    run_digest(world.runner("d2"))
    assert REMARK not in text_of(digests(tmp_path / "digests", "2026-11-24")["_cell"])

    set_post_cell(world, fb_post, "Department Remarks", REMARK + " — आज / today")
    world.clock.advance(days=1)
    run_digest(world.runner("d3"))
    assert REMARK + " — आज / today" in text_of(digests(tmp_path / "digests", "2026-11-25")["_cell"])
    world.clock.advance(days=1)
    run_digest(world.runner("d4"))
    assert REMARK not in text_of(digests(tmp_path / "digests", "2026-11-26")["_cell"])


def test_a_remark_whose_summary_was_not_delivered_goes_the_next_morning(world: World, tmp_path: Path) -> None:
    fb_post = world.posts["facebook"]
    set_post_cell(world, fb_post, "Department Remarks", REMARK)

    class Refusing:
        """A mail server that refuses everything for the day (the summary is never handed over)."""

        def deliver(self, messages: Any, **_: Any) -> list[Any]:
            raise OSError("mail server unreachable")

    world.runner("down", mailer=Refusing()).cycle(["digest"])
    world.clock.advance(days=1)
    run_digest(world.runner("d2"))
    assert REMARK in text_of(digests(tmp_path / "digests", "2026-11-24")["_cell"])
