"""The archive's requests: the Tracker Sheet's ``Archive`` tab, and — once the Tracker Sheet nears Google's
10,000,000-cell limit — a separate archive spreadsheet created through the same client.

The archive *job* (``jobs/archive.py``) decides what moves and when; this module only talks to Sheets and Drive,
so every request the tool sends stays in the tracker layer. The archive spreadsheet's id is kept in ``_state``
(``archive_spreadsheet``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .access_store import AccessStore
from .cells import as_text, to_cell_data
from .changes import ChangeSet
from .table import Table, quote_title

if TYPE_CHECKING:
    from .store import Snapshot, TrackerStore

log = logging.getLogger(__name__)

ARCHIVE = "Archive"
TRACKER = "Tracker"
STATE_KEY = "archive_spreadsheet"
DATETIME_PATTERN = "yyyy-mm-dd hh:mm"


def archive_title(tracker_id: str) -> str:
    """The archive spreadsheet's title: derived from the Tracker's id, so a rerun finds the one it created."""
    return f"PMC Social Media Tracker - Archive ({tracker_id})"


def external_id(snapshot: Snapshot) -> str:
    """The archive spreadsheet's id from ``_state`` ("" while archives go to the Archive tab)."""
    return as_text(snapshot.state.get(STATE_KEY, "")).strip()


