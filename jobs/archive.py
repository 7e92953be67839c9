"""``archive``: rows Replied or Closed more than N days ago move from the Tracker to the Archive tab.

Copy, verify by Ticket ID, then delete — in two cycles, so a process that dies anywhere loses and doubles
nothing once rerun: a row is deleted from the Tracker only when the cycle's read found its copy in the Archive,
and a row is copied only when the Archive does not hold it yet. After deleting, the Tracker is re-read and any
row that vanished without being archived (a person moved rows in the instant before the delete) is put back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sheets_sync.tracker.cells import as_text

from .cycle import CycleContext, log

JOB = "archive"
DEFAULT_AFTER_DAYS = 30
FINISHED = ("Replied", "Closed")


def eligible(ctx: CycleContext, after_days: float) -> list[str]:
    """Tickets finished more than ``after_days`` ago (by Reply Posted At, else Last Synced, else Received At)."""
    cutoff = ctx.now - timedelta(days=after_days)
    tracker = ctx.tracker
    out = []
    for ticket, n in tracker.key_rows.items():
        if as_text(tracker.raw(n, "Status")).strip() not in FINISHED:
            continue
        when = (tracker.typed(n, "Reply Posted At") or tracker.typed(n, "Last Synced")
                or tracker.typed(n, "Received At"))
        if when is not None and when < cutoff:
            out.append(ticket)
    return out


def run(ctx: CycleContext) -> None:
    """One archive step: copy what the Archive lacks; delete from the Tracker what it holds."""
    after_days = float(ctx.config.archive.get("after_days", DEFAULT_AFTER_DAYS))
    archive = ctx.snapshot.tables.get("Archive")
    archived = set(archive.key_rows) | set(archive.duplicate_keys) if archive is not None else set()
    tickets = eligible(ctx, after_days)
    copied = deleted = 0
    for ticket in tickets:
        if ticket in archived:
            ctx.changes.delete("Tracker", ticket, JOB)
            deleted += 1
        else:
            record = ctx.tracker.record(ctx.tracker.key_rows[ticket])
            ctx.changes.append("Archive", {k: v for k, v in record.items() if not k.startswith("_")}, JOB)
            copied += 1
    ctx.count(JOB, "copied", copied)
    ctx.count(JOB, "deleted", deleted)
    ctx.extras["archive_pending"] = copied
    log.info("archive: %d copied, %d deleted", copied, deleted)


def restore_lost(runner: Any, before: dict[str, dict[str, Any]]) -> list[str]:
    """After a deleting cycle: re-read the Tracker and Archive keys; rows in neither are appended back."""
    snapshot = runner.store.read(["Tracker"], key_only=["Archive"])
    present = set(snapshot["Tracker"].key_rows) | set(snapshot["Tracker"].duplicate_keys)
    archive = snapshot.tables["Archive"]
    present |= set(archive.key_rows) | set(archive.duplicate_keys)
    lost = [t for t in before if t not in present]
    if lost:
        from sheets_sync.tracker.changes import ChangeSet

        changes = ChangeSet(runner.store.schema)
        for ticket in lost:
            changes.append("Tracker", {k: v for k, v in before[ticket].items() if not k.startswith("_")}, JOB)
        runner.store.commit(changes, snapshot)
        log.warning("archive: %d rows were moved by people during the delete and were put back: %s",
                    len(lost), ", ".join(lost))
    return lost


def archive_all(runner: Any) -> dict[str, int]:
    """Run the archive to completion: copy cycle, then verify-and-delete cycle, then the safety re-read."""
    first = runner.cycle(["archive"])
    before: dict[str, dict[str, Any]] = {}
    snapshot = runner.store.read(["Tracker"], key_only=["Archive"])
    tracker = snapshot["Tracker"]
    before = {t: tracker.record(n) for t, n in tracker.key_rows.items()}
    second = runner.cycle(["archive"])
    lost = restore_lost(runner, before) if second.counts.get(JOB, {}).get("deleted") else []
    return {"copied": first.counts.get(JOB, {}).get("copied", 0) + second.counts.get(JOB, {}).get("copied", 0),
            "deleted": second.counts.get(JOB, {}).get("deleted", 0) + first.counts.get(JOB, {}).get("deleted", 0),
            "restored": len(lost)}
