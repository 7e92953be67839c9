"""Number formats as Google renders them, formats inferred from typed input, and proto3 JSON input rules.

The expected strings are the outputs Google documents for its patterns
(developers.google.com/sheets/api/guides/formats) and what Sheets shows for the same value and pattern.
"""

from __future__ import annotations

import pytest

from sheets_sync.client import make_client
from sheets_sync.emulator.sheets import SheetsEmulator
from sheets_sync.emulator.sheets.number_format import render_number, render_text

JAN_15_2024 = 45306  # serial of 2024-01-15


@pytest.mark.parametrize(("value", "pattern", "shown"), [
    (1234.5, "#,##0.00", "1,234.50"),
    (0.256, "0.0%", "25.6%"),
    (0.1, "0%", "10%"),
    (JAN_15_2024, "dd/mm/yyyy", "15/01/2024"),
    (1234.5, '"₹"#,##0.00', "₹1,234.50"),
    (-1234.5, '"₹"#,##0.00', "-₹1,234.50"),
    (1234567, "#,##,##0", "12,34,567"),
    (12345678.9, "[$₹-4009]#,##,##0.00", "₹1,23,45,678.90"),
    (12345.678, "####.#", "12345.7"),
    (12, "000.0000", "012.0000"),
    (1234.56, "#,###", "1,235"),
    (1234567, '#,##0,"K"', "1,235K"),
    (12345, "0.00E+00", "1.23E+04"),
    (2.5, "0", "3"),  # half away from zero, not to even
    (0.125, "0.00", "0.13"),
    (-5, "#,##0.00;(#,##0.00)", "(5.00)"),
    (0, '0.00;-0.00;"zero"', "zero"),
    (150, '[>100]"big";"small"', "big"),
    (50, '[>100]"big";"small"', "small"),
    (45306.5, "yyyy-mm-dd hh:mm", "2024-01-15 12:00"),
    (45306.75, "h:mm am/pm", "6:00 PM"),
    (45306.75, "M/d/yyyy H:mm:ss", "1/15/2024 18:00:00"),
    (JAN_15_2024, "dddd, mmmm d, yyyy", "Monday, January 15, 2024"),
    (JAN_15_2024, "mmm d yy", "Jan 15 24"),
    (0.5 + 125 / 86400, "hh:mm:ss", "12:02:05"),
    (1.5, "[h]:mm", "36:00"),
    (JAN_15_2024, "d-mmm", "15-Jan"),
])
def test_patterns_render_as_google_documents(value: float, pattern: str, shown: str) -> None:
    assert render_number(value, {"type": "NUMBER", "pattern": pattern}) == shown


@pytest.mark.parametrize(("kind", "value", "shown"), [
    ("NUMBER", 3, "3.00"), ("PERCENT", 0.5, "50.00%"), ("DATE", JAN_15_2024, "1/15/2024"),
    ("TIME", 0.75, "6:00:00 PM"), ("DATE_TIME", JAN_15_2024 + 0.25, "1/15/2024 6:00:00"),
    ("SCIENTIFIC", 1234, "1.23E+03"),
])
def test_a_type_without_pattern_uses_googles_default(kind: str, value: float, shown: str) -> None:
    assert render_number(value, {"type": kind}) == shown


def test_text_section_wraps_text_and_numbers_formats_leave_it() -> None:
    assert render_text("abc", {"pattern": '0;0;0;"[" @ "]"'}) == "[ abc ]"
    assert render_text("abc", {"pattern": "#,##0.00"}) == "abc"


@pytest.fixture
def sheet():
    emu = SheetsEmulator(quota_per_minute=0)
    client = make_client(emu.session())
    return client.create("formats").sheet1


def _formats(sheet, a1: str) -> dict:
    body = sheet.spreadsheet.fetch_sheet_metadata(params={"ranges": a1, "includeGridData": "true"})
    return body["sheets"][0]["data"][0]["rowData"][0]["values"][0]


