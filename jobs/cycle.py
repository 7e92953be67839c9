"""What every job of a cycle sees: the configuration, the cycle's unit of work, the time, the connectors.

Jobs read and change rows through ``ctx.work`` (``sheets_sync.tracker.unit_of_work``): what an earlier job of
the cycle appended or changed is already visible there, and nothing reaches the sheet before the runner
commits. Jobs hand each other nothing else: a later job reads what an earlier one wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


# (job, spreadsheet) → the tables a job last computed from, and when: see ``unchanged_since_last``.
_LAST_INPUTS: dict[tuple[str, str], tuple[tuple[Any, ...], datetime]] = {}


def unchanged_since_last(ctx: CycleContext, job: str, tabs: Sequence[str], max_age: timedelta | None = None) -> bool:
    """Whether ``job``'s inputs — the ``tabs`` as read, with nothing changed in them so far this cycle — are the
    very ones it last computed from in this process (a runner keeps the tables of a sheet nobody changed,
    ``tracker.known``), less than ``max_age`` ago; if not, they are recorded as its inputs now. A job whose
    output depends only on those rows can then skip the work: its output would be the same. Never when a person
    asked for the job by name, or when the cycle has problems to show."""
    key = (job, ctx.work.store.spreadsheet_id)
    tables = tuple(view.table if (view := ctx.work.tab(t)) is not None else None for t in tabs)
    changed = any(c.tab in tabs for c in ctx.work.changes.updates.values()) or any(
        r.tab in tabs for r in ctx.work.changes.appends)
    last = _LAST_INPUTS.get(key)
    same = (last is not None and not changed and job not in ctx.on_demand and not ctx.work.problems
            and len(last[0]) == len(tables) and all(a is b for a, b in zip(last[0], tables, strict=True))
            and (max_age is None or ctx.now - last[1] < max_age))
    if not same:
        _LAST_INPUTS[key] = (tables, ctx.now)
    return same
