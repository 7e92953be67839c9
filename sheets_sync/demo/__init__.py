"""``sheets-sync demo`` / ``make demo``: the whole loop on a laptop, offline, in under two minutes.

Both emulators run in-process on a simulated clock. The corporation posts on four platforms; a few hundred
citizens comment over a week in Marathi, Hindi, English and romanised mixes; the jobs run every 30 simulated
minutes; departments reply to some rows in the sheet; a few comments are hidden or deleted and one is answered
natively on Facebook. At the end: a summary by department, and the sheet exported to ``demo-tracker.xlsx``.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..config import Config
from ..vocabulary import Status, is_open
from .scenario_data import AREAS, FOLLOW_UPS, NOT_PMC_REPLIES, POSTS, REPLIES, TEMPLATES, URGENT_COMMENTS
from .world import IST, World

AUTHORS = ["Sachin Patil", "Priya Kulkarni", "राहुल देशमुख", "Ayesha Shaikh", "अमित जोशी", "Neha Gupta",
           "Vikram More", "स्नेहा पवार", "Rohan Shinde", "Farhan Khan", "मीनल गोखले", "Tejas Jadhav"]


def _progress(done: int, total: int, label: str, started: float) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} cycles  {label}  "
                     f"{time.monotonic() - started:4.1f}s")
    sys.stderr.flush()


def build_scenario(world: World, comments: int, days: int) -> tuple[list[tuple[datetime, str, str, str, str]], dict[str, str]]:
    """Posts now; the citizens' comments as a timeline (time, platform, post id, text, author)."""
    rng = world.rng
    post_ids: dict[str, str] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, department, text in POSTS:
        pid = world.post(platform, text)
        post_ids[pid] = department
        by_platform.setdefault(platform, []).append(pid)
    timeline = []
    start = world.clock.now
    platforms = list(by_platform)
    weights = [0.45 if p == "facebook" else 0.2 if p == "instagram" else 0.2 if p == "youtube" else 0.15
               for p in platforms]
    for _ in range(comments):
        platform = rng.choices(platforms, weights)[0]
        pid = rng.choice(by_platform[platform])
        _department, template = rng.choice(TEMPLATES)
        text = template.format(area=rng.choice(AREAS))
        if platform == "x":
            text = "@PMCPune " + text
        when = start + timedelta(seconds=rng.uniform(0, days * 86400 * 0.92))
        timeline.append((when, platform, pid, text, rng.choice(AUTHORS)))
    # A few matters that cannot wait, at night and by day: Priority Urgent, a 2-hour deadline, an alert e-mail.
    for i, (platform, text) in enumerate(URGENT_COMMENTS):
        pid = rng.choice(by_platform.get(platform) or next(iter(by_platform.values())))
        when = start + timedelta(days=(i + 1) * days / (len(URGENT_COMMENTS) + 1), hours=(i * 7) % 24)
        timeline.append((when, platform, pid, text, rng.choice(AUTHORS)))
    timeline.sort()
    return timeline, post_ids


def run_demo(config: Config, comments: int = 300, out: Path = Path("demo-tracker.xlsx"), days: int = 7,
             seed: int = 7, progress: bool = True) -> int:
    """Run the demo; prints the summary and writes the export. Returns the exit code."""
    from ..app import Runner

    started = time.monotonic()
    if progress:
        # The progress bar and the summary tell the story; per-cycle log lines would bury them.
        logging.getLogger("sheets_sync").setLevel(logging.WARNING)
    world = _fresh_world(config, days, seed)
    runner: Runner = world.runner("demo-runner")
    timeline, post_ids = build_scenario(world, comments, days)
    cycles = _simulate_week(world, runner, _People(world, timeline, post_ids), days,
                            started if progress else None)
    runner.cycle()
    if progress:
        sys.stderr.write("\n")
    rows = runner.store.read(["Tracker"])["Tracker"].records()
    print_summary(rows, world.clock.now)
    export_xlsx(world, out)
    stats = world.sheets.stats()
    print(f"\n{len(rows)} comments in the Tracker, {cycles + 1} cycles, Sheets requests by the tool and the "
          f"simulated people: {stats['reads']} reads, {stats['writes']} writes "
          f"({time.monotonic() - started:.1f} s)")
    print(f"Exported to {out.resolve()}")
    return 0


