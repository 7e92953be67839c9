"""Idle cycles: a sheet nobody else changed since this runner's last write is not read again (the Drive file's
version tells), and what the runner keeps instead is exactly what a read would return — checked cell for cell
against a real read after every cycle of a busy, randomised run. Anyone else's write means a full read."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime

import pytest
from gspread.utils import rowcol_to_a1

from jobs.runner import READ_TABS
from sheets_sync.config import ScheduleConfig
from sheets_sync.demo.world import IST, World
from sheets_sync.tracker.changes import STATE_TAB
from sheets_sync.tracker.store import Snapshot

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture
def world(tmp_path) -> World:
    return World.create(tmp_path, START, quota_per_minute=0)


def counting(runner):
    """``runner``, its full reads of the sheet counted in ``runner.reads``."""
    real = runner.store.read
    runner.reads = 0

    def read(*args, **kwargs):
        runner.reads += 1
        return real(*args, **kwargs)

    runner.store.read = read
    real_narrow = runner.store._read_narrow
    runner.narrow_reads = 0

    def read_narrow(*args, **kwargs):
        snapshot = real_narrow(*args, **kwargs)
        runner.narrow_reads += snapshot is not None
        return snapshot

    runner.store._read_narrow = read_narrow
    return runner


def assert_same(known: Snapshot, fresh: Snapshot) -> None:
    for title in [*READ_TABS, STATE_TAB]:
        a, b = known.tables[title], fresh.tables[title]
        assert a.header == b.header, title
        assert list(a.row_numbers()) == list(b.row_numbers()), title
        assert a.key_rows == b.key_rows and a.duplicate_keys == b.duplicate_keys, title
        for n in b.row_numbers():
            assert [a.raw(n, h) for h in b.header if h] == [b.raw(n, h) for h in b.header if h], (title, n)
            # Parsed values too: the runner keeps what earlier cycles parsed, and must drop what it wrote over.
            assert [a.typed(n, h) for h in b.header if h] == [b.typed(n, h) for h in b.header if h], (title, n)
        for header in b.header:  # the columns, kept and written to in place across cycles, as read now
            assert a.column(header) == b.column(header), (title, header)
        assert list(a.rows) == list(b.rows), title
        for header in list(a._micros):  # and the times as microseconds
            assert a.micros(header).tolist() == b.micros(header).tolist(), (title, header)
    assert known.state == fresh.state and known.state_rows == fresh.state_rows
    assert set(known.tables["Archive"].key_rows) == set(fresh.tables["Archive"].key_rows)


def fresh_read(world: World) -> Snapshot:
    store = world.runner("checker").store
    snapshot = store.read(READ_TABS, key_only=["Archive"])
    store.archive.merge_keys(snapshot)
    return snapshot


def test_an_idle_cycle_reads_almost_nothing_and_a_persons_edit_is_seen_next_cycle(world: World) -> None:
    post = world.post("facebook", "Water")
    comment = world.comment("facebook", post, "कोथरूड मध्ये पाणी आले नाही", "Priya")
    runner = counting(world.runner("r"))
    runner.cycle()
    bytes_out = world.sheets.stats()["bytes_out"]
    world.clock.advance(minutes=5)
    idle = runner.cycle()
    assert runner.reads == 1  # nobody changed anything: not read again
    idle_bytes = world.sheets.stats()["bytes_out"] - bytes_out
    assert idle.ok and idle_bytes < 5_000, idle_bytes
    assert_same(runner.known.snapshot, fresh_read(world))
    # A person ticks Send on a reply: the next cycle reads the sheet and posts it.
    ticket = f"FB-{comment}"
    assert world.type_reply(ticket, "Tanker sent.")
    world.clock.advance(minutes=5)
    runner.cycle()
    assert runner.reads == 2
    assert [r.text for r in world.platforms.replies("facebook")] == ["Tanker sent."]


def test_another_runners_write_means_a_full_read(world: World) -> None:
    first, second = counting(world.runner("a")), world.runner("b")
    first.cycle()
    world.clock.advance(minutes=5)
    second.cycle()
    world.clock.advance(minutes=5)
    first.cycle()
    assert first.reads == 2


def test_full_read_minutes_bounds_trust_and_zero_turns_it_off(world: World) -> None:
    runner = counting(world.runner("r"))
    runner.cycle()
    world.clock.advance(minutes=59)
    runner.cycle()
    assert runner.reads == 1
    world.clock.advance(minutes=2)  # past schedule.full_read_minutes (60) since the last full read
    runner.cycle()
    assert runner.reads == 2
    world.config = replace(world.config, schedule=ScheduleConfig.parse({"full_read_minutes": 0}))
    off = counting(world.runner("off"))
    off.cycle()
    world.clock.advance(minutes=1)
    off.cycle()
    assert off.reads == 2 and off.known is None


@pytest.mark.parametrize(("seed", "narrow"), [(1, False), (2, False), (3, True), (4, True), (5, True), (8, True)])
def test_what_the_runner_keeps_equals_a_read_after_every_cycle(world: World, seed: int, narrow: bool) -> None:
    """After every cycle the kept sheet equals a real read. With ``narrow``, every re-read after a person's
    edit is tried narrow (people's columns over the kept sheet), whatever the size."""
    rng = random.Random(seed)
    posts = {p: world.post(p, f"{p} post") for p in ("facebook", "instagram", "youtube", "x")}
    texts = ["कचरा उचलला नाही", "No water since morning", "Huge tree fell on the road near Kothrud depot",
             "pothole near Deccan", "Aundh madhe pani kami pressure ne yete"]
    # Trusted for as long as the run lasts, so every quiet cycle is one the check below covers.
    world.config = replace(world.config, schedule=ScheduleConfig.parse({"full_read_minutes": 10_000}))
    runner = counting(world.runner("r"))
    runner.store.narrow_min_rows = 0 if narrow else 10**9
    narrowed = skipped = 0
    for _ in range(16):
        for _ in range(rng.randint(0, 3)):
            platform = rng.choice(list(posts))
            world.comment(platform, posts[platform], rng.choice(texts), f"Citizen {rng.randint(1, 99)}")
        if rng.random() < 0.3:
            tickets = [r["Ticket ID"] for r in world.worksheet().get_all_records() if r["Status"] != "Replied"]
            if tickets:
                world.type_reply(rng.choice(tickets), "Attended. — PMC")
        if rng.random() < 0.25:  # a person sorts the rows: the re-read matches parsed cells by key, not place
            sheet = world.worksheet()
            sheet.sort((rng.randint(1, 8), rng.choice(["asc", "des"])),
                       range=f"A2:{rowcol_to_a1(max(sheet.row_count, 2), sheet.col_count)}")
        if rng.random() < 0.1:  # a person's note on a row of their own, without a Ticket ID: read in full
            sheet = world.worksheet()
            sheet.update_cell(len(sheet.col_values(1)) + 2, sheet.row_values(1).index("Notes") + 1, "call back")
        before, narrow_before = runner.reads, runner.narrow_reads
        runner.cycle()
        skipped += runner.reads == before and runner.narrow_reads == narrow_before
        narrowed += runner.narrow_reads - narrow_before
        if runner.known is not None:
            assert_same(runner.known.snapshot, fresh_read(world))
        world.clock.advance(minutes=rng.choice([1, 5, 30, 45, 90]))
    assert skipped >= 1  # quiet cycles did happen (an urgent alert or a typed reply means a read), and were checked
    assert (narrowed >= 1) == narrow  # narrow re-reads did happen, and were checked


@pytest.mark.parametrize("sorted_meanwhile", [False, True])
def test_the_pre_write_read_trusts_the_cycles_own_read_only_while_nobody_wrote(world: World, monkeypatch,
                                                                              sorted_meanwhile: bool) -> None:
    """When the Drive version says nobody wrote since the cycle's read, the pre-write read asks for the header
    rows only; a person who sorts the rows while the cycle runs moves the version, so the key column is read
    again and every written cell still lands on its own row."""
    from jobs import runner as runner_module
    from jobs.runner import Job

    post = world.post("facebook", "Water notice")
    tickets = [f"FB-{world.comment('facebook', post, f'No water in lane {i}', f'Citizen {i}')}" for i in range(6)]
    runner = world.runner("r")
    runner.cycle()
    world.type_replies([(t, f"Tanker sent to lane {i}", "Water desk") for i, t in enumerate(tickets) if i % 2 == 0])
    if sorted_meanwhile:
        sla = runner_module.CYCLE_JOBS["sla"]

        def sla_then_a_person_sorts(ctx) -> None:
            sla.run(ctx)
            ws = world.worksheet()
            ws.sort((1, "des"), range=f"A2:{rowcol_to_a1(ws.row_count, ws.col_count)}")

        monkeypatch.setitem(runner_module.CYCLE_JOBS, "sla", Job(sla_then_a_person_sorts, sla.tabs))
    asked: list[list[str]] = []
    real = runner.store._get_json

    def get_json(url, params):
        if "includeGridData" in params:
            asked.append(list(params["ranges"]))
        return real(url, params)

    monkeypatch.setattr(runner.store, "_get_json", get_json)
    runner.cycle()
    column_ranges = [r for r in asked[-1] if not r.endswith("!1:1")]
    assert bool(column_ranges) == sorted_meanwhile
    rows = {r["Ticket ID"]: r for r in world.worksheet().get_all_records()}
    for i, ticket in enumerate(tickets):
        replied = i % 2 == 0
        assert (rows[ticket]["Status"] == "Replied") == replied, ticket
        assert bool(rows[ticket]["Reply ID"]) == replied and (rows[ticket]["Reply"] != "") == replied, ticket


def test_the_periodic_full_read_is_laid_over_the_kept_sheet_column_by_column(world: World) -> None:
    """Past ``schedule.full_read_minutes`` every column is read and compared with the kept one (not a second
    sheet beside it): a person's text typed into a tool-owned column — which a narrow re-read does not see — is
    seen then, and the kept sheet equals a real read."""
    post = world.post("facebook", "Water notice")
    for i in range(4):
        world.comment("facebook", post, f"No water in lane {i}", f"Citizen {i}")
    runner = counting(world.runner("r"))
    runner.store.narrow_min_rows = 0
    runner.cycle()
    sheet = world.worksheet()
    column = sheet.row_values(1).index("Assigned By") + 1
    sheet.update_cell(2, column, "typed over by a person")
    world.clock.advance(minutes=5)
    runner.cycle()  # a narrow re-read: people's columns only
    assert runner.narrow_reads == 1 and runner.known is not None
    kept = runner.known.snapshot.tables["Tracker"]
    assert kept.raw(2, "Assigned By") != "typed over by a person"
    world.clock.advance(minutes=61)
    reads = runner.reads
    runner.cycle()
    assert runner.reads == reads and runner.narrow_reads == 2  # every column, laid over: no whole second read
    assert runner.known is not None
    assert runner.known.snapshot.tables["Tracker"].raw(2, "Assigned By") == "typed over by a person"
    assert_same(runner.known.snapshot, fresh_read(world))
