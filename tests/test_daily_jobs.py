"""The daily jobs: the schedule wiring (``jobs.daily``) and the digest end to end — a World's Tracker Sheet,
real SMTP on loopback (aiosmtpd), once a day even when the process dies mid-way."""

from __future__ import annotations

import html
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobs.daily import daily_jobs, daily_trigger, parse_at, run_digest
from sheets_sync.config import DigestConfig, ScheduleConfig, SmtpConfig, parse_config
from sheets_sync.demo.world import IST, World
from sheets_sync.errors import ConfigError
from sheets_sync.reports.mailer import Mailer
from sheets_sync.retry import policy

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)
CELL = "smcell@pmc.example"
EMAILS = {"Water Supply": "water.head@pmc.example, water.nodal@pmc.example",
          "Roads": "roads.head@pmc.example; roads.nodal@pmc.example",
          "Solid Waste Management": "swm.head@pmc.example"}
COMMENTS = [("facebook", "कोथरूड मध्ये आज पाणी आले नाही, टँकर पाठवा"),
            ("facebook", "No water supply in Baner for two days. When will it be restored?"),
            ("instagram", "Aundh madhe pani kami pressure ne yete, nal kade paha"),
            ("youtube", "Huge potholes on the main road in Katraj, two-wheelers are falling"),
            ("x", "Warje रस्त्यावर मोठे खड्डे पडले आहेत, अपघात होत आहेत"),
            ("instagram", "Garbage not collected in Hadapsar since Monday, please send the truck")]
LINK = re.compile(r"https://docs\.google\.com/spreadsheets/d/([^/]+)/edit#gid=(\d+)&range=A(\d+)")


# -- the schedule ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("08:00", "08:00"), ("8:05", "08:05"), (" 23:59 ", "23:59"), ("00:00", "00:00"),
    (510, "08:30"),  # YAML 1.1 reads an unquoted 8:30 as 8 * 60 + 30
    (150, "02:30"),
])
def test_parse_at_accepts_times_of_day(value: Any, expected: str) -> None:
    assert parse_at(value, "digest_at") == expected


@pytest.mark.parametrize("value", ["24:00", "8am", "08:60", "", None, True, 24 * 60, "08:00:00"])
def test_parse_at_names_the_key_when_it_is_not_a_time(value: Any) -> None:
    with pytest.raises(ConfigError, match=r"schedule\.digest_at"):
        parse_at(value, "digest_at")


def test_sheets_sync_run_hands_the_daily_jobs_to_run_forever(tmp_path: Path, monkeypatch) -> None:
    import jobs.runner
    from sheets_sync import cli

    captured: dict[str, Any] = {}
    monkeypatch.setattr(jobs.runner.Runner, "run_forever", lambda self, **kwargs: captured.update(kwargs))
    config = parse_config({"data_dir": str(tmp_path / "data"), "timezone": "Asia/Kolkata",
                           "schedule": {"digest_at": "07:45", "archive_at": 150}}, tmp_path / "sheets-sync.yaml")
    assert cli._run(config, once=False) == 0
    assert {name: at for name, (at, _) in captured["daily"].items()} == {"digest": "07:45", "archive": "02:30", "backup": "03:00"}
    defaults = daily_jobs(SimpleNamespace(config=replace(config, schedule=ScheduleConfig())))
    assert {name: at for name, (at, _) in defaults.items()} == {"digest": "08:00", "archive": "02:30", "backup": "03:00"}


# (service start, then the clock at each check) → at which checks the 08:00 IST job ran
TRIGGER_CASES = [
    ("started before 08:00: runs at 08:00, once", "07:00", ["07:59", "08:00", "08:00:30", "12:00"], [1]),
    ("started at 08:30 (a deploy): catches up", "08:30", ["08:30", "09:00"], [0]),
    ("started in the evening: not until tomorrow", "20:00", ["20:00", "23:59", "+1 07:59", "+1 08:00"], [3]),
    ("a day on: again", "07:00", ["08:00", "+1 08:01", "+1 09:00", "+2 08:00"], [0, 1, 3]),
    ("the machine slept through a day: once", "07:00", ["08:00", "+3 10:00", "+3 10:01"], [0, 1]),
]


