"""Requests that write cells: updateCells, repeatCell, appendCells, updateBorders, findReplace.

Every write goes through ``write_celldata`` under the request's field mask, so a mask naming only the format
leaves values (and notes, validation) alone, as in Google.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..grid import Window, data_extent
from ..store import Spreadsheet
from .base import Context, RequestError, check_protected, require_fields, sheet_of, window_of
from .celldata import write_celldata


def repeat_cell(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """One CellData written to every cell of a range under a field mask."""
    window = window_of(book, req.get("range"))
    fields = require_fields(req)
    check_protected(book, window, ctx)
    data = req.get("cell") or {}
    for r in range(window.start_row, window.end_row):
        for c in range(window.start_col, window.end_col):
            write_celldata(window.sheet, r, c, data, fields)
    window.sheet.trim()
    return None


def update_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Rows of CellData written at ``start`` or into ``range`` under a field mask."""
    fields = require_fields(req)
    rows = req.get("rows") or []
    if "start" in req:
        start = req["start"]
        sheet = sheet_of(book, start.get("sheetId"))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        height = len(rows)
        width = max((len(row.get("values") or []) for row in rows), default=0)
        window = window_of(book, {"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r0 + height,
                                  "startColumnIndex": c0, "endColumnIndex": c0 + width})
    else:
        window = window_of(book, req.get("range"))
    check_protected(book, window, ctx)
    sheet = window.sheet
    bounded = "range" in req
    for dr in range(window.rows if bounded else len(rows)):
        row_values = (rows[dr].get("values") or []) if dr < len(rows) else []
        for dc in range(window.cols if bounded else len(row_values)):
            data = row_values[dc] if dc < len(row_values) else {}
            write_celldata(sheet, window.start_row + dr, window.start_col + dc, data or {}, fields)
    sheet.trim()
    return None


def append_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Rows of CellData after the last row with data, growing the grid."""
    sheet = sheet_of(book, req.get("sheetId"))
    fields = require_fields(req)
    rows = req.get("rows") or []
    # "After the last row with data": rows holding only formats or validation do not count.
    start = data_extent(sheet)[0]
    need = start + len(rows)
    if need > sheet.row_count:
        sheet.props["gridProperties"]["rowCount"] = need
    for dr, row in enumerate(rows):
        for dc, data in enumerate(row.get("values") or []):
            if dc >= sheet.col_count:
                sheet.props["gridProperties"]["columnCount"] = dc + 1
            write_celldata(sheet, start + dr, dc, data or {}, fields)
    sheet.trim()
    return None


# Which request side draws which edge of a cell, and on which cells of the window. Later entries win: an
# inner line replaces the outer edge it meets, and the dict order here is the order the mask lists them.
_BORDER_RULES: tuple[tuple[str, str, Callable[[Window, int, int], bool]], ...] = (
    ("top", "top", lambda w, r, c: r == w.start_row),
    ("bottom", "bottom", lambda w, r, c: r == w.end_row - 1),
    ("left", "left", lambda w, r, c: c == w.start_col),
    ("right", "right", lambda w, r, c: c == w.end_col - 1),
    ("innerHorizontal", "bottom", lambda w, r, c: r < w.end_row - 1),
    ("innerVertical", "right", lambda w, r, c: c < w.end_col - 1),
)


def update_borders(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Borders around/inside a range, stored in each cell's format."""
    window = window_of(book, req.get("range"))
    rules = [(req[side], edge, applies) for side, edge, applies in _BORDER_RULES if side in req]
    for r in range(window.start_row, window.end_row):
        for c in range(window.start_col, window.end_col):
            borders: dict[str, Any] = {}
            for border, edge, applies in rules:
                if applies(window, r, c):
                    borders[edge] = border
            if borders:
                # A NONE style is written as an absent border: the mask names the edge, the data omits it.
                fmt = {"borders": {k: v for k, v in borders.items() if v.get("style") != "NONE"}}
                write_celldata(window.sheet, r, c, {"userEnteredFormat": fmt},
                               ",".join(f"userEnteredFormat.borders.{k}" for k in borders))
    return None


def find_replace(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Plain-text find/replace in values (no regex, no formulas)."""
    find = req.get("find")
    if not find:
        raise RequestError("find must not be empty")
    if req.get("searchByRegex"):
        raise RequestError("searchByRegex is not supported by the offline emulator")
    replacement = req.get("replacement", "")
    sheets = book.sheets if req.get("allSheets") else [sheet_of(book, req.get("sheetId"))]
    changed = 0
    for sheet in sheets:
        for r, line in enumerate(sheet.rows):
            for c, cell in enumerate(line):
                if isinstance(cell, str) and find in cell:
                    sheet.set_cell(r, c, cell.replace(find, replacement))
                    changed += 1
    return {"valuesChanged": changed, "rowsChanged": changed, "sheetsChanged": len(sheets),
            "occurrencesChanged": changed} if changed else {}
