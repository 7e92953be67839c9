"""``status``: what happened on the platform comes back — hidden or deleted comments, and replies the account
made natively there (→ Reply ID, Reply Posted At, Status Replied, Replied By ``on platform``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sheets_sync.errors import SheetsSyncError
from sheets_sync.tracker.cells import as_text

from .cycle import OPEN_STATUSES, CycleContext, log
from .ingest import account_of

JOB = "status"
MAX_PER_CYCLE = 500
LOOKBACK_DAYS = 30
# Checking every open comment costs platform calls (on YouTube, a quota unit per thread): a platform's rows
# are refreshed at most this often, not every cycle.
DEFAULT_EVERY_MINUTES = 30


def run(ctx: CycleContext) -> None:
    """Refresh Platform Status for open rows received in the last 30 days (newest first, capped per cycle)."""
    tracker = ctx.tracker
    limit = int(ctx.config.schedule.get("status_max_rows", MAX_PER_CYCLE))
    since = ctx.now - timedelta(days=LOOKBACK_DAYS)
    by_platform: dict[str, list[tuple[object, str, str]]] = {}
    for ticket, n in tracker.key_rows.items():
        if as_text(tracker.raw(n, "Status")).strip() not in OPEN_STATUSES:
            continue
        received = tracker.typed(n, "Received At")
        if received is not None and received < since:
            continue
        platform = as_text(tracker.raw(n, "Platform"))
        by_platform.setdefault(platform, []).append(
            (-(received.timestamp() if received else 0.0), ticket, as_text(tracker.raw(n, "Comment ID"))))
    every = float(ctx.config.schedule.get("status_every_minutes", DEFAULT_EVERY_MINUTES))
    for connector in ctx.connectors:
        rows = sorted(by_platform.get(connector.platform, []))[:limit]
        if not rows:
            continue
        key = f"status_at:{connector.platform}:{account_of(connector)}"
        last = _when(ctx.snapshot.state.get(key))
        if last is not None and ctx.now - last < timedelta(minutes=every):
            continue
        ctx.changes.set_state(key, ctx.now.isoformat())
        try:
            states = connector.comment_states([cid for _, _, cid in rows])
        except SheetsSyncError as exc:
            ctx.notes.append(f"status {connector.platform}: {exc}")
            log.error("status %s: %s", connector.platform, exc)
            continue
        for _, ticket, comment_id in rows:
            state = states.get(comment_id)
            if state is None:
                continue
            changed = False
            if as_text(ctx.value(ticket, "Platform Status")) != state.state:
                changed = ctx.set(ticket, "Platform Status", state.state, JOB)
                ctx.count(JOB, state.state)
            if state.own_reply_id and not as_text(ctx.value(ticket, "Reply ID")):
                ctx.set(ticket, "Reply ID", state.own_reply_id, JOB)
                ctx.set(ticket, "Reply Posted At", state.own_reply_at, JOB)
                ctx.set(ticket, "Status", "Replied", JOB)
                ctx.set(ticket, "Overdue", "", JOB)
                ctx.set(ticket, "Replied By", "on platform", JOB)
                ctx.count(JOB, "answered on platform")
                changed = True
            if changed:
                # Only rows that changed are stamped: a stamp on every checked row would flood the Audit tab.
                ctx.set(ticket, "Last Synced", ctx.now, JOB)


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