@pytest.mark.parametrize(("case", "start", "checks", "ran_at"), TRIGGER_CASES, ids=[c[0] for c in TRIGGER_CASES])
def test_daily_trigger_fires_once_a_day_at_its_time_in_the_zone(case: str, start: str, checks: list[str],
                                                                ran_at: list[int]) -> None:
    def at(text: str) -> datetime:
        days, _, clock_time = text.rpartition(" ")
        moment = datetime.combine(START.date(), time.fromisoformat(clock_time), tzinfo=IST)
        return (moment + timedelta(days=int(days or 0))).astimezone(UTC)  # the runner's clock is UTC

    now = [at(start)]
    calls: list[datetime] = []
    check = daily_trigger("08:00", IST, lambda: calls.append(now[0]), lambda: now[0])
    runs = []
    for index, text in enumerate(checks):
        now[0] = at(text)
        if check():
            runs.append(index)
    assert runs == ran_at and calls == [at(checks[i]) for i in ran_at]


def test_run_forever_registers_the_daily_jobs(world: World, monkeypatch) -> None:
    """The service starts with the daily jobs (schedule's own tz support would need pytz) and runs a cycle."""
    runner = world.runner("service")
    monkeypatch.setattr(runner, "_install_signals", lambda: None)
    runner.run_forever(daily=daily_jobs(runner), max_cycles=1)


# -- the digest over SMTP -----------------------------------------------------------------------------------

@dataclass
class Inbox:
    """aiosmtpd handler keeping every accepted message."""

    envelopes: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.envelopes.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 2.0.0 Message accepted for delivery"

    def by_key(self) -> dict[str, list[tuple[list[str], EmailMessage]]]:
        out: dict[str, list[tuple[list[str], EmailMessage]]] = {}
        for rcpts, message in self.envelopes:
            out.setdefault(str(message["X-Sheets-Sync-Digest"]), []).append((rcpts, message))
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox_port() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def world(tmp_path: Path, inbox_port: tuple[Inbox, int]) -> World:
    """A World whose comments are routed, one answered, the rest overdue by a day; real addresses; SMTP."""
    _, port = inbox_port
    world = World.create(tmp_path, START, quota_per_minute=0)  # quotas are not under test: no 429 waits
    world.config = replace(world.config, smtp=SmtpConfig.parse({"host": "127.0.0.1", "port": port,
                                                                "from": "sheets-sync@pmc.example", "timeout": 5}),
                           digest=DigestConfig.parse({"folder": str(tmp_path / "digests"), "cell_email": CELL}))
    posts = {p: world.post(p, f"PMC notice on {p}") for p in ("facebook", "instagram", "youtube", "x")}
    comment_ids = [world.comment(p, posts[p], text, f"citizen {i}") for i, (p, text) in enumerate(COMMENTS)]
    ws = world.worksheet("Departments")
    names = ws.col_values(1)
    email_col = ws.row_values(1).index("Email") + 1
    for name, emails in EMAILS.items():
        ws.update_cell(names.index(name) + 1, email_col, emails)
    world.runner("r1").cycle()
    world.platforms.owner_reply(comment_ids[1], "Supply restored this morning.")
    world.clock.advance(hours=30)
    world.runner("r2").cycle()
    # A person inserts a row at the top: the digest's links must follow the rows to where they are now.
    world.worksheet().insert_rows([["", ""]], row=2)
    return world


def tracker_rows(world: World) -> dict[int, dict[str, Any]]:
    """The Tracker as a person sees it: row number → values by header."""
    values = world.worksheet().get_all_values()
    header = values[0]
    return {n: dict(zip(header, row, strict=False)) for n, row in enumerate(values[1:], start=2) if any(row)}


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert text is not None and markup is not None
    return text.get_content(), markup.get_content()


