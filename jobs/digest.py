"""``digest``: the morning e-mail to each department (head and nodal officer) and a summary to the cell.

Never twice the same day, even after a crash: the day's keys are marked ``sending`` in ``_state`` in the cycle's
write *before* anything is sent, and ``sent`` after. A key already marked is not sent again — at most once: if
the process dies mid-send, a department may miss that day's digest (logged), never get it twice. Why at most
once: the digest is a snapshot, so tomorrow's repeats whatever is still open, while a duplicate costs the
heads' trust (see ``reports.mailer``). The marks ride in the cycle's write, which holds the lease, so two
runners never both mark a key. A message the server never saw (unreachable) has its mark cleared, so a rerun
the same day (``sheets-sync job digest``) sends it; a refused one is recorded ``failed: ...``.

Row links carry the Tracker tab's sheetId and each row's number as this cycle read it: they open the rows where
they are when the digest is built.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

from sheets_sync.reports.digest import build_digests
from sheets_sync.reports.mailer import SendResult, build_mailer, message_key
from sheets_sync.retry import policy
from sheets_sync.tracker.store import TrackerStore

from .cycle import CycleContext, log

JOB = "digest"
DEFAULT_SENDER = "sheets-sync@localhost"


def state_key(key: str) -> str:
    """The ``_state`` key for one digest key (``YYYY-MM-DD/Department``)."""
    return f"digest:{key}"


def make_mailer(ctx: CycleContext) -> Any:
    """The injected mailer, else SMTP when configured, else .eml files in the digest folder."""
    if ctx.mailer is not None:
        return ctx.mailer
    # The runner's sleep: a simulated clock in tests and the demo, real time in production.
    return build_mailer(ctx.config, **({"retry": policy(sleep=ctx.sleep)} if ctx.sleep and ctx.config.smtp else {}))


def run(ctx: CycleContext) -> None:
    """Build today's digests, mark the unsent ones ``sending`` in this cycle's write, send after it lands."""
    work = ctx.work
    tracker = ctx.tracker
    rows = [tracker.table.record(n) for n in tracker.read_keys().values()]
    departments, content = (work.tab(t) for t in ("Departments", "Content"))
    gid = work.tabs_meta().get("Tracker", (0, set()))[0]
    sender = (ctx.config.smtp.sender if ctx.config.smtp else "") or DEFAULT_SENDER
    messages = build_digests(rows, departments.table.records() if departments else [],
                             content.table.records() if content else [], ctx.now, ctx.config.tz,
                             work.store.spreadsheet_id, gid, ctx.config.digest.cell_email, sender)
    outbox = []
    for message in messages:
        key = message_key(message)
        if not key or work.state.get(state_key(key)):
            continue
        work.set_state(state_key(key), json.dumps({"status": "sending", "at": ctx.now.isoformat()}))
        outbox.append(message)
    ctx.count(JOB, "to send", len(outbox))
    ctx.count(JOB, "already sent today", len(messages) - len(outbox))
    if outbox:
        work.after_write(JOB, lambda store: _send(ctx, store, outbox))


def _send(ctx: CycleContext, store: TrackerStore, outbox: list[EmailMessage]) -> None:
    """Send what this cycle's write marked ``sending``; record each outcome in ``_state``."""
    results = make_mailer(ctx).deliver(outbox)
    store.write_state({state_key(r.key): _outcome(r, ctx) for r in results if r.key is not None})
    sent = sum(1 for r in results if r.ok)
    log.info("digest: %d sent, %d not sent", sent, len(results) - sent)
    ctx.count(JOB, "sent", sent)


def _outcome(result: SendResult, ctx: CycleContext) -> str:
    """A digest key's mark after sending: ``sent``; cleared ("") when the server never saw it, so a rerun today
    sends it; ``failed: ...`` when refused."""
    if result.ok:
        status = "sent"
    elif not result.attempted:
        return ""
    else:
        status = "failed: " + result.error[:200]
    return json.dumps({"status": status, "at": ctx.now.isoformat()})
