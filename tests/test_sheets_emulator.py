"""Behaviour of the Sheets emulator through its HTTP surface: values semantics, batchUpdate atomicity,
limits, protection, quotas, faults, accounting and persistence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from sheets_sync.emulator.http import EmuRequest, EmuResponse
from sheets_sync.emulator.sheets import SheetsEmulator

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"


class FakeClock:
    """A hand-moved clock for quota windows: no sleeping in tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def call(emu: SheetsEmulator, method: str, url: str, body: Any = None) -> EmuResponse:
    raw = b"" if body is None else json.dumps(body).encode()
    return emu.handle(EmuRequest(method=method, url=url, body=raw))


def ok(response: EmuResponse) -> Any:
    assert response.status == 200, response.body
    return response.json()


@pytest.fixture
def emu() -> SheetsEmulator:
    return SheetsEmulator(quota_per_minute=0)


@pytest.fixture
def book_id(emu: SheetsEmulator) -> str:
    return emu.create_spreadsheet("Tracker").id


def put(emu: SheetsEmulator, book_id: str, rng: str, values: list, option: str = "RAW") -> EmuResponse:
    return call(emu, "PUT", f"{SHEETS}/{book_id}/values/{quote(rng)}?valueInputOption={option}",
                {"values": values})


def get(emu: SheetsEmulator, book_id: str, rng: str, query: str = "") -> Any:
    return ok(call(emu, "GET", f"{SHEETS}/{book_id}/values/{quote(rng)}?{query}"))


def batch(emu: SheetsEmulator, book_id: str, *requests: dict) -> EmuResponse:
    return call(emu, "POST", f"{SHEETS}/{book_id}:batchUpdate", {"requests": list(requests)})


# --- ids and shapes ---------------------------------------------------------------------------------------


def test_new_spreadsheet_ids_look_like_googles(emu: SheetsEmulator) -> None:
    created = ok(call(emu, "POST", SHEETS, {"properties": {"title": "T"}}))
    assert len(created["spreadsheetId"]) == 44
    assert created["sheets"][0]["properties"]["sheetId"] == 0
    reply = ok(batch(emu, created["spreadsheetId"], {"addSheet": {"properties": {"title": "Two"}}}))
    props = reply["replies"][0]["addSheet"]["properties"]
    assert props["sheetId"] > 0 and props["index"] == 1
    assert props["gridProperties"] == {"rowCount": 1000, "columnCount": 26}


def test_unknown_route_is_a_named_404(emu: SheetsEmulator) -> None:
    response = call(emu, "GET", "https://sheets.googleapis.com/v4/nonsense")
    assert response.status == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"
    assert "Unknown route" in response.json()["error"]["message"]


def test_missing_spreadsheet_is_googles_404(emu: SheetsEmulator) -> None:
    response = call(emu, "GET", f"{SHEETS}/nope")
    assert response.json() == {"error": {"code": 404, "message": "Requested entity was not found.",
                                         "status": "NOT_FOUND"}}


def test_served_on_loopback_host_paths_match(emu: SheetsEmulator, book_id: str) -> None:
    response = call(emu, "GET", f"http://127.0.0.1:8123/v4/spreadsheets/{book_id}/values/A1")
    assert response.status == 200


# --- values -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ("", [["2", "2020-01-01", "text", "53", "TRUE"], ["1.5", "0.12", "=A1"]]),
    ("valueRenderOption=UNFORMATTED_VALUE", [[2, 43831, "text", 53, True], [1.5, 0.12, "=A1"]]),
    ("valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING",
     [[2, "2020-01-01", "text", 53, True], [1.5, 0.12, "=A1"]]),
    ("valueRenderOption=FORMULA", [["=4/2", 43831, "text", 53, True], ["=3/2", 0.12, "=A1"]]),
    ("majorDimension=COLUMNS", [["2", "1.5"], ["2020-01-01", "0.12"], ["text", "=A1"], ["53"], ["TRUE"]]),
])
def test_render_options(emu: SheetsEmulator, book_id: str, query: str, expected: list) -> None:
    ok(put(emu, book_id, "Sheet1!A1", [["=4/2", "2020-01-01", "text", 53, "true"]], "USER_ENTERED"))
    ok(put(emu, book_id, "Sheet1!A2", [["=3/2", 0.12, "'=A1"]], "USER_ENTERED"))
    assert get(emu, book_id, "Sheet1!A1:E2", query)["values"] == expected


