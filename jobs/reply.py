"""``reply``: a Reply typed in the sheet with Send ticked goes to the platform — exactly once.

Before posting, the platform is asked whether the account already answered that comment (a previous run may
have posted and died before recording it); if so, that reply is recorded instead of posting again. A reply the
platform refuses is explained in Sync Notes and the row waits for a person. Reply and Send are never touched.
"""

from __future__ import annotations

from sheets_sync.connectors.base import Connector
from sheets_sync.errors import AuthError, BudgetExhausted, FatalAPIError, RetryableError
from sheets_sync.tracker.cells import as_text
from sheets_sync.vocabulary import PLATFORM_PREFIX, CellValueError, PlatformStatus, parse_checkbox

from .cycle import CycleContext, log, mark_replied, ticket_mismatch

JOB = "reply"


def due_replies(ctx: CycleContext) -> list[str]:
    """Tickets with a Reply, Send ticked and no Reply ID yet."""
    tracker = ctx.tracker
    out = []
    # By column: only rows with a Reply and no Reply ID are looked at one by one.
    replies, reply_ids = tracker.filled("Reply"), tracker.filled("Reply ID")
    for ticket, n in tracker.read_keys().items():
        if reply_ids[n - 2] or not replies[n - 2]:
            continue
        try:
            send = parse_checkbox(tracker.raw(ticket, "Send"))
        except CellValueError:
            # The check job may already have explained it (with the cell's address): keep that.
            if not tracker.has_change(ticket, "Sync Notes"):
                tracker.set(ticket, "Sync Notes", "Send holds text, not a tick: tick the checkbox to send the reply.",
                            JOB)
            continue
        if send and ticket_mismatch(ctx, ticket) is None:  # a pasted row is named by check, never sent
            out.append(ticket)
    return out


FORMULA_NOTE = ("Reply holds a formula ({formula}): Sheets shows its result ({shown}), not text you typed, so it "
                "was not posted. Type the reply as text; to start it with =, type an apostrophe first ('=...).")


def run(ctx: CycleContext) -> None:
    """Post every due reply, recording Reply ID, Reply Posted At and Status Replied."""
    by_platform = {c.platform: c for c in ctx.connectors}
    stopped: set[str] = set()
    tracker = ctx.tracker
    due = due_replies(ctx)
    # The cycle's read holds computed values: a Reply typed as =1+1 reads as 2. What people typed is read once
    # more, formulas as text, only when something is to be sent.
    typed = ctx.work.as_typed("Tracker", "Reply", due) if due else {}
    recorded = _recorded_replies(ctx) if due else set()
    for ticket in due:
        text = _typed_reply(ctx, ticket, typed)
        if text is None:
            continue
        platform = as_text(tracker.get(ticket, "Platform"))
        connector = by_platform.get(platform)
        if connector is None or platform in stopped:
            continue
        if as_text(tracker.get(ticket, "Platform Status")) == PlatformStatus.DELETED:
            _explain(ctx, ticket, "The comment was deleted on the platform; the reply cannot be posted.")
            continue
        _post(ctx, connector, ticket, text, stopped, recorded)


def _recorded_replies(ctx: CycleContext) -> set[str]:
    """The Reply IDs the Tracker holds: in a conversation our earlier answers sit in the same thread, and must
    not be taken for the answer to this row. Replies recorded during this cycle are added as they are made."""
    tracker = ctx.tracker
    return {v.strip() if v.__class__ is str else as_text(v).strip()
            for v, filled in zip(tracker.column("Reply ID"), tracker.filled("Reply ID"), strict=True) if filled}


def _thread(ctx: CycleContext, ticket: str) -> str | None:
    """The Comment ID that started the row's conversation (None when the row started it)."""
    tracker = ctx.tracker
    root = tracker.text(ticket, "Parent Ticket")
    if not root or root == ticket:
        return None
    if tracker.known(root):
        return tracker.text(root, "Comment ID") or None
    prefix = PLATFORM_PREFIX.get(tracker.text(ticket, "Platform"), "")
    return root.removeprefix(f"{prefix}-") if prefix and root.startswith(f"{prefix}-") else None  # archived


def _typed_reply(ctx: CycleContext, ticket: str, typed: dict[str, object]) -> str | None:
    """The reply exactly as typed; None (with a Sync Notes entry when it is a formula) when it must not go."""
    if ticket not in typed:
        return None  # moved or deleted since the cycle's read: the next cycle sees it where it is
    raw, shown = typed[ticket], ctx.tracker.raw(ticket, "Reply")
    if isinstance(raw, str) and raw.startswith("=") and raw != as_text(shown):
        _explain(ctx, ticket, FORMULA_NOTE.format(formula=raw[:80], shown=as_text(shown)[:80]))
        ctx.count(JOB, "formula, not posted")
        return None
    text = as_text(raw)
    return text if text.strip() else None


def _post(ctx: CycleContext, connector: Connector, ticket: str, text: str, stopped: set[str],
          recorded: set[str]) -> bool:
    """Post one reply (or find the one already there) and record it; False when it could not be done now.
    A follow-up's reply goes where the platform takes it in that thread (``Connector.reply_target``)."""
    tracker = ctx.tracker
    comment_id = connector.reply_target(as_text(tracker.get(ticket, "Comment ID")), _thread(ctx, ticket))
    platform = connector.platform
    try:
        found = connector.find_own_reply(comment_id, exclude=recorded)
        if found is None:
            reply_id, posted_at = connector.post_reply(comment_id, text)
            ctx.count(JOB, "posted")
        else:
            reply_id, posted_at = found
            ctx.count(JOB, "found already posted")
    except (AuthError, BudgetExhausted) as exc:
        stopped.add(platform)
        (ctx.fail if isinstance(exc, AuthError) else ctx.note)(f"reply {platform}: {exc}")
        log.error("reply %s stopped for this cycle: %s", platform, exc)
        return False
    except RetryableError as exc:
        # Still unsure after the retries: leave the row; next cycle checks the platform first.
        log.warning("reply %s %s: %s (will check and retry next cycle)", platform, ticket, exc)
        ctx.count(JOB, "deferred")
        return False
    except FatalAPIError as exc:
        _explain(ctx, ticket, f"The platform refused the reply: {getattr(exc, 'reason', None) or exc}")
        ctx.count(JOB, "refused")
        return False
    mark_replied(ctx, ticket, reply_id, posted_at, JOB)
    recorded.add(reply_id)
    return True


def _explain(ctx: CycleContext, ticket: str, message: str) -> None:
    if as_text(ctx.tracker.get(ticket, "Sync Notes")) != message:
        ctx.tracker.set(ticket, "Sync Notes", message, JOB)