def _fresh_world(config: Config, days: int, seed: int) -> World:
    """A new world under the data directory, starting ``days`` before today 09:00."""
    data_dir = config.data_dir / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    today = datetime.now(IST).replace(hour=9, minute=0, second=0, microsecond=0)
    return World.create(data_dir, today - timedelta(days=days), seed=seed)


def _simulate_week(world: World, runner: Any, people: _People, days: int, started: float | None) -> int:
    """Run the jobs every 30 simulated minutes for ``days``, the people acting between cycles; returns the
    number of cycles. ``started`` (monotonic) turns the progress bar on."""
    step = timedelta(minutes=30)
    begin = world.clock.now
    end = begin + timedelta(days=days)
    total_cycles = int((end - begin) / step)
    cycle = 0
    while world.clock.now < end:
        now = world.clock.now
        people.comment_until(now)
        runner.cycle()
        cycle += 1
        people.after_cycle(cycle, now)
        # Cycles run on the half hour; pauses within a cycle (retries' back-off) must not drift the schedule.
        world.clock.now = max(world.clock.now, begin + cycle * step)
        if started is not None and (cycle % 8 == 0 or cycle == total_cycles):
            _progress(cycle, total_cycles, world.clock.now.strftime("%a %d %b %H:%M"), started)
    return cycle


class _People:
    """Everyone but the tool: citizens commenting on the timeline, the cell, the department desks, moderators
    and the Facebook page admin answering natively."""

    DESK_HOURS = (11, 16)  # the departments work through their rows twice a day
    MAX_MODERATED = 6

    def __init__(self, world: World, timeline: list[tuple[datetime, str, str, str, str]],
                 post_ids: dict[str, str]) -> None:
        self.world = world
        self.timeline = timeline
        self.post_ids = post_ids
        self.next_comment = 0
        self.posted: list[tuple[str, str]] = []  # (platform, platform comment id)
        self.next_desk = world.clock.now.replace(hour=self.DESK_HOURS[0])
        self.moderated = 0
        self.native_done = False

    def comment_until(self, now: datetime) -> None:
        """The citizens post every comment of the timeline due by ``now``."""
        while self.next_comment < len(self.timeline) and self.timeline[self.next_comment][0] <= now:
            when, platform, pid, text, author = self.timeline[self.next_comment]
            cid = self.world.comment(platform, pid, text, author, when)
            self.posted.append((platform, cid))
            self.next_comment += 1

    def after_cycle(self, cycle: int, now: datetime) -> None:
        """What people do after the ``cycle``-th cycle, which started at ``now``."""
        if cycle == 2:  # the cell fills in which department owns each post
            for pid, department in self.post_ids.items():
                self.world.set_post_department(pid, department)
        if now >= self.next_desk:
            self._desk_round()
        if cycle % 40 == 0 and self.posted and self.moderated < self.MAX_MODERATED:
            self._moderate_one()
        if not self.native_done and cycle > 60:
            self._answer_natively()
        if cycle % 50 == 0:
            self._follow_up()

    def _desk_round(self) -> None:
        """The departments reply in the sheet; the next round is at the next desk hour."""
        _departments_reply(self.world)
        desk = self.next_desk
        later = [desk.replace(hour=h) for h in self.DESK_HOURS if desk.replace(hour=h) > desk]
        self.next_desk = later[0] if later else (desk + timedelta(days=1)).replace(hour=self.DESK_HOURS[0])

    def _moderate_one(self) -> None:
        """A moderator hides (or, every other time, deletes) a random comment, if it is on Facebook or Instagram."""
        platform, cid = self.posted[self.world.rng.randrange(len(self.posted))]
        if platform not in ("facebook", "instagram"):
            return
        if self.moderated % 2:
            self.world.platforms.delete_comment(cid)
        else:
            self.world.platforms.hide_comment(cid)
        self.moderated += 1

    def _follow_up(self) -> None:
        """A citizen answers the corporation's reply on Facebook ("still not fixed"): a follow-up that reopens
        the conversation (Parent Ticket, the same department, Assigned By ``follow-up: reopened``)."""
        records = self.world.worksheet().get_all_records(numericise_ignore=["all"])
        answered = [r for r in records if r.get("Platform") == "facebook" and r.get("Reply ID")
                    and not r.get("Parent Ticket")]
        if answered:
            row = answered[self.world.rng.randrange(len(answered))]
            text = self.world.rng.choice(FOLLOW_UPS)
            self.world.comment("facebook", str(row["Post ID"]), text, str(row.get("Author") or "Citizen"),
                               parent_id=str(row["Reply ID"]))

    def _answer_natively(self) -> None:
        """The page admin answers the first Facebook comment in the Facebook app (not through the tool)."""
        fb = [cid for platform, cid in self.posted if platform == "facebook"]
        if fb:
            self.world.platforms.owner_reply(fb[0], "धन्यवाद! आम्ही लक्ष घालत आहोत. — PMC")
            self.native_done = True


