"""The Sheets emulator's formulas: functions people write in a tracker, Google's error values, array results
that spill, and references that follow rows and cells when the grid changes.

Expected values are Google's documented results (support.google.com/docs function pages: DATEDIF's
"4 months between 9/30/15 and 2/28/16", NETWORKDAYS, XLOOKUP's match modes, ...) or what Sheets shows for
the same grid. The first tables call the engine directly; the rest go through the real gspread client.
"""

from __future__ import annotations

import pytest

from sheets_sync.client import make_client
from sheets_sync.emulator.sheets.formula import ErrorValue, evaluate
from sheets_sync.emulator.sheets.formula_refs import after_delete, after_insert, shift_relative
from sheets_sync.emulator.sheets.formula_values import Array, date_kind

# A small tracker: A Ticket, B Department, C Days open, D Status (rows 1-6, header in row 1).
GRID = [
    ["Ticket", "Department", "Days", "Status"],
    ["T-1", "Roads", 3, "Open"],
    ["T-2", "Water", 5, "Closed"],
    ["T-3", "Roads", 7, "Open"],
    ["T-4", "Garbage", 1, "Open"],
    ["T-5", "roads", "", "Closed"],
]
NAMES = {"Departments": (None, 1, 6, 1, 2)}


def _read(title, r1, r2, c1, c2):
    if title is not None and title != "Other tab":
        return [[ErrorValue("#REF!")]]
    grid = [[10, 20]] if title == "Other tab" else GRID
    r2 = len(grid) if r2 is None else r2
    c2 = 4 if c2 is None else c2
    return [[grid[r][c] if r < len(grid) and c < len(grid[r]) else None for c in range(c1, c2)]
            for r in range(r1, r2)]


def calc(formula: str, home: tuple[int, int] = (9, 9)):
    return evaluate(formula, _read, names=NAMES.get, home=home, now=45306.5)