def test_raw_keeps_text_as_typed(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "A1", [["=1+1", "0042", "TRUE"]], "RAW"))
    assert get(emu, book_id, "A1:C1", "valueRenderOption=FORMULA")["values"] == [["=1+1", "0042", "TRUE"]]


def test_trailing_empties_omitted_but_range_kept(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "A1", [["a", "", "c", ""], ["", "", "", ""], ["", "b"], ["", "", "", ""]]))
    body = get(emu, book_id, "Sheet1!A1:D6")
    assert body == {"range": "Sheet1!A1:D6", "majorDimension": "ROWS", "values": [["a", "", "c"], [], ["", "b"]]}
    assert "values" not in get(emu, book_id, "Sheet1!F1:G2")


def test_open_ranges_and_bare_sheet_are_clamped_to_the_grid(emu: SheetsEmulator, book_id: str) -> None:
    assert get(emu, book_id, "Sheet1!A2:C")["range"] == "Sheet1!A2:C1000"
    assert get(emu, book_id, "Sheet1!2:5")["range"] == "Sheet1!A2:Z5"
    assert get(emu, book_id, "Sheet1")["range"] == "Sheet1!A1:Z1000"


def test_quoted_titles_with_apostrophes(emu: SheetsEmulator, book_id: str) -> None:
    ok(batch(emu, book_id, {"addSheet": {"properties": {"title": "It's"}}}))
    ok(put(emu, book_id, "'It''s'!B2", [["x"]]))
    assert get(emu, book_id, "'It''s'!B2")["range"] == "'It''s'!B2"


def test_named_range_resolves(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "B2", [["in range"]]))
    ok(batch(emu, book_id, {"addNamedRange": {"namedRange": {"name": "Things", "range": {
        "sheetId": 0, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 1, "endColumnIndex": 2}}}}))
    assert get(emu, book_id, "Things") == {"range": "Sheet1!B2:B3", "majorDimension": "ROWS",
                                           "values": [["in range"]]}


def test_unknown_sheet_is_unable_to_parse(emu: SheetsEmulator, book_id: str) -> None:
    response = call(emu, "GET", f"{SHEETS}/{book_id}/values/{quote('Nope!A1')}")
    assert response.status == 400
    assert response.json()["error"]["message"] == "Unable to parse range: Nope!A1"


def test_write_beyond_grid_is_refused_like_google(emu: SheetsEmulator, book_id: str) -> None:
    response = put(emu, book_id, "Sheet1!A1001", [["x"]])
    assert response.status == 400
    assert response.json()["error"] == {
        "code": 400, "status": "INVALID_ARGUMENT",
        "message": "Range ('Sheet1'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"}


def test_values_must_be_a_list(emu: SheetsEmulator, book_id: str) -> None:
    response = call(emu, "PUT", f"{SHEETS}/{book_id}/values/A1?valueInputOption=RAW", {"values": "X"})
    assert response.status == 400
    assert response.json()["error"]["message"] == (
        "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), \"X\"")


def test_value_input_option_is_required(emu: SheetsEmulator, book_id: str) -> None:
    response = call(emu, "PUT", f"{SHEETS}/{book_id}/values/A1", {"values": [["x"]]})
    assert response.status == 400


def test_fifty_thousand_character_limit(emu: SheetsEmulator, book_id: str) -> None:
    assert put(emu, book_id, "A1", [["x" * 50_000]]).status == 200
    response = put(emu, book_id, "A2", [["ok", "x" * 50_001]])
    assert response.status == 400
    assert response.json()["error"]["message"] == (
        "Your input contains more than the maximum of 50000 characters in a single cell.")
    assert "values" not in get(emu, book_id, "A2:B2")  # nothing of the refused write landed


def test_ten_million_cell_limit(emu: SheetsEmulator, book_id: str) -> None:
    response = batch(emu, book_id, {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 400_000}})
    assert response.status == 400
    assert "10000000 cells" in response.json()["error"]["message"]


