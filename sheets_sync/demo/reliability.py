"""The reliability run: many cycles over both emulators with faults, kills, people and a second runner.

Every cycle: new citizens' comments arrive; the tool's Sheets and platform requests are faulted (429, 500,
503, dropped connections) at ``fault_rate``; a person sorts the Tracker, inserts and deletes rows and edits
Reply, Send, Notes and Category *between the tool's read and its write*; some runs are killed at a random point
(after the read, after the lease, right after posting a reply, just before or just after the write); now and
then two runners start at once. After every cycle the invariants are checked against the platforms' own state
and the people's own record of what they typed:

  - no comment lost (once in the sheet, a row never disappears; at the end every comment is in),
  - no duplicate row, no reply posted twice,
  - no person's cell changed,
  - every change of the tool in Audit (each row's creation, and the last value of each cell the tool changed).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..tracker.cells import as_text, ticket_id
from .scenario_data import AREAS, TEMPLATES
from .world import IST, World

KILL_POINTS = ("after read", "after lease", "after posting a reply", "before the write", "after the write")
PEOPLE_COLUMNS = ("Reply", "Send", "Notes", "Replied By")
PLATFORMS = ("facebook", "instagram", "youtube", "x")
# Tracker columns only the tool writes as plain text: their value must be what Audit last recorded.
AUDITED_TEXT_COLUMNS = ("Department", "Status", "Overdue", "Reply ID", "Platform Status", "Assigned By")


class Killed(BaseException):
    """The process dies here (BaseException: nothing in the tool may catch it)."""


@dataclass
class Report:
    """What a run did and found."""

    cycles: int = 0
    cycles_failed: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    two_runner_starts: int = 0
    comments: int = 0
    replies_typed: int = 0
    replies_posted: int = 0
    person_edits: int = 0
    sorts: int = 0
    rows_inserted: int = 0
    rows_deleted: int = 0
    sheets_faults: int = 0
    platform_faults: int = 0
    narrow_reads: int = 0  # cycles of the main runner that re-read the people's columns only
    # Comments their authors deleted before any cycle had read them: gone from the platform, so never expected
    # in the sheet (a comment deleted after the tool read it must stay: the disappeared-rows check).
    deleted_before_read: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Figures for the README."""
        return {"cycles": self.cycles, "cycles_failed_by_faults": self.cycles_failed,
                "kills": sum(self.kills.values()), "kills_by_point": dict(self.kills),
                "two_runner_starts": self.two_runner_starts, "comments": self.comments,
                "replies_typed": self.replies_typed, "replies_posted": self.replies_posted,
                "person_edits": self.person_edits, "sorts": self.sorts, "rows_inserted": self.rows_inserted,
                "rows_deleted": self.rows_deleted, "sheets_faults_injected": self.sheets_faults,
                "platform_faults_injected": self.platform_faults, "narrow_reads": self.narrow_reads,
                "deleted_before_the_tool_read_them": len(self.deleted_before_read),
                "invariant_violations": len(self.violations)}


