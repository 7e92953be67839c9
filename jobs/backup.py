"""The daily backup: the Tracker Sheet exported to .xlsx in ``backup.folder``, the last ``backup.keep_days``
days kept — a municipal IT office expects an offline copy of its records.

Runs once a day at ``backup.at`` (``jobs/daily.py``); ``sheets-sync job backup`` runs it now. A day that already
has its backup is skipped unless asked for by name (a second run that day replaces the file). The export is
made after the cycle's write has landed, so it holds what that cycle wrote; it is one Drive request, made by
the tracker layer (``sheets_sync/tracker/export_store.py``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sheets_sync.tracker import export_store

from .cycle import CycleContext

JOB = "backup"
log = logging.getLogger("sheets_sync.backup")


def due(folder: Path, now: datetime) -> bool:
    """Whether today has no backup yet."""
    last = export_store.last_backup(folder)
    return last is None or last.day < now.date()


def run(ctx: CycleContext) -> None:
    """Export the Tracker Sheet to today's backup file once the cycle's write has landed."""
    folder = export_store.backup_folder(ctx.config)
    local_now = ctx.now.astimezone(ctx.config.tz)
    if JOB not in ctx.on_demand and not due(folder, local_now):
        ctx.count(JOB, "already today")
        return
    keep_days = ctx.config.backup.keep_days

    def step(store: Any) -> None:
        path, removed = export_store.backup(store, folder, keep_days, local_now)
        log.info("backup: %s written; %d older than %g days deleted", path, removed, keep_days)

    ctx.work.after_write(JOB, step)
    ctx.count(JOB, "exported")