@pytest.mark.parametrize("formula, expected", [
    # logical
    ('=IF(C2>5,"late","ok")', "ok"),
    ('=IF(C4>5,"late","ok")', "late"),
    ('=IF(C2=0,"",1/C2*3)', 1),
    ('=IF(A1="x",1/0,"safe")', "safe"),  # the branch not taken is never evaluated
    ('=IFS(C4>6,"week",C4>2,"days",TRUE,"new")', "week"),
    ('=IFS(C5>6,"week",C5>2,"days")', "#N/A"),
    ('=IFERROR(1/0,"none")', "none"),
    ("=IFERROR(VLOOKUP(\"T-9\",A2:C6,2,FALSE),\"missing\")", "missing"),
    ('=IFNA(MATCH("T-9",A2:A6,0),"no")', "no"),
    ("=AND(C2>1,C3>1)", True),
    ("=OR(C2>6,C3>6)", False),
    ("=NOT(C2>6)", True),
    ("=SWITCH(B3,\"Roads\",1,\"Water\",2,0)", 2),
    # counting and aggregation
    ('=COUNTIF(B2:B6,"Roads")', 3),  # case-insensitive, as in Sheets
    ('=COUNTIF(C2:C6,">2")', 3),
    ('=COUNTIF(D2:D6,"<>Open")', 2),
    ('=COUNTIF(A2:A6,"T-*")', 5),
    ('=COUNTIFS(B2:B6,"Roads",D2:D6,"Open")', 2),
    ('=SUMIF(B2:B6,"Roads",C2:C6)', 10),
    ('=SUMIFS(C2:C6,B2:B6,"Roads",D2:D6,"Open")', 10),
    ('=AVERAGEIF(B2:B6,"Roads",C2:C6)', 5),
    ('=AVERAGEIFS(C2:C6,D2:D6,"Open")', pytest.approx(11 / 3)),
    ('=AVERAGEIF(B2:B6,"Parks",C2:C6)', "#DIV/0!"),
    ("=COUNTA(A1:D6)", 23),
    ("=COUNTBLANK(C2:C6)", 1),
    ("=SUM(C2:C6)", 16),
    ("=SUMPRODUCT(C2:C4,C2:C4)", 83),
    ("=ROUND(2.5)", 3),
    ("=ROUND(-2.5)", -3),
    ("=ROUNDUP(3.21,1)", 3.3),
    ("=MOD(-3,2)", 1),
    # lookups
    ('=VLOOKUP("T-3",A2:D6,2,FALSE)', "Roads"),
    ('=VLOOKUP("t-3",A2:D6,4,FALSE)', "Open"),
    ('=VLOOKUP("T-3",A2:D6,5,FALSE)', "#REF!"),
    ('=VLOOKUP("T-9",A2:D6,2,FALSE)', "#N/A"),
    ("=VLOOKUP(4,{1,\"a\";3,\"b\";5,\"c\"},2)", "b"),  # sorted lookup: the largest key <= 4
    ('=XLOOKUP("T-4",A2:A6,B2:B6)', "Garbage"),
    ('=XLOOKUP("T-9",A2:A6,B2:B6,"none")', "none"),
    ('=XLOOKUP("Roads",B2:B6,A2:A6,,0,-1)', "T-5"),  # search last to first
    ('=XLOOKUP(4,C2:C4,A2:A4,,1)', "T-2"),  # exact or next larger
    ('=XLOOKUP(4,C2:C4,A2:A4,,-1)', "T-1"),  # exact or next smaller
    ('=XLOOKUP("G*",B2:B6,A2:A6,,2)', "T-4"),  # wildcard
    ('=INDEX(A2:D6,3,2)', "Roads"),
    ('=INDEX(A2:D6,MATCH("T-2",A2:A6,0),4)', "Closed"),
    ('=INDEX(A2:D6,9,1)', "#REF!"),
    ('=MATCH("Water",B2:B6,0)', 2),
    ('=MATCH(6,{1,3,5,7},1)', 3),
    ("=ROWS(A2:D6)*COLUMNS(A2:D6)", 20),
    # text
    ('=LEFT("Pune Municipal",4)', "Pune"),
    ('=RIGHT(A2,1)', "1"),
    ('=MID("Ward 12 office",6,2)', "12"),
    ('=LEN("  a b  ")', 7),
    ('=TRIM("  a   b  ")', "a b"),
    ('=UPPER(B2)&"-"&LOWER(B3)', "ROADS-water"),
    ('=PROPER("pune roads dept")', "Pune Roads Dept"),
    ('=TEXTJOIN(", ",TRUE,B2:B4,"",D2)', "Roads, Water, Roads, Open"),
    ('=TEXTJOIN("|",FALSE,C5:C6)', "1|"),
    ('=SUBSTITUTE("a-b-c","-","/",2)', "a-b/c"),
    ('=SEARCH("road",B2)', 1),
    ('=FIND("road",B2)', "#VALUE!"),
    ('=VALUE("1,234.5")+1', 1235.5),
    ('=TEXT(1234.5,"#,##0.00")', "1,234.50"),
    ('=TEXT(0.256,"0.0%")', "25.6%"),
    ('=TEXT(45306,"dd/mm/yyyy")', "15/01/2024"),
    ('=TEXT(DATE(2024,1,15),"mmmm d, yyyy")', "January 15, 2024"),
    # dates (serial numbers: 45306 is 2024-01-15)
    ("=DATE(2024,1,15)", 45306),
    ("=DATE(2024,13,1)", 45658),  # month 13 rolls into the next year
    ("=DATE(2024,1,15)+7", 45313),
    ('=DATEDIF(DATE(1969,7,16),DATE(1969,7,24),"D")', 8),
    ('=DATEDIF("9/30/2015","2/28/2016","M")', 4),  # Google's own note: months count only past the day
    ('=DATEDIF(DATE(2001,2,28),DATE(2004,3,20),"Y")', 3),
    ('=DATEDIF(DATE(2001,2,28),DATE(2004,3,20),"YD")', 21),
    ('=DATEDIF(DATE(2001,2,28),DATE(2004,3,20),"MD")', 21),
    ('=DATEDIF(DATE(2001,1,28),DATE(2004,3,20),"YM")', 1),
    ('=DATEDIF(DATE(2024,2,1),DATE(2024,1,1),"D")', "#NUM!"),
    ("=NETWORKDAYS(DATE(2024,1,1),DATE(2024,1,31))", 23),
    ("=NETWORKDAYS(DATE(2024,1,1),DATE(2024,1,31),{45292})", 22),  # Jan 1 a holiday
    ("=WEEKDAY(DATE(2024,1,15))", 2),  # a Monday; Sunday is 1
    ("=YEAR(45306)*100+MONTH(45306)", 202401),
    ("=EOMONTH(DATE(2024,1,15),1)", 45351),  # 2024-02-29
    ("=EDATE(DATE(2024,1,31),1)", 45351),
    ("=TODAY()", 45306),
    ("=NOW()", 45306.5),
    ("=TODAY()-DATE(2024,1,1)", 14),
    # errors, as Google names them
    ("=NOSUCHFUNCTION(1)", "#NAME?"),
    ("=UnknownName+1", "#NAME?"),
    ("=A1+", "#ERROR!"),
    ('=SUM(1,"a"&)', "#ERROR!"),
    ("=1/0", "#DIV/0!"),
    ('="a"+1', "#VALUE!"),
    ("=#REF!+1", "#REF!"),
    ("=IF(1)", "#N/A"),  # wrong number of arguments
    ("=NA()", "#N/A"),
    ("=ISERROR(1/0)", True),
    ("=ISNA(NA())", True),
    ("=ISBLANK(C6)", False),  # "" typed is not blank
    ("=ISNUMBER(C2)", True),
    # named ranges and cross-sheet references
    ('=COUNTIF(Departments,"Roads")', 3),
    ("='Other tab'!A1+'Other tab'!B1", 30),
    ("=SUM('Other tab'!A1:B1)", 30),
    ("=Missing!A1", "#REF!"),
])
def test_functions_give_googles_results(formula: str, expected: object) -> None:
    value = calc(formula)
    assert value == expected
    if isinstance(expected, str) and expected.startswith("#"):
        assert isinstance(value, ErrorValue)


