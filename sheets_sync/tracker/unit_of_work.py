"""One cycle's unit of work: every tab's rows as read, as appended this cycle and as changed — in one view.

Jobs read and change rows by key through a ``TabRows``; what they read includes what earlier jobs of the same
cycle appended or changed, so nobody merges "the sheet as read" with "what is pending" by hand. Nothing is sent
until the runner commits: the ``ChangeSet`` then becomes one atomic ``batchUpdate`` (``TrackerStore.commit``),
and the after-write steps (send the digests whose marks just landed, check an archive's delete) run with the
store alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .cells import as_text
from .changes import ChangeSet, NewRow, Plan
from .table import Table

if TYPE_CHECKING:
    from .archive_store import ArchiveStore
    from .store import Snapshot, TrackerStore

log = logging.getLogger(__name__)

AfterWrite = Callable[["TrackerStore"], None]


class TabRows:
    """One tab through the cycle: rows as read, rows appended this cycle, and the changes asked so far.

    Keyed tabs (Tracker by Ticket ID, Posts by Post ID, ...) are addressed by key; a key on several rows is
    left out of ``keys()`` (the table reports it) but still counts as ``known``.
    """

    def __init__(self, table: Table, changes: ChangeSet) -> None:
        self.table = table
        self.title = table.tab.title
        self._changes = changes
        self._new: dict[str, NewRow] = {}

    # -- what is there ---------------------------------------------------------------------------------------

    def keys(self) -> list[str]:
        """Every usable key: rows as read (sheet order), then rows appended this cycle (in order)."""
        return [*self.table.key_rows, *self._new]

    def read_keys(self) -> Mapping[str, int]:
        """Keys of the rows as read → their 1-based sheet row."""
        return self.table.key_rows

    def new_keys(self) -> list[str]:
        """Keys of the rows appended this cycle."""
        return list(self._new)

    def known(self, key: str) -> bool:
        """Whether ``key`` is in the tab at all: read (once or on several rows) or appended this cycle."""
        return key in self.table.key_rows or key in self.table.duplicate_keys or key in self._new

    def __contains__(self, key: str) -> bool:
        return key in self.table.key_rows or key in self._new

    def __len__(self) -> int:
        return len(self.table.key_rows) + len(self._new)

    # -- reading ---------------------------------------------------------------------------------------------

    def get(self, key: str, header: str) -> Any:
        """A cell as this cycle sees it, typed by its column: an appended row's value, else the change asked
        earlier in the cycle, else the sheet as read ("" when the row is unknown)."""
        new = self._new.get(key)
        if new is not None:
            return new.values.get(header, "")
        change = self._changes.updates.get((self.title, key, header))
        if change is not None:
            return change.new
        row = self.table.key_rows.get(key)
        return "" if row is None else self.table.typed(row, header)

    def text(self, key: str, header: str) -> str:
        """A cell as text (``get`` through ``as_text``), surrounding spaces removed."""
        return as_text(self.get(key, header)).strip()

    def raw(self, key: str, header: str) -> Any:
        """The cell exactly as read (serial numbers, booleans, text); an appended row's value as queued."""
        new = self._new.get(key)
        if new is not None:
            return new.values.get(header, "")
        row = self.table.key_rows.get(key)
        return "" if row is None else self.table.raw(row, header)

    def unreadable(self, key: str, header: str) -> bool:
        """Whether the sheet's cell holds text its column's type cannot read (text in a date cell)."""
        row = self.table.key_rows.get(key)
        if row is None:
            return False
        return bool(as_text(self.table.raw(row, header)).strip()) and self.table.typed(row, header) is None

    def column(self, header: str) -> list[Any]:
        """One column's raw values as read, one per data row (row 2 first): for fast scans of large tabs."""
        return self.table.column(header)

    def filled(self, header: str) -> list[bool]:
        """Per row as read (row 2 first), whether the cell holds anything but spaces (``Table.filled``)."""
        return self.table.filled(header)

    def changed(self, header: str) -> Iterator[tuple[str, Any]]:
        """(key, new value) of every change asked this cycle in one column."""
        for (tab, key, name), change in self._changes.updates.items():
            if tab == self.title and name == header:
                yield key, change.new

    def changed_cells(self) -> Iterator[tuple[str, str, Any]]:
        """(key, header, new value) of every change asked this cycle in this tab."""
        for (tab, key, name), change in self._changes.updates.items():
            if tab == self.title:
                yield key, name, change.new

    def has_change(self, key: str, header: str) -> bool:
        """Whether a job of this cycle already asked to change this cell."""
        return (self.title, key, header) in self._changes.updates

    # -- changing --------------------------------------------------------------------------------------------

    def set(self, key: str, header: str, value: Any, job: str) -> bool:
        """Change one cell; False when nothing changes or the cell is not the tool's to change (schema)."""
        new = self._new.get(key)
        if new is not None:
            new.values[header] = value
            return True
        row = self.table.key_rows.get(key)
        if row is None:
            return False
        return self._changes.set(self.title, key, header, self.table.typed(row, header), value, job)

    def append(self, values: dict[str, Any], job: str) -> NewRow:
        """Add a row at the end of the tab; later reads in this cycle see it under its key."""
        row = self._changes.append(self.title, values, job)
        key_header = self.table.tab.key
        key = as_text(values.get(key_header, "")).strip() if key_header else ""
        if key:
            self._new[key] = row
        return row

    def delete(self, key: str, job: str) -> None:
        """Delete the row holding ``key`` (placed by a fresh read of the keys just before the write)."""
        self._changes.delete(self.title, key, job)


