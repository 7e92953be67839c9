"""``archive``: rows Replied or Closed more than N days ago move from the Tracker to an archive.

Where they go: the Tracker Sheet's ``Archive`` tab — or, once the Tracker Sheet nears Google's 10,000,000-cell
limit (``archive.cell_limit_fraction`` of it, default 0.8, counted as the grid cells of every tab), a separate
archive spreadsheet created through the same client, with an ``Archive`` tab carrying the Tracker's headers.
Its id is kept in ``_state`` (``archive_spreadsheet``) and every later archive goes there.

Copy, verify by Ticket ID, then delete — in two cycles, so a process that dies anywhere loses and doubles
nothing once rerun: a row is deleted from the Tracker only when the cycle's read found its copy in the archive,
and a row is copied only when the archive does not hold it yet. Copies are the raw cell values as read, so an
archived row equals the original cell for cell. After a deleting write the Tracker is re-read and any row that
vanished without being archived (a person moved rows in the instant before the delete) is put back.

The runner merges the archive spreadsheet's Ticket IDs into each cycle's ``Archive`` table
(``prepare_archive_keys``), so ``ingest`` never re-adds a comment archived there either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sheets_sync.tracker.cells import as_text, to_cell_data
from sheets_sync.tracker.changes import ChangeSet
from sheets_sync.tracker.store import Snapshot, TrackerStore
from sheets_sync.tracker.table import Table, quote_title

from .cycle import TRACKER, CycleContext, log

JOB = "archive"
ARCHIVE = "Archive"
DEFAULT_AFTER_DAYS = 30
DEFAULT_CELL_LIMIT_FRACTION = 0.8
GOOGLE_CELL_LIMIT = 10_000_000
STATE_KEY = "archive_spreadsheet"
FINISHED = ("Replied", "Closed")
DATETIME_PATTERN = "yyyy-mm-dd hh:mm"


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


def _keys(table: Table | None) -> set[str]:
    return set(table.key_rows) | set(table.duplicate_keys) if table is not None else set()


def external_archive_id(snapshot: Snapshot) -> str:
    """The archive spreadsheet's id from ``_state`` ("" while archives go to the Archive tab)."""
    return as_text(snapshot.state.get(STATE_KEY, "")).strip()


def external_keys(store: TrackerStore, spreadsheet_id: str) -> list[str]:
    """The Ticket IDs in the archive spreadsheet's Archive tab (one small read of column A)."""
    body = store.http.values_get(spreadsheet_id, f"{quote_title(ARCHIVE)}!A2:A",
                                 params={"valueRenderOption": "UNFORMATTED_VALUE"})
    return [as_text(row[0]).strip() for row in body.get("values") or [] if row and as_text(row[0]).strip()]


def prepare_archive_keys(store: TrackerStore, snapshot: Snapshot) -> None:
    """Make the snapshot's ``Archive`` table hold every archived Ticket ID as its keys: the Archive tab's (read
    key-only by the runner) and, once there is one, the archive spreadsheet's.

    Called by the runner right after its read: ``ingest`` and ``archive`` then see one set of archived keys,
    wherever the rows went. Costs one read per cycle, only once an archive spreadsheet exists.
    """
    local = snapshot.tables.get(ARCHIVE)
    if local is None:
        return
    rows = list(local.rows)
    sid = external_archive_id(snapshot)
    if sid:
        rows += [[key] for key in external_keys(store, sid)]
    snapshot.tables[ARCHIVE] = Table(store.schema[ARCHIVE], list(local.header), rows, store.tz)


def total_cells(store: TrackerStore) -> int:
    """Grid cells of every tab of the Tracker Sheet (what Google's 10,000,000-cell limit counts)."""
    body = store.http.fetch_sheet_metadata(store.spreadsheet_id, params={
        "fields": "sheets(properties(gridProperties(rowCount,columnCount)))"})
    total = 0
    for sheet in body.get("sheets", []):
        grid = sheet.get("properties", {}).get("gridProperties", {})
        total += int(grid.get("rowCount", 0)) * int(grid.get("columnCount", 0))
    return total


def archive_title(tracker_id: str) -> str:
    """The archive spreadsheet's title: derived from the Tracker's id, so a rerun finds the one it created."""
    return f"PMC Social Media Tracker - Archive ({tracker_id})"


