"""One cycle's shared state: the snapshot read, the rows being added, and the ChangeSet all jobs fill."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sheets_sync.config import Config
from sheets_sync.tracker.changes import ChangeSet
from sheets_sync.tracker.store import Snapshot, TrackerStore

log = logging.getLogger("sheets_sync.jobs")

TRACKER = "Tracker"
OPEN_STATUSES = ("New", "Assigned", "Escalated")


@dataclass
class CycleContext:
    """What every job of a cycle sees and fills."""

    config: Config
    store: TrackerStore
    snapshot: Snapshot
    changes: ChangeSet
    now: datetime
    connectors: list[Any] = field(default_factory=list)
    # Rows ingested this cycle, not yet in the sheet: later jobs (route, sla) fill them before the write.
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    # Run after the cycle's write has landed (sending digests only once the "sending" marks are saved).
    after_commit: list[Callable[[Any], None]] = field(default_factory=list)
    sleep: Callable[[float], None] | None = None

    @property
    def tracker(self):  # noqa: ANN201 - Table
        """The Tracker tab as read."""
        return self.snapshot[TRACKER]

    def count(self, job: str, what: str, n: int = 1) -> None:
        """Add to this cycle's figures (logged at the end)."""
        bucket = self.counts.setdefault(job, {})
        bucket[what] = bucket.get(what, 0) + n

    def value(self, ticket: str, header: str) -> Any:
        """A Tracker cell as this cycle sees it: pending rows, then changes made earlier in the cycle, then the
        sheet as read."""
        if ticket in self.pending:
            return self.pending[ticket].get(header, "")
        change = self.changes.updates.get((TRACKER, ticket, header))
        if change is not None:
            return change.new
        row = self.tracker.key_rows.get(ticket)
        return "" if row is None else self.tracker.typed(row, header)

    def set(self, ticket: str, header: str, new: Any, job: str) -> bool:
        """Change a Tracker cell (pending rows are filled directly); False when not the tool's to change."""
        if ticket in self.pending:
            self.pending[ticket][header] = new
            return True
        row = self.tracker.key_rows.get(ticket)
        if row is None:
            return False
        old = self.tracker.typed(row, header)
        existing = self.changes.updates.get((TRACKER, ticket, header))
        return self.changes.set(TRACKER, ticket, header, existing.old if existing else old, new, job)