def test_range_outside_arrayformula_is_intersected_with_the_formulas_row() -> None:
    # In E3, =C2:C6*2 uses C3 (the formula's own row), as Sheets does without ARRAYFORMULA.
    assert calc("=C2:C6*2", home=(2, 4)) == 10
    assert calc("=C2:C6*2", home=(20, 4)) == "#VALUE!"


@pytest.mark.parametrize("formula, rows", [
    ("=ARRAYFORMULA(C2:C4*2)", [[6], [10], [14]]),
    ('=ARRAYFORMULA(IF(C2:C6="","",C2:C6+1))', [[4], [6], [8], [2], [""]]),
    ("=UNIQUE(B2:B4)", [["Roads"], ["Water"]]),
    ('=FILTER(A2:A6,D2:D6="Open")', [["T-1"], ["T-3"], ["T-4"]]),
    ('=FILTER(A2:A6,D2:D6="Open",C2:C6>2)', [["T-1"], ["T-3"]]),
    ("={1,2;3,4}", [[1, 2], [3, 4]]),
    ("=SORT(C2:C4,1,FALSE)", [[7], [5], [3]]),
    ('=XLOOKUP("T-2",A2:A6,B2:D6)', [["Water", 5, "Closed"]]),
])
def test_array_results(formula: str, rows: list[list[object]]) -> None:
    value = calc(formula)
    assert isinstance(value, Array)
    assert value.rows == rows


