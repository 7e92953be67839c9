"""Runs the jobs: one cycle (``run --once``), one job (``job NAME``), or forever on a ``schedule.Scheduler``.

A cycle: one read of the sheet, the runner's lease, the jobs in order (each failure logged, the others go
on), then one write. A second runner — on any machine — finds the lease held and waits for its turn; a lease
whose runner died expires after ``lease.minutes``. SIGTERM lets the current step finish, then exits.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import schedule

from sheets_sync.client import SheetsBackend
from sheets_sync.config import Config
from sheets_sync.errors import SchemaError
from sheets_sync.tracker.cells import utc_now
from sheets_sync.tracker.changes import ChangeSet
from sheets_sync.tracker.store import TrackerStore

from . import archive, content, dashboard, digest, ingest, reply, route, sla, status
from . import daily as daily_module
from .cycle import CycleContext

log = logging.getLogger("sheets_sync.runner")

CYCLE_JOBS: dict[str, Callable[[CycleContext], None]] = {
    "check": route.check,  # first, so `job reply` alone also reports what people typed that cannot be used
    "ingest": ingest.run,
    "content": content.run,  # before route: a published request's posts route to its department
    "route": route.run,
    "sla": sla.run,
    "reply": reply.run,
    "status": status.run,
    "dashboard": dashboard.run,
}
# Jobs that run on demand or daily rather than every cycle (`sheets-sync job NAME` runs any of them).
OTHER_JOBS: dict[str, Callable[[CycleContext], None]] = {
    "archive": archive.run,
    "digest": digest.run,
}
READ_TABS = ["Tracker", "Posts", "Departments", "Routing", "Content"]
DEFAULT_EVERY_MINUTES = 5
DEFAULT_LEASE_MINUTES = 10
DEFAULT_SETTLE_S = 2.0


@dataclass
class CycleResult:
    """What one cycle did."""

    ran: bool
    holder: str = ""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    skipped_writes: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One log line."""
        if not self.ran:
            return f"cycle skipped: the lease is held by {self.holder}"
        parts = [f"{job}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) for job, c in self.counts.items()]
        req = self.requests
        return (f"cycle done — {'; '.join(parts) or 'nothing to do'} — Sheets requests {req.get('total', 0)} "
                f"({req.get('reads', 0)} reads, {req.get('writes', 0)} writes)")


@dataclass
class Runner:
    """Long-lived across cycles: the store, the connectors and who we are."""

    config: Config
    backend: SheetsBackend
    connectors: list[Any]
    store: TrackerStore | None = None
    runner_id: str = ""
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    settle_s: float = DEFAULT_SETTLE_S
    extras: dict[str, Any] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)
    # Set by the webhook receiver (a comment just arrived): run a cycle now instead of at the next tick.
    wake_event: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = TrackerStore(self.backend, tz=self.config.tz, clock=self.clock)
        if not self.runner_id:
            self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def cycle(self, jobs: list[str] | None = None) -> CycleResult:
        """One cycle of the given jobs (all cycle jobs by default)."""
        assert self.store is not None
        names = jobs or list(CYCLE_JOBS)
        unknown = [n for n in names if n not in CYCLE_JOBS and n not in OTHER_JOBS]
        if unknown:
            raise ValueError(f"unknown job {unknown[0]!r}; jobs: {', '.join(all_job_names())}")
        counter = self.backend.counter
        before = counter.snapshot()
        snapshot = self.store.read(READ_TABS, key_only=["Archive"])
        lease_minutes = float(self.config.lease.get("minutes", DEFAULT_LEASE_MINUTES))
        held, holder = self.store.claim_lease(snapshot, self.runner_id, lease_minutes,
                                              settle=lambda: self.sleep(self.settle_s))
        if not held:
            log.info("cycle skipped: lease held by %s", holder)
            return CycleResult(ran=False, holder=holder)
        # Archived Ticket IDs, in the Archive tab or an archive spreadsheet: ingest must not re-add them.
        archive.prepare_archive_keys(self.store, snapshot)
        now = self.clock()
        # A quota counted per process would restart at zero each run: the day's spend lives in the sheet.
        for connector in self.connectors:
            if hasattr(connector, "restore_quota"):
                connector.restore_quota(snapshot.state.get(_quota_key(connector)))
        ctx = CycleContext(config=self.config, store=self.store, snapshot=snapshot,
                           changes=ChangeSet(self.store.schema), now=now, connectors=self.connectors,
                           extras=dict(self.extras), sleep=self.sleep)
        failed = []
        for name in names:
            if self.stop_event.is_set():
                log.info("stopping after the current step (SIGTERM)")
                break
            job = CYCLE_JOBS.get(name) or OTHER_JOBS.get(name)
            if job is None:
                raise ValueError(f"unknown job {name!r}; jobs: {', '.join(all_job_names())}")
            try:
                job(ctx)
            except Exception as exc:  # noqa: BLE001 - one job failing must not stop the others
                failed.append(name)
                ctx.notes.append(f"{name} failed: {exc}")
                log.exception("job %s failed; the other jobs go on", name)
        for connector in self.connectors:
            if hasattr(connector, "quota_state"):
                ctx.changes.set_state(_quota_key(connector), connector.quota_state())
        ingest.flush(ctx)
        # Release the lease in the same write: an expiry in the past frees it for the next runner at once.
        ctx.changes.set_state("lease", json.dumps({"runner": self.runner_id,
                                                   "expires": (now - timedelta(seconds=1)).isoformat()}))
        ctx.changes.set_state("last_run", json.dumps({"at": now.isoformat(), "runner": self.runner_id,
                                                      "counts": ctx.counts, "failed": failed},
                                                     ensure_ascii=False))
        try:
            plan = self.store.commit(ctx.changes, snapshot)
        except SchemaError:
            # Nothing was written (no cursor moved, so nothing is lost); free the lease for the next runner.
            self.store.release_lease(snapshot, self.runner_id)
            raise
        for action in ctx.after_commit:
            try:
                action(self)
            except Exception as exc:  # noqa: BLE001 - reported; the cycle's write has landed
                failed.append(getattr(action, "__name__", "after_commit"))
                ctx.notes.append(f"after the write: {exc}")
                log.exception("post-write step failed")
        after = counter.snapshot()
        result = CycleResult(ran=True, counts=ctx.counts, notes=ctx.notes,
                             requests={k: after[k] - before[k] for k in after},
                             skipped_writes=plan.skipped, failed_jobs=failed)
        log.info(result.summary())
        return result

    def run_forever(self, every_minutes: float | None = None, daily: dict[str, tuple[str, Callable[[], Any]]] | None = None,
                    max_cycles: int | None = None) -> None:
        """Run cycles every N minutes and the daily jobs at their times, until SIGTERM/SIGINT."""
        every = every_minutes or float(self.config.schedule.get("every_minutes", DEFAULT_EVERY_MINUTES))
        scheduler = schedule.Scheduler()
        cycles = 0

        def guarded_cycle() -> None:
            nonlocal cycles
            cycles += 1
            try:
                self.cycle()
            except Exception:  # noqa: BLE001 - schedule does not catch; one failure must not end the service
                log.exception("cycle failed; the next one runs on schedule")

        scheduler.every(every).minutes.do(guarded_cycle)
        for name, (at, fn) in (daily or {}).items():
            def guarded(fn: Callable[[], Any] = fn, name: str = name) -> None:
                try:
                    fn()
                except Exception:  # noqa: BLE001
                    log.exception("daily job %s failed", name)
            # Not schedule's .day.at(at, tz): its time zones need pytz (not a dependency) and the wall clock.
            scheduler.every(daily_module.CHECK_EVERY_S).seconds.do(
                daily_module.daily_trigger(at, self.config.tz, guarded, self.clock))
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


def _quota_key(connector: Any) -> str:
    return f"quota:{connector.platform}:{ingest.account_of(connector)}"


def all_job_names() -> list[str]:
    """Every job `sheets-sync job NAME` accepts."""
    return list(CYCLE_JOBS) + list(OTHER_JOBS)
