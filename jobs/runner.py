"""Runs the jobs: one cycle (``run --once``), one job (``job NAME``), or forever on a ``schedule.Scheduler``.

A cycle: the runner's lease (taken atomically, ``tracker.lease``), one read of the sheet, the jobs in order
(each failure logged, the others go on), then one write, which releases the lease. A second runner — on any
machine — finds the lease held and waits for its turn; a lease whose runner died expires after
``lease.minutes``. SIGTERM lets the current step finish, then exits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import schedule

from sheets_sync.client import SheetsBackend
from sheets_sync.config import Config
from sheets_sync.connectors.base import Connector
from sheets_sync.tracker.cells import utc_now
from sheets_sync.tracker.init import needs_upgrade, run_init
from sheets_sync.tracker.known import Known, after_write
from sheets_sync.tracker.lease import parse_claim
from sheets_sync.tracker.store import Snapshot, TrackerStore
from sheets_sync.tracker.unit_of_work import UnitOfWork

from . import (
    access,
    alerts,
    archive,
    backup,
    content,
    dashboard,
    digest,
    ingest,
    reply,
    route,
    sla,
    status,
    templates,
)
from . import content_mail as content_mail_module
from . import daily as daily_module
from . import health as health_module
from . import posts as posts_module
from .cycle import CycleContext

log = logging.getLogger("sheets_sync.runner")



@dataclass(frozen=True)
class Job:
    """A job and the tabs it reads and writes: while one of them cannot be written (missing, or a required
    header missing or repeated) the job waits — before any platform side effect — and the others go on."""

    run: Callable[[CycleContext], None]
    tabs: tuple[str, ...]


CYCLE_JOBS: dict[str, Job] = {
    # First, so `job reply` alone also reports what people typed that cannot be used.
    "check": Job(route.check, ("Tracker",)),
    # Posts too, but a blocked Posts tab must not stop comments: ingest registers their posts once it is back.
    "ingest": Job(ingest.run, ("Tracker",)),
    # Before content: a request that came by e-mail is flagged (7-day lead) in the cycle it arrives.
    "content-mail": Job(content_mail_module.run, ("Content",)),
    # Before route: a published request's posts route to its department.
    "content": Job(content.run, ("Content", "Posts")),
    "route": Job(route.run, ("Tracker",)),  # reads Posts, Departments, Routing: absent ones mean defaults
    "sla": Job(sla.run, ("Tracker",)),
    # After sla (its {due_by}); what it fills in Reply goes out at the earliest next cycle, once Send is ticked.
    "templates": Job(templates.run, ("Tracker",)),
    # After route and sla: an urgent comment is alerted in the cycle that brought it, with its deadline.
    "alerts": Job(alerts.run, ("Tracker",)),
    "reply": Job(reply.run, ("Tracker",)),
    "status": Job(status.run, ("Tracker",)),
    # After status (replies found on the platform count) and before the Dashboard (which shows its figures).
    "posts": Job(posts_module.run, ("Posts",)),
    "dashboard": Job(dashboard.run, ("Tracker",)),
}
# Jobs that run on demand or daily rather than every cycle (`sheets-sync job NAME` runs any of them).
OTHER_JOBS: dict[str, Job] = {
    "archive": Job(archive.run, ("Tracker", "Archive")),
    "digest": Job(digest.run, ("Tracker",)),
    "access": Job(access.run, ("Access",)),  # daily at access.at when access.manage is on
    "backup": Job(backup.run, ()),  # daily at backup.at: the sheet to .xlsx in backup.folder
}
READ_TABS = ["Tracker", "Posts", "Departments", "Routing", "Content", "Templates"]


@dataclass
class CycleResult:
    """What one cycle did."""

    ran: bool
    holder: str = ""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    failed_jobs: list[str] = field(default_factory=list)
    # What needs a person: a platform refused its token, a tab could not be written, a job failed.
    problems: list[str] = field(default_factory=list)
    # The process's CPU seconds per job: where a cycle's cost goes (the bench prints them).
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the cycle ran and nothing in it needs a person (``run --once`` exits 0)."""
        return self.ran and not self.problems and not self.failed_jobs

    def summary(self) -> str:
        """One log line."""
        if not self.ran:
            return f"cycle skipped: the lease is held by {self.holder}"
        parts = [f"{job}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) for job, c in self.counts.items()]
        req = self.requests
        drive = f", Drive requests {req['drive']}" if req.get("drive") else ""
        return (f"cycle done — {'; '.join(parts) or 'nothing to do'} — Sheets requests {req.get('total', 0)} "
                f"({req.get('reads', 0)} reads, {req.get('writes', 0)} writes){drive}")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for one cycle, then one pass over what the cycle left (its youngest
    generation). A cycle allocates a million small lists when it reads a large sheet (JSON rows, cells): left
    on, the collector runs over and over meanwhile, each time also walking the sheet kept from the last cycle
    — measured at 100,000 rows, parsing a 10 MB read took 1.3 s with it on and 0.2 s off. Reference counting
    frees almost everything as usual; the pass at the end frees the cycles a cycle made."""
    if not gc.isenabled():  # someone else manages it (a test, a profiler)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)
        _give_back_freed_memory()


@functools.cache
def _glibc(name: str) -> Callable[..., int] | None:
    """A glibc function (``malloc_trim``, ``mallopt``), or None where the C library has none (musl, macOS)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


# glibc's ``mallopt`` parameter, and the size from which a block gets pages of its own.
_M_MMAP_THRESHOLD = -3
BIG_BLOCK_BYTES = 256 * 1024


@functools.cache
def _map_big_blocks() -> None:
    """Once per process: blocks from 256 KB up get pages of their own (glibc's ``M_MMAP_THRESHOLD``), handed
    back the moment they are freed and grown in place. A 100,000-row Tracker is some thirty 0.8 MB column lists
    that grow as rows are appended; left to glibc's default the threshold climbs past them, and each growth left
    the old block in the heap. Measured at 100,000 rows: a cycle that only appended 20 rows peaked 24 MB above
    where it started, 17 MB with the threshold fixed; the busy cycle's peak went 215 → 208 MB, at the same CPU.
    Nothing where the C library has no ``mallopt`` (musl, macOS)."""
    mallopt = _glibc("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, BIG_BLOCK_BYTES)


def _give_back_freed_memory() -> None:
    """Return the memory a cycle freed to the system. A cycle over a 100,000-row sheet parses tens of MB of
    JSON and builds columns it drops at the end; glibc keeps freed heap pages for reuse, so the idle service
    stayed at its busiest size — measured, the resident memory after a cycle went from about 310 MB to 272 MB,
    for a few milliseconds."""
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim(0)


@dataclass(frozen=True)
class _Reading:
    """How a cycle began: the Drive version then (None: unknown), this runner's sheet writes so far, when the
    sheet was last read in full, and the known snapshot used instead of a read (None: it was read)."""

    version: int | None
    writes: int
    read_at: datetime
    known: Snapshot | None
    previous: Snapshot | None = None  # the sheet as last left, when it must be read: laid over (``begin``)
    # Re-read narrow: its tool-owned cells were read in full recently enough; else every column is read and laid
    # over it (``TrackerStore.begin``'s ``every_column``).
    narrow: bool = False

    def version_if_alone(self, writes: int) -> int | None:
        """The Drive version the sheet has now if nobody else wrote since the cycle began: the version then plus
        this runner's own accepted writes (``writes``, its count now). None when the version was not read."""
        return None if self.version is None else self.version + writes - self.writes


@dataclass
class Runner:
    """Long-lived across cycles: the store, the connectors and who we are."""

    config: Config
    backend: SheetsBackend
    connectors: list[Connector]
    store: TrackerStore | None = None
    runner_id: str = ""
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    # Digests go through this mailer when set (tests, the demo); else SMTP or .eml files as configured.
    mailer: Any = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    # The health as this process last knew it: cycles that raised could not record theirs in the sheet.
    health: health_module.Health = field(default_factory=health_module.Health)
    # Set by the webhook receiver (a comment just arrived): run a cycle now instead of at the next tick.
    wake_event: threading.Event = field(default_factory=threading.Event)
    # The sheet as this runner last left it (``tracker.known``): a sheet nobody else changed is not read again.
    known: Known | None = None
    _this_cycle: _Reading | None = None

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = TrackerStore(self.backend, tz=self.config.tz, clock=self.clock)
        if not self.runner_id:
            self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def cycle(self, jobs: list[str] | None = None, on_demand: bool = False) -> CycleResult:
        """One cycle of the given jobs (all cycle jobs by default): lease → read → jobs → commit. With
        ``on_demand`` (``sheets-sync job NAME``) the named jobs ignore their throttles and run now."""
        _map_big_blocks()
        with _collector_paused():
            return self._cycle(jobs, on_demand)

    def _cycle(self, jobs: list[str] | None, on_demand: bool) -> CycleResult:
        assert self.store is not None
        names = resolve_jobs(jobs)
        before = self.backend.counter.snapshot()
        # The lease first, atomically (``tracker.lease``): what the cycle then reads, no other runner is changing.
        held, holder = self.store.claim_lease(self.runner_id, self.config.lease.minutes)
        if not held:
            log.info("cycle skipped: lease held by %s", holder)
            return CycleResult(ran=False, holder=holder)
        try:
            return self._held_cycle(names, on_demand, before)
        except BaseException:
            self._release_quietly()  # nothing was written: free the lease for the next runner at once
            raise

    def _held_cycle(self, names: list[str], on_demand: bool, before: dict[str, int]) -> CycleResult:
        """The cycle under the lease: read → jobs → the write, which releases the lease."""
        assert self.store is not None
        # A job's own tabs outside READ_TABS (Access) are read only in the cycles that run it.
        tabs = READ_TABS + [t for n in names for t in job_function(n).tabs if t not in READ_TABS]
        reading = self._reading(tabs)
        work = self.store.begin(tabs, known=reading.known, previous=reading.previous,
                                narrow_for=self.runner_id, every_column=not reading.narrow)
        if reading.narrow and not work.snapshot.narrowed:
            reading = replace(reading, read_at=self.clock())  # read in full after all
        older = self._older_version_in_its_cycle(work)
        if older:
            self._release_quietly()
            return CycleResult(ran=False, holder=older)
        self._this_cycle = reading
        work = self._upgraded(work, tabs)
        ctx = self._begin(work)
        if on_demand:
            ctx.on_demand = frozenset(names)
        failed = self._run_jobs(ctx, names)
        self._record_health(ctx)
        failed += self._commit(ctx, failed)
        after = self.backend.counter.snapshot()
        result = CycleResult(ran=True, counts=work.counts, notes=work.notes,
                             requests={k: after[k] - before[k] for k in after}, failed_jobs=failed,
                             problems=work.problems, cpu_seconds=ctx.cpu_seconds)
        log.info(result.summary())
        return result

    def _older_version_in_its_cycle(self, work: UnitOfWork) -> str:
        """The runner of an earlier version of the tool in its cycle now, if any: that version kept the lease in
        ``_state`` (a claim whose expiry is ahead), which this version only ever writes as released. It does
        not see the ``_lease`` tab, so this one waits for it — a machine upgraded before the others never runs
        beside one not yet upgraded while that one is in a cycle."""
        holder, expires = parse_claim(work.snapshot.state.get("lease", ""))
        if holder and holder != self.runner_id and expires is not None and expires > self.clock():
            log.warning("cycle skipped: %s, an earlier version of sheets-sync, holds the lease in _state until %s "
                        "— upgrade it: all machines must run the same version", holder, expires.isoformat())
            return holder
        return ""

    def _release_quietly(self) -> None:
        """Release the lease after a cycle that raised; a failure here only leaves it to expire."""
        assert self.store is not None
        try:
            self.store.release_lease()
        except Exception:  # noqa: BLE001 - the lease then expires on its own; the cycle's error matters
            log.exception("could not release the lease after a failed cycle")

    def _reading(self, tabs: list[str]) -> _Reading:
        """How this cycle starts: the Drive file's version, and the sheet as this runner left it when nobody
        changed it since (then nothing is read). ``schedule.full_read_minutes`` 0 reads every cycle."""
        assert self.store is not None
        max_age_s = self.config.schedule.full_read_minutes * 60
        previous, self.known = self.known, None  # trusted again only once this cycle's write is mirrored
        version = self.store.drive_version() if max_age_s > 0 else None
        now = self.clock()
        known = None
        if previous is not None:
            # This runner's writes since the known sheet was left (the lease's claim) moved the version too.
            alone = None if version is None else version - (self.backend.counter.sheet_writes - previous.writes)
            known = previous.usable(alone, tabs, now, max_age_s)
        if previous is None or known is not None:
            return _Reading(version, self.backend.counter.sheet_writes, previous.read_at if known else now, known)
        narrow = version is not None and (now - previous.read_at).total_seconds() < max_age_s
        # Re-read narrow, the tool's own cells come from the kept sheet: trusted as long as its last full read.
        return _Reading(version, self.backend.counter.sheet_writes, previous.read_at if narrow else now, None,
                        previous.snapshot, narrow)

    def _remember(self, work: UnitOfWork, plan: Any) -> None:
        """After the cycle's write: the sheet as it now is — what the cycle read plus its own write — and the
        version it will have if nobody else writes (the version at the start plus this runner's writes)."""
        reading, self._this_cycle = self._this_cycle, None
        version = reading.version_if_alone(self.backend.counter.sheet_writes) if reading is not None else None
        if version is None or plan is None:
            return
        mirrored = after_write(work.snapshot, work.changes, plan, self.config.tz)
        if mirrored is not None:
            self.known = Known(version, mirrored, reading.read_at, self.backend.counter.sheet_writes)

    def _upgraded(self, work: UnitOfWork, tabs: list[str]) -> UnitOfWork:
        """The cycle's unit of work on a sheet laid out for this version: a sheet made by an older version (its
        ``_state`` says so) gets the new columns and tabs from ``init`` first — under the lease, so two runners
        never both add them — and is read again. No person's cell is changed by the upgrade."""
        assert self.store is not None
        if not needs_upgrade(self.store, work.state):
            return work
        report = run_init(self.store)
        log.warning("the Tracker Sheet was upgraded to schema version %s: %s", self.store.schema.version,
                    "; ".join(report.actions))
        fresh = self.store.begin(tabs)
        fresh.note(f"The Tracker Sheet was upgraded to this version's layout ({len(report.actions)} changes: "
                   "new columns after the existing ones, new tabs); see the README's Tracker section.")
        return fresh

    def _begin(self, work: UnitOfWork) -> CycleContext:
        """The jobs' view of this cycle. A quota counted per process would restart at zero each run: each
        connector resumes the day's spend kept in the sheet."""
        for connector in self.connectors:
            connector.restore_quota(work.state.get(connector.quota_key))
        return CycleContext(config=self.config, work=work, now=self.clock(), connectors=self.connectors,
                            mailer=self.mailer, sleep=self.sleep)

    def _run_jobs(self, ctx: CycleContext, names: list[str]) -> list[str]:
        """Run the jobs in order; one failing is noted and the others go on. Returns the failed ones' names."""
        failed = []
        for problem in ctx.work.blocked.values():
            ctx.work.fail(problem)
            log.error("sheet: %s", problem)
        for name in names:
            if self.stop_event.is_set():
                log.info("stopping after the current step (SIGTERM)")
                break
            job = job_function(name)
            waiting = [t for t in job.tabs if t in ctx.work.blocked]
            if waiting:
                ctx.note(f"{name} waits until the {', '.join(waiting)} tab can be written (see above)")
                continue
            started = time.process_time()
            try:
                job.run(ctx)
            except Exception as exc:  # noqa: BLE001 - one job failing must not stop the others
                failed.append(name)
                ctx.work.fail(f"{name} failed: {exc}")
                log.exception("job %s failed; the other jobs go on", name)
            finally:
                ctx.cpu_seconds[name] = round(time.process_time() - started, 4)
        return failed

    def _record_health(self, ctx: CycleContext) -> None:
        """This cycle's health into ``_state`` (in its own write); the alert or recovery mail once it landed."""
        recorded = health_module.Health.parse(ctx.work.state.get(health_module.STATE_KEY))
        recorded.failures = max(recorded.failures, self.health.failures)
        recorded.alerted = recorded.alerted or self.health.alerted
        self.health, mail = health_module.after_cycle(recorded, ctx.work.problems, ctx.now)
        ctx.work.set_state(health_module.STATE_KEY, self.health.dumps())
        if mail is not None:
            health = self.health
            ctx.work.after_write(f"health {mail} mail",
                                 lambda _store: health_module.send(mail, health, self.config, self.mailer))

    def cycle_raised(self, error: BaseException) -> None:
        """A cycle raised before it could record anything (the sheet unreachable, a write refused): count it in
        memory, and tell the cell once enough have failed in a row."""
        self.health, mail = health_module.after_cycle(self.health, [f"the cycle failed: {error}"], self.clock())
        if mail is not None:
            health_module.send(mail, self.health, self.config, self.mailer)

    def _commit(self, ctx: CycleContext, failed: list[str]) -> list[str]:
        """The cycle's one write — quota spend, lease released, last run recorded, with every job's changes —
        then the after-write steps. Returns the steps that failed."""
        work, now = ctx.work, ctx.now
        for connector in self.connectors:
            saved = connector.quota_state()
            if saved is not None:
                work.set_state(connector.quota_key, saved)
        # Who wrote last: a runner that finds another's name here re-reads in full, not narrow (``_read_narrow``).
        # (The lease itself is the ``_lease`` tab, released by this same write.)
        work.set_state("lease", json.dumps({"runner": self.runner_id,
                                            "expires": (now - timedelta(seconds=1)).isoformat()}))
        work.set_state("last_run", json.dumps({"at": now.isoformat(), "runner": self.runner_id,
                                               "counts": work.counts, "failed": failed}, ensure_ascii=False))
        assert self.store is not None
        reading = self._this_cycle
        # The Drive version if nobody else wrote since the read: then the pre-write read skips the big columns.
        unchanged_at = reading.version_if_alone(self.backend.counter.sheet_writes) if reading is not None else None
        # The write releases the lease too (and is refused whole if another runner took it over meanwhile); if
        # it raises, nothing was written — no cursor moved, nothing lost — and ``_cycle`` frees the lease.
        plan = work.commit(unchanged_at, release_lease=True)
        self._remember(work, plan)
        writes = self.backend.counter.sheet_writes
        failed_steps = work.run_after_write()
        if self.backend.counter.sheet_writes != writes:
            self.known = None  # an after-write step wrote (digest marks): not mirrored, read next cycle
        return failed_steps

    def run_forever(self, every_minutes: float | None = None, daily: dict[str, tuple[str, Callable[[], Any]]] | None = None,
                    max_cycles: int | None = None) -> None:
        """Run cycles every N minutes and the daily jobs at their times, until SIGTERM/SIGINT."""
        every = every_minutes or self.config.schedule.every_minutes
        scheduler = schedule.Scheduler()
        cycles = 0

        def guarded_cycle() -> None:
            nonlocal cycles
            cycles += 1
            try:
                self.cycle()
            except Exception as exc:  # noqa: BLE001 - schedule does not catch; one failure must not end the service
                log.exception("cycle failed; the next one runs on schedule")
                self.cycle_raised(exc)

        scheduler.every(every).minutes.do(guarded_cycle)
        for name, (at, fn) in (daily or {}).items():
            def guarded(fn: Callable[[], Any] = fn, name: str = name) -> Any:
                try:
                    return fn()
                except Exception:  # noqa: BLE001
                    log.exception("daily job %s failed", name)
                    return False  # retried (where the job is retried) like a run that left work
            # Not schedule's .day.at(at, tz): its time zones need pytz (not a dependency) and the wall clock.
            retry = daily_module.DIGEST_RETRY_EVERY if name == "digest" else None
            scheduler.every(daily_module.CHECK_EVERY_S).seconds.do(
                daily_module.daily_trigger(at, self.config.tz, guarded, self.clock, retry))
        self._install_signals()
        guarded_cycle()
        while not self.stop_event.is_set() and (max_cycles is None or cycles < max_cycles):
            scheduler.run_pending()
            idle = scheduler.idle_seconds
            if self.wake_event.wait(min(30.0, max(0.5, idle if idle is not None else 30.0))):
                self.wake_event.clear()
                if not self.stop_event.is_set():
                    log.info("woken by a webhook event: cycle now")
                    guarded_cycle()

    def wake_up(self) -> None:
        """Ask for a cycle now (thread-safe: the webhook receiver's threads call it)."""
        self.wake_event.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        def stop(signum: int, _frame: Any) -> None:
            log.info("signal %d: finishing the current step, then exiting", signum)
            self.stop_event.set()
            self.wake_event.set()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def all_job_names() -> list[str]:
    """Every job `sheets-sync job NAME` accepts."""
    return list(CYCLE_JOBS) + list(OTHER_JOBS)


def job_function(name: str) -> Job:
    """The job called ``name`` (``ValueError`` naming the jobs there are)."""
    job = CYCLE_JOBS.get(name) or OTHER_JOBS.get(name)
    if job is None:
        raise ValueError(f"unknown job {name!r}; jobs: {', '.join(all_job_names())}")
    return job


def resolve_jobs(jobs: list[str] | None) -> list[str]:
    """The jobs of a cycle: the given ones, checked (all cycle jobs by default)."""
    names = jobs or list(CYCLE_JOBS)
    for name in names:
        job_function(name)
    return names