class Person:
    """A department officer in the sheet, remembering what they typed (the truth the tool must keep)."""

    def __init__(self, world: World, rng: random.Random, report: Report) -> None:
        self.world, self.rng, self.report = world, rng, report
        self.typed: dict[str, dict[str, Any]] = {}  # ticket -> header -> value the person set
        self.own_rows = 0

    def act(self) -> None:
        """A burst of edits: sort, insert a scratch row, delete one, type replies, notes, categories."""
        ws = self.world.worksheet()
        values = ws.get_all_values()
        if len(values) < 2:
            return
        header = values[0]
        col = {h: i for i, h in enumerate(header)}
        rows = values[1:]
        tickets = [r[col["Ticket ID"]] for r in rows if r and r[col["Ticket ID"]].startswith(("FB-", "IG-", "YT-", "X-"))]
        if self.rng.random() < 0.5:
            key = self.rng.choice(["Author", "Received At", "Comment", "Platform"])
            from gspread.utils import rowcol_to_a1

            last = rowcol_to_a1(len(values), len(header))
            ws.sort((col[key] + 1, self.rng.choice(["asc", "des"])), range=f"A2:{last}")
            self.report.sorts += 1
        if self.rng.random() < 0.4:
            ws.insert_row(["", "", "", "", "", "", "scratch row typed by a person"],
                          index=self.rng.randint(2, len(values) + 1), value_input_option="RAW")
            self.own_rows += 1
            self.report.rows_inserted += 1
        if self.own_rows and self.rng.random() < 0.4:
            now = ws.col_values(col["Comment"] + 1)
            scratch = [i + 1 for i, v in enumerate(now) if v == "scratch row typed by a person"]
            if scratch:
                ws.delete_rows(self.rng.choice(scratch))
                self.own_rows -= 1
                self.report.rows_deleted += 1
        if not tickets:
            return
        edits: list[tuple[str, str, Any]] = []
        for ticket in self.rng.sample(tickets, min(len(tickets), self.rng.randint(1, 4))):
            kind = self.rng.random()
            if kind < 0.4 and "Reply" not in self.typed.get(ticket, {}):
                edits += [(ticket, "Reply", f"उत्तर / reply to {ticket}"), (ticket, "Send", True),
                          (ticket, "Replied By", "Ward office")]
                self.report.replies_typed += 1
            elif kind < 0.7:
                edits.append((ticket, "Notes", f"note {self.rng.randint(1, 999)} — called the citizen"))
            else:
                edits.append((ticket, "Category", self.rng.choice(["Complaint", "Question", "Suggestion"])))
        self._type(edits)

    def _type(self, edits: list[tuple[str, str, Any]]) -> None:
        from gspread.utils import rowcol_to_a1

        ws = self.world.worksheet()
        header = ws.row_values(1)
        ids = ws.col_values(header.index("Ticket ID") + 1)
        data = []
        for ticket, column, value in edits:
            if ticket not in ids:
                continue
            data.append({"range": rowcol_to_a1(ids.index(ticket) + 1, header.index(column) + 1), "values": [[value]]})
            self.typed.setdefault(ticket, {})[column] = value
            self.report.person_edits += 1
        if data:
            ws.batch_update(data, value_input_option="RAW")


class Killer:
    """Kills a runner at a chosen point by wrapping the methods it calls."""

    def __init__(self, runner: Any, point: str) -> None:
        self.point = point
        store = runner.store
        if point == "after read":
            self._wrap(store, "begin", after=True)  # a full, narrow or no read: the cycle's start
        elif point == "after lease":
            self._wrap(store, "claim_lease", after=True)
        elif point == "after posting a reply":
            for connector in runner.connectors:
                self._wrap(connector, "post_reply", after=True)
        elif point == "before the write":
            self._wrap(store.http, "batch_update", after=False)
        elif point == "after the write":
            self._wrap(store, "commit", after=True)

    def _wrap(self, obj: Any, name: str, after: bool) -> None:
        real = getattr(obj, name)
        point = self.point

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not after:
                raise Killed(point)
            real(*args, **kwargs)
            raise Killed(point)

        setattr(obj, name, wrapped)


def _fault_count(emulator: Any) -> int:
    return int(emulator.faults.total)


def run(cycles: int = 30, seed: int = 11, fault_rate: float = 0.3, kill_rate: float = 0.15,
        two_runner_rate: float = 0.1, data_dir: Path | None = None) -> Report:
    """The reliability run; returns its report (``violations`` empty when every invariant held)."""
    import tempfile

    rng = random.Random(seed)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=IST)
    world = World.create(data_dir or Path(tempfile.mkdtemp()), start, seed=seed)
    report = Report()
    person = Person(world, rng, report)
    posts = {p: [world.post(p, f"{p} post {i}") for i in range(3)] for p in ("facebook", "instagram", "youtube", "x")}
    world.sheets.faults.rate = fault_rate
    world.platforms.faults.rate = fault_rate
    runner = world.runner("main")
    # The production threshold is 500 rows; this sheet is smaller: re-read narrow after every person's edit, so
    # the narrow path is under the same faults, kills and checks.
    runner.store.narrow_min_rows = 0
    _count_narrow_reads(runner, report)
    seen_rows: set[str] = set()
    for i in range(cycles):
        for _ in range(rng.randint(1, 6)):
            platform = rng.choice(list(posts))
            _, template = rng.choice(TEMPLATES)
            when = world.clock.now - timedelta(minutes=rng.randint(0, 90))
            world.comment(platform, rng.choice(posts[platform]), template.format(area=rng.choice(AREAS)),
                          f"Citizen {rng.randint(1, 500)}", when)
            report.comments += 1
        if rng.random() < 0.1:
            _moderate(world, rng, report, seen_rows)
        if rng.random() < two_runner_rate:
            report.two_runner_starts += 1
            _two_runners(world, person, rng, report)
        else:
            current = runner
            point = rng.choice(KILL_POINTS) if rng.random() < kill_rate else None
            if point:
                current = world.runner(f"doomed-{i}")
                Killer(current, point)
            _with_person_between_read_and_write(current, person)
            try:
                current.cycle()
            except Killed as exc:
                report.kills[str(exc)] += 1
                world.clock.advance(minutes=11)  # the dead runner's lease expires
            except Exception:  # noqa: BLE001 - a cycle beaten by faults; the next one catches up
                report.cycles_failed += 1
        report.cycles += 1
        world.clock.advance(minutes=5)
        _check(world, person, report, seen_rows, final=False)
    # Calm weather at the end, and a day later (past any platform's daily quota reset): everything must have
    # arrived, exactly once.
    world.sheets.faults.rate = world.platforms.faults.rate = 0.0
    for minutes in (15, 15, 24 * 60, 15):
        world.clock.advance(minutes=minutes)
        world.runner("final").cycle()
    report.sheets_faults = _fault_count(world.sheets)
    report.platform_faults = _fault_count(world.platforms)
    _check(world, person, report, seen_rows, final=True)
    return report


