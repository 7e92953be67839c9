"""``status``: what happened on the platform comes back — hidden or deleted comments, and replies the account
made natively there (→ Reply ID, Reply Posted At, Status Replied, Replied By ``on platform``).

Checking every open comment costs platform calls (on YouTube, a quota unit per thread): a platform's rows are
checked at most every ``schedule.status_every_minutes`` (default 30), the newest ``schedule.status_max_rows``
(default 500) open rows of the last 30 days. ``sheets-sync job status`` checks now, whatever that throttle says.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sheets_sync.connectors.base import CommentState, Connector
from sheets_sync.errors import AuthError, SheetsSyncError
from sheets_sync.tracker.cells import NO_TIME, as_text, microseconds
from sheets_sync.vocabulary import is_open

from .cycle import CycleContext, log, mark_replied

JOB = "status"
LOOKBACK_DAYS = 30


def open_rows(ctx: CycleContext) -> dict[str, list[tuple[float, str, str]]]:
    """Platform → (-received timestamp, Ticket ID, Comment ID) of open rows received in the last 30 days."""
    tracker = ctx.tracker
    since = microseconds(ctx.now - timedelta(days=LOOKBACK_DAYS))
    # The times as kept for the figures (int64 microseconds), not a datetime parsed for each open row.
    received_at = tracker.table.micros("Received At")
    by_platform: dict[str, list[tuple[float, str, str]]] = {}
    for ticket, n in tracker.read_keys().items():
        if not is_open(tracker.raw(ticket, "Status")):
            continue
        received = int(received_at[n - 2])
        if received != NO_TIME and received < since:
            continue
        by_platform.setdefault(as_text(tracker.raw(ticket, "Platform")), []).append(
            (-(received / 1e6 if received != NO_TIME else 0.0), ticket, as_text(tracker.raw(ticket, "Comment ID"))))
    return by_platform


def run(ctx: CycleContext) -> None:
    """Refresh Platform Status for open rows (newest first, capped per cycle), on each platform whose turn it is."""
    schedule = ctx.config.schedule
    due = [c for c in ctx.connectors
           if JOB in ctx.on_demand or _due(ctx, c, schedule.status_every_minutes)]
    by_platform = open_rows(ctx) if due else {}  # the scan of the rows only in a cycle that checks
    for connector in due:
        rows = sorted(by_platform.get(connector.platform, []))[:schedule.status_max_rows]
        if not rows:
            continue
        ctx.work.set_state(connector.status_key, ctx.now.isoformat())
        try:
            states = connector.comment_states([cid for _, _, cid in rows])
        except SheetsSyncError as exc:
            (ctx.fail if isinstance(exc, AuthError) else ctx.note)(f"status {connector.platform}: {exc}")
            log.error("status %s: %s", connector.platform, exc)
            continue
        for _, ticket, comment_id in rows:
            state = states.get(comment_id)
            if state is not None:
                _apply(ctx, ticket, state)


def _due(ctx: CycleContext, connector: Connector, every_minutes: float) -> bool:
    """Whether this platform's rows were last checked at least ``every_minutes`` ago (or never)."""
    last = _when(ctx.work.state.get(connector.status_key))
    return last is None or ctx.now - last >= timedelta(minutes=every_minutes)


def _apply(ctx: CycleContext, ticket: str, state: CommentState) -> None:
    """One comment's state on the platform into its row."""
    tracker = ctx.tracker
    changed = False
    if as_text(tracker.get(ticket, "Platform Status")) != state.state:
        changed = tracker.set(ticket, "Platform Status", state.state, JOB)
        ctx.count(JOB, state.state)
    if state.own_reply_id and not as_text(tracker.get(ticket, "Reply ID")):
        mark_replied(ctx, ticket, state.own_reply_id, state.own_reply_at, JOB, replied_by="on platform")
        ctx.count(JOB, "answered on platform")
    elif changed:
        # Only rows that changed are stamped: a stamp on every checked row would flood the Audit tab.
        tracker.set(ticket, "Last Synced", ctx.now, JOB)


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