def _setup_archive_tab(store: TrackerStore, sid: str, header: list[str]) -> None:
    """Give a new spreadsheet an ``Archive`` tab with the Tracker's headers (its first tab, renamed)."""
    meta = store.http.fetch_sheet_metadata(sid, params={
        "fields": "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)))"})
    sheets = [s["properties"] for s in meta.get("sheets", [])]
    if any(p.get("title") == ARCHIVE for p in sheets):
        return  # set up by an earlier run that died before recording the id
    first = sheets[0]
    sheet_id = int(first["sheetId"])
    columns = max(len(header), int(first.get("gridProperties", {}).get("columnCount", 0)))
    spec = store.schema[TRACKER]
    requests: list[dict[str, Any]] = [
        {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "title": ARCHIVE, "gridProperties": {
            "columnCount": columns, "frozenRowCount": 1}},
            "fields": "title,gridProperties.columnCount,gridProperties.frozenRowCount"}},
        {"updateCells": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
                                   "startColumnIndex": 0, "endColumnIndex": len(header)},
                         "rows": [{"values": [to_cell_data(h, store.tz) for h in header]}],
                         "fields": "userEnteredValue"}},
    ]
    # Datetimes are copied as serial numbers: give their columns the Tracker's format so people read dates.
    for index, name in enumerate(header):
        if name in spec.headers and spec.column(name).type in ("datetime", "date"):
            pattern = DATETIME_PATTERN if spec.column(name).type == "datetime" else "yyyy-mm-dd"
            requests.append({"repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": index,
                          "endColumnIndex": index + 1},
                "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME", "pattern": pattern}}},
                "fields": "userEnteredFormat.numberFormat"}})
    store.http.batch_update(sid, {"requests": requests})


def share_with(ctx: CycleContext) -> list[str]:
    """Who must see the archive spreadsheet: ``archive.share_with`` (addresses), else the Tracker Sheet's own
    human editors, else the cell's address. A spreadsheet the service account creates is visible to nobody
    else until shared: archived comments must not vanish from people's view."""
    configured = ctx.config.archive.get("share_with")
    if configured:
        return [configured] if isinstance(configured, str) else [str(a) for a in configured]
    client = ctx.store.backend.client
    try:
        people = [p.get("emailAddress") for p in client.list_permissions(ctx.store.spreadsheet_id)
                  if p.get("type") == "user" and p.get("emailAddress")
                  and not str(p.get("emailAddress")).endswith("gserviceaccount.com")]
    except Exception:  # noqa: BLE001 - listing needs Drive scope; the cell's address is the fallback
        people = []
    cell = ctx.config.digest.get("cell_email")
    return sorted(set(people)) or ([cell] if cell else [])


def share_archive(ctx: CycleContext, sid: str) -> None:
    """Share the archive spreadsheet (as writers: people add notes to old rows too), once per address."""
    client = ctx.store.backend.client
    try:
        existing = {p.get("emailAddress") for p in client.list_permissions(sid)}
    except Exception:  # noqa: BLE001
        existing = set()
    targets = [a for a in share_with(ctx) if a not in existing]
    for address in targets:
        client.insert_permission(sid, address, perm_type="user", role="writer", notify=False)
    if not targets and not existing - {None}:
        log.warning("archive: spreadsheet %s is shared with nobody; set archive.share_with in the config", sid)


def open_external_archive(ctx: CycleContext) -> str:
    """Create (or find, after a crash) the archive spreadsheet, set it up, and record its id in ``_state``.

    The id is recorded in its own write *before* anything is copied there: rows are never copied into a
    spreadsheet that a rerun would not know about. A run that dies between creating and recording leaves an
    empty spreadsheet, which the rerun finds by its title and reuses.
    """
    store = ctx.store
    client = store.backend.client
    title = archive_title(store.spreadsheet_id)
    found = client.list_spreadsheet_files(title=title)
    sid = found[0]["id"] if found else client.create(title).id
    share_archive(ctx, sid)
    header = [h for h in ctx.tracker.header if h]
    _setup_archive_tab(store, sid, header)
    record = ChangeSet(store.schema)
    record.set_state(STATE_KEY, sid)
    store.commit(record, ctx.snapshot)
    # The cycle's own write must update this key, not append it a second time.
    ctx.snapshot.state[STATE_KEY] = sid
    log.warning("archive: the Tracker Sheet nears the cell limit; archiving to spreadsheet %s from now on", sid)
    return sid