def test_filter_without_matches_and_mismatched_sizes() -> None:
    assert calc('=FILTER(A2:A6,D2:D6="Gone")') == "#N/A"
    assert calc("=FILTER(A2:A6,D2:D4=\"Open\")") == "#VALUE!"


def test_date_results_are_flagged_as_dates() -> None:
    assert date_kind(calc("=DATE(2024,1,15)+7")) == "DATE"
    assert date_kind(calc("=NOW()")) == "DATE_TIME"
    assert date_kind(calc("=TIME(9,30,0)")) == "TIME"
    assert date_kind(calc("=DATE(2024,1,15)-DATE(2024,1,1)")) is None  # a number of days
    assert date_kind(calc("=DATEDIF(DATE(2024,1,1),DATE(2024,3,1),\"M\")")) is None


@pytest.mark.parametrize("formula, d_row, d_col, expected", [
    ("=A1+B2", 1, 0, "=A2+B3"),
    ("=$A$1+A1", 2, 1, "=$A$1+B3"),
    ("=SUM($A2:A$3)", 1, 1, "=SUM($A3:B$3)"),
    ("=SUM(A:A)", 5, 1, "=SUM(B:B)"),
    ("='My tab'!A1 & \"A1\"", 1, 0, "='My tab'!A2 & \"A1\""),  # text that looks like a ref stays
    ("=A1", -1, 0, "=#REF!"),  # pushed above row 1
])
def test_copied_formulas_shift_relative_references(formula: str, d_row: int, d_col: int, expected: str) -> None:
    assert shift_relative(formula, d_row, d_col) == expected


def _book_with(formulas: dict[tuple[int, int], str]):
    from sheets_sync.emulator.sheets.cells import Cell
    from sheets_sync.emulator.sheets.store import Spreadsheet

    book = Spreadsheet("x", "t")
    sheet = book.add_default_sheet()
    for (r, c), text in formulas.items():
        sheet.set_cell(r, c, Cell(formula=text))
    return book, sheet


@pytest.mark.parametrize("change, formula, expected", [
    (("insert", "ROWS", 0, 2), "=SUM(A1:A5)+$B$3", "=SUM(A3:A7)+$B$5"),
    (("insert", "ROWS", 2, 1), "=SUM(A1:A5)", "=SUM(A1:A6)"),  # a straddling range grows
    (("insert", "ROWS", 9, 1), "=SUM(A1:A5)", "=SUM(A1:A5)"),
    (("insert", "COLUMNS", 0, 1), "=A1&C:C", "=B1&D:D"),
    (("delete", "ROWS", 1, 2), "=A1+A2+A4", "=A1+#REF!+A2"),
    (("delete", "ROWS", 1, 3), "=SUM(A1:A5)", "=SUM(A1:A2)"),
    (("delete", "ROWS", 0, 5), "=SUM(A1:A5)", "=SUM(#REF!)"),
    (("delete", "COLUMNS", 0, 1), "=B2*2", "=A2*2"),
])
def test_references_follow_inserted_and_deleted_rows(change, formula: str, expected: str) -> None:
    book, sheet = _book_with({(20, 20): formula})
    kind, dim, a, b = change
    if kind == "insert":
        after_insert(book, sheet, dim, a, b)
    else:
        after_delete(book, sheet, dim, a, a + b)
    assert sheet.cell(20, 20).formula == expected


# --- through gspread and the emulator -------------------------------------------------------------------


@pytest.fixture
def ws(sheets_emulator):
    client = make_client(sheets_emulator.session())
    spreadsheet = client.create("Formulas")
    worksheet = spreadsheet.sheet1
    worksheet.update(GRID, "A1")
    return worksheet


def _formulas(ws, cell: str, *formulas: str) -> None:
    ws.update([list(formulas)], cell, value_input_option="USER_ENTERED")