def test_nulls_leave_cells_alone_and_are_not_counted(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "A1", [["a", "b"], ["c", "d"]]))
    body = ok(put(emu, book_id, "A1:B2", [[None, "B"], ["C", None]]))
    assert (body["updatedRows"], body["updatedColumns"], body["updatedCells"]) == (2, 2, 2)
    assert get(emu, book_id, "A1:B2")["values"] == [["a", "B"], ["C", "d"]]


def test_clear_keeps_notes_and_batch_clear(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "A1", [["a", "b", "c"]]))
    ok(batch(emu, book_id, {"updateCells": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1,
                                                      "startColumnIndex": 0, "endColumnIndex": 1},
                                            "rows": [{"values": [{"note": "keep me"}]}], "fields": "note"}}))
    assert ok(call(emu, "POST", f"{SHEETS}/{book_id}/values/A1:clear"))["clearedRange"] == "Sheet1!A1"
    cleared = ok(call(emu, "POST", f"{SHEETS}/{book_id}/values:batchClear", {"ranges": ["C1"]}))
    assert cleared["clearedRanges"] == ["Sheet1!C1"]
    assert get(emu, book_id, "A1:C1")["values"] == [["", "b"]]
    notes = ok(call(emu, "GET", f"{SHEETS}/{book_id}?ranges=A1&fields=sheets.data.rowData.values.note"))
    assert notes == {"sheets": [{"data": [{"rowData": [{"values": [{"note": "keep me"}]}]}]}]}


# --- append -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("existing, rng, table, updated", [
    ([], "Sheet1", None, "Sheet1!A1:B1"),
    ([["h1", "h2"], ["a", "b"]], "Sheet1", "Sheet1!A1:B2", "Sheet1!A3:B3"),
    ([["x", "", "y"]], "Sheet1", "Sheet1!C1", "Sheet1!C2:D2"),  # empty cells split tables: drift right
    ([["x", "", "y"]], "Sheet1!A1", "Sheet1!A1", "Sheet1!A2:B2"),
    ([["h"], [""], ["z"]], "Sheet1!A2", None, "Sheet1!A2:B2"),  # an empty start cell is written at
])
def test_append_table_detection(emu: SheetsEmulator, book_id: str, existing: list, rng: str,
                                table: str | None, updated: str) -> None:
    if existing:
        ok(put(emu, book_id, "A1", existing))
    body = ok(call(emu, "POST", f"{SHEETS}/{book_id}/values/{quote(rng)}:append?valueInputOption=RAW",
                   {"values": [["n1", "n2"]]}))
    assert body.get("tableRange") == table
    assert body["updates"]["updatedRange"] == updated


def test_append_insert_rows_shifts_data_and_grows_grid(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "A1", [["h"], ["a"], [""], ["below"]]))
    body = ok(call(emu, "POST", f"{SHEETS}/{book_id}/values/A1:append?valueInputOption=RAW"
                                f"&insertDataOption=INSERT_ROWS", {"values": [["new"]]}))
    assert body["updates"]["updatedRange"] == "Sheet1!A3"
    assert get(emu, book_id, "A1:A5")["values"] == [["h"], ["a"], ["new"], [], ["below"]]
    meta = ok(call(emu, "GET", f"{SHEETS}/{book_id}?fields=sheets.properties.gridProperties"))
    assert meta["sheets"][0]["properties"]["gridProperties"]["rowCount"] == 1001


def test_append_past_the_last_row_grows_the_grid(emu: SheetsEmulator, book_id: str) -> None:
    ok(batch(emu, book_id, {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {
        "rowCount": 2, "columnCount": 2}}, "fields": "gridProperties(rowCount,columnCount)"}}))
    ok(put(emu, book_id, "A1", [["a", "b"], ["c", "d"]]))
    body = ok(call(emu, "POST", f"{SHEETS}/{book_id}/values/A1:append?valueInputOption=RAW",
                   {"values": [["e", "f", "g"]]}))
    assert body["updates"]["updatedRange"] == "Sheet1!A3:C3"
    assert get(emu, book_id, "Sheet1")["range"] == "Sheet1!A1:C3"


# --- batchUpdate ------------------------------------------------------------------------------------------


def test_batch_update_is_atomic(emu: SheetsEmulator, book_id: str) -> None:
    response = batch(emu, book_id,
                     {"addSheet": {"properties": {"title": "Should not exist"}}},
                     {"deleteSheet": {"sheetId": 123456}})
    assert response.status == 400
    assert response.json()["error"]["message"].startswith("Invalid requests[1].deleteSheet")
    titles = [s["properties"]["title"] for s in ok(call(emu, "GET", f"{SHEETS}/{book_id}"))["sheets"]]
    assert titles == ["Sheet1"]


