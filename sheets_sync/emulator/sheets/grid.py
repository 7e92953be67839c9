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
from .formula import ErrorValue
from .formula_grid import Evaluator
from .number_format import cell_number_format, is_date_format, show
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
    elif cell.value is None:
        return None
    else:
        value = cell.value
        if cell.display is not None and (mode == "FORMATTED_VALUE" or (dt_formatted and cell.dt_kind)):
            return cell.display  # shown as typed (a USER_ENTERED 2024-01-15, 10%, ₹1,234)
    return _formatted(cell, value, mode, dt_formatted)


def _formatted(cell: Cell, value: Any, mode: str, dt_formatted: bool) -> Any:
    """A value under the cell's number format: every FORMATTED_VALUE read, and dates and times under
    ``dateTimeRenderOption=FORMATTED_STRING``."""
    number_format = cell_number_format(cell.fmt, cell.formula)
    if mode == "FORMATTED_VALUE" or (dt_formatted and is_date_format(number_format)):
        shown = show(value, number_format)
        if shown is not None:
            return shown
    return render_scalar(value, mode == "FORMATTED_VALUE")


def cell_text(cell: Any, evaluator: Evaluator, sheet: Sheet, row: int, col: int) -> str:
    """The formatted text of a cell ("" for empty), as CSV export and find() see it."""
    value = render(cell, evaluator, sheet, row, col, "FORMATTED_VALUE", True)
    return "" if value is None else str(value)