class ArchiveStore:
    """Sheets and Drive requests of the archive, through the Tracker store's client."""

    def __init__(self, store: TrackerStore) -> None:
        self.store = store

    @property
    def _http(self) -> Any:
        return self.store.http

    @property
    def _client(self) -> Any:
        return self.store.backend.client

    def external_keys(self, spreadsheet_id: str) -> list[str]:
        """The Ticket IDs in the archive spreadsheet's Archive tab (one small read of column A)."""
        body = self._http.values_get(spreadsheet_id, f"{quote_title(ARCHIVE)}!A2:A",
                                     params={"valueRenderOption": "UNFORMATTED_VALUE"})
        return [as_text(row[0]).strip() for row in body.get("values") or [] if row and as_text(row[0]).strip()]

    def merge_keys(self, snapshot: Snapshot) -> None:
        """Make the snapshot's ``Archive`` table hold every archived Ticket ID as its keys: the Archive tab's
        (read key-only) and, once there is one, the archive spreadsheet's — so ingest never re-adds an archived
        comment, wherever it went. Costs one read per cycle, only once an archive spreadsheet exists."""
        local = snapshot.tables.get(ARCHIVE)
        if local is None:
            return
        sid = external_id(snapshot)
        if not sid:
            return
        rows = list(local.rows) + [[key] for key in self.external_keys(sid)]
        snapshot.tables[ARCHIVE] = Table(self.store.schema[ARCHIVE], list(local.header), rows, self.store.tz)

    def total_cells(self) -> int:
        """Grid cells of every tab of the Tracker Sheet (what Google's 10,000,000-cell limit counts)."""
        body = self._http.fetch_sheet_metadata(self.store.spreadsheet_id, params={
            "fields": "sheets(properties(gridProperties(rowCount,columnCount)))"})
        total = 0
        for sheet in body.get("sheets", []):
            grid = sheet.get("properties", {}).get("gridProperties", {})
            total += int(grid.get("rowCount", 0)) * int(grid.get("columnCount", 0))
        return total

    def tracker_editors(self) -> list[str]:
        """The Tracker Sheet's human editors' addresses (service accounts left out); [] when Drive scope is
        missing and the list cannot be read."""
        try:
            return AccessStore(self.store).editors(self.store.spreadsheet_id)
        except Exception:  # noqa: BLE001 - listing needs Drive scope; the caller has a fallback
            return []

    def share(self, spreadsheet_id: str, addresses: list[str]) -> None:
        """Share a spreadsheet as writers (people add notes to old rows too), once per address: through the
        same permission requests as the ``access`` job (``access_store``)."""
        access = AccessStore(self.store)
        access.share_writers(spreadsheet_id, addresses)
        if not access.editors(spreadsheet_id):
            log.warning("archive: spreadsheet %s is shared with nobody; set archive.share_with in the config",
                        spreadsheet_id)

    def open_external(self, snapshot: Snapshot, header: list[str], share_with: list[str]) -> str:
        """Create (or find, after a crash) the archive spreadsheet, share and set it up, and record its id in
        ``_state`` in a write of its own *before* anything is copied there: rows are never copied into a
        spreadsheet a rerun would not know about. A run that dies between creating and recording leaves an
        empty spreadsheet, which the rerun finds by its title and reuses."""
        title = archive_title(self.store.spreadsheet_id)
        found = self._client.list_spreadsheet_files(title=title)
        sid = found[0]["id"] if found else self._client.create(title).id
        self.share(sid, share_with)
        self._setup_tab(sid, header)
        record = ChangeSet(self.store.schema)
        record.set_state(STATE_KEY, sid)
        self.store.commit(record, snapshot)
        # The cycle's own write must update this key, not append it a second time.
        snapshot.state[STATE_KEY] = sid
        log.warning("archive: the Tracker Sheet nears the cell limit; archiving to spreadsheet %s from now on", sid)
        return sid

    def _setup_tab(self, sid: str, header: list[str]) -> None:
        """Give a new spreadsheet an ``Archive`` tab with the Tracker's headers (its first tab, renamed)."""
        meta = self._http.fetch_sheet_metadata(sid, params={
            "fields": "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)))"})
        sheets = [s["properties"] for s in meta.get("sheets", [])]
        if any(p.get("title") == ARCHIVE for p in sheets):
            return  # set up by an earlier run that died before recording the id
        first = sheets[0]
        sheet_id = int(first["sheetId"])
        columns = max(len(header), int(first.get("gridProperties", {}).get("columnCount", 0)))
        requests: list[dict[str, Any]] = [
            {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "title": ARCHIVE, "gridProperties": {
                "columnCount": columns, "frozenRowCount": 1}},
                "fields": "title,gridProperties.columnCount,gridProperties.frozenRowCount"}},
            {"updateCells": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
                                       "startColumnIndex": 0, "endColumnIndex": len(header)},
                             "rows": [{"values": [to_cell_data(h, self.store.tz) for h in header]}],
                             "fields": "userEnteredValue"}},
        ]
        requests += self._date_formats(sheet_id, header)
        self._http.batch_update(sid, {"requests": requests})

    def _date_formats(self, sheet_id: int, header: list[str]) -> list[dict[str, Any]]:
        """Datetimes are copied as serial numbers: give their columns the Tracker's format so people read
        dates."""
        spec = self.store.schema[TRACKER]
        requests = []
        for index, name in enumerate(header):
            if name not in spec.headers or spec.column(name).type not in ("datetime", "date"):
                continue
            pattern = DATETIME_PATTERN if spec.column(name).type == "datetime" else "yyyy-mm-dd"
            requests.append({"repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": index,
                          "endColumnIndex": index + 1},
                "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME", "pattern": pattern}}},
                "fields": "userEnteredFormat.numberFormat"}})
        return requests

    def copy_rows(self, sid: str, rows: list[dict[str, Any]]) -> None:
        """Append ``rows`` (raw values by header) to the archive spreadsheet's Archive tab, now — while the
        caller holds the lease, so no other runner copies the same rows before the next read sees them."""
        meta = self._http.fetch_sheet_metadata(sid, params={
            "ranges": f"{quote_title(ARCHIVE)}!1:1", "includeGridData": "true",
            "fields": "sheets(properties(sheetId,title),data(rowData(values(userEnteredValue))))"})
        sheet = next(s for s in meta.get("sheets", []) if s["properties"]["title"] == ARCHIVE)
        data = (sheet.get("data") or [{}])[0].get("rowData") or [{}]
        header = [as_text(next(iter((c.get("userEnteredValue") or {"": ""}).values()))).strip()
                  for c in data[0].get("values", [])]
        self._http.batch_update(sid, {"requests": [{"appendCells": {
            "sheetId": int(sheet["properties"]["sheetId"]),
            "rows": [{"values": [to_cell_data(row.get(h, ""), self.store.tz) for h in header]} for row in rows],
            "fields": "userEnteredValue"}}]})