def test_unsupported_request_is_refused(emu: SheetsEmulator, book_id: str) -> None:
    response = batch(emu, book_id, {"addSlicer": {"slicer": {}}})
    assert response.status == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "addSlicer" in response.json()["error"]["message"]


def test_replies_in_order_with_googles_shapes(emu: SheetsEmulator, book_id: str) -> None:
    rng = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 2}
    replies = ok(batch(
        emu, book_id,
        {"addNamedRange": {"namedRange": {"name": "N", "range": rng}}},
        {"repeatCell": {"range": rng, "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold"}},
        {"addProtectedRange": {"protectedRange": {"range": rng, "warningOnly": True}}},
        {"addFilterView": {"filter": {"title": "mine", "range": rng}}},
        {"createDeveloperMetadata": {"developerMetadata": {
            "metadataKey": "k", "visibility": "DOCUMENT",
            "location": {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}}}},
    ))["replies"]
    assert list(replies[0]) == ["addNamedRange"] and replies[0]["addNamedRange"]["namedRange"]["name"] == "N"
    assert replies[1] == {}
    assert "protectedRangeId" in replies[2]["addProtectedRange"]["protectedRange"]
    assert replies[3]["addFilterView"]["filter"]["title"] == "mine"
    assert replies[4]["createDeveloperMetadata"]["developerMetadata"]["location"]["locationType"] == "ROW"


def test_insert_rows_moves_data_and_metadata(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "A1", [["a"], ["b"]]))
    ok(batch(emu, book_id, {"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": "row-b", "visibility": "DOCUMENT",
        "location": {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}}}}))
    ok(batch(emu, book_id, {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0,
                                                          "endIndex": 2}}}))
    assert get(emu, book_id, "A1:A4")["values"] == [[], [], ["a"], ["b"]]
    sheet = ok(call(emu, "GET", f"{SHEETS}/{book_id}?fields=sheets.developerMetadata"))["sheets"][0]
    assert sheet["developerMetadata"][0]["location"]["dimensionRange"]["startIndex"] == 3
    ok(batch(emu, book_id, {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 3,
                                                          "endIndex": 4}}}))
    assert ok(call(emu, "GET", f"{SHEETS}/{book_id}?fields=sheets.developerMetadata")) == {"sheets": [{}]}