def _moderate(world: World, rng: random.Random, report: Report, seen_rows: set[str]) -> None:
    """A moderator hides a comment, or its author deletes it — sometimes one the tool has not read yet (it
    arrived since the last cycle, or faults beat the cycles since): that one can never reach the sheet."""
    comments = [c for c in world.platforms.state.comments.values()
                if c.via is None and c.platform in ("facebook", "instagram") and not c.deleted]
    if comments:
        target = rng.choice(comments)
        if rng.random() < 0.5:
            world.platforms.hide_comment(target.id)
        else:
            world.platforms.delete_comment(target.id)
            if ticket_id(target.platform, target.id) not in seen_rows:
                report.deleted_before_read.add(ticket_id(target.platform, target.id))


def _with_person_between_read_and_write(runner: Any, person: Person) -> None:
    real = runner.store.commit

    def commit(*args: Any, **kwargs: Any) -> Any:
        person.act()  # people edit after the tool's read, before its write
        runner.store.commit = real
        return real(*args, **kwargs)

    runner.store.commit = commit


def _count_narrow_reads(runner: Any, report: Report) -> None:
    real = runner.store._read_narrow

    def counted(*args: Any, **kwargs: Any) -> Any:
        snapshot = real(*args, **kwargs)
        report.narrow_reads += snapshot is not None
        return snapshot

    runner.store._read_narrow = counted


def _two_runners(world: World, person: Person, rng: random.Random, report: Report) -> None:
    claim_barrier = threading.Barrier(2, timeout=20)
    runners = [world.runner(f"twin-{rng.randint(0, 10**6)}-{k}") for k in range(2)]
    for r in runners:
        real_claim = r.store.claim_lease

        def claim(*args: Any, real_claim: Any = real_claim, **kwargs: Any) -> Any:
            claim_barrier.wait()  # both claim at the same moment
            return real_claim(*args, **kwargs)

        r.store.claim_lease = claim
    _with_person_between_read_and_write(runners[0], person)
    errors: list[BaseException] = []

    def go(r: Any) -> None:
        try:
            r.cycle()
        except threading.BrokenBarrierError:
            pass  # the other runner failed before the barrier: this one simply runs alone
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.cycles_failed += len(errors)


class _TrackerView:
    """The Tracker tab's values (header row first) as the checks read them."""

    def __init__(self, values: list[list[str]]) -> None:
        self.header, self.rows = values[0], values[1:]
        self.col = {h: i for i, h in enumerate(self.header)}
        self.tickets = [self.cell(r, "Ticket ID") for r in self.rows if self.cell(r, "Ticket ID")]
        self.by_ticket = {self.cell(r, "Ticket ID"): r for r in self.rows if self.cell(r, "Ticket ID")}

    def cell(self, row: list[str], header: str) -> str:
        """The row's value in the column ``header`` ("" past the row's end)."""
        return row[self.col[header]] if self.col[header] < len(row) else ""