def choose_target(ctx: CycleContext, n_rows: int) -> str:
    """Where this cycle's copies go: "" for the Archive tab, else the archive spreadsheet's id."""
    sid = external_archive_id(ctx.snapshot)
    if sid:
        return sid
    fraction = float(ctx.config.archive.get("cell_limit_fraction", DEFAULT_CELL_LIMIT_FRACTION))
    # The copies grow the Archive tab: count them, so this copy does not itself push the sheet over.
    adding = n_rows * max(len(ctx.tracker.header), 1)
    if total_cells(ctx.store) + adding < fraction * GOOGLE_CELL_LIMIT:
        return ""
    return open_external_archive(ctx)


def copy_external(ctx: CycleContext, sid: str, rows: list[dict[str, Any]]) -> None:
    """Append ``rows`` (raw values by header) to the archive spreadsheet's Archive tab, now — while this
    runner holds the lease, so no other runner copies the same rows before the next read sees them."""
    http = ctx.store.http
    meta = http.fetch_sheet_metadata(sid, params={
        "ranges": f"{quote_title(ARCHIVE)}!1:1", "includeGridData": "true",
        "fields": "sheets(properties(sheetId,title),data(rowData(values(userEnteredValue))))"})
    sheet = next(s for s in meta.get("sheets", []) if s["properties"]["title"] == ARCHIVE)
    data = (sheet.get("data") or [{}])[0].get("rowData") or [{}]
    header = [as_text(next(iter((c.get("userEnteredValue") or {"": ""}).values()))).strip()
              for c in data[0].get("values", [])]
    http.batch_update(sid, {"requests": [{"appendCells": {
        "sheetId": int(sheet["properties"]["sheetId"]),
        "rows": [{"values": [to_cell_data(row.get(h, ""), ctx.store.tz) for h in header]} for row in rows],
        "fields": "userEnteredValue"}}]})


def raw_row(table: Table, number: int) -> dict[str, Any]:
    """A row's raw values (as read: serial numbers, booleans, text) by header — copied as they are."""
    return {name: table.raw(number, name) for name in table.col}


def run(ctx: CycleContext) -> None:
    """One archive step: copy what the archive lacks; delete from the Tracker what it holds."""
    after_days = float(ctx.config.archive.get("after_days", DEFAULT_AFTER_DAYS))
    archived = _keys(ctx.snapshot.tables.get(ARCHIVE))
    tickets = eligible(ctx, after_days)
    to_copy = [t for t in tickets if t not in archived]
    to_delete = [t for t in tickets if t in archived]
    for ticket in to_delete:
        ctx.changes.delete(TRACKER, ticket, JOB)
    if to_copy:
        tracker = ctx.tracker
        rows = [raw_row(tracker, tracker.key_rows[t]) for t in to_copy]
        target = choose_target(ctx, len(rows))
        if target:
            copy_external(ctx, target, rows)
        else:
            for row in rows:
                ctx.changes.append(ARCHIVE, row, JOB)
    ctx.count(JOB, "copied", len(to_copy))
    ctx.count(JOB, "deleted", len(to_delete))
    log.info("archive: %d copied, %d deleted", len(to_copy), len(to_delete))
    if to_delete:
        before = ctx.tracker

        def restore_after_delete(runner: Any) -> None:
            restored = restore_lost(runner, before)
            ctx.count(JOB, "restored", len(restored))

        ctx.after_commit.append(restore_after_delete)


def restore_lost(runner: Any, before: Table | Mapping[str, Mapping[str, Any]]) -> list[str]:
    """After a deleting cycle: re-read the Tracker and the archived keys; rows in neither are appended back.

    ``before``: the Tracker as the deleting cycle read it (a ``Table``), or its rows by Ticket ID.
    """
    store = runner.store
    snapshot = store.read([TRACKER], key_only=[ARCHIVE])
    prepare_archive_keys(store, snapshot)
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