def expected_counts(rows: list[dict[str, Any]]) -> dict[str, str]:
    """An independent count, from the metrics definitions: open = New/Assigned/Escalated; escalated = open and
    flagged Escalated in Overdue or Status; overdue = open, flagged Overdue, not escalated."""
    open_rows = [r for r in rows if r["Status"] in ("New", "Assigned", "Escalated")]
    escalated = [r for r in open_rows if "Escalated" in (r["Overdue"], r["Status"])]
    overdue = [r for r in open_rows if r["Overdue"] == "Overdue" and r not in escalated]
    return {"New": str(sum(r["Status"] == "New" for r in rows)), "Open": str(len(open_rows)),
            "Overdue": str(len(overdue)), "Escalated": str(len(escalated))}


def digest_states(world: World, day: str) -> dict[str, str]:
    state = world.runner("reader").store.read([]).state
    return {k: json.loads(v)["status"] for k, v in state.items() if k.startswith(f"digest:{day}/") and v}


def test_each_head_gets_the_digest_with_counts_and_working_row_links(world: World,
                                                                     inbox_port: tuple[Inbox, int]) -> None:
    inbox, _ = inbox_port
    result = run_digest(world.runner("digest"))
    assert result.ran and not result.failed_jobs
    day = world.clock.now.astimezone(IST).date().isoformat()
    received = inbox.by_key()
    rows = tracker_rows(world)
    gid = world.worksheet().id
    sheet_id = world.backend.spreadsheet_id
    assert set(received) == {f"{day}/{name}" for name in EMAILS} | {f"{day}/_cell"}
    assert any(r["Overdue"] for r in rows.values()), "the scenario must have overdue rows"
    for name, emails in EMAILS.items():
        [(rcpts, message)] = received[f"{day}/{name}"]
        assert rcpts == re.split(r"[,;]\s*", emails)  # head and nodal officer
        text, markup = parts(message)
        mine = [r for r in rows.values() if r["Department"] == name]
        assert mine, name
        assert dict(re.findall(r"/ (New|Open|Overdue|Escalated): (\d+)", text)) == expected_counts(mine)
        # Every link opens the Tracker tab at the row of one of this department's open items, all of them.
        linked = {}
        for link in re.findall(r'href="([^"]+)"', markup):
            match = LINK.fullmatch(html.unescape(link))
            assert match and match.group(1) == sheet_id and int(match.group(2)) == gid, link
            linked[int(match.group(3))] = rows[int(match.group(3))]["Ticket ID"]
        open_tickets = {r["Ticket ID"] for r in mine if r["Status"] in ("New", "Assigned", "Escalated")}
        assert set(linked.values()) == open_tickets
        for ticket in linked.values():
            assert ticket in markup  # the anchor text names the ticket found at the linked row
    [(rcpts, cell)] = received[f"{day}/_cell"]
    assert rcpts == [CELL] and "Water Supply" in parts(cell)[0]
    assert set(digest_states(world, day).values()) == {"sent"}


def test_the_same_days_digest_is_never_sent_twice_and_the_next_day_sends_again(
        world: World, inbox_port: tuple[Inbox, int]) -> None:
    inbox, _ = inbox_port
    run_digest(world.runner("morning"))
    first = len(inbox.envelopes)
    assert first == len(EMAILS) + 1
    world.clock.advance(hours=6)
    again = run_digest(world.runner("manual rerun"))
    assert len(inbox.envelopes) == first
    assert again.counts["digest"] == {"to send": 0, "already sent today": first, "to retry": 0}
    world.clock.advance(hours=18)
    run_digest(world.runner("next morning"))
    assert len(inbox.envelopes) == 2 * first
    assert len(inbox.by_key()) == 2 * first  # new keys: one per department and day


class DyingMailer:
    """A process killed around the SMTP hand-off: before anything is sent, or after sending before recording."""

    def __init__(self, real: Mailer | None) -> None:
        self.real = real

    def deliver(self, messages: Any, **kwargs: Any) -> Any:
        if self.real is not None:
            self.real.deliver(messages, **kwargs)
        raise SystemExit("killed")


