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
from typing import Any

from sheets_sync.reports.digest import build_digests
from sheets_sync.reports.mailer import EmlFolderMailer, Mailer, message_key
from sheets_sync.retry import policy
from sheets_sync.tracker.changes import ChangeSet

from .cycle import CycleContext, log

JOB = "digest"


def state_key(key: str) -> str:
    """The ``_state`` key for one digest key (``YYYY-MM-DD/Department``)."""
    return f"digest:{key}"


def make_mailer(ctx: CycleContext) -> Any:
    """SMTP when configured, else .eml files in the digest folder."""
    if "mailer" in ctx.extras:
        return ctx.extras["mailer"]
    if ctx.config.smtp:
        # The runner's sleep: a simulated clock in tests and the demo, real time in production.
        return Mailer.from_config(ctx.config, retry=policy(sleep=ctx.sleep) if ctx.sleep else None)
    return EmlFolderMailer(ctx.config.digest.get("folder") or (ctx.config.data_dir / "digests"))


def run(ctx: CycleContext) -> None:
    """Build today's digests, mark the unsent ones ``sending`` in this cycle's write, send after it lands."""
    tracker = ctx.tracker
    rows = [tracker.record(n) for n in tracker.key_rows.values()]
    departments = ctx.snapshot["Departments"].records() if "Departments" in ctx.snapshot.tables else []
    content = ctx.snapshot["Content"].records() if "Content" in ctx.snapshot.tables else []
    gid = ctx.extras.get("tracker_gid") or ctx.store.sheet_ids().get("Tracker", 0)
    sender = (ctx.config.smtp or {}).get("from") or ctx.config.digest.get("from") or "sheets-sync@localhost"
    messages = build_digests(rows, departments, content, ctx.now, ctx.config.tz, ctx.store.spreadsheet_id, gid,
                             ctx.config.digest.get("cell_email", ""), sender)
    outbox = []
    for message in messages:
        key = message_key(message)
        if not key or ctx.snapshot.state.get(state_key(key)):
            continue
        ctx.changes.set_state(state_key(key), json.dumps({"status": "sending", "at": ctx.now.isoformat()}))
        outbox.append(message)
    ctx.count(JOB, "to send", len(outbox))
    ctx.count(JOB, "already sent today", len(messages) - len(outbox))

    def send_after_commit(runner: Any) -> None:
        if not outbox:
            return
        results = make_mailer(ctx).deliver(outbox)
        done = ChangeSet(runner.store.schema)
        for result in results:
            if result.key is None:
                continue
            if result.ok:
                status = "sent"
            elif not result.attempted:
                status = ""  # never reached the server: free to send again later today
            else:
                status = "failed: " + result.error[:200]
            done.set_state(state_key(result.key), json.dumps({"status": status, "at": ctx.now.isoformat()})
                           if status else "")
        snapshot = runner.store.read([])
        runner.store.commit(done, snapshot)
        sent = sum(1 for r in results if r.ok)
        log.info("digest: %d sent, %d not sent", sent, len(results) - sent)
        ctx.count(JOB, "sent", sent)

    ctx.after_commit.append(send_after_commit)
