"""The daily schedule: which jobs run once a day, and when (``schedule.digest_at``, ``schedule.archive_at``).

``sheets-sync run`` passes ``daily_jobs(runner)`` to ``Runner.run_forever``, which checks each job's
``daily_trigger`` every half minute. Times are ``HH:MM`` (24 h) in the configured time zone. YAML reads an
unquoted ``8:30`` as the base-60 integer 510 (YAML 1.1), so such integers are turned back into the time they were.

Why not ``schedule``'s ``every().day.at(at, tz)``: its time-zone support imports ``pytz``, which is not a
dependency (the service would die at start with ModuleNotFoundError), and it reads the wall clock, which tests
cannot move. ``daily_trigger`` uses ``zoneinfo`` and the runner's injected clock. A service (re)started shortly
after a job's time (within ``CATCH_UP``, e.g. a deploy at 08:00) still runs it that day; the digest's ``_state``
marks and the archive's copy-verify-delete make a repeated run harmless.

A daily job whose cycle finds the lease held by another runner (a cycle on another machine) waits and tries
again for up to one lease period, rather than skipping the day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sheets_sync.errors import ConfigError

from .archive import archive_all

DEFAULT_DIGEST_AT = "08:00"
DEFAULT_ARCHIVE_AT = "02:30"
RETRY_EVERY_S = 30.0
# After SMTP trouble the day's undelivered digests are sent again this often, until delivered or the next day.
DIGEST_RETRY_EVERY = timedelta(minutes=30)
CHECK_EVERY_S = 30
CATCH_UP = timedelta(hours=2)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_at(value: Any, key: str) -> str:
    """A ``schedule.<key>`` value as ``HH:MM``; ``ConfigError`` naming the key when it is not a time."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        hours, minutes = divmod(value, 60)  # YAML 1.1 read "8:30" as 8 * 60 + 30
        return f"{hours:02d}:{minutes:02d}"
    match = _TIME.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        raise ConfigError(f"`schedule.{key}` must be a time of day as HH:MM (24 h, e.g. \"08:00\"), "
                          f"got {value!r}.")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def daily_trigger(at: str, tz: ZoneInfo, job: Callable[[], Any],
                  clock: Callable[[], datetime], retry_every: timedelta | None = None) -> Callable[[], bool]:
    """A check to call often (every ``CHECK_EVERY_S``): runs ``job`` once each day when ``at`` (``HH:MM`` in
    ``tz``) has come; returns whether it ran. At creation a time passed more than ``CATCH_UP`` ago counts as
    done for today, so starting the service in the evening does not send the morning digest then.

    With ``retry_every``, a run whose ``job()`` returned False (not done: digests still waiting after SMTP
    trouble) is repeated every ``retry_every`` until one returns something else or the local day ends.
    """
    hours, minutes = (int(part) for part in parse_at(at, "at").split(":"))
    at_time = time(hours, minutes)

    def last_due(now: datetime) -> datetime:
        local = now.astimezone(tz)
        moment = datetime.combine(local.date(), at_time, tzinfo=tz)
        return moment if moment <= local else datetime.combine(local.date() - timedelta(days=1), at_time, tzinfo=tz)

    start = clock()
    due = last_due(start)
    done: list[date] = [due.date()] if start - due > CATCH_UP else []

    retry_at: list[datetime] = []

    def run(now: datetime) -> None:
        finished = job()
        retry_at[:] = [now + retry_every] if retry_every is not None and finished is False else []

    def check() -> bool:
        now = clock()
        day = last_due(now).date()
        if done and done[-1] >= day:
            # Retries stop at local midnight: the next day's run sends that day's digests.
            if retry_at and now >= retry_at[0] and now.astimezone(tz).date() == done[-1]:
                run(now)
                return True
            return False
        done[:] = [day]
        run(now)
        return True

    return check


def until_lease_free(runner: Any, attempt: Callable[[], tuple[bool, Any]]) -> Any:
    """Call ``attempt`` (→ (ran, result)) until it ran, waiting between tries, for up to one lease period."""
    lease_minutes = runner.config.lease.minutes
    tries = max(1, int(lease_minutes * 60 / RETRY_EVERY_S) + 1)
    result: Any = None
    for _ in range(tries):
        ran, result = attempt()
        if ran or runner.stop_event.is_set():
            return result
        runner.sleep(RETRY_EVERY_S)
    return result


def digest_done(result: Any) -> bool:
    """Whether a digest run left nothing for later today: it ran, did not fail, and no digest waits to be
    retried (SMTP refused the login, the server was unreachable, a crash mid-send)."""
    if result is None or not result.ran or "digest" in result.failed_jobs:
        return False
    return not result.counts.get("digest", {}).get("to retry")


def run_digest(runner: Any) -> Any:
    """Today's digests (a cycle of the ``digest`` job); the CycleResult."""
    def attempt() -> tuple[bool, Any]:
        result = runner.cycle(["digest"])
        return result.ran, result
    return until_lease_free(runner, attempt)


def run_archive(runner: Any) -> dict[str, int]:
    """The archive to completion (``archive_all``); its totals."""
    def attempt() -> tuple[bool, dict[str, int]]:
        totals = archive_all(runner)
        return not totals.get("skipped"), totals
    return until_lease_free(runner, attempt)


def daily_jobs(runner: Any) -> dict[str, tuple[str, Callable[[], Any]]]:
    """The daily jobs for ``Runner.run_forever(daily=...)``: name → (``HH:MM`` in the configured zone, job)."""
    schedule = runner.config.schedule
    jobs = {
        "digest": (schedule.digest_at, lambda: digest_done(run_digest(runner))),
        "archive": (schedule.archive_at,
                    lambda: run_archive(runner)),
    }
    if runner.config.access.manage:  # off by default: sharing changes only when the cell asked for it
        jobs["access"] = (runner.config.access.at, lambda: run_access(runner))
    jobs["backup"] = (runner.config.backup.at, lambda: run_backup(runner))
    return jobs


def run_backup(runner: Any) -> Any:
    """Today's backup of the Tracker Sheet (a cycle of the ``backup`` job); the CycleResult."""
    def attempt() -> tuple[bool, Any]:
        result = runner.cycle(["backup"])
        return result.ran, result
    return until_lease_free(runner, attempt)


def run_access(runner: Any) -> Any:
    """Today's sharing upkeep (a cycle of the ``access`` job); the CycleResult."""
    def attempt() -> tuple[bool, Any]:
        result = runner.cycle(["access"])
        return result.ran, result
    return until_lease_free(runner, attempt)
