"""Exports and backups of the Tracker Sheet: Drive's ``files.export`` to .xlsx, and the backup folder.

One request (``GET drive/v3/files/{id}/export?mimeType=…sheet``) through the Tracker store's client, so the
same code serves the real Google Sheet (Google's own rendering: values typed, formats, colours, dropdowns,
frozen rows, notes, filters) and the embedded emulator (``sheets_sync/emulator/sheets/drive_export.py``).
Google refuses exports over 10 MB (``exportSizeLimitExceeded``): archive old rows (``archive`` job) well
before a Tracker gets there.

Backups are files ``<title-slug>-YYYY-MM-DD.xlsx`` in ``backup.folder``, written atomically; those older than
``backup.keep_days`` days are deleted after a new one is written, never before.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gspread.utils import ExportFormat

from ..config import Config

if TYPE_CHECKING:
    from .store import TrackerStore

BACKUP_PREFIX = "tracker-"
BACKUP_NAME = re.compile(r"^tracker-(\d{4}-\d{2}-\d{2})\.xlsx$")


def export_xlsx(store: TrackerStore) -> bytes:
    """The Tracker Sheet as .xlsx bytes (one Drive request)."""
    return store.http.export(store.spreadsheet_id, ExportFormat.EXCEL)


def write_atomically(data: bytes, out: Path) -> Path:
    """Write ``data`` to ``out`` through a temporary file in the same folder: a crash leaves the old file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".xlsx.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an export is meant to be opened and shared
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def export_to(store: TrackerStore, out: Path) -> Path:
    """Export the Tracker Sheet to the file ``out``."""
    return write_atomically(export_xlsx(store), out)


@dataclass(frozen=True)
class Backup:
    """One backup file and the day it was taken."""

    path: Path
    day: date


def backups(folder: Path) -> list[Backup]:
    """The backups in ``folder``, oldest first (files not named like a backup are not ours and are ignored)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match:
            try:
                found.append(Backup(path, date.fromisoformat(match.group(1))))
            except ValueError:
                continue
    return sorted(found, key=lambda b: b.day)


def last_backup(folder: Path) -> Backup | None:
    """The newest backup, if any."""
    found = backups(folder)
    return found[-1] if found else None


def backup(store: TrackerStore, folder: Path, keep_days: float, now: datetime) -> tuple[Path, int]:
    """Today's backup (a second one the same day replaces the first), then delete those older than
    ``keep_days``. Returns the new file and how many old ones were deleted."""
    path = export_to(store, folder / f"{BACKUP_PREFIX}{now.date().isoformat()}.xlsx")
    cutoff = now.date() - timedelta(days=keep_days)
    removed = 0
    for old in backups(folder):
        if old.day < cutoff and old.path != path:
            old.path.unlink(missing_ok=True)
            removed += 1
    return path, removed


def backup_folder(config: Config) -> Path:
    """``backup.folder``, else ``<data_dir>/backups``."""
    return config.backup.folder or config.data_dir / "backups"


def backup_age(folder: Path, now: datetime) -> tuple[bool, str]:
    """(whether the last backup is recent, a line for ``doctor``): fresh when taken today or yesterday."""
    last = last_backup(folder)
    if last is None:
        return False, f"no backup yet in {folder}: run `sheets-sync job backup` (the runner makes one daily)"
    days = (now.date() - last.day).days
    when = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    fresh = days <= 1
    fix = "" if fresh else " — is `sheets-sync run` running? `sheets-sync job backup` makes one now"
    return fresh, f"last backup {last.path.name} ({when}){fix}"
