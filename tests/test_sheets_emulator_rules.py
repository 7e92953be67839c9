"""Pure rules of the Sheets emulator, table-driven: A1 notation, USER_ENTERED parsing, number rendering,
formulas and field masks."""

from __future__ import annotations

import pytest

from sheets_sync.emulator.sheets import a1
from sheets_sync.emulator.sheets.cells import Cell, format_number, parse_user_entered
from sheets_sync.emulator.sheets.formula import ErrorValue, evaluate
from sheets_sync.emulator.sheets.masks import apply_update, parse_fields, select


@pytest.mark.parametrize("text, expected", [
    ("A1", (None, 0, 1, 0, 1, None)),
    ("Sheet1!B2:C3", ("Sheet1", 1, 3, 1, 3, None)),
    ("'It''s'!A1", ("It's", 0, 1, 0, 1, None)),
    ("'my sheet'!A:C", ("my sheet", None, None, 0, 3, None)),
    ("Sheet1!A2:Z", ("Sheet1", 1, None, 0, 26, None)),
    ("Sheet1!2:5", ("Sheet1", 1, 5, None, None, None)),
    ("Sheet1!A1:1", ("Sheet1", 0, 1, 0, None, None)),
    ("'Sheet1'!D4:A1", ("Sheet1", 0, 4, 0, 4, None)),
    ("'Sheet1'", ("Sheet1", None, None, None, None, None)),
    ("Sheet1", ("Sheet1", None, None, None, None, "Sheet1")),
    ("MyRange", ("MyRange", None, None, None, None, "MyRange")),
    ("'Sheet1'!NamedRange", ("Sheet1", None, None, None, None, "NamedRange")),
    ("$A$1:$B$2", (None, 0, 2, 0, 2, None)),
])
def test_parse_range(text: str, expected: tuple) -> None:
    parsed = a1.parse_range(text)
    assert (parsed.title, parsed.start_row, parsed.end_row, parsed.start_col, parsed.end_col,
            parsed.name) == expected


@pytest.mark.parametrize("title, printed", [
    ("Sheet1", "Sheet1"), ("D3", "'D3'"), ("my sheet", "'my sheet'"), ("It's", "'It''s'"),
    ("🌵 cactus", "'🌵 cactus'"), ("_x", "_x"),
])
def test_quote_title(title: str, printed: str) -> None:
    assert a1.quote_title(title) == printed


@pytest.mark.parametrize("index, letters", [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")])
def test_column_letters_round_trip(index: int, letters: str) -> None:
    assert a1.index_to_col(index) == letters
    assert a1.col_to_index(letters) == index


def test_format_range_single_cell_and_block() -> None:
    assert a1.format_range("Sheet1", 0, 1, 0, 1) == "Sheet1!A1"
    assert a1.format_range("my sheet", 1, 4, 2, 5) == "'my sheet'!C2:E4"


def test_unparseable_cell_raises() -> None:
    with pytest.raises(ValueError):
        a1.parse_cell("1A")


@pytest.mark.parametrize("typed, value, display", [
    ("42", 42, None),
    ("0042", 42, None),
    ("-3.5", -3.5, None),
    ("1e3", 1000, None),
    ("TRUE", True, None),
    ("false", False, None),
    ("'0042", "0042", None),
    ("'=A1", "=A1", None),
    ("hello", "hello", None),
    ("2020-01-01", 43831, "2020-01-01"),
    ("1999-01-02", 36162, "1999-01-02"),
    ("1/2/2023", 44928, "1/2/2023"),
    ("2023-02-30", "2023-02-30", None),
    ("12:00", 0.5, "12:00"),
    ("50%", 0.5, "50%"),
    ("1,234", 1234, "1,234"),
    ("$1,234.5", 1234.5, "$1,234.50"),
])
def test_user_entered_parsing(typed: str, value: object, display: str | None) -> None:
    parsed = parse_user_entered(typed)
    if isinstance(parsed, Cell):
        assert (parsed.value, parsed.display) == (value, display)
    else:
        assert (parsed, None) == (value, display)
        assert type(parsed) is type(value)


def test_formula_is_stored_as_formula() -> None:
    parsed = parse_user_entered("=SUM(A1:A3)")
    assert isinstance(parsed, Cell) and parsed.formula == "=SUM(A1:A3)"


@pytest.mark.parametrize("number, text", [
    (2, "2"), (1.5, "1.5"), (0.12, "0.12"), (42.01, "42.01"), (1 / 3, "0.3333333333"), (-7, "-7"),
])
def test_format_number(number: float, text: str) -> None:
    assert format_number(number) == text


GRID = {(0, 0): 1, (1, 0): 2, (2, 0): 3, (0, 1): "x"}


def _read(title, r1, r2, c1, c2):
    r2 = 3 if r2 is None else r2
    c2 = 2 if c2 is None else c2
    return [[GRID.get((r, c)) for c in range(c1, c2)] for r in range(r1, r2)]


@pytest.mark.parametrize("formula, result", [
    ("=1+2*3", 7),
    ("=4/2", 2),
    ("=3/2", 1.5),
    ("=(1+2)*3", 9),
    ("=SUM(A1:A3)", 6),
    ("=A1+A3", 4),
    ("=AVERAGE(A1:A3)", 2),
    ("=MAX(A1:A3)-MIN(A1:A3)", 2),
    ('="a"&B1', "ax"),
    ("=IF(A1>0,\"pos\",\"neg\")", "pos"),
    ("=1/0", "#DIV/0!"),
    ("=IMPORTXML(\"http://x\",\"//a\")", "#NAME?"),
    ("=NOSUCHFUNC(1)", "#NAME?"),
    ("=1+", "#ERROR!"),
    ("=((((", "#ERROR!"),
    ("=B1+1", "#VALUE!"),
    ("=" + "(" * 2000 + "1" + ")" * 2000, "#ERROR!"),
])
def test_formula_evaluation_never_crashes(formula: str, result: object) -> None:
    value = evaluate(formula, _read)
    assert value == result
    if isinstance(result, str) and result.startswith("#"):
        assert isinstance(value, ErrorValue)


@pytest.mark.parametrize("mask, paths", [
    ("a.b(c,d/e),f", [["a", "b", "c"], ["a", "b", "d", "e"], ["f"]]),
    ("sheets/data/rowData/values/note", [["sheets", "data", "rowData", "values", "note"]]),
    ("namedRanges", [["namedRanges"]]),
    ("*", [["*"]]),
])
def test_parse_fields(mask: str, paths: list[list[str]]) -> None:
    assert parse_fields(mask) == paths


def test_select_maps_over_lists() -> None:
    data = {"sheets": [{"properties": {"title": "A", "index": 0}, "merges": []}], "spreadsheetId": "x"}
    assert select(data, parse_fields("sheets.properties.title")) == {"sheets": [{"properties": {"title": "A"}}]}


def test_apply_update_sets_and_clears_masked_fields() -> None:
    target = {"title": "old", "hidden": True, "gridProperties": {"rowCount": 5, "columnCount": 2}}
    apply_update(target, {"title": "new", "gridProperties": {"rowCount": 9}}, "title,hidden,gridProperties.rowCount")
    assert target == {"title": "new", "gridProperties": {"rowCount": 9, "columnCount": 2}}
