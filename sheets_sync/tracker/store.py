"""Reads and writes the Tracker Sheet: with ``archive_store``, the only modules that send Sheets and Drive
requests for the jobs.

A cycle costs: one ``values:batchGet`` (everything the jobs need), one ``spreadsheets.get`` just before writing
(sheet ids, header rows, the key column and the shared columns about to change — so rows are placed where they
are *now*), and one ``spreadsheets.batchUpdate`` (every change, new row, state key and Audit row, atomically).
The runner's lease adds one small ``batchUpdate`` (``tracker.lease``), released inside the cycle's own.
"""

from __future__ import annotations

import difflib
import io
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import ijson
import orjson
import requests
import urllib3
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEET_URL, SPREADSHEET_VALUES_BATCH_URL

from ..client import DRIVE_FILES_URL, SheetsBackend
from ..errors import LeaseLost, SchemaError
from ..schema import Schema, Tab, load_schema
from .archive_store import ARCHIVE, ArchiveStore
from .cells import as_text, utc_now
from .changes import AUDIT_TAB, STATE_TAB, ChangeSet, Fresh, Plan, WriteTarget, plan_write
from .lease import Lease, parse_claim
from .narrow import MIN_ROWS, narrow_columns, overlay
from .table import Table, column_letter, quote_title, trim_header
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

READ_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
               "majorDimension": "ROWS"}
TYPED_ROWS_MAX = 200  # rows read one by one (key and cell) by read_as_typed; more: the two whole columns
FRESH_FIELDS = ("sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),"
                "data(startRow,startColumn,rowData(values(effectiveValue))))")


@dataclass
class Snapshot:
    """What one cycle read: every tab asked for, and the ``_state`` keys."""

    tables: dict[str, Table]
    state: dict[str, str] = field(default_factory=dict)
    state_rows: dict[str, int] = field(default_factory=dict)
    key_only: frozenset[str] = frozenset()  # tabs of which only the key column was read
    # Tabs the tool must not write this cycle (missing, or a required header missing or repeated) → the problem,
    # naming the tab and the fix. Jobs that need one of them wait; everything else goes on.
    blocked: dict[str, str] = field(default_factory=dict)
    # Tabs re-read narrow — people's columns laid over the kept table (``tracker.narrow``) — not in full.
    narrowed: frozenset[str] = frozenset()

    def __getitem__(self, tab: str) -> Table:
        return self.tables[tab]


def cell_value(cell: dict[str, Any]) -> Any:
    """A CellData's value as a values read returns it (effective, else entered; "" when empty)."""
    value = cell.get("effectiveValue") or cell.get("userEnteredValue") or {}
    for kind in ("stringValue", "numberValue", "boolValue"):
        if kind in value:
            return value[kind]
    if "errorValue" in value:
        return "#ERROR!"
    return ""


def _grid_rows(data: dict[str, Any]) -> list[list[Any]]:
    return [[cell_value(c) for c in (row.get("values") or [])] for row in data.get("rowData") or []]


def _grid_column(data: dict[str, Any]) -> list[Any]:
    """The first cell of each row of a one-column GridData, as a values read returns it: a 100,000-row key
    column, text nearly always, is read in the pre-write read each busy cycle."""
    out: list[Any] = []
    for row in data.get("rowData") or []:
        cells = row.get("values")
        value = (cells[0].get("effectiveValue") or {}).get("stringValue") if cells else ""
        out.append(value if value is not None else cell_value(cells[0]))
    return out