def test_a_crash_before_the_hand_off_is_sent_again_once_the_mark_is_stale(
        world: World, inbox_port: tuple[Inbox, int]) -> None:
    """Killed after the cycle marked the day's keys ``sending``, before any was handed over: nothing went out,
    so once the marks are stale (the run is dead) a rerun sends each exactly once."""
    inbox, _ = inbox_port
    with pytest.raises(SystemExit):
        run_digest(world.runner("doomed", mailer=DyingMailer(None)))
    day = world.clock.now.astimezone(IST).date().isoformat()
    assert inbox.envelopes == []
    assert set(digest_states(world, day).values()) == {"sending"}  # the marks landed before the hand-off
    # 15 minutes later the marks could still be a live run's: left alone, but counted as waiting.
    world.clock.advance(minutes=15)
    early = run_digest(world.runner("restarted early"))
    assert early.ran and early.counts["digest"]["to send"] == 0 and inbox.envelopes == []
    assert early.counts["digest"]["to retry"] == len(EMAILS) + 1
    # Past STALE_SENDING the run that queued them is dead: they go out, once each.
    world.clock.advance(minutes=20)
    late = run_digest(world.runner("restarted"))
    assert late.counts["digest"]["to send"] == len(EMAILS) + 1 and late.counts["digest"]["to retry"] == 0
    assert set(inbox.by_key()) == {f"{day}/{name}" for name in EMAILS} | {f"{day}/_cell"}
    assert all(len(copies) == 1 for copies in inbox.by_key().values())
    assert set(digest_states(world, day).values()) == {"sent"}


def test_a_crash_after_the_hand_off_never_leads_to_a_second_email_that_day(
        world: World, inbox_port: tuple[Inbox, int]) -> None:
    """Killed after the server accepted every message, before the last outcome was recorded: the others are
    recorded ``sent`` as it went, the last is ``transferring`` (maybe delivered): none is sent again, even
    once the marks are old; the next day's digest goes out as usual."""
    inbox, _ = inbox_port
    real = Mailer.from_config(world.config, retry=policy(sleep=world.clock.sleep))
    with pytest.raises(SystemExit):
        run_digest(world.runner("doomed", mailer=DyingMailer(real)))
    day = world.clock.now.astimezone(IST).date().isoformat()
    delivered = len(inbox.envelopes)
    assert delivered == len(EMAILS) + 1
    states = digest_states(world, day)
    assert sorted(states.values()) == ["sent"] * len(EMAILS) + ["transferring"]
    for minutes in (15, 45, 300):
        world.clock.advance(minutes=minutes)
        rerun = run_digest(world.runner(f"restarted after {minutes} min"))
        assert rerun.ran and rerun.counts["digest"]["to send"] == 0 and rerun.counts["digest"]["to retry"] == 0
    assert len(inbox.envelopes) == delivered
    assert all(len(copies) == 1 for copies in inbox.by_key().values())
    # The next day's digest goes out as usual.
    world.clock.advance(days=1)
    run_digest(world.runner("next day"))
    next_day = world.clock.now.astimezone(IST).date().isoformat()
    assert {k for k in inbox.by_key() if k.startswith(next_day)} == \
        {f"{next_day}/{name}" for name in EMAILS} | {f"{next_day}/_cell"}


def test_a_digest_waits_for_a_lease_held_by_another_runner(world: World, inbox_port: tuple[Inbox, int]) -> None:
    """At 08:00 another machine's cycle may hold the lease: the daily job waits its turn, it does not skip."""
    inbox, _ = inbox_port
    other = world.runner("other machine")
    assert other.store.claim_lease("other machine", 10)[0]
    started = world.clock.now
    result = run_digest(world.runner("digest"))
    assert result.ran and len(inbox.envelopes) == len(EMAILS) + 1
    assert (world.clock.now - started).total_seconds() >= 10 * 60


def test_without_smtp_the_digests_are_eml_files(world: World) -> None:
    world.config = replace(world.config, smtp=None)
    run_digest(world.runner("digest"))
    day = world.clock.now.astimezone(IST).date().isoformat()
    files = sorted(p.name for p in Path(world.config.digest.folder).glob("*.eml"))
    assert files == sorted([f"{day}-water-supply.eml", f"{day}-roads.eml", f"{day}-solid-waste-management.eml",
                            f"{day}-cell.eml"])