def _check(world: World, person: Person, report: Report, seen_rows: set[str], final: bool) -> None:
    """Check every invariant against the sheet, the platforms and the person; add violations to ``report``."""
    tracker = _TrackerView(world.worksheet().get_all_values())
    where = f"after cycle {report.cycles}"
    found = report.violations
    found += _duplicate_rows(tracker.tickets, where)
    found += _disappeared_rows(tracker.tickets, seen_rows, where)
    seen_rows |= set(tracker.tickets)
    found += _replies_posted_twice(world.platforms, where)
    found += _person_cells_changed(tracker, person.typed, where)
    audit = world.worksheet("Audit").get_all_values()[1:]
    found += _rows_without_creation_audit(tracker.tickets, audit, where)
    found += _cells_unlike_last_audit(tracker, audit, person.typed, where)
    report.replies_posted = sum(1 for p in PLATFORMS for r in world.platforms.replies(p) if r.via == "api")
    if final:
        found += _comments_never_arrived(world.platforms.state.comments.values(), tracker.tickets,
                                         report.deleted_before_read)


def _duplicate_rows(tickets: list[str], where: str) -> list[str]:
    """No duplicate row: each Ticket ID is in the Tracker once."""
    return [f"{where}: duplicate row {ticket} ×{n}" for ticket, n in Counter(tickets).items() if n > 1]


def _disappeared_rows(tickets: list[str], seen_rows: set[str], where: str) -> list[str]:
    """No comment lost: a row once in the sheet never disappears."""
    return [f"{where}: row {ticket} disappeared" for ticket in seen_rows - set(tickets)]


def _replies_posted_twice(platforms: Any, where: str) -> list[str]:
    """No reply posted twice: the tool answered each comment at most once on its platform."""
    found = []
    for platform in PLATFORMS:
        counts = Counter(r.parent_id for r in platforms.replies(platform) if r.via == "api")
        found += [f"{where}: {n} replies posted to {platform} comment {parent}"
                  for parent, n in counts.items() if n > 1]
    return found


def _person_cells_changed(tracker: _TrackerView, typed: dict[str, dict[str, Any]], where: str) -> list[str]:
    """No person's cell changed: every value a person typed is still there."""
    found = []
    for ticket, cells in typed.items():
        row = tracker.by_ticket.get(ticket)
        if row is None:
            continue
        for h, value in cells.items():
            got = tracker.cell(row, h)
            want = ("TRUE" if value else "FALSE") if isinstance(value, bool) else as_text(value)
            if got != want:
                found.append(f"{where}: {ticket} {h} is {got!r}, the person typed {want!r}")
    return found


def _rows_without_creation_audit(tickets: list[str], audit: list[list[str]], where: str) -> list[str]:
    """Every row's creation is in Audit."""
    created = {r[2] for r in audit if len(r) > 3 and r[3] == "Tracker: new row"}
    return [f"{where}: row {ticket} has no Audit entry for its creation" for ticket in tickets
            if ticket not in created]


def _cells_unlike_last_audit(tracker: _TrackerView, audit: list[list[str]], typed: dict[str, dict[str, Any]],
                             where: str) -> list[str]:
    """Every change of the tool is in Audit: a tool-written cell holds the last value Audit recorded for it."""
    last: dict[tuple[str, str], str] = {}
    for r in audit:
        if len(r) > 5 and not r[3].endswith(("new row", "row removed")):
            last[(r[2], r[3])] = r[5]
    found = []
    for (ticket, h), new in last.items():
        row = tracker.by_ticket.get(ticket)
        if row is None or h not in AUDITED_TEXT_COLUMNS or h in typed.get(ticket, {}):
            continue
        got = tracker.cell(row, h)
        if got != new:
            found.append(f"{where}: {ticket} {h} is {got!r} but Audit's last change says {new!r}")
    return found


def _comments_never_arrived(comments: Iterable[Any], tickets: list[str], deleted_unread: set[str]) -> list[str]:
    """At the end, every citizen's comment on the platforms is in the sheet — but one its author deleted before
    the sheet had it (``deleted_unread``): the platform no longer shows it to anyone."""
    expected = {ticket_id(c.platform, c.id) for c in comments if c.via is None} - deleted_unread
    return [f"at the end: comment {missing} never reached the sheet" for missing in sorted(expected - set(tickets))]
