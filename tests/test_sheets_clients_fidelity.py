"""Third-party clients against the emulator, each operation checked against the answer Google documents (or
gives in gspread's recorded cassettes): gspread, gspread-formatting and gspread-dataframe in-process through
``emu.session()``, and google-api-python-client (Sheets v4 and Drive v3 from their discovery documents) over
HTTP through ``server.serve_in_thread``.

Covers issue 13's API details: ``fields`` masks on every method and Google's 400 for a bad one,
``includeValuesInResponse`` on update/batchUpdate/append, Drive's ``root`` alias, conditional formatting in
``effectiveFormat``, and CSV exports (Drive's first tab; the web app's per-tab ``export?format=csv&gid=``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import gspread_formatting as gf
import httplib2
import pandas as pd
import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from gspread_dataframe import get_as_dataframe, set_with_dataframe

from sheets_sync.emulator.server import serve_in_thread
from sheets_sync.emulator.sheets import SheetsEmulator
from sheets_sync.emulator.sheets.drive import ROOT_ID

BAD_MASK = "Error expanding 'fields' parameter. Cannot find matching fields for path '{}'."


@pytest.fixture
def emu() -> SheetsEmulator:
    return SheetsEmulator(quota_per_minute=0)


@pytest.fixture
def gc(emu: SheetsEmulator) -> gspread.Client:
    return gspread.Client(auth=AnonymousCredentials(), session=emu.session())


@pytest.fixture
def services(emu: SheetsEmulator) -> Iterator[tuple[Any, Any]]:
    """(sheets v4, drive v3) services of google-api-python-client, talking HTTP to the emulator."""
    server, url = serve_in_thread(emu)
    try:
        # An api_endpoint replaces the discovery document's rootUrl and servicePath together.
        yield (build("sheets", "v4", http=httplib2.Http(timeout=10), static_discovery=True,
                     client_options={"api_endpoint": url}),
               build("drive", "v3", http=httplib2.Http(timeout=10), static_discovery=True,
                     client_options={"api_endpoint": f"{url}/drive/v3/"}))
    finally:
        server.shutdown()
        server.server_close()


def _error(err: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    import json

    return json.loads(err.value.content)["error"]


# --- fields masks ------------------------------------------------------------------------------------------


def test_gspread_metadata_mask_and_bad_mask(gc: gspread.Client) -> None:
    book = gc.create("Masks")
    meta = book.fetch_sheet_metadata(params={"fields": "sheets.properties(title,index)"})
    assert meta == {"sheets": [{"properties": {"title": "Sheet1", "index": 0}}]}
    with pytest.raises(gspread.exceptions.APIError) as err:
        book.fetch_sheet_metadata(params={"fields": "sheets.sheetProperties"})
    body = err.value.response.json()["error"]
    # googlesheets4's recorded fixture: the generic message, the path only in the BadRequest detail.
    assert (body["code"], body["status"], body["message"]) == (400, "INVALID_ARGUMENT",
                                                               "Request contains an invalid argument.")
    violation = body["details"][0]["fieldViolations"][0]
    assert violation["description"] == BAD_MASK.format("sheets.sheetProperties")


def test_sheets_mask_keeps_spaces_as_google_does(gc: gspread.Client) -> None:
    book = gc.create("Spaces")
    with pytest.raises(gspread.exceptions.APIError) as err:
        book.fetch_sheet_metadata(params={"fields": "properties, sheets.properties"})
    description = err.value.response.json()["error"]["details"][0]["fieldViolations"][0]["description"]
    assert description == BAD_MASK.format(" sheets.properties")


def test_mask_naming_a_child_of_a_scalar_is_refused(gc: gspread.Client) -> None:
    book = gc.create("Deep")
    mask = "sheets(data(rowData(values(effectiveFormat(numberFormat,type)))))"
    with pytest.raises(gspread.exceptions.APIError) as err:
        book.fetch_sheet_metadata(params={"fields": mask})
    violation = err.value.response.json()["error"]["details"][0]["fieldViolations"][0]
    assert violation == {"field": mask, "description": BAD_MASK.format(
        "sheets.data.rowData.values.effectiveFormat.type")}


def test_values_get_and_batch_get_masks(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}, fields="spreadsheetId").execute()["spreadsheetId"]
    values = sheets.spreadsheets().values()
    values.update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["x"]]}).execute()
    assert values.get(spreadsheetId=sid, range="A1:B2", fields="values").execute() == {"values": [["x"]]}
    assert values.get(spreadsheetId=sid, range="A1:B2", fields="range").execute() == {"range": "Sheet1!A1:B2"}
    got = values.batchGet(spreadsheetId=sid, ranges=["A1", "B1"], fields="valueRanges/range").execute()
    assert got == {"valueRanges": [{"range": "Sheet1!A1"}, {"range": "Sheet1!B1"}]}


def test_create_answers_only_the_masked_fields(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    created = sheets.spreadsheets().create(body={"properties": {"title": "Only id"}},
                                           fields="spreadsheetId,properties/title").execute()
    assert set(created) == {"spreadsheetId", "properties"} and created["properties"] == {"title": "Only id"}


def test_write_masks(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    values = sheets.spreadsheets().values()
    assert values.update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [[1, 2]]},
                         fields="updatedCells").execute() == {"updatedCells": 2}
    assert values.append(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [[3]]},
                         fields="updates.updatedRange").execute() == {"updates": {"updatedRange": "Sheet1!A2"}}
    assert values.batchUpdate(spreadsheetId=sid, fields="totalUpdatedCells", body={
        "valueInputOption": "RAW", "data": [{"range": "C1", "values": [[4]]}]}).execute() == {"totalUpdatedCells": 1}
    assert values.clear(spreadsheetId=sid, range="C1", fields="clearedRange", body={}).execute() == {
        "clearedRange": "Sheet1!C1"}
    assert values.batchClear(spreadsheetId=sid, fields="clearedRanges", body={"ranges": ["B1"]}).execute() == {
        "clearedRanges": ["Sheet1!B1"]}


def test_bad_mask_on_a_write_changes_nothing(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    values = sheets.spreadsheets().values()
    with pytest.raises(HttpError) as err:
        values.update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["new"]]},
                      fields="updatedCellz").execute()
    assert err.value.resp.status == 400
    assert _error(err)["details"][0]["fieldViolations"][0]["description"] == BAD_MASK.format("updatedCellz")
    assert "values" not in values.get(spreadsheetId=sid, range="A1").execute()


def test_batch_update_reply_masks(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    reply = sheets.spreadsheets().batchUpdate(
        spreadsheetId=sid, fields="replies/addSheet/properties/title,updatedSpreadsheet/sheets/properties/title",
        body={"requests": [{"addSheet": {"properties": {"title": "Dept"}}}],
              "includeSpreadsheetInResponse": True}).execute()
    assert reply == {"replies": [{"addSheet": {"properties": {"title": "Dept"}}}],
                     "updatedSpreadsheet": {"sheets": [{"properties": {"title": "Sheet1"}},
                                                       {"properties": {"title": "Dept"}}]}}


def test_batch_update_mask_into_grid_data_builds_it(services: tuple[Any, Any]) -> None:
    """"responseIncludeGridData ... is ignored if a field mask was set": the mask decides."""
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    sheets.spreadsheets().values().update(spreadsheetId=sid, range="A1", valueInputOption="RAW",
                                          body={"values": [["cell"]]}).execute()
    reply = sheets.spreadsheets().batchUpdate(
        spreadsheetId=sid, fields="updatedSpreadsheet/sheets/data/rowData/values/formattedValue",
        body={"requests": [{"updateSpreadsheetProperties": {"properties": {"title": "T"}, "fields": "title"}}],
              "includeSpreadsheetInResponse": True, "responseRanges": ["A1"]}).execute()
    assert reply == {"updatedSpreadsheet": {"sheets": [{"data": [{"rowData": [
        {"values": [{"formattedValue": "cell"}]}]}]}]}}


def test_drive_masks_and_bad_mask(services: tuple[Any, Any]) -> None:
    sheets, drive = services
    sid = sheets.spreadsheets().create(body={"properties": {"title": "Listed"}}).execute()["spreadsheetId"]
    got = drive.files().get(fileId=sid, fields="id, name").execute()  # Drive allows the space
    assert got == {"id": sid, "name": "Listed"}
    listed = drive.files().list(fields="files(id,name)").execute()
    assert listed == {"files": [{"id": sid, "name": "Listed"}]}
    with pytest.raises(HttpError) as err:
        drive.files().list(fields="nextPageToken, items(id, title)").execute()
    # Drive's documented answer: 400 "Invalid field selection items", invalidParameter at ``fields``.
    assert _error(err) == {"code": 400, "message": "Invalid field selection items", "errors": [{
        "message": "Invalid field selection items", "domain": "global", "reason": "invalidParameter",
        "location": "fields", "locationType": "parameter"}]}
    with pytest.raises(HttpError) as err:
        drive.files().list(fields="files(id,capabilities,canAddChildren)").execute()
    assert _error(err)["message"] == "Invalid field selection canAddChildren"
    assert drive.files().list(fields="files(id,capabilities/canEdit)").execute()["files"][0]["id"] == sid


def test_drive_copy_mask(services: tuple[Any, Any]) -> None:
    sheets, drive = services
    sid = sheets.spreadsheets().create(body={"properties": {"title": "Source"}}).execute()["spreadsheetId"]
    copied = drive.files().copy(fileId=sid, body={"name": "Copy"}, fields="name,parents").execute()
    assert copied == {"name": "Copy", "parents": [ROOT_ID]}


# --- includeValuesInResponse ------------------------------------------------------------------------------


def test_gspread_update_includes_values_unformatted(gc: gspread.Client) -> None:
    tab = gc.create("Echo").sheet1
    reply = tab.update([["a", "1", "2024-01-15"]], "A1", raw=False, include_values_in_response=True,
                       response_value_render_option=gspread.utils.ValueRenderOption.unformatted)
    assert reply["updatedData"] == {"range": "Sheet1!A1:C1", "majorDimension": "ROWS",
                                    "values": [["a", 1, 45306]]}


def test_gspread_update_includes_dates_as_formatted_string(gc: gspread.Client) -> None:
    tab = gc.create("Dates").sheet1
    reply = tab.update([["2024-01-15", "=1+1"]], "A1", raw=False, include_values_in_response=True,
                       response_value_render_option=gspread.utils.ValueRenderOption.unformatted,
                       response_date_time_render_option=gspread.utils.DateTimeOption.formatted_string)
    assert reply["updatedData"]["values"] == [["2024-01-15", 2]]


def test_gspread_batch_update_includes_values(gc: gspread.Client) -> None:
    tab = gc.create("Batch").sheet1
    reply = tab.batch_update([{"range": "A1", "values": [["x", "=1+1"]]}, {"range": "D4", "values": [["y"]]}],
                             raw=False, include_values_in_response=True)
    assert [r["updatedData"] for r in reply["responses"]] == [
        {"range": "Sheet1!A1:B1", "majorDimension": "ROWS", "values": [["x", "2"]]},
        {"range": "Sheet1!D4", "majorDimension": "ROWS", "values": [["y"]]},
    ]


def test_batch_update_without_the_flag_has_no_data(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    reply = sheets.spreadsheets().values().batchUpdate(spreadsheetId=sid, body={
        "valueInputOption": "RAW", "data": [{"range": "A1", "values": [["x"]]}]}).execute()
    assert "updatedData" not in reply["responses"][0]


def test_batch_update_bad_render_option_writes_nothing(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    values = sheets.spreadsheets().values()
    with pytest.raises(HttpError) as err:
        values.batchUpdate(spreadsheetId=sid, body={
            "valueInputOption": "RAW", "includeValuesInResponse": True, "responseValueRenderOption": "PRETTY",
            "data": [{"range": "A1", "values": [["x"]]}]}).execute()
    assert err.value.resp.status == 400 and "response_value_render_option" in _error(err)["message"]
    assert "values" not in values.get(spreadsheetId=sid, range="A1").execute()


def test_append_includes_values_in_updates(services: tuple[Any, Any]) -> None:
    sheets, _ = services
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    values = sheets.spreadsheets().values()
    values.update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["h1", "h2"]]}).execute()
    reply = values.append(spreadsheetId=sid, range="A1", valueInputOption="USER_ENTERED",
                          includeValuesInResponse=True, responseValueRenderOption="FORMULA",
                          body={"values": [["v", "=LEN(A2)"]]}).execute()
    assert reply["updates"]["updatedData"] == {"range": "Sheet1!A2:B2", "majorDimension": "ROWS",
                                               "values": [["v", "=LEN(A2)"]]}


# --- Drive root -------------------------------------------------------------------------------------------


def test_drive_get_root(services: tuple[Any, Any]) -> None:
    _, drive = services
    root = drive.files().get(fileId="root", fields="id,name,mimeType").execute()
    assert root == {"id": ROOT_ID, "name": "My Drive", "mimeType": "application/vnd.google-apps.folder"}
    assert drive.files().get(fileId=ROOT_ID).execute()["id"] == ROOT_ID


def test_gspread_lists_and_creates_in_root(gc: gspread.Client) -> None:
    book = gc.create("In root", folder_id="root")
    assert [f["id"] for f in gc.list_spreadsheet_files(folder_id="root")] == [book.id]
    assert gc.list_spreadsheet_files(folder_id=ROOT_ID)[0]["name"] == "In root"
    assert gc.list_spreadsheet_files(folder_id="1SomeOtherFolderId") == []  # no spreadsheet is there
    copied = gc.copy(book.id, title="Copy in root", folder_id="root")
    assert copied.title == "Copy in root"


def test_drive_query_and_create_with_root_parent(services: tuple[Any, Any]) -> None:
    _, drive = services
    made = drive.files().create(body={"name": "Made", "mimeType": "application/vnd.google-apps.spreadsheet",
                                      "parents": ["root"]}, fields="id,parents").execute()
    assert made["parents"] == [ROOT_ID]
    found = drive.files().list(q="'root' in parents and trashed = false", fields="files(id)").execute()
    assert found == {"files": [{"id": made["id"]}]}
    with pytest.raises(HttpError) as err:
        drive.files().create(body={"name": "Lost", "mimeType": "application/vnd.google-apps.spreadsheet",
                                   "parents": ["1NoSuchFolder"]}).execute()
    assert err.value.resp.status == 404 and _error(err)["message"] == "File not found: 1NoSuchFolder."


# --- effectiveFormat with conditional formatting ----------------------------------------------------------


def _conditional_sheet(gc: gspread.Client) -> gspread.Worksheet:
    tab = gc.create("Conditional").sheet1
    tab.update([["Status", "Days"], ["Overdue", "5"], ["Open", "1"], ["Replied", "12"]], "A1", raw=False)
    gf.format_cell_range(tab, "A1:B4", gf.CellFormat(textFormat=gf.TextFormat(bold=True)))
    rules = gf.get_conditional_format_rules(tab)
    red, green = gf.Color(1, 0, 0), gf.Color(0, 1, 0)
    rules.append(gf.ConditionalFormatRule(
        ranges=[gf.GridRange.from_a1_range("A2:B4", tab)],
        booleanRule=gf.BooleanRule(condition=gf.BooleanCondition("CUSTOM_FORMULA", ['=$A2="Overdue"']),
                                   format=gf.CellFormat(backgroundColor=red))))
    rules.append(gf.ConditionalFormatRule(
        ranges=[gf.GridRange.from_a1_range("B2:B4", tab)],
        booleanRule=gf.BooleanRule(condition=gf.BooleanCondition("NUMBER_GREATER", ["10"]),
                                   format=gf.CellFormat(backgroundColor=green))))
    rules.save()
    return tab


def test_conditional_format_in_effective_format(gc: gspread.Client) -> None:
    tab = _conditional_sheet(gc)
    overdue_days = gf.get_effective_format(tab, "B2")
    assert overdue_days.backgroundColor == gf.Color(1, 0, 0)  # the custom formula, shifted to row 2
    assert overdue_days.textFormat.bold is True  # merged over the cell's own format
    assert gf.get_effective_format(tab, "B4").backgroundColor == gf.Color(0, 1, 0)  # 12 > 10
    assert gf.get_effective_format(tab, "B3").backgroundColor is None  # no rule holds
    assert gf.get_user_entered_format(tab, "B2").backgroundColor is None  # the user's format is unchanged


def test_first_matching_rule_wins(gc: gspread.Client) -> None:
    tab = _conditional_sheet(gc)
    tab.update([["Overdue", "30"]], "A3", raw=False)  # both rules hold on B3: the first one paints
    assert gf.get_effective_format(tab, "B3").backgroundColor == gf.Color(1, 0, 0)


def test_colour_scale_paints_between_its_points(emu: SheetsEmulator, gc: gspread.Client) -> None:
    tab = gc.create("Scale").sheet1
    tab.update([[0], [5], [10]], "A1")
    tab.spreadsheet.batch_update({"requests": [{"addConditionalFormatRule": {"index": 0, "rule": {
        "ranges": [{"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0,
                    "endColumnIndex": 1}],
        "gradientRule": {"minpoint": {"type": "MIN", "color": {"red": 1}},
                         "maxpoint": {"type": "MAX", "color": {"green": 1}}}}}}]})
    data = tab.spreadsheet.fetch_sheet_metadata(params={
        "ranges": "A1:A3", "fields": "sheets.data.rowData.values.effectiveFormat.backgroundColor"})
    colours = [row["values"][0]["effectiveFormat"]["backgroundColor"]
               for row in data["sheets"][0]["data"][0]["rowData"]]
    assert colours == [{"red": 1}, {"red": 0.5, "green": 0.5}, {"green": 1}]


# --- CSV exports ------------------------------------------------------------------------------------------


def test_drive_csv_export_is_the_first_tab(gc: gspread.Client) -> None:
    book = gc.create("Export")
    book.sheet1.update([["first", 1]], "A1")
    book.add_worksheet("Second", 5, 5).update([["second"]], "A1")
    assert book.export(gspread.utils.ExportFormat.CSV) == b"first,1"


def test_per_tab_csv_link(emu: SheetsEmulator, gc: gspread.Client) -> None:
    book = gc.create("Tabs")
    book.sheet1.update([["first"]], "A1")
    second = book.add_worksheet("Second, with comma", 5, 5)
    second.update([["a,b", 2.5], ["", "=B1*2"]], "A1", raw=False)
    session = emu.session()
    url = f"https://docs.google.com/spreadsheets/d/{book.id}/export"
    got = session.get(url, params={"format": "csv", "gid": second.id})
    assert got.status_code == 200 and got.headers["Content-Type"] == "text/csv"
    assert list(csv.reader(io.StringIO(got.text))) == [["a,b", "2.5"], ["", "5"]]
    assert session.get(url, params={"format": "csv"}).text == "first"  # no gid: the first tab
    assert session.get(url, params={"format": "csv", "gid": "999"}).status_code == 404


# --- gspread-dataframe and the rest of gspread-formatting -------------------------------------------------


def test_dataframe_round_trip(gc: gspread.Client) -> None:
    tab = gc.create("Frame").add_worksheet("df", 10, 5)
    frame = pd.DataFrame({"ward": ["Kothrud", "Hadapsar"], "complaints": [12, 7], "share": [0.25, 0.5]})
    set_with_dataframe(tab, frame, resize=True)
    assert (tab.row_count, tab.col_count) == (3, 3)
    back = get_as_dataframe(tab)
    assert back.to_dict("list") == {"ward": ["Kothrud", "Hadapsar"], "complaints": [12, 7],
                                    "share": [0.25, 0.5]}


def test_formatting_validation_and_layout(gc: gspread.Client) -> None:
    tab = gc.create("Layout").sheet1
    rule = gf.DataValidationRule(gf.BooleanCondition("ONE_OF_LIST", ["New", "Done"]), showCustomUi=True)
    gf.set_data_validation_for_cell_range(tab, "C2:C10", rule)
    assert gf.get_data_validation_rule(tab, "C5") == rule
    gf.set_frozen(tab, rows=1)
    gf.set_column_width(tab, "A", 240)
    assert gf.get_frozen_row_count(tab) == 1
    widths = tab.spreadsheet.fetch_sheet_metadata(params={"ranges": "A1:B1",
                                                          "fields": "sheets.data.columnMetadata.pixelSize"})
    assert widths["sheets"][0]["data"][0]["columnMetadata"] == [{"pixelSize": 240}, {"pixelSize": 100}]
    fmt = gf.CellFormat(numberFormat=gf.NumberFormat("NUMBER", "#,##0.00"))
    gf.format_cell_range(tab, "B2", fmt)
    tab.update([[1234.5]], "B2")
    assert tab.acell("B2").value == "1,234.50"
    assert gf.get_effective_format(tab, "B2").numberFormat == gf.NumberFormat("NUMBER", "#,##0.00")


# --- sheets-sync export --format csv --tab NAME -----------------------------------------------------------


def test_export_command_writes_one_tab_as_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sheets_sync.cli import main

    config = tmp_path / "sheets-sync.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n")
    out = tmp_path / "tracker.csv"
    assert main(["export", "--format", "csv", "--tab", "tracker", "--out", str(out), "--config", str(config)]) == 0
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert "Received At" in header and "Status" in header
    assert main(["export", "--format", "csv", "--tab", "Nope", "--config", str(config)]) != 0
    captured = capsys.readouterr()
    assert "no such tab" in captured.err + captured.out


def test_banding_rule_uses_each_cells_own_row(gc: gspread.Client) -> None:
    """``=MOD(ROW(),2)=0`` reads the same on every row, yet paints every other one."""
    tab = gc.create("Bands").sheet1
    tab.update([["a"], ["b"], ["c"]], "A1")
    rules = gf.get_conditional_format_rules(tab)
    rules.append(gf.ConditionalFormatRule(
        ranges=[gf.GridRange.from_a1_range("A1:A3", tab)],
        booleanRule=gf.BooleanRule(condition=gf.BooleanCondition("CUSTOM_FORMULA", ["=MOD(ROW(),2)=0"]),
                                   format=gf.CellFormat(backgroundColor=gf.Color(0, 0, 1)))))
    rules.save()
    painted = [gf.get_effective_format(tab, f"A{r}") for r in (1, 2, 3)]
    assert [p is not None and p.backgroundColor == gf.Color(0, 0, 1) for p in painted] == [False, True, False]