def _departments_reply(world: World) -> None:
    """Each department answers a share of its open rows in the sheet, as people do twice a day."""
    table = world.worksheet().get_all_records(numericise_ignore=["all"])
    replies = []
    for record in table:
        if record.get("Status") not in (Status.ASSIGNED, Status.ESCALATED) or record.get("Reply"):
            continue
        if world.rng.random() < 0.45:
            text = reply_for(str(record.get("Category", "")), str(record.get("Language", "")),
                             str(record.get("Assigned By", "")))
            replies.append((record["Ticket ID"], text, f"{record.get('Department', '')} desk"))
    world.type_replies(replies)


def reply_for(category: str, language: str, assigned_by: str = "") -> str:
    """The demo desk's reply for a row: by Category (Complaint when unknown) and Language (Marathi for mixed
    or unknown); a row the cell got as not the corporation's ("... not PMC") gets the MSEDCL reply."""
    if "not PMC" in assigned_by:
        return NOT_PMC_REPLIES.get(language, NOT_PMC_REPLIES["mr"])
    by_language = REPLIES.get(category, REPLIES["Complaint"])
    return by_language.get(language, by_language["mr"])


def print_summary(rows: list[dict[str, Any]], now: datetime) -> None:
    """The summary table by department: open, overdue, replied, median reply hours."""
    from ..reports.metrics import reply_hours

    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.get("Department") or "(not routed)", []).append(row)
    print(f"\n{'Department':<30} {'Open':>5} {'Overdue':>8} {'Replied':>8} {'Median reply h':>15}")
    print("-" * 70)
    totals = [0, 0, 0]
    for name in sorted(groups, key=lambda d: -len(groups[d])):
        group = groups[name]
        open_ = sum(1 for r in group if is_open(r.get("Status")))
        overdue = sum(1 for r in group if r.get("Overdue"))
        replied = [h for r in group if r.get("Status") == Status.REPLIED and (h := reply_hours(r)) is not None]
        median = sorted(replied)[len(replied) // 2] if replied else None
        totals = [totals[0] + open_, totals[1] + overdue, totals[2] + len(replied)]
        print(f"{name:<30} {open_:>5} {overdue:>8} {len(replied):>8} "
              f"{(f'{median:.1f}' if median is not None else '—'):>15}")
    print("-" * 70)
    print(f"{'Total':<30} {totals[0]:>5} {totals[1]:>8} {totals[2]:>8}")
    urgent = sum(1 for r in rows if r.get("Priority") == "Urgent")
    follow_ups = [r for r in rows if r.get("Parent Ticket")]
    reopened = sum(1 for r in follow_ups if str(r.get("Assigned By", "")).startswith("follow-up: reopened"))
    print(f"\nUrgent matters: {urgent} (alerted by e-mail within the cycle, 2-hour deadlines); follow-ups: "
          f"{len(follow_ups)}, of which {reopened} reopened a replied conversation.")


def export_xlsx(world: World, out: Path) -> None:
    """The Tracker Sheet as Drive exports it — the same request as ``sheets-sync export`` — so the file looks
    like the sheet: typed dates and numbers, colours, dropdowns, the frozen header; formula-looking text stays
    text. The demo's spreadsheet was created by the tool, so its blank ``Sheet1`` is dropped first."""
    from ..tracker.export_store import export_to
    from ..tracker.init import drop_default_tab
    from ..tracker.store import TrackerStore

    store = TrackerStore(world.backend, tz=world.config.tz)
    drop_default_tab(store)
    export_to(store, out)