class TrackerStore:
    """The Tracker Sheet's tabs through one gspread client, a handful of requests a cycle."""

    def __init__(self, backend: SheetsBackend, schema: Schema | None = None, tz: ZoneInfo | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.backend = backend
        self.schema = schema or load_schema()
        self.tz = tz or ZoneInfo("Asia/Kolkata")
        self.clock = clock
        self.narrow_min_rows = MIN_ROWS  # tabs this large are re-read narrow (``tracker.narrow``)
        self._lease: Lease | None = None

    @property
    def spreadsheet_id(self) -> str:
        """The Tracker Sheet's id."""
        if not self.backend.spreadsheet_id:
            raise SchemaError("no Tracker Sheet yet: run `sheets-sync init` first.")
        return self.backend.spreadsheet_id

    @property
    def http(self) -> Any:
        """gspread's HTTP client (the retrying one)."""
        return self.backend.client.http_client

    # -- reading ---------------------------------------------------------------------------------------------

    def tabs_meta(self) -> dict[str, tuple[int, set[int]]]:
        """Tab title → (sheetId, chart ids), in one small ``spreadsheets.get``."""
        body = self.http.fetch_sheet_metadata(self.spreadsheet_id, params={
            "fields": "sheets(properties(sheetId,title),charts(chartId))"})
        return {s["properties"]["title"]: (int(s["properties"]["sheetId"]),
                                           {int(c["chartId"]) for c in s.get("charts", [])})
                for s in body.get("sheets", [])}

    def protection_meta(self) -> dict[str, Any]:
        """The spreadsheet's title and each tab's protected ranges (for ``doctor``), in one small request."""
        return self.http.fetch_sheet_metadata(self.spreadsheet_id, params={
            "fields": "properties(title),sheets(properties(title),protectedRanges(description,warningOnly,editors))"})

    def service_account_email(self) -> str | None:
        """The service account the client signs in as (None for user credentials and the emulators)."""
        return getattr(getattr(self.http, "auth", None), "service_account_email", None)

    def create(self, title: str) -> str:
        """Create a new, empty spreadsheet (the embedded or served emulator's Tracker Sheet); its id, which
        becomes this store's spreadsheet."""
        spreadsheet = self.backend.client.create(title)
        self.backend.spreadsheet_id = spreadsheet.id
        return spreadsheet.id

    def read(self, tabs: Sequence[str], key_only: Sequence[str] = ()) -> Snapshot:
        """One ``values:batchGet`` of the given tabs plus ``_state``; of the ``key_only`` tabs (tool-written,
        key in column A, e.g. a years-long Archive) only the key column is read."""
        titles = list(dict.fromkeys([*tabs, STATE_TAB, *key_only]))
        ranges = [f"{quote_title(t)}!A:A" if t in key_only else quote_title(t) for t in titles]
        try:
            # By columns, as a table holds its cells (``Table.of_columns``): a column's cells are parsed into
            # memory side by side, so the repeated ones it shares free whole stretches the process can hand back,
            # and scans of a column touch memory in order.
            answers = self._value_ranges({**READ_PARAMS, "majorDimension": "COLUMNS", "ranges": ranges})
        except APIError as exc:
            if exc.response.status_code == 400 and "parse range" in str(exc):
                return self._read_without_missing(tabs, key_only, exc)
            raise
        tables: dict[str, Table] = {}
        for title, columns in zip(titles, answers, strict=False):
            tables[title] = self._table_of_columns(title, columns)
        return self._snapshot(tables, key_only)

    def _snapshot(self, tables: dict[str, Table], key_only: Sequence[str]) -> Snapshot:
        """The snapshot of the tables read, with the ``_state`` keys parsed."""
        state_table = tables[STATE_TAB]
        state: dict[str, str] = {}
        state_rows: dict[str, int] = {}
        for number in state_table.row_numbers():
            key = as_text(state_table.raw(number, "Key")).strip()
            if key and key not in state_rows:
                state_rows[key] = number
                state[key] = as_text(state_table.raw(number, "Value"))
        return Snapshot(tables, state, state_rows, frozenset(key_only))

    def _get_json(self, url: str, params: dict[str, Any]) -> Any:
        """A GET through gspread's client (its retries and errors), the answer parsed by orjson: a 100,000-row
        read is tens of MB of JSON, which orjson parses from the bytes in a third of the time and without the
        decoded text copy that ``response.json()`` makes first."""
        return orjson.loads(self.http.request("get", url, params=params).content)

    def _value_ranges(self, params: dict[str, Any]) -> Iterator[list[list[Any]]]:
        """One ``values:batchGet``, sent now (through gspread's client: its retries and errors); its ranges'
        ``values`` one at a time, parsed (ijson's C parser) from the body as it arrives. A narrow read of a
        100,000-row Tracker is a million cells in ten ranges: parsed whole they took 65 MB more than one range
        at a time does, and the body itself is never held whole (9 MB, twice over while requests joins it).
        ijson parses as fast as orjson (measured: 53 ms against 42 ms for that read's 8 MB)."""
        response = self.http.request("get", SPREADSHEET_VALUES_BATCH_URL % self.spreadsheet_id, params=params,
                                     stream=True)
        return _streamed_ranges(response)

    def _read_narrow(self, tabs: Sequence[str], previous: Snapshot, runner: str,
                     every_column: bool = False) -> Snapshot | None:
        """One ``values:batchGet`` like ``read``'s, with the large tabs narrowed to their header row, key column
        and people's columns, laid over ``previous`` by key. None — read in full — when nothing is narrowed,
        when ``_state`` shows another runner's lease (it wrote the tool's columns), or when a narrowed tab
        cannot be laid over (``tracker.narrow.overlay``)."""
        titles = list(dict.fromkeys([*tabs, STATE_TAB, ARCHIVE]))
        narrowed = {t: cols for t in tabs if t in previous.tables and t not in previous.key_only
                    and (cols := narrow_columns(previous.tables[t], self.narrow_min_rows, every_column)) is not None}
        if not narrowed:
            return None
        # By columns: a narrowed column is one list of cells, not 100,000 one-cell rows to parse and hold.
        params = {**READ_PARAMS, "majorDimension": "COLUMNS", "ranges": _narrow_ranges(titles, narrowed)}
        try:
            answers = self._value_ranges(params)
        except APIError as exc:
            if exc.response.status_code == 400:
                return None  # a tab renamed or deleted: the full read names it
            raise
        tables: dict[str, Table] = {}
        for title in titles:
            table = (_overlaid(previous.tables[title], narrowed[title], answers) if title in narrowed
                     else self._table_of_columns(title, next(answers, [])))
            if table is None:
                return None
            tables[title] = table
        snapshot = self._snapshot(tables, [ARCHIVE])
        if parse_claim(snapshot.state.get("lease", ""))[0] not in ("", runner):
            return None
        snapshot.narrowed = frozenset(narrowed)
        return snapshot

    def _table_of_columns(self, title: str, columns: list[list[Any]]) -> Table:
        return Table.of_columns(self.schema[title], columns, self.tz)

    def _read_without_missing(self, tabs: Sequence[str], key_only: Sequence[str], error: APIError) -> Snapshot:
        """A tab was renamed or deleted: name it (one small request), read the others, and block it. Without
        ``_state`` nothing can be done safely (no lease, no cursor): ``SchemaError`` naming the fix."""
        existing = set(self.tabs_meta())
        missing = [t for t in dict.fromkeys([*tabs, STATE_TAB, *key_only]) if t not in existing]
        if not missing:
            raise error
        problems = {t: missing_tab_problem(t, existing) for t in missing}
        if STATE_TAB in problems:
            raise SchemaError(problems[STATE_TAB]) from error
        snapshot = self.read([t for t in tabs if t not in problems], [t for t in key_only if t not in problems])
        snapshot.blocked.update(problems)
        return snapshot

    def read_as_typed(self, table: Table, header: str, keys: Collection[str] | None = None) -> dict[str, Any]:
        """Key → what people typed under ``header`` (a formula as its text ``=...``, not its result), in one
        ``values:batchGet`` of the key column and that column together, so rows people moved since the cycle's
        read are still matched by key. Given ``keys`` (at most ``TYPED_ROWS_MAX``), only their rows are read —
        each row's key with its cell, and a row whose key is no longer there is left out."""
        key_letter = column_letter(table.col[table.tab.key or ""])
        letter = column_letter(table.col[header])
        title = quote_title(table.tab.title)
        params = {**READ_PARAMS, "valueRenderOption": "FORMULA"}
        rows = sorted({table.key_rows[k] for k in keys if k in table.key_rows}) if keys is not None else []
        if keys is None or len(rows) > TYPED_ROWS_MAX:
            ranges = [f"{title}!{key_letter}2:{key_letter}", f"{title}!{letter}2:{letter}"]
        else:
            ranges = [f"{title}!{col}{n}" for n in rows for col in (key_letter, letter)]
        if not ranges:
            return {}
        answers = [[row[0] if row else "" for row in values]
                   for values in self._value_ranges({**params, "ranges": ranges})]
        pairs = zip(answers[0::2], answers[1::2], strict=True)
        out: dict[str, Any] = {}
        for found_keys, values in pairs:
            for i, raw in enumerate(found_keys):
                if key := as_text(raw).strip():
                    out[key] = values[i] if i < len(values) else ""
        return out

    def drive_version(self) -> int | None:
        """The Drive file's ``version`` (one small Drive request): it moves with every change saved to the
        sheet. None when it cannot be read (no Drive scope, an answer without it): the caller then reads."""
        try:
            body = self.http.request("get", f"{DRIVE_FILES_URL}/{self.spreadsheet_id}",
                                     params={"fields": "version", "supportsAllDrives": "true"}).json()
            return int(body["version"])
        except (APIError, KeyError, TypeError, ValueError) as exc:
            log.info("the Drive file's version cannot be read (%s): the sheet is read in full each cycle", exc)
            return None

    def begin(self, tabs: Sequence[str], known: Snapshot | None = None, previous: Snapshot | None = None,
              narrow_for: str | None = None, every_column: bool = False) -> UnitOfWork:
        """A cycle's unit of work over one read of ``tabs`` (plus ``_state``, and the archived Ticket IDs: the
        Archive tab's key column and, once there is one, the archive spreadsheet's) — or over ``known``, the
        sheet as the tool left it when nobody changed it since (``tracker.known``), without reading. Tabs that
        cannot be written (missing, or a required header missing or repeated) are listed in
        ``snapshot.blocked``. ``previous``, an earlier cycle's snapshot of this sheet, lends its times and per-row
        results to the rows that read as they did then. With ``narrow_for`` (this runner's id) and ``previous``
        the sheet as that runner left it, large tabs are re-read narrow (``tracker.narrow``): people's columns only —
        unless ``_state`` shows another runner wrote since, or the narrow read cannot vouch for a row. With
        ``every_column`` too, large tabs are read whole but column by column, each laid over the kept one as it
        is parsed (the periodic full read: the kept sheet and a second copy are never held together)."""
        if known is not None:
            return UnitOfWork(self, Snapshot(dict(known.tables), dict(known.state), dict(known.state_rows),
                                             known.key_only))
        snapshot = None
        if previous is not None and narrow_for is not None:
            snapshot = self._read_narrow(tabs, previous, narrow_for, every_column)
        if snapshot is None:
            snapshot = self.read(tabs, key_only=[ARCHIVE])
        for title, table in snapshot.tables.items():
            older = previous.tables.get(title) if previous is not None else None
            if older is not None and title not in snapshot.key_only | snapshot.narrowed | previous.key_only:
                table.adopt_parsed(older)  # a narrowed tab took them over already
            if title not in snapshot.key_only and not table.writable:
                snapshot.blocked[title] = table.header_problem()
        self.archive.merge_keys(snapshot)
        return UnitOfWork(self, snapshot)

    @property
    def archive(self) -> ArchiveStore:
        """The archive's requests (Archive tab, archive spreadsheet)."""
        return ArchiveStore(self)

    def write_state(self, values: dict[str, str]) -> None:
        """Write ``_state`` keys now, outside a cycle's write (the digest's marks once mail has gone): one read
        of ``_state`` to find the keys' rows, one ``batchUpdate``."""
        changes = ChangeSet(self.schema)
        for key, value in values.items():
            changes.set_state(key, value)
        self.commit(changes, self.read([]))

    # -- the runner's lease ----------------------------------------------------------------------------------

    @property
    def lease(self) -> Lease:
        """This store's view of the runner's lease (``tracker.lease``)."""
        if self._lease is None or self._lease.spreadsheet_id != self.spreadsheet_id:
            self._lease = Lease(self.http, self.spreadsheet_id, self.clock)
        return self._lease

    def claim_lease(self, runner: str, minutes: float) -> tuple[bool, str]:
        """Take the runner's lease for ``minutes`` unless another live runner holds it, atomically (one
        ``batchUpdate``; ``tracker.lease``). Returns (held, who holds it). The cycle's write releases it."""
        return self.lease.claim(runner, minutes)

    def release_lease(self) -> None:
        """Free the lease at once (a cycle that could not write must not keep others waiting)."""
        self.lease.release()

    # -- writing ---------------------------------------------------------------------------------------------

    def fresh(self, changes: ChangeSet, snapshot: Snapshot, unchanged_at: int | None = None,
              ) -> tuple[dict[str, Fresh], dict[str, tuple[int, int, int]]]:
        """One ``spreadsheets.get``: sheet ids and sizes, header rows, and — for tabs with keyed updates — the
        key column and the shared columns about to change, as they are now.

        ``unchanged_at``: the Drive version the sheet has if nobody else wrote since the cycle's read (the
        runner counts its own writes). When Drive says so (one small Drive request), every row is where the
        cycle read it and every shared cell holds what it read: the key and shared columns are taken from the
        snapshot, and only the header rows are read — at 100,000 rows, 13 MB less each busy cycle."""
        ranges, wanted = self._fresh_ranges(changes, snapshot)
        from_snapshot: set[str] = set()
        if wanted and unchanged_at is not None and self.drive_version() == unchanged_at:
            ranges = [r for r in ranges if r.endswith("!1:1")]
            from_snapshot = set(wanted)
        body = self._get_json(SPREADSHEET_URL % self.spreadsheet_id, {
            "ranges": ranges, "includeGridData": "true", "fields": FRESH_FIELDS})
        updated: dict[str, set[str]] = {}
        for (tab, key, _) in changes.updates:
            updated.setdefault(tab, set()).add(key)
        fresh: dict[str, Fresh] = {}
        sizes: dict[str, tuple[int, int, int]] = {}
        for sheet in body.get("sheets", []):
            props = sheet.get("properties", {})
            title = props.get("title")
            grid = props.get("gridProperties", {})
            sheet_id = int(props.get("sheetId", 0))
            sizes[title] = (sheet_id, int(grid.get("rowCount", 0)), int(grid.get("columnCount", 0)))
            fresh[title] = _fresh_tab(sheet, sheet_id, wanted.get(title, {}), updated.get(title, set()),
                                      self.schema.tabs.get(title),
                                      snapshot.tables.get(title) if title in from_snapshot else None)
            table = snapshot.tables.get(title)
            if table is not None:
                table.sheet_id = sheet_id
        return fresh, sizes

    def _fresh_ranges(self, changes: ChangeSet, snapshot: Snapshot) -> tuple[list[str], dict[str, dict[int, str]]]:
        """The ranges of the pre-write read: each written tab's header row, and for tabs with keyed updates the
        key column and the compare-and-set columns about to change. Also: tab → column index → header."""
        updated = changes.tabs_updated()
        tabs = updated | {r.tab for r in changes.appends} | set(changes.grids) | {STATE_TAB, AUDIT_TAB}
        ranges: list[str] = []
        wanted: dict[str, dict[int, str]] = {}
        for tab in sorted(tabs):
            ranges.append(f"{quote_title(tab)}!1:1")
            table = snapshot.tables.get(tab)
            if tab not in updated or table is None:
                continue
            spec = self.schema[tab]
            cols = {table.col[spec.key]: spec.key} if spec.key in table.col else {}
            for (t, _, header) in changes.updates:
                if t == tab and spec.column(header).checked_before_write and header in table.col:
                    cols[table.col[header]] = header
            wanted[tab] = cols
            for index in sorted(cols):
                letter = column_letter(index)
                ranges.append(f"{quote_title(tab)}!{letter}2:{letter}")
        return ranges, wanted

    def _blocked(self, changes: ChangeSet, snapshot: Snapshot) -> list[str]:
        """Take out of ``changes`` what would go to a tab that must not be written (a header missing or
        repeated): that tab waits, the others are written. Returns why, naming the tab and the fix."""
        reasons = []
        for tab in sorted(changes.tabs_updated() | {r.tab for r in changes.appends}):
            table = snapshot.tables.get(tab)
            problem = snapshot.blocked.get(tab)
            if problem is None and table is not None and tab not in snapshot.key_only and not table.writable:
                problem = table.header_problem()
            if problem is not None:
                dropped = changes.drop_tab(tab)
                reasons.append(f"{problem} ({dropped} changes to {tab} wait)")
        return reasons

    def commit(self, changes: ChangeSet, snapshot: Snapshot, unchanged_at: int | None = None,
               release_lease: bool = False) -> Plan:
        """Write a cycle's changes: one fresh read (``fresh``: see ``unchanged_at`` there), then one atomic
        ``batchUpdate`` (none when nothing changes). ``release_lease``: the write also releases this runner's
        lease, and is refused whole (``LeaseLost``) if another runner took it over meanwhile."""
        fence = self.lease.fence() if release_lease else None
        blocked = self._blocked(changes, snapshot)
        if not len(changes) and not changes.extra_requests:
            if fence is not None:
                self._write([fence], fence)
            return Plan([], [], [], blocked)
        fresh, sizes = self.fresh(changes, snapshot, unchanged_at)
        read_headers = {title: list(table.header) for title, table in snapshot.tables.items()}
        for title in snapshot.key_only:
            # Only its key column was read: rows are appended in the header order seen just now.
            if title in fresh:
                read_headers[title] = fresh[title].header
        target = WriteTarget(fresh=fresh, read_headers=read_headers, state_rows=snapshot.state_rows,
                             state_sheet_id=sizes.get(STATE_TAB, (None, 0, 0))[0],
                             audit_sheet_id=sizes.get(AUDIT_TAB, (None, 0, 0))[0], sizes=sizes, now=self.clock(),
                             tz=self.tz)
        plan = plan_write(changes, target)
        plan.skipped[:0] = blocked
        for reason in plan.skipped:
            log.warning("write skipped: %s", reason)
        if plan.requests or fence is not None:
            self._write([*plan.requests, *([fence] if fence is not None else [])], fence)
        return plan

    def _write(self, requests: list[dict[str, Any]], fence: dict[str, Any] | None) -> None:
        """The cycle's one ``batchUpdate``; with the lease's ``fence`` in it, the lease is released by it."""
        try:
            self.http.batch_update(self.spreadsheet_id, {"requests": requests})
        except APIError as exc:
            if fence is not None and self.lease.lost(exc):
                self.lease.released()
                raise LeaseLost("another runner took this runner's lease over while its cycle ran (longer than "
                                "lease.minutes): the cycle's write was refused whole — nothing written, no cursor "
                                "moved; the next cycle reads afresh. Raise lease.minutes if cycles run this "
                                "long.") from exc
            raise
        if fence is not None:
            self.lease.released()


def missing_tab_problem(title: str, existing: set[str]) -> str:
    """What to say about a tab the sheet lacks: a tab with a close name was probably renamed."""
    close = difflib.get_close_matches(title, sorted(existing), n=1, cutoff=0.6)
    fix = (f"a tab is named {close[0]!r}: rename it back to {title!r}" if close
           else "run `sheets-sync init` to create it")
    return f"the tab {title!r} is missing from the Tracker Sheet — {fix}. Until then the jobs that need it wait."


def _fresh_tab(sheet: dict[str, Any], sheet_id: int, cols: dict[int, str], updated: set[str],
               spec: Tab | None, table: Table | None = None) -> Fresh:
    """One tab of the pre-write read: its header, where each key is now, and the compare-and-set cells of the
    rows about to be updated (``updated``, their keys) — from ``table``, the cycle's own read, when nobody
    changed the sheet since."""
    header: list[str] = []
    columns: dict[int, list[Any]] = {}
    for data in sheet.get("data", []):
        if data.get("startRow", 0) == 0:
            rows = _grid_rows(data)
            header = trim_header(rows[0] if rows else [])
        else:
            columns[data.get("startColumn", 0)] = _grid_column(data)
    key_index = next((i for i, h in cols.items() if spec and h == spec.key), None)
    key_rows: dict[str, int] = {}
    duplicates: set[str] = set()
    shared: dict[tuple[str, str], Any] = {}
    if key_index is not None:
        if table is not None:  # the cycle's own read, already indexed
            columns = {i: table.column(table.header[i]) for i in cols}
            key_rows, duplicates = table.key_rows, set(table.duplicate_keys)
        else:
            key_rows, duplicates = _key_index(columns.get(key_index, []))
        for index, name in cols.items():
            if index == key_index:
                continue
            values = columns.get(index, [])
            for key in updated:
                row = key_rows.get(key)
                if row is not None:
                    shared[(key, name)] = values[row - 2] if row - 2 < len(values) else ""
    return Fresh(header=header, key_rows=key_rows, duplicate_keys=duplicates, shared=shared, sheet_id=sheet_id)


def _key_index(keys: list[Any]) -> tuple[dict[str, int], set[str]]:
    """Key → its row (the last, for a key on several rows) and the keys on several rows, of a key column read
    from row 2."""
    key_rows: dict[str, int] = {}
    duplicates: set[str] = set()
    for offset, raw in enumerate(keys):
        key = raw.strip() if raw.__class__ is str else as_text(raw).strip()
        if key in key_rows:
            duplicates.add(key)
        if key:
            key_rows[key] = offset + 2
    return key_rows, duplicates


def _narrow_ranges(titles: Sequence[str], narrowed: dict[str, list[int]]) -> list[str]:
    """A narrow read's ranges: per narrowed tab its header row and columns; others whole (the Archive's keys)."""
    ranges: list[str] = []
    for title in titles:
        q = quote_title(title)
        if title in narrowed:
            ranges += [f"{q}!1:1", *(f"{q}!{column_letter(i)}2:{column_letter(i)}" for i in narrowed[title])]
        else:
            ranges.append(f"{q}!A:A" if title == ARCHIVE else q)
    return ranges


def _overlaid(kept: Table, columns: list[int], answers: Iterator[list[list[Any]]]) -> Table | None:
    """A narrowed tab from its answers (header row, then each column), laid over the kept table."""
    header = [cell[0] if cell else "" for cell in next(answers, [])]

    def fresh() -> Iterator[tuple[int, list[Any]]]:
        for i in columns:  # each parsed only when the overlay asks for it, and let go once compared
            yield i, (next(answers, []) or [[]])[0]

    return overlay(kept, header, fresh())


def _streamed_ranges(response: Any) -> Iterator[list[list[Any]]]:
    """A streamed ``values:batchGet`` answer's ranges' ``values``, parsed as the body arrives; the response is
    closed when they are all read or no longer wanted. A connection lost meanwhile is a ``ConnectionError``
    (the cycle fails as when the request itself is lost; the next one reads again)."""
    try:
        if response.raw is None:  # an answer already in memory (the embedded emulator's)
            body: Any = io.BytesIO(response.content)
        else:
            body = response.raw
            body.decode_content = True  # gzip, as requests would undo it
        for value_range in ijson.items(body, "valueRanges.item", use_float=True):
            values = value_range.get("values") or []
            del value_range  # held by nothing here while the next range is parsed: one range in memory at a time
            yield values
            del values
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise requests.ConnectionError(f"values:batchGet: connection lost while reading the answer ({exc}); "
                                       "the next cycle reads again") from exc
    finally:
        response.close()