def test_typed_input_records_its_format_and_shows_as_typed(sheet) -> None:
    sheet.update([["10%", "2024-01-15", "₹1,234", "1,234", "9:30"]], "A1", value_input_option="USER_ENTERED")
    assert sheet.get("A1:E1")[0] == ["10%", "2024-01-15", "₹1,234.00", "1,234", "9:30"]
    assert sheet.get("A1:E1", value_render_option="UNFORMATTED_VALUE")[0] == [0.1, JAN_15_2024, 1234, 1234, 0.3958333333333333]
    assert _formats(sheet, "A1")["userEnteredFormat"]["numberFormat"] == {"type": "PERCENT", "pattern": "0%"}
    assert _formats(sheet, "B1")["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "yyyy-mm-dd"}
    assert _formats(sheet, "C1")["userEnteredFormat"]["numberFormat"] == {"type": "CURRENCY", "pattern": '"₹"#,##0.00'}


def test_a_format_set_on_numbers_changes_what_formatted_reads_show(sheet) -> None:
    sheet.update([[1234.5, 0.256, JAN_15_2024, 1234567]], "A1", value_input_option="RAW")
    patterns = ["#,##0.00", "0.0%", "dd/mm/yyyy", '"₹"#,##,##0']
    sheet.spreadsheet.batch_update({"requests": [{"repeatCell": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": c, "endColumnIndex": c + 1},
        "cell": {"userEnteredFormat": {"numberFormat": {"type": "NUMBER", "pattern": p}}},
        "fields": "userEnteredFormat.numberFormat"}} for c, p in enumerate(patterns)]})
    assert sheet.get("A1:D1")[0] == ["1,234.50", "25.6%", "15/01/2024", "₹12,34,567"]
    # A date under dateTimeRenderOption=FORMATTED_STRING, the others unformatted.
    assert sheet.get("A1:D1", value_render_option="UNFORMATTED_VALUE",
                     date_time_render_option="FORMATTED_STRING")[0] == [1234.5, 0.256, "15/01/2024", 1234567]
    # A value typed later into the formatted cell is shown by the cell's own pattern.
    sheet.update([["2024-02-01"]], "C1", value_input_option="USER_ENTERED")
    assert sheet.acell("C1").value == "01/02/2024"


def test_a_date_formula_shows_a_date(sheet) -> None:
    sheet.update([["=DATE(2024,1,15)"]], "A1", value_input_option="USER_ENTERED")
    assert sheet.acell("A1").value == "1/15/2024"
    assert sheet.get("A1", value_render_option="UNFORMATTED_VALUE")[0] == [JAN_15_2024]


def test_proto3_numbers_as_strings_and_unspecified_enums_are_understood(sheet) -> None:
    sheet.spreadsheet.batch_update({"requests": [{"updateCells": {
        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 2},
        "rows": [{"values": [
            {"userEnteredValue": {"numberValue": "3"},
             "userEnteredFormat": {"horizontalAlignment": "HORIZONTAL_ALIGN_UNSPECIFIED", "textFormat": None}},
            {"userEnteredValue": {"numberValue": None, "stringValue": "x"}}]}],
        "fields": "userEnteredValue,userEnteredFormat"}}]})
    assert sheet.get("A1:B1", value_render_option="UNFORMATTED_VALUE")[0] == [3, "x"]
    assert "userEnteredFormat" not in _formats(sheet, "A1")


def test_a_number_string_that_is_not_a_number_is_refused(sheet) -> None:
    from gspread.exceptions import APIError

    with pytest.raises(APIError) as err:
        sheet.spreadsheet.batch_update({"requests": [{"updateCells": {
            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 1},
            "rows": [{"values": [{"userEnteredValue": {"numberValue": "three"}}]}], "fields": "userEnteredValue"}}]})
    assert err.value.response.status_code == 400