class UnitOfWork:
    """Everything one cycle read, and everything it wants written — committed once, atomically."""

    def __init__(self, store: TrackerStore, snapshot: Snapshot) -> None:
        self.store = store
        self.snapshot = snapshot
        self.changes = ChangeSet(store.schema)
        self.notes: list[str] = []
        # What makes this cycle unhealthy (a platform refused its token, a tab could not be written, a job
        # failed): also in ``notes``; ``run --once`` exits non-zero and names each on stderr.
        self.problems: list[str] = []
        self.counts: dict[str, dict[str, int]] = {}
        self._views: dict[str, TabRows] = {}
        self._after_write: list[tuple[str, AfterWrite]] = []
        self._tabs_meta: dict[str, tuple[int, set[int]]] | None = None

    # -- the tabs --------------------------------------------------------------------------------------------

    def tab(self, title: str) -> TabRows | None:
        """One tab's rows (None when the cycle did not read that tab)."""
        view = self._views.get(title)
        if view is None:
            table = self.snapshot.tables.get(title)
            if table is None:
                return None
            view = self._views[title] = TabRows(table, self.changes)
        return view

    def __getitem__(self, title: str) -> TabRows:
        view = self.tab(title)
        if view is None:
            raise KeyError(f"the tab {title!r} was not read this cycle")
        return view

    @property
    def tracker(self) -> TabRows:
        """The Tracker tab."""
        return self["Tracker"]

    @property
    def archive(self) -> ArchiveStore:
        """Where finished rows go (the Archive tab or an archive spreadsheet): requests go through the store."""
        return self.store.archive

    def tabs_meta(self) -> dict[str, tuple[int, set[int]]]:
        """Tab title → (sheetId, chart ids): one small request, made at most once per cycle."""
        if self._tabs_meta is None:
            self._tabs_meta = self.store.tabs_meta()
        return self._tabs_meta

    def as_typed(self, title: str, header: str, keys: Collection[str] | None = None) -> dict[str, Any]:
        """Key → what people typed in one column, formulas as their text: one more read, for a column whose
        computed value must never be taken for the text (a Reply that is ``=1+1``) — of the ``keys``' rows
        only, when given."""
        return self.store.read_as_typed(self[title].table, header, keys)

    # -- state, grids, extra requests --------------------------------------------------------------------------

    @property
    def state(self) -> Mapping[str, str]:
        """The ``_state`` keys as read."""
        return self.snapshot.state

    def set_state(self, key: str, value: str) -> None:
        """Write one ``_state`` key in this cycle's write."""
        self.changes.set_state(key, value)

    def replace_grid(self, tab: str, grid: list[list[Any]]) -> None:
        """Rewrite a tool-owned tab (the Dashboard) from A1 in this cycle's write."""
        self.changes.replace_grid(tab, grid)

    def add_request(self, request: dict[str, Any]) -> None:
        """One more ``batchUpdate`` request for this cycle's write (e.g. re-aiming the Dashboard chart)."""
        self.changes.extra_requests.append(request)

    # -- what the cycle did ------------------------------------------------------------------------------------

    def count(self, job: str, what: str, n: int = 1) -> None:
        """Add to this cycle's figures (logged at the end and kept in ``_state``)."""
        bucket = self.counts.setdefault(job, {})
        bucket[what] = bucket.get(what, 0) + n

    def note(self, message: str) -> None:
        """Something people should know (a cell to fix, a platform that failed): kept once per cycle."""
        if message not in self.notes:
            self.notes.append(message)

    def fail(self, message: str) -> None:
        """Something that makes the cycle unhealthy and needs a person (noted too)."""
        self.note(message)
        self.problems.append(message)

    @property
    def blocked(self) -> Mapping[str, str]:
        """Tabs that cannot be written this cycle → why, naming the fix."""
        return self.snapshot.blocked

    # -- the write ---------------------------------------------------------------------------------------------

    def after_write(self, name: str, step: AfterWrite) -> None:
        """Run ``step(store)`` once this cycle's write has landed (e.g. send what the write marked as sending)."""
        self._after_write.append((name, step))

    def commit(self, unchanged_at: int | None = None, release_lease: bool = False) -> Plan:
        """Write everything asked this cycle in one atomic ``batchUpdate`` (none when nothing changes); changes
        to a blocked tab wait (``Plan.skipped`` says why), the rest is written. ``unchanged_at``: the Drive
        version if nobody else wrote since the read (``TrackerStore.fresh``); ``release_lease``: the write
        releases the runner's lease, and is refused whole if the lease was taken over (``TrackerStore.commit``)."""
        return self.store.commit(self.changes, self.snapshot, unchanged_at, release_lease)

    def run_after_write(self) -> list[str]:
        """Run the after-write steps, each on its own: one failing is noted and the others still run. Returns
        the names of those that failed."""
        failed: list[str] = []
        for name, step in self._after_write:
            try:
                step(self.store)
            except Exception as exc:  # noqa: BLE001 - reported; the cycle's write has landed
                failed.append(name)
                self.fail(f"{name} after the write: {exc}")
                log.exception("after-write step %s failed", name)
        return failed
