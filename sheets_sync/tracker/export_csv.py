"""One tab of the Tracker Sheet as CSV: the Sheets web app's per-tab download link.

Drive's ``files.export`` to ``text/csv`` only ever gives the first tab, so a named tab is fetched from
``https://docs.google.com/spreadsheets/d/{id}/export?format=csv&gid={sheetId}`` (the same OAuth token works;
the embedded emulator serves the same link, ``sheets_sync/emulator/sheets/docs_export.py``). Two requests:
the tab titles and ids, then the CSV. Values are as the sheet shows them (formatted), one row per line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from .store import TrackerStore

EXPORT_URL = "https://docs.google.com/spreadsheets/d/{id}/export"


def tab_id(store: TrackerStore, tab: str) -> int:
    """The sheetId of the tab titled ``tab`` (matched without regard to case, as Sheets matches titles)."""
    meta = store.http.fetch_sheet_metadata(store.spreadsheet_id,
                                           params={"fields": "sheets.properties(sheetId,title)"})
    tabs = {s["properties"]["title"]: s["properties"].get("sheetId", 0) for s in meta.get("sheets", [])}
    for title, sheet_id in tabs.items():
        if title.lower() == tab.lower():
            return int(sheet_id)
    raise ConfigError(f"--tab {tab!r}: the Tracker Sheet has no such tab; its tabs are "
                      f"{', '.join(tabs)}. Fix: name one of them.")


def export_tab_csv(store: TrackerStore, tab: str) -> bytes:
    """The tab ``tab`` as CSV bytes (UTF-8)."""
    gid = tab_id(store, tab)
    response = store.http.request("get", EXPORT_URL.format(id=store.spreadsheet_id),
                                  params={"format": "csv", "gid": gid})
    return response.content