def test_gspread_reads_function_results(ws) -> None:
    _formulas(ws, "F1", '=COUNTIF(B2:B6,"Roads")', '=SUMIF(B2:B6,"Roads",C2:C6)',
              '=VLOOKUP("T-2",A2:D6,4,FALSE)', '=IFERROR(1/0,"none")', "=A1+", "=NOSUCH(1)",
              '=TEXT(DATE(2024,1,15),"dd/mm/yyyy")')
    assert ws.get("F1:L1") == [["3", "10", "Closed", "none", "#ERROR!", "#NAME?", "15/01/2024"]]
    assert ws.get("F1:G1", value_render_option="UNFORMATTED_VALUE") == [[3, 10]]


def test_array_formula_spills_and_is_blocked_by_data(ws) -> None:
    _formulas(ws, "F2", "=UNIQUE(B2:B5)", "=ARRAYFORMULA(C2:C5*10)")
    assert ws.get("F2:G5") == [["Roads", "30"], ["Water", "50"], ["Garbage", "70"], ["", "10"]]
    # Something typed in the spill area stops the spill: the formula shows #REF!, as in Sheets.
    ws.update([["typed"]], "G4")
    assert ws.get("F2:G5") == [["Roads", "#REF!"], ["Water"], ["Garbage", "typed"]]
    # A formula can read spilled cells.
    _formulas(ws, "H1", "=COUNTA(F2:F10)")
    assert ws.acell("H1").value == "3"


def test_named_range_and_cross_sheet_reference(ws) -> None:
    spreadsheet = ws.spreadsheet
    other = spreadsheet.add_worksheet("Ward totals", rows=10, cols=5)
    other.update([[5, 6]], "A1")
    spreadsheet.batch_update({"requests": [{"addNamedRange": {"namedRange": {
        "name": "Days", "range": {"sheetId": ws.id, "startRowIndex": 1, "endRowIndex": 6,
                                  "startColumnIndex": 2, "endColumnIndex": 3}}}}]})
    _formulas(ws, "F1", "=SUM(Days)", "=SUM('Ward totals'!A1:B1)", "=Nowhere!A1")
    assert ws.get("F1:H1") == [["16", "11", "#REF!"]]


def test_inserting_and_deleting_rows_moves_references(ws) -> None:
    _formulas(ws, "F1", "=SUM(C2:C5)", "=C3")
    ws.spreadsheet.batch_update({"requests": [{"insertDimension": {
        "range": {"sheetId": ws.id, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}}}]})
    assert ws.get("F1:G1", value_render_option="FORMULA") == [["=SUM(C4:C7)", "=C5"]]
    assert ws.get("F1:G1") == [["16", "5"]]
    ws.delete_rows(5)  # the row =C5 points at
    assert ws.get("F1:G1", value_render_option="FORMULA") == [["=SUM(C4:C6)", "=#REF!"]]
    assert ws.get("F1:G1") == [["11", "#REF!"]]


def test_copy_and_cut_paste_adjust_references(ws) -> None:
    _formulas(ws, "F2", "=C2*2")
    sheet_id = ws.id

    def grid(r0: int, r1: int, c0: int, c1: int) -> dict:
        return {"sheetId": sheet_id, "startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0,
                "endColumnIndex": c1}

    ws.spreadsheet.batch_update({"requests": [{"copyPaste": {
        "source": grid(1, 2, 5, 6), "destination": grid(2, 5, 5, 6), "pasteType": "PASTE_NORMAL"}}]})
    assert ws.get("F2:F5", value_render_option="FORMULA") == [["=C2*2"], ["=C3*2"], ["=C4*2"], ["=C5*2"]]
    assert ws.get("F2:F5") == [["6"], ["10"], ["14"], ["2"]]
    # Cut C2 to H2: the formula that read C2 follows it.
    ws.spreadsheet.batch_update({"requests": [{"cutPaste": {
        "source": grid(1, 2, 2, 3), "destination": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": 7},
        "pasteType": "PASTE_NORMAL"}}]})
    assert ws.acell("F2", value_render_option="FORMULA").value == "=H2*2"
    assert ws.acell("F2").value == "6"
