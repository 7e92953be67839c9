"""``archive``: rows Replied or Closed more than ``archive.after_days`` (30) ago move from the Tracker to an
archive.

Where they go: the Tracker Sheet's ``Archive`` tab — or, once the Tracker Sheet nears Google's 10,000,000-cell
limit (``archive.cell_limit_fraction`` of it, default 0.8, counted as the grid cells of every tab), a separate
archive spreadsheet (``sheets_sync.tracker.archive_store``, which sends every request of the archive).

Copy, verify by Ticket ID, then delete — in two cycles, so a process that dies anywhere loses and doubles
nothing once rerun: a row is deleted from the Tracker only when the cycle's read found its copy in the archive,
and a row is copied only when the archive does not hold it yet. Copies are the raw cell values as read, so an
archived row equals the original cell for cell. After a deleting write the Tracker is re-read and any row that
vanished without being archived (a person moved rows in the instant before the delete) is put back.

Every cycle's read already holds the archived Ticket IDs (``TrackerStore.begin``), so ``ingest`` never re-adds a
comment archived in either place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sheets_sync.conversations import conversation_of
from sheets_sync.tracker.archive_store import ARCHIVE, external_id
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.changes import ChangeSet
from sheets_sync.tracker.store import TrackerStore
from sheets_sync.tracker.table import Table
from sheets_sync.tracker.unit_of_work import TabRows
from sheets_sync.vocabulary import is_finished

from .cycle import CycleContext, log

JOB = "archive"
TRACKER = "Tracker"
GOOGLE_CELL_LIMIT = 10_000_000


def eligible(ctx: CycleContext, after_days: float) -> list[str]:
    """Tickets finished more than ``after_days`` ago (by Reply Posted At, else Last Synced, else Received At)."""
    cutoff = ctx.now - timedelta(days=after_days)
    tracker = ctx.tracker
    out = []
    for ticket, n in tracker.read_keys().items():
        if not is_finished(tracker.raw(ticket, "Status")):
            continue
        table = tracker.table
        when = table.typed(n, "Reply Posted At") or table.typed(n, "Last Synced") or table.typed(n, "Received At")
        if when is not None and when < cutoff:
            out.append(ticket)
    return _whole_conversations(ctx, out)


def _whole_conversations(ctx: CycleContext, tickets: list[str]) -> list[str]:
    """``tickets`` less the rows of a conversation (root and follow-ups, by Parent Ticket) that still has a row
    not ready to go: a conversation is archived together, once its last row is finished."""
    tracker = ctx.tracker
    if "Parent Ticket" not in tracker.table.col:
        return tickets
    parents = tracker.column("Parent Ticket")
    members: dict[str, list[str]] = {}
    for ticket, n in tracker.read_keys().items():
        root = conversation_of(ticket, as_text(parents[n - 2]) if n - 2 < len(parents) else "")
        members.setdefault(root, []).append(ticket)
    ready = set(tickets)
    return [t for t in tickets
            if all(m in ready for m in members.get(conversation_of(t, tracker.text(t, "Parent Ticket")), [t]))
            and all(m in ready for m in members.get(t, [t]))]


def _keys(table: Table | None) -> set[str]:
    return set(table.key_rows) | set(table.duplicate_keys) if table is not None else set()


def share_with(ctx: CycleContext) -> list[str]:
    """Who must see the archive spreadsheet: ``archive.share_with`` (addresses), else the Tracker Sheet's own
    human editors, else the cell's address. A spreadsheet the service account creates is visible to nobody
    else until shared: archived comments must not vanish from people's view."""
    if ctx.config.archive.share_with:
        return list(ctx.config.archive.share_with)
    cell = ctx.config.digest.cell_email
    return ctx.work.archive.tracker_editors() or ([cell] if cell else [])


