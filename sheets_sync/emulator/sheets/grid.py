"""Resolving A1 text against a spreadsheet, and reading cells with formulas evaluated.

Shared by the values endpoints, batchUpdate and spreadsheets.get so that every endpoint agrees on what a
range means and what a cell shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import a1
from .cells import Cell, has_value, render_scalar
from .errors import ApiError, invalid
from .formula import ErrorValue, evaluate
from .store import Sheet, Spreadsheet


@dataclass
class Window:
    """A closed rectangle on one sheet (zero-based, end-exclusive)."""

    sheet: Sheet
    start_row: int
    end_row: int
    start_col: int
    end_col: int
    whole_sheet: bool = False

    @property
    def rows(self) -> int:
        """Height."""
        return self.end_row - self.start_row

    @property
    def cols(self) -> int:
        """Width."""
        return self.end_col - self.start_col

    def a1(self) -> str:
        """Google's printed form."""
        return a1.format_range(self.sheet.title, self.start_row, self.end_row, self.start_col, self.end_col)


def unable_to_parse(text: str) -> ApiError:
    """Google's answer to a range it cannot resolve."""
    return invalid(f"Unable to parse range: {text}")


def resolve(book: Spreadsheet, text: str, clamp: bool = True) -> Window:
    """Resolve A1 text (or a named range) to a window; open ends reach the grid's edge.

    With ``clamp=False`` a closed range may reach past the grid (writes check that themselves).
    """
    try:
        parsed = a1.parse_range(text)
    except ValueError:
        raise unable_to_parse(text) from None
    if parsed.name is not None:
        sheet = book.sheet_by_title(parsed.name) if parsed.title == parsed.name else None
        if sheet is not None and parsed.title == parsed.name:
            return _whole(sheet)
        named = find_named_range(book, parsed.name)
        if named is None:
            raise unable_to_parse(text)
        return window_from_grid_range(book, named["range"])
    if parsed.title is None:
        sheet = book.sheets[0] if book.sheets else None
    else:
        sheet = book.sheet_by_title(parsed.title)
    if sheet is None:
        raise unable_to_parse(text)
    if parsed.start_row is None and parsed.end_row is None and parsed.start_col is None \
            and parsed.end_col is None:
        return _whole(sheet)
    start_row = parsed.start_row or 0
    end_row = parsed.end_row if parsed.end_row is not None else sheet.row_count
    start_col = parsed.start_col or 0
    end_col = parsed.end_col if parsed.end_col is not None else sheet.col_count
    if clamp:
        end_row = max(min(end_row, sheet.row_count), start_row)
        end_col = max(min(end_col, sheet.col_count), start_col)
    return Window(sheet, start_row, end_row, start_col, end_col)


def _whole(sheet: Sheet) -> Window:
    return Window(sheet, 0, sheet.row_count, 0, sheet.col_count, whole_sheet=True)


def find_named_range(book: Spreadsheet, name: str) -> dict[str, Any] | None:
    """The named range called ``name`` (case-insensitive, as in Sheets)."""
    lowered = name.lower()
    for named in book.named_ranges:
        if named["name"].lower() == lowered:
            return named
    return None


def window_from_grid_range(book: Spreadsheet, grid: dict[str, Any]) -> Window:
    """A window from a GridRange JSON object (missing indexes mean "unbounded", sheetId 0 may be omitted)."""
    sheet = book.sheet_by_id(grid.get("sheetId", 0))
    if sheet is None:
        raise invalid(f"No grid with id: {grid.get('sheetId', 0)}")
    start_row = grid.get("startRowIndex", 0)
    end_row = grid.get("endRowIndex", sheet.row_count)
    start_col = grid.get("startColumnIndex", 0)
    end_col = grid.get("endColumnIndex", sheet.col_count)
    return Window(sheet, start_row, end_row, start_col, end_col)


def data_extent(sheet: Sheet) -> tuple[int, int]:
    """(rows, cols) spanned by cells with values, from A1."""
    last_row = 0
    last_col = 0
    for r, line in enumerate(sheet.rows):
        width = len(line)
        while width and not has_value(line[width - 1]):
            width -= 1
        if width:
            last_row = r + 1
            last_col = max(last_col, width)
    return last_row, last_col


class Evaluator:
    """Evaluates formulas on demand for one request, memoising results and breaking reference cycles."""

    def __init__(self, book: Spreadsheet) -> None:
        self.book = book
        self.cache: dict[tuple[int, int, int], Any] = {}
        self.active: set[tuple[int, int, int]] = set()

    def value(self, sheet: Sheet, row: int, col: int) -> Any:
        """The effective (calculated) value at a cell: number/str/bool/ErrorValue or None."""
        cell = sheet.cell(row, col)
        if not isinstance(cell, Cell):
            return cell
        if cell.formula is None:
            return cell.value
        key = (sheet.sheet_id, row, col)
        if key in self.cache:
            return self.cache[key]
        if key in self.active:
            return ErrorValue("#REF!")
        self.active.add(key)
        try:
            result = evaluate(cell.formula, lambda title, r1, r2, c1, c2: self._read(sheet, title, r1, r2, c1, c2))
        finally:
            self.active.discard(key)
        self.cache[key] = result
        return result

    def _read(self, home: Sheet, title: str | None, r1: int, r2: int | None, c1: int,
              c2: int | None) -> list[list[Any]]:
        sheet = home if title is None else self.book.sheet_by_title(title)
        if sheet is None:
            return [[ErrorValue("#REF!")]]
        end_row = min(r2 if r2 is not None else len(sheet.rows), len(sheet.rows))
        end_col = c2 if c2 is not None else sheet.col_count
        return [[self.value(sheet, r, c) for c in range(c1, end_col)] for r in range(r1, max(end_row, r1))]


def render(cell: Any, evaluator: Evaluator, sheet: Sheet, row: int, col: int, mode: str,
           dt_formatted: bool) -> Any:
    """One cell as values.get shows it under ``valueRenderOption`` ``mode`` (None for empty)."""
    if not isinstance(cell, Cell):
        if cell is None:
            return None
        return render_scalar(cell, mode == "FORMATTED_VALUE")
    if cell.formula is not None:
        if mode == "FORMULA":
            return cell.formula
        value = evaluator.value(sheet, row, col)
        if isinstance(value, ErrorValue):
            return str(value)
        return render_scalar(value, mode == "FORMATTED_VALUE")
    if cell.value is None:
        return None
    if mode == "FORMATTED_VALUE":
        if cell.display is not None:
            return cell.display
        return render_scalar(cell.value, True)
    if cell.dt_kind is not None and dt_formatted and cell.display is not None:
        return cell.display
    return render_scalar(cell.value, False)


def cell_text(cell: Any, evaluator: Evaluator, sheet: Sheet, row: int, col: int) -> str:
    """The formatted text of a cell ("" for empty), as CSV export and find() see it."""
    value = render(cell, evaluator, sheet, row, col, "FORMATTED_VALUE", True)
    return "" if value is None else str(value)