def test_sort_range(emu: SheetsEmulator, book_id: str) -> None:
    ok(put(emu, book_id, "A1", [["b", 2], ["a", 10], ["c", 1]]))
    ok(batch(emu, book_id, {"sortRange": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3,
                                                    "startColumnIndex": 0, "endColumnIndex": 2},
                                          "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "DESCENDING"}]}}))
    assert get(emu, book_id, "A1:B3")["values"] == [["a", "10"], ["b", "2"], ["c", "1"]]


def test_cannot_hide_every_sheet(emu: SheetsEmulator, book_id: str) -> None:
    response = batch(emu, book_id, {"updateSheetProperties": {"properties": {"sheetId": 0, "hidden": True},
                                                              "fields": "hidden"}})
    assert response.json()["error"]["message"] == (
        "Invalid requests[0].updateSheetProperties: You can't hide all the sheets in a document.")


def test_format_is_read_back_with_color_styles(emu: SheetsEmulator, book_id: str) -> None:
    ok(batch(emu, book_id, {"repeatCell": {
        "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 1},
        "cell": {"userEnteredFormat": {"backgroundColor": {"green": 1}}},
        "fields": "userEnteredFormat(backgroundColor)"}}))
    body = ok(call(emu, "GET", f"{SHEETS}/{book_id}?ranges=A2&fields=sheets.data.rowData.values.userEnteredFormat"))
    fmt = body["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"]
    assert fmt == {"backgroundColor": {"green": 1}, "backgroundColorStyle": {"rgbColor": {"green": 1}}}


# --- protection -------------------------------------------------------------------------------------------


def _protect(emu: SheetsEmulator, book_id: str, **extra: Any) -> None:
    ok(batch(emu, book_id, {"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}, **extra}}}))


def test_protected_range_blocks_a_non_editor() -> None:
    emu = SheetsEmulator(quota_per_minute=0, service_account="bot@example.com")
    book = emu.create_spreadsheet("Shared with the bot", owner="clerk@city.example")
    _protect(emu, book.id, editors={"users": ["clerk@city.example"]})
    response = put(emu, book.id, "A1", [["x"]])
    assert response.status == 400
    assert response.json()["error"]["message"].startswith("You are trying to edit a protected cell")
    assert put(emu, book.id, "A2", [["outside"]]).status == 200
    assert batch(emu, book.id, {"repeatCell": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}, "cell": {"note": "x"},
        "fields": "note"}}).status == 400


@pytest.mark.parametrize("extra", [{"warningOnly": True}, {"editors": {"users": ["bot@example.com"]}}])
def test_protected_range_allows_warning_only_and_listed_editors(extra: dict) -> None:
    emu = SheetsEmulator(quota_per_minute=0, service_account="bot@example.com")
    book = emu.create_spreadsheet("Shared with the bot", owner="clerk@city.example")
    _protect(emu, book.id, **extra)
    assert put(emu, book.id, "A1", [["x"]]).status == 200


def test_owner_is_never_blocked(emu: SheetsEmulator, book_id: str) -> None:
    _protect(emu, book_id, editors={"users": []})
    assert put(emu, book_id, "A1", [["x"]]).status == 200


# --- quotas, faults, accounting ---------------------------------------------------------------------------


def test_read_quota_429_body_and_window() -> None:
    clock = FakeClock()
    emu = SheetsEmulator(quota_per_minute=3, clock=clock)
    book = emu.create_spreadsheet("q")
    for _ in range(3):
        assert call(emu, "GET", f"{SHEETS}/{book.id}/values/A1").status == 200
    response = call(emu, "GET", f"{SHEETS}/{book.id}/values/A1")
    assert response.status == 429
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and error["code"] == 429
    assert error["message"].startswith("Quota exceeded for quota metric 'Read requests' and limit "
                                       "'Read requests per minute per user' of service 'sheets.googleapis.com'")
    assert error["details"] == [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {"quota_metric": "sheets.googleapis.com/read_requests",
                     "quota_limit": "ReadRequestsPerMinutePerUser", "quota_limit_value": "3"}}]
    # Writes have their own budget; Drive and control endpoints do not count.
    assert put(emu, book.id, "A1", [["x"]]).status == 200
    assert call(emu, "GET", f"https://www.googleapis.com/drive/v3/files/{book.id}").status == 200
    assert call(emu, "GET", "http://127.0.0.1:1/_emulator/stats").status == 200
    clock.now += 60.0
    assert call(emu, "GET", f"{SHEETS}/{book.id}/values/A1").status == 200


def test_write_quota_429() -> None:
    clock = FakeClock()
    emu = SheetsEmulator(quota_per_minute=1, clock=clock)
    book = emu.create_spreadsheet("q")
    assert put(emu, book.id, "A1", [["x"]]).status == 200
    response = put(emu, book.id, "A1", [["y"]])
    assert response.status == 429
    assert response.json()["error"]["details"][0]["metadata"]["quota_limit"] == "WriteRequestsPerMinutePerUser"


def test_faulted_requests_change_nothing() -> None:
    emu = SheetsEmulator(quota_per_minute=0, fault_rate=1.0, seed=7)
    book = emu.create_spreadsheet("f")
    for i in range(20):
        response = put(emu, book.id, "A1", [[f"v{i}"]])
        assert response.drop or response.status in (429, 500, 503)
    assert emu.faults.total == 20
    emu.faults.rate = 0.0
    assert "values" not in get(emu, book.id, "A1")
    assert call(emu, "GET", "http://127.0.0.1:1/_emulator/stats").status == 200


def test_stats_by_endpoint_and_reset(emu: SheetsEmulator, book_id: str) -> None:
    put(emu, book_id, "A1", [["x"]])
    get(emu, book_id, "A1")
    stats = ok(call(emu, "GET", "http://127.0.0.1:9/_emulator/stats"))
    assert stats["reads"] == 1 and stats["writes"] == 1
    assert stats["requests"] == {"PUT /v4/spreadsheets/{id}/values/{range}": 1,
                                 "GET /v4/spreadsheets/{id}/values/{range}": 1}
    assert stats["bytes_in"] > 0 and stats["bytes_out"] > 0
    ok(call(emu, "POST", "http://127.0.0.1:9/_emulator/stats/reset"))
    assert emu.stats() == {"reads": 0, "writes": 0, "requests": {}, "bytes_in": 0, "bytes_out": 0}


# --- Drive ------------------------------------------------------------------------------------------------


def test_drive_create_list_copy_export_delete(emu: SheetsEmulator) -> None:
    drive = "https://www.googleapis.com/drive/v3/files"
    created = ok(call(emu, "POST", drive, {"name": "Budget", "mimeType": "application/vnd.google-apps.spreadsheet"}))
    assert created == {"kind": "drive#file", "id": created["id"], "name": "Budget",
                       "mimeType": "application/vnd.google-apps.spreadsheet"}
    ok(put(emu, created["id"], "A1", [["a,1", "=1+1"]], "USER_ENTERED"))
    q = quote('mimeType="application/vnd.google-apps.spreadsheet" and name = "Budget"')
    listed = ok(call(emu, "GET", f"{drive}?q={q}&fields=files(id,name)"))
    assert listed == {"files": [{"id": created["id"], "name": "Budget"}]}
    copied = ok(call(emu, "POST", f"{drive}/{created['id']}/copy", {}))
    assert copied["name"] == "Copy of Budget"
    export = call(emu, "GET", f"{drive}/{created['id']}/export?mimeType=text/csv")
    assert export.body == b'"a,1",2'
    assert call(emu, "GET", f"{drive}/{created['id']}/export?mimeType=application/pdf").status == 400
    assert call(emu, "DELETE", f"{drive}/{created['id']}").status == 204
    missing = call(emu, "GET", f"{drive}/{created['id']}")
    assert missing.status == 404 and missing.json()["error"]["errors"][0]["reason"] == "notFound"


# --- persistence ------------------------------------------------------------------------------------------


def test_persistence_round_trip(tmp_path: Path) -> None:
    emu = SheetsEmulator(data_dir=tmp_path, quota_per_minute=0)
    book = emu.create_spreadsheet("Persisted")
    ok(put(emu, book.id, "A1", [["text", "=1+2", "2020-01-01"]], "USER_ENTERED"))
    ok(batch(emu, book.id, {"addSheet": {"properties": {"title": "Two"}}}))
    assert not list(tmp_path.glob(".tmp-*"))  # temp files were renamed into place
    again = SheetsEmulator(data_dir=tmp_path, quota_per_minute=0)
    assert get(again, book.id, "A1:C1", "valueRenderOption=FORMULA")["values"] == [["text", "=1+2", 43831]]
    assert get(again, book.id, "A1:C1")["values"] == [["text", "3", "2020-01-01"]]
    titles = [s["properties"]["title"] for s in ok(call(again, "GET", f"{SHEETS}/{book.id}"))["sheets"]]
    assert titles == ["Sheet1", "Two"]
    assert call(again, "DELETE", f"https://www.googleapis.com/drive/v3/files/{book.id}").status == 204
    assert SheetsEmulator(data_dir=tmp_path).books == {}


def test_malformed_bodies_are_400_not_crashes(emu: SheetsEmulator, book_id: str) -> None:
    for url, body in [(f"{SHEETS}/{book_id}:batchUpdate", ["not", "an", "object"]),
                      (f"{SHEETS}/{book_id}/values:batchUpdate", {"valueInputOption": "RAW", "data": [1]}),
                      (f"{SHEETS}/{book_id}:batchUpdate", {"requests": [{"addSheet": {"properties": 5}}]})]:
        response = call(emu, "POST", url, body)
        assert response.status == 400, (url, response.body)
        assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    raw = emu.handle(EmuRequest("POST", f"{SHEETS}/{book_id}:batchUpdate", body=b"{not json"))
    assert raw.status == 400


RNG = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 2}


@pytest.mark.parametrize("request_, fields, check", [
    ({"setDataValidation": {"range": RNG, "rule": {"condition": {"type": "ONE_OF_LIST", "values": [
        {"userEnteredValue": "open"}, {"userEnteredValue": "closed"}]}, "showCustomUi": True, "strict": True}}},
     "sheets.data.rowData.values.dataValidation",
     lambda b: b["sheets"][0]["data"][0]["rowData"][2]["values"][1]["dataValidation"]["condition"]["type"]
     == "ONE_OF_LIST"),
    ({"addConditionalFormatRule": {"index": 0, "rule": {"ranges": [RNG], "booleanRule": {
        "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=$B1<TODAY()"}]},
        "format": {"backgroundColor": {"red": 1}}}}}},
     "sheets.conditionalFormats", lambda b: len(b["sheets"][0]["conditionalFormats"]) == 1),
    ({"setBasicFilter": {"filter": {"range": RNG}}}, "sheets.basicFilter",
     lambda b: b["sheets"][0]["basicFilter"]["range"]["endRowIndex"] == 3),
    ({"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                                "fields": "gridProperties.frozenRowCount"}},
     "sheets.properties.gridProperties",
     lambda b: b["sheets"][0]["properties"]["gridProperties"]["frozenRowCount"] == 1),
    ({"mergeCells": {"range": RNG, "mergeType": "MERGE_ALL"}}, "sheets.merges",
     lambda b: b["sheets"][0]["merges"] == [{"startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0,
                                             "endColumnIndex": 2}]),
    ({"updateDimensionProperties": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1,
                                              "endIndex": 2}, "properties": {"pixelSize": 250},
                                    "fields": "pixelSize"}},
     "sheets.data.columnMetadata", lambda b: b["sheets"][0]["data"][0]["columnMetadata"][1] == {"pixelSize": 250}),
    ({"addChart": {"chart": {"spec": {"title": "Open by week"}, "position": {"newSheet": True}}}},
     "sheets.charts", lambda b: b["sheets"][0]["charts"][0]["spec"]["title"] == "Open by week"),
    ({"updateSpreadsheetProperties": {"properties": {"title": "Renamed", "timeZone": "Asia/Kolkata"},
                                      "fields": "title,timeZone"}},
     "properties(title,timeZone)", lambda b: b["properties"] == {"title": "Renamed", "timeZone": "Asia/Kolkata"}),
    ({"appendCells": {"sheetId": 0, "rows": [{"values": [{"userEnteredValue": {"numberValue": 5}},
                                                         {"userEnteredValue": {"formulaValue": "=A4*2"}}]}],
                      "fields": "userEnteredValue"}},
     "sheets.data.rowData.values.formattedValue",
     lambda b: b["sheets"][0]["data"][0]["rowData"][3]["values"] == [{"formattedValue": "5"},
                                                                    {"formattedValue": "10"}]),
])
def test_request_kinds_are_visible_in_get(emu: SheetsEmulator, book_id: str, request_: dict, fields: str,
                                          check: Any) -> None:
    ok(put(emu, book_id, "A1", [["h1", "h2"], ["a", "1"], ["b", "2"]]))
    ok(batch(emu, book_id, request_))
    assert check(ok(call(emu, "GET", f"{SHEETS}/{book_id}?fields={quote(fields)}")))


