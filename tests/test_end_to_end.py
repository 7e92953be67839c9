"""The whole loop over both emulators: comments in, routed, deadlines, replies out exactly once, status back."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from sheets_sync.demo.world import IST, World
from sheets_sync.tracker.cells import as_text

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture
def world(tmp_path):
    return World.create(tmp_path, START)


def tracker(world):
    return world.runner("reader").store.read(["Tracker"])["Tracker"]


def rows_by_comment(world):
    t = tracker(world)
    return {as_text(t.raw(n, "Comment ID")): t.record(n) for n in t.row_numbers()}


def seed(world):
    fb = world.post("facebook", "पाणीपुरवठा बंद राहील — water shutdown Thursday")
    ig = world.post("instagram", "Our gardens 🌸")
    yt = world.post("youtube", "Road repair plan")
    x = world.post("x", "New traffic rules")
    ids = {
        "fb_water": world.comment("facebook", fb, "कोथरूड मध्ये आज पाणी आले नाही, टँकर पाठवा", "Priya"),
        "fb_thanks": world.comment("facebook", fb, "छान माहिती 🙏", "Amit"),
        "ig_garbage": world.comment("instagram", ig, "Garbage not collected in Baner since Monday", "Neha"),
        "yt_pothole": world.comment("youtube", yt, "Sinhagad road pe bahut khadde hai", "Rohan"),
        "x_signal": world.comment("x", x, "@PMCPune signal at Aundh chowk not working", "Farhan"),
    }
    return ids


def test_comments_appear_once_routed_with_deadlines_in_five_requests(world):
    ids = seed(world)
    runner = world.runner("r1")
    before = world.sheets.stats()
    result = runner.cycle()
    after = world.sheets.stats()
    used = (after["reads"] + after["writes"]) - (before["reads"] + before["writes"])
    assert used <= 5, after["requests"]
    assert result.requests["total"] == used
    rows = rows_by_comment(world)
    assert set(rows) == set(ids.values())
    water = rows[ids["fb_water"]]
    assert water["Department"] == "Water Supply" and water["Assigned By"].startswith("keyword:")
    assert water["Status"] == "Assigned" and water["Language"] == "mr"
    assert rows[ids["ig_garbage"]]["Department"] == "Solid Waste Management"
    assert rows[ids["yt_pothole"]]["Department"] == "Roads"
    for row in rows.values():
        assert row["Due By"] is not None and row["Ticket ID"] and row["Received At"] is not None
    # A second cycle adds nothing.
    world.clock.advance(minutes=5)
    world.runner("r2").cycle()
    assert len(rows_by_comment(world)) == len(ids)


def test_reply_typed_in_sheet_reaches_platform_exactly_once_even_after_a_kill(world):
    ids = seed(world)
    world.runner("r1").cycle()
    ticket = rows_by_comment(world)[ids["fb_water"]]["Ticket ID"]
    assert world.type_reply(ticket, "टँकर पाठवला आहे — PMC")
    crashing = world.runner("r2")
    real_commit = crashing.store.commit

    def die(*args, **kwargs):
        raise SystemExit("killed right after posting")

    crashing.store.commit = die
    with pytest.raises(SystemExit):
        crashing.cycle()
    crashing.store.commit = real_commit
    assert len(world.platforms.replies("facebook")) == 1  # posted before the kill
    world.clock.advance(minutes=11)  # the dead runner's lease expires
    world.runner("r3").cycle()
    world.runner("r4").cycle()
    replies = world.platforms.replies("facebook")
    assert len(replies) == 1 and replies[0].text == "टँकर पाठवला आहे — PMC"
    row = rows_by_comment(world)[ids["fb_water"]]
    assert row["Reply ID"] == replies[0].id and row["Status"] == "Replied"
    assert row["Reply"] == "टँकर पाठवला आहे — PMC" and row["Send"] is True  # people's cells untouched


def test_reply_with_a_dropped_connection_after_posting_is_not_doubled(world):
    ids = seed(world)
    world.runner("r1").cycle()
    ticket = rows_by_comment(world)[ids["ig_garbage"]]["Ticket ID"]
    world.type_reply(ticket, "Garbage van sent to Baner.")
    world.platforms.drop_next_reply_after_apply = True
    world.runner("r2").cycle()
    world.runner("r3").cycle()
    assert len(world.platforms.replies("instagram")) == 1
    assert rows_by_comment(world)[ids["ig_garbage"]]["Status"] == "Replied"


def test_two_runners_started_together_post_once_and_add_rows_once(world):
    ids = seed(world)
    world.runner("r0").cycle()
    ticket = rows_by_comment(world)[ids["yt_pothole"]]["Ticket ID"]
    world.type_reply(ticket, "Repair crew scheduled this week.")
    world.comment("facebook", world.post("facebook", "Notice"), "Drainage overflow at Kondhwa", "Sita")
    claim_barrier = threading.Barrier(2, timeout=30)
    runners = [world.runner("A"), world.runner("B")]
    for r in runners:
        real_claim = r.store.claim_lease

        def claim_together(*args, real_claim=real_claim, **kwargs):
            claim_barrier.wait()  # both claim at the same moment: each finds the lease free
            return real_claim(*args, **kwargs)

        r.store.claim_lease = claim_together
    results = []
    threads = [threading.Thread(target=lambda r=r: results.append(r.cycle())) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and sorted(r.ran for r in results) == [False, True]
    assert len(world.platforms.replies("youtube")) == 1
    t = tracker(world)
    assert not t.duplicate_keys and sum(1 for _ in t.row_numbers()) == len(ids) + 1


def test_native_reply_becomes_replied_and_deadlines_flag(world):
    ids = seed(world)
    world.runner("r1").cycle()
    world.platforms.owner_reply(ids["fb_thanks"], "धन्यवाद!")
    world.clock.advance(hours=25)
    world.runner("r2").cycle()
    rows = rows_by_comment(world)
    native = rows[ids["fb_thanks"]]
    assert native["Status"] == "Replied" and native["Replied By"] == "on platform" and native["Reply ID"]
    assert native["Overdue"] == ""
    assert rows[ids["fb_water"]]["Overdue"] == "Overdue"
    world.clock.advance(hours=24)
    world.runner("r3").cycle()
    rows = rows_by_comment(world)
    assert rows[ids["fb_water"]]["Overdue"] == "Escalated" and rows[ids["fb_water"]]["Status"] == "Escalated"


def test_people_cells_are_never_changed(world):
    ids = seed(world)
    world.runner("r1").cycle()
    ws = world.worksheet()
    header = ws.row_values(1)
    idx = {h: header.index(h) + 1 for h in header}
    row = ws.col_values(idx["Comment ID"]).index(ids["x_signal"]) + 1
    ws.update_cell(row, idx["Notes"], "called twice — no answer")
    ws.update_cell(row, idx["Department"], "Electrical")
    ws.update_cell(row, idx["Category"], "Question")
    world.clock.advance(hours=30)
    world.runner("r2").cycle()
    got = rows_by_comment(world)[ids["x_signal"]]
    assert got["Notes"] == "called twice — no answer"
    assert got["Department"] == "Electrical" and got["Category"] == "Question"


def test_expired_token_on_one_platform_leaves_the_others_working(world):
    seed(world)
    world.platforms.expire_token("facebook")
    result = world.runner("r1").cycle()
    assert any("facebook" in n for n in result.notes)
    rows = rows_by_comment(world)
    platforms = {r["Platform"] for r in rows.values()}
    assert platforms == {"instagram", "youtube", "x"}
