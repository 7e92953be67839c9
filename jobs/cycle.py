"""What every job of a cycle sees: the configuration, the cycle's unit of work, the time, the connectors.

Jobs read and change rows through ``ctx.work`` (``sheets_sync.tracker.unit_of_work``): what an earlier job of
the cycle appended or changed is already visible there, and nothing reaches the sheet before the runner
commits. Jobs hand each other nothing else: a later job reads what an earlier one wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sheets_sync.config import Config
from sheets_sync.connectors.base import Connector
from sheets_sync.tracker.table import column_letter
from sheets_sync.tracker.unit_of_work import TabRows, UnitOfWork
from sheets_sync.vocabulary import Overdue, Status, ticket_id

log = logging.getLogger("sheets_sync.jobs")


@dataclass
class CycleContext:
    """One cycle, as the jobs see it."""

    config: Config
    work: UnitOfWork
    now: datetime
    connectors: Sequence[Connector]
    # Digests go through this mailer when set (tests, the demo); else SMTP or .eml files as configured.
    mailer: Any = None
    # The runner's sleep: simulated time in tests and the demo, real time in production.
    sleep: Callable[[float], None] | None = None
    # Jobs a person asked for by name (`sheets-sync job NAME`): they run now, whatever their throttle says.
    on_demand: frozenset[str] = frozenset()
    # What several jobs of this cycle derive from the same rows (the figures' arrays): built once, by key.
    derived: dict[Any, Any] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per job, filled by the runner

    @property
    def tracker(self) -> TabRows:
        """The Tracker tab's rows: as read, appended this cycle, and changed."""
        return self.work.tracker

    def count(self, job: str, what: str, n: int = 1) -> None:
        """Add to this cycle's figures."""
        self.work.count(job, what, n)

    def note(self, message: str) -> None:
        """Something people should know about this cycle."""
        self.work.note(message)

    def fail(self, message: str) -> None:
        """Something that needs a person (a platform refused its token): noted, and the cycle is not ok."""
        self.work.fail(message)


def ticket_mismatch(ctx: CycleContext, ticket: str) -> str | None:
    """Why a row's Ticket ID is not the one the tool gives its Platform and Comment ID (None when it is): a row
    pasted in or edited by hand is never acted on as if it were that comment."""
    tracker = ctx.tracker
    platform, comment_id = tracker.text(ticket, "Platform"), tracker.text(ticket, "Comment ID")
    try:
        expected = ticket_id(platform, comment_id) if comment_id else None
    except ValueError:
        expected = None
    if expected == ticket:
        return None
    table = tracker.table
    where = f"{tracker.title}!{column_letter(table.col.get('Ticket ID', 0))}{tracker.read_keys().get(ticket, '?')}"
    return (f"{where} (Ticket ID): {ticket!r} does not match Platform {platform!r} and Comment ID {comment_id!r}"
            f"{f' (the tool would name it {expected!r})' if expected else ''} — this row was not made by "
            "sheets-sync (pasted or edited?), so no reply is sent from it. Delete the row, or restore its Platform, "
            "Comment ID and Ticket ID.")


def mark_replied(ctx: CycleContext, ticket: str, reply_id: str, posted_at: Any, job: str,
                 replied_by: str | None = None) -> None:
    """Record that a reply is on the platform — posted by the tool (``reply``) or by the account itself
    (``status``, ``replied_by="on platform"``): Reply ID and time, Status Replied, no Overdue flag, no pending
    Sync Notes, Last Synced now."""
    tracker = ctx.tracker
    tracker.set(ticket, "Reply ID", reply_id, job)
    tracker.set(ticket, "Reply Posted At", posted_at, job)
    if tracker.text(ticket, "Status") != Status.REPLIED:
        tracker.set(ticket, "Status", Status.REPLIED.value, job)
    tracker.set(ticket, "Overdue", Overdue.NONE.value, job)
    if replied_by:
        tracker.set(ticket, "Replied By", replied_by, job)
    tracker.set(ticket, "Sync Notes", "", job)
    tracker.set(ticket, "Last Synced", ctx.now, job)


# (job, spreadsheet) → what a job last computed from: each tab's table token, the cycle's changes (final once
# that cycle wrote) with how many of them touched those tabs then, and when. See ``unchanged_since_last``.
_LAST_INPUTS: dict[tuple[str, str], tuple[tuple[int | None, ...], Any, int, datetime]] = {}


def _touching(changes: Any, tabs: Sequence[str]) -> int:
    return (sum(1 for c in changes.updates.values() if c.tab in tabs)
            + sum(1 for r in changes.appends if r.tab in tabs))


def unchanged_since_last(ctx: CycleContext, job: str, tabs: Sequence[str], max_age: timedelta | None = None,
                         context: Any = None) -> bool:
    """Whether ``job``'s inputs — the ``tabs`` as this cycle leaves them so far — are the very rows it last
    computed from in this process, less than ``max_age`` ago; if not, they are recorded as its inputs now.

    The same rows: the same read of each tab with nothing changed in it yet this cycle — or the table a runner
    derived from that read by applying the cycle's own write (``tracker.known``), when that write held nothing
    more for these tabs than the job had already seen. A job whose output depends only on those rows can then
    skip the work: its output would be the same. ``context`` is anything else the output depends on (compared
    by equality). Never when a person asked for the job by name, or when the cycle has problems to show."""
    key = (job, ctx.work.store.spreadsheet_id)
    views = [ctx.work.tab(t) for t in tabs]
    tables = tuple(v.table for v in views if v is not None)
    tokens = (*(t.token for t in tables), context)
    last = _LAST_INPUTS.get(key)
    same = (last is not None and job not in ctx.on_demand and not ctx.work.problems
            and _touching(ctx.work.changes, tabs) == 0 and len(tables) + 1 == len(last[0])
            and (max_age is None or ctx.now - last[3] < max_age)
            and last[0][-1] == context
            and all(t.token == was or (t.parent_token == was and _touching(last[1], tabs) == last[2])
                    for t, was in zip(tables, last[0][:-1], strict=True)))
    if not same:
        _LAST_INPUTS[key] = (tokens, ctx.work.changes, _touching(ctx.work.changes, tabs), ctx.now)
    return same
