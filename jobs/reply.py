"""``reply``: a Reply typed in the sheet with Send ticked goes to the platform — exactly once.

Before posting, the platform is asked whether the account already answered that comment (a previous run may
have posted and died before recording it); if so, that reply is recorded instead of posting again. A reply the
platform refuses is explained in Sync Notes and the row waits for a person. Reply and Send are never touched.
"""

from __future__ import annotations

from typing import Any

from sheets_sync.errors import AuthError, BudgetExhausted, FatalAPIError, RetryableError
from sheets_sync.tracker.cells import as_text, parse_checkbox

from .cycle import CycleContext, log

JOB = "reply"


def due_replies(ctx: CycleContext) -> list[str]:
    """Tickets with a Reply, Send ticked and no Reply ID yet."""
    tracker = ctx.tracker
    out = []
    for ticket, n in tracker.key_rows.items():
        if as_text(tracker.raw(n, "Reply ID")).strip() or not as_text(tracker.raw(n, "Reply")).strip():
            continue
        try:
            send = parse_checkbox(tracker.raw(n, "Send"))
        except ValueError:
            # The route job's cell check may already have explained it (with the cell's address): keep that.
            if ("Tracker", ticket, "Sync Notes") not in ctx.changes.updates:
                ctx.changes.set("Tracker", ticket, "Sync Notes", tracker.raw(n, "Sync Notes"),
                                "Send holds text, not a tick: tick the checkbox to send the reply.", JOB)
            continue
        if send:
            out.append(ticket)
    return out


def run(ctx: CycleContext) -> None:
    """Post every due reply, recording Reply ID, Reply Posted At and Status Replied."""
    by_platform = {c.platform: c for c in ctx.connectors}
    stopped: set[str] = set()
    for ticket in due_replies(ctx):
        platform = as_text(ctx.value(ticket, "Platform"))
        connector = by_platform.get(platform)
        if connector is None or platform in stopped:
            continue
        if as_text(ctx.value(ticket, "Platform Status")) == "deleted":
            _explain(ctx, ticket, "The comment was deleted on the platform; the reply cannot be posted.")
            continue
        comment_id = as_text(ctx.value(ticket, "Comment ID"))
        text = as_text(ctx.value(ticket, "Reply"))
        try:
            found = connector.find_own_reply(comment_id)
            if found is None:
                reply_id, posted_at = connector.post_reply(comment_id, text)
                ctx.count(JOB, "posted")
            else:
                reply_id, posted_at = found
                ctx.count(JOB, "found already posted")
        except (AuthError, BudgetExhausted) as exc:
            stopped.add(platform)
            ctx.notes.append(f"reply {platform}: {exc}")
            log.error("reply %s stopped for this cycle: %s", platform, exc)
            continue
        except RetryableError as exc:
            # Still unsure after the retries: leave the row; next cycle checks the platform first.
            log.warning("reply %s %s: %s (will check and retry next cycle)", platform, ticket, exc)
            ctx.count(JOB, "deferred")
            continue
        except FatalAPIError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            _explain(ctx, ticket, f"The platform refused the reply: {reason}")
            ctx.count(JOB, "refused")
            continue
        _record(ctx, ticket, reply_id, posted_at)


def _record(ctx: CycleContext, ticket: str, reply_id: str, posted_at: Any) -> None:
    ctx.set(ticket, "Reply ID", reply_id, JOB)
    ctx.set(ticket, "Reply Posted At", posted_at, JOB)
    if as_text(ctx.value(ticket, "Status")) != "Replied":
        ctx.set(ticket, "Status", "Replied", JOB)
    ctx.set(ticket, "Overdue", "", JOB)
    ctx.set(ticket, "Sync Notes", "", JOB)
    ctx.set(ticket, "Last Synced", ctx.now, JOB)


def _explain(ctx: CycleContext, ticket: str, message: str) -> None:
    if as_text(ctx.value(ticket, "Sync Notes")) != message:
        ctx.set(ticket, "Sync Notes", message, JOB)