def choose_target(ctx: CycleContext, n_rows: int) -> str:
    """Where this cycle's copies go: "" for the Archive tab, else the archive spreadsheet's id (created the
    first time the Tracker Sheet nears the cell limit)."""
    work = ctx.work
    sid = external_id(work.snapshot)
    if sid:
        return sid
    # The copies grow the Archive tab: count them, so this copy does not itself push the sheet over.
    adding = n_rows * max(len(ctx.tracker.table.header), 1)
    if work.archive.total_cells() + adding < ctx.config.archive.cell_limit_fraction * GOOGLE_CELL_LIMIT:
        return ""
    header = [h for h in ctx.tracker.table.header if h]
    return work.archive.open_external(work.snapshot, header, share_with(ctx))


def raw_row(table: Table, number: int) -> dict[str, Any]:
    """A row's raw values (as read: serial numbers, booleans, text) by header — copied as they are."""
    return {name: table.raw(number, name) for name in table.col}


def run(ctx: CycleContext) -> None:
    """One archive step: copy what the archive lacks; delete from the Tracker what it holds."""
    work = ctx.work
    archived = _keys(work.snapshot.tables.get(ARCHIVE))
    tickets = eligible(ctx, ctx.config.archive.after_days)
    to_copy = [t for t in tickets if t not in archived]
    to_delete = [t for t in tickets if t in archived]
    tracker = ctx.tracker
    for ticket in to_delete:
        tracker.delete(ticket, JOB)
    if to_copy:
        _copy(ctx, [raw_row(tracker.table, tracker.read_keys()[t]) for t in to_copy])
    ctx.count(JOB, "copied", len(to_copy))
    ctx.count(JOB, "deleted", len(to_delete))
    log.info("archive: %d copied, %d deleted", len(to_copy), len(to_delete))
    if to_delete:
        before = tracker.table

        def restore_after_delete(store: TrackerStore) -> None:
            ctx.count(JOB, "restored", len(restore_lost(store, before)))

        work.after_write("archive restore check", restore_after_delete)


def _copy(ctx: CycleContext, rows: list[dict[str, Any]]) -> None:
    """Copy rows to the archive: the Archive tab in this cycle's write, or the archive spreadsheet now."""
    target = choose_target(ctx, len(rows))
    if target:
        ctx.work.archive.copy_rows(target, rows)
        return
    archive: TabRows = ctx.work[ARCHIVE]
    for row in rows:
        archive.append(row, JOB)


def restore_lost(store: TrackerStore, before: Table | Mapping[str, Mapping[str, Any]]) -> list[str]:
    """After a deleting cycle: re-read the Tracker and the archived keys; rows in neither are appended back.

    ``before``: the Tracker as the deleting cycle read it (a ``Table``), or its rows by Ticket ID.
    """
    snapshot = store.begin([TRACKER]).snapshot
    present = _keys(snapshot[TRACKER]) | _keys(snapshot.tables.get(ARCHIVE))
    if isinstance(before, Table):
        lost = [t for t in before.key_rows if t not in present]
        rows = {t: raw_row(before, before.key_rows[t]) for t in lost}
    else:
        lost = [t for t in before if t not in present]
        rows = {t: dict(before[t]) for t in lost}
    if lost:
        changes = ChangeSet(store.schema)
        for ticket in lost:
            changes.append(TRACKER, {k: v for k, v in rows[ticket].items() if not k.startswith("_")}, JOB)
        store.commit(changes, snapshot)
        log.warning("archive: %d rows were moved by people during the delete and were put back: %s",
                    len(lost), ", ".join(lost))
    return lost


def archive_all(runner: Any, max_cycles: int = 3) -> dict[str, int]:
    """Run the archive to completion: a copy cycle, then a verify-and-delete cycle (each deleting cycle
    re-reads and restores). Stops once a cycle copies nothing; also finishes what a killed run left."""
    totals = {"copied": 0, "deleted": 0, "restored": 0}
    for _ in range(max_cycles):
        result = runner.cycle([JOB])
        if not result.ran:
            totals["skipped"] = totals.get("skipped", 0) + 1
            break
        counts = result.counts.get(JOB, {})
        for key in ("copied", "deleted", "restored"):
            totals[key] += counts.get(key, 0)
        if JOB in result.failed_jobs or not counts.get("copied"):
            break
    return totals
