"""Real clients against the emulator: gspread in-process through ``emu.session()``, and Google's own
discovery-based client over HTTP through ``server.serve_in_thread``."""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import httplib2
import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from sheets_sync.emulator.server import serve_in_thread
from sheets_sync.emulator.sheets import SheetsEmulator


def test_gspread_end_to_end() -> None:
    emu = SheetsEmulator(quota_per_minute=0)
    client = gspread.Client(auth=AnonymousCredentials(), session=emu.session())
    book = client.create("Citizen comments")
    tab = book.add_worksheet("Inbox", rows=5, cols=4)
    tab.update([["id", "comment", "status"], ["1", "=pothole", "new"]], "A1")  # RAW: stays text
    tab.append_rows([["2", "streetlight out", "new"], ["3", "", "done"]], table_range="A1",
                    insert_data_option="INSERT_ROWS")
    tab.format("A1:C1", {"textFormat": {"bold": True}})
    tab.freeze(rows=1)
    first, second = tab.batch_get(["A1:C1", "A2:C4"])
    assert first == [["id", "comment", "status"]]
    assert second == [["1", "=pothole", "new"], ["2", "streetlight out", "new"], ["3", "", "done"]]
    reopened = client.open("Citizen comments").worksheet("Inbox")
    assert reopened.frozen_row_count == 1
    assert reopened.row_count == 7  # INSERT_ROWS grew the 5-row grid by two
    assert reopened.get_all_records() == [
        {"id": 1, "comment": "=pothole", "status": "new"},
        {"id": 2, "comment": "streetlight out", "status": "new"},
        {"id": 3, "comment": "", "status": "done"},
    ]
    with pytest.raises(gspread.exceptions.WorksheetNotFound):
        book.worksheet("Missing")
    stats = emu.stats()
    assert stats["writes"] >= 5 and stats["reads"] >= 3


def test_gspread_sees_quota_errors() -> None:
    emu = SheetsEmulator(quota_per_minute=3, clock=lambda: 0.0)
    client = gspread.Client(auth=AnonymousCredentials(), session=emu.session())
    book = client.create("q")  # Drive create (no Sheets quota) + spreadsheets.get: read 1 of 3
    sheet = book.sheet1  # spreadsheets.get: read 2
    sheet.acell("A1")  # values.get: read 3
    with pytest.raises(gspread.exceptions.APIError) as err:
        sheet.acell("A1")
    assert err.value.response.status_code == 429


@pytest.fixture
def served() -> Iterator[tuple[SheetsEmulator, str]]:
    emu = SheetsEmulator(quota_per_minute=0)
    server, url = serve_in_thread(emu)
    try:
        yield emu, url
    finally:
        server.shutdown()
        server.server_close()


def test_google_api_python_client_over_http(served: tuple[SheetsEmulator, str]) -> None:
    emu, url = served
    service = build("sheets", "v4", http=httplib2.Http(timeout=10), static_discovery=True,
                    client_options={"api_endpoint": url})
    created = service.spreadsheets().create(body={"properties": {"title": "Over HTTP"}}).execute()
    sid = created["spreadsheetId"]
    values = service.spreadsheets().values()
    values.update(spreadsheetId=sid, range="Sheet1!A1", valueInputOption="USER_ENTERED",
                  body={"values": [["a", 1, "=B1*2"]]}).execute()
    got = values.batchGet(spreadsheetId=sid, ranges=["A1:C1"], valueRenderOption="UNFORMATTED_VALUE").execute()
    assert got["valueRanges"][0]["values"] == [["a", 1, 2]]
    reply = service.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [
        {"addSheet": {"properties": {"title": "Second"}}}]}).execute()
    assert reply["replies"][0]["addSheet"]["properties"]["title"] == "Second"
    with pytest.raises(HttpError) as err:
        values.get(spreadsheetId=sid, range="Nope!A1").execute()
    assert err.value.resp.status == 400
    assert emu.stats()["requests"]["POST /v4/spreadsheets"] == 1