def test_conditional_format_delete_replies_with_the_rule(emu: SheetsEmulator, book_id: str) -> None:
    rule = {"ranges": [RNG], "booleanRule": {"condition": {"type": "NOT_BLANK"}, "format": {"textFormat": {
        "bold": True}}}}
    ok(batch(emu, book_id, {"addConditionalFormatRule": {"index": 0, "rule": rule}}))
    reply = ok(batch(emu, book_id, {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}}))
    assert reply["replies"][0]["deleteConditionalFormatRule"]["rule"]["booleanRule"] == rule["booleanRule"]
    assert batch(emu, book_id, {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}}).status == 400


def test_concurrent_appends_over_http_are_all_kept() -> None:
    import threading

    import requests

    from sheets_sync.emulator.server import serve_in_thread

    emu = SheetsEmulator(quota_per_minute=0)
    book = emu.create_spreadsheet("busy")
    server, url = serve_in_thread(emu)
    try:
        def worker(n: int) -> None:
            with requests.Session() as session:
                for i in range(10):
                    r = session.post(f"{url}/v4/spreadsheets/{book.id}/values/A1:append",
                                     params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                                     json={"values": [[f"t{n}", i]]}, timeout=10)
                    assert r.status_code == 200

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.shutdown()
        server.server_close()
    assert len(get(emu, book.id, "Sheet1")["values"]) == 60
