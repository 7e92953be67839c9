"""Requests that move or combine blocks of cells: copyPaste, cutPaste, sortRange, mergeCells, unmergeCells."""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

from ..cells import Cell, has_value
from ..formula_refs import after_cut, shift_relative
from ..grid import Evaluator, Window
from ..store import Sheet, Spreadsheet
from .base import Context, RequestError, check_protected, sheet_of, window_of
from .celldata import to_celldata, write_celldata


def _paste(sheet: Sheet, src: Sheet, src_win: Window, r0: int, c0: int, paste_type: str,
           transpose: bool = False) -> None:
    """One copy of the source block with its top-left cell at (r0, c0)."""
    block = [[src.cell(r, c) for c in range(src_win.start_col, src_win.end_col)]
             for r in range(src_win.start_row, src_win.end_row)]
    if transpose:
        block = [list(col) for col in zip(*block, strict=False)]
    for dr, row in enumerate(block):
        for dc, cell in enumerate(row):
            r, c = r0 + dr, c0 + dc
            old = sheet.cell(r, c)
            if paste_type == "PASTE_VALUES":
                data = to_celldata(cell)
                write_celldata(sheet, r, c, data, "userEnteredValue")
            elif paste_type == "PASTE_FORMAT":
                write_celldata(sheet, r, c, to_celldata(cell), "userEnteredFormat")
            elif paste_type == "PASTE_NO_BORDERS" or paste_type == "PASTE_NORMAL":
                sheet.set_cell(r, c, _moved_formula(cell, r0 - src_win.start_row, c0 - src_win.start_col,
                                                    transpose))
            else:
                sheet.set_cell(r, c, old)
    sheet.trim()


def _moved_formula(cell: Any, d_row: int, d_col: int, transpose: bool) -> Any:
    """A pasted cell: a formula's relative references shift by the paste offset, as in Sheets."""
    if transpose or not isinstance(cell, Cell) or cell.formula is None:
        return cell
    return cell.copy(formula=shift_relative(cell.formula, d_row, d_col))


def copy_paste(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Copy a range; a larger destination repeats the source as Sheets does."""
    src = window_of(book, req.get("source"))
    dst = window_of(book, req.get("destination"))
    check_protected(book, dst, ctx)
    paste_type = req.get("pasteType", "PASTE_NORMAL")
    transpose = req.get("pasteOrientation") == "TRANSPOSE"
    h, w = (src.cols, src.rows) if transpose else (src.rows, src.cols)
    reps_r = max(1, dst.rows // h)
    reps_c = max(1, dst.cols // w)
    for i in range(reps_r):
        for j in range(reps_c):
            _paste(dst.sheet, src.sheet, src, dst.start_row + i * h, dst.start_col + j * w, paste_type, transpose)
    return None


def cut_paste(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Move a range to a destination cell."""
    src = window_of(book, req.get("source"))
    dest = req.get("destination") or {}
    sheet = sheet_of(book, dest.get("sheetId"))
    r0, c0 = dest.get("rowIndex", 0), dest.get("columnIndex", 0)
    dst = window_of(book, {"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r0 + src.rows,
                           "startColumnIndex": c0, "endColumnIndex": c0 + src.cols})
    check_protected(book, src, ctx)
    check_protected(book, dst, ctx)
    block = [[src.sheet.cell(r, c) for c in range(src.start_col, src.end_col)]
             for r in range(src.start_row, src.end_row)]
    for r in range(src.start_row, src.end_row):
        for c in range(src.start_col, src.end_col):
            src.sheet.set_cell(r, c, None)
    for dr, row in enumerate(block):
        for dc, cell in enumerate(row):
            sheet.set_cell(r0 + dr, c0 + dc, cell)
    # References anywhere in the spreadsheet to the moved cells follow them.
    after_cut(book, src.sheet, (src.start_row, src.end_row), (src.start_col, src.end_col), sheet,
              r0 - src.start_row, c0 - src.start_col)
    src.sheet.trim()
    sheet.trim()
    return None


def _sort_key_cmp(specs: list[tuple[int, bool]]) -> Callable[[list[Any], list[Any]], int]:
    """A comparison of two rows' values by (column offset, ascending) specs, in Sheets' type order."""
    def rank(value: Any) -> tuple[int, Any]:
        # Sheets orders numbers, then text (case-insensitive), then booleans; blanks always last.
        if value is None or value == "":
            return (3, 0)
        if isinstance(value, bool):
            return (2, value)
        if isinstance(value, (int, float)):
            return (0, value)
        return (1, str(value).lower())

    def compare(a: list[Any], b: list[Any]) -> int:
        for col, ascending in specs:
            ka, kb = rank(a[col]), rank(b[col])
            if ka == kb:
                continue
            if ka[0] == 3 or kb[0] == 3:
                return 1 if ka[0] == 3 else -1
            result = -1 if ka < kb else 1
            return result if ascending else -result
        return 0

    return compare


def sort_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Sort the rows of a range by one or more columns (stable, like Sheets)."""
    window = window_of(book, req.get("range"))
    check_protected(book, window, ctx)
    sheet = window.sheet
    specs = []
    for spec in req.get("sortSpecs") or []:
        col = spec.get("dimensionIndex", 0)
        if not window.start_col <= col < window.end_col:
            raise RequestError(f"Sort column {col} is outside the range.")
        specs.append((col - window.start_col, spec.get("sortOrder", "ASCENDING") != "DESCENDING"))
    evaluator = Evaluator(book)
    rows = []
    for r in range(window.start_row, window.end_row):
        cells = [sheet.cell(r, c) for c in range(window.start_col, window.end_col)]
        keys = [evaluator.value(sheet, r, c) for c in range(window.start_col, window.end_col)]
        rows.append((keys, cells))
    rows.sort(key=cmp_to_key(lambda a, b: _sort_key_cmp(specs)(a[0], b[0])))
    for dr, (_, cells) in enumerate(rows):
        for dc, cell in enumerate(cells):
            sheet.set_cell(window.start_row + dr, window.start_col + dc, cell)
    sheet.trim()
    return None


# --- merges ---------------------------------------------------------------------------------------------


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two closed GridRanges share a cell."""
    return (a["startRowIndex"] < b["endRowIndex"] and b["startRowIndex"] < a["endRowIndex"]
            and a["startColumnIndex"] < b["endColumnIndex"] and b["startColumnIndex"] < a["endColumnIndex"])


def _contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    """Whether ``inner`` lies wholly inside ``outer``."""
    return (outer["startRowIndex"] <= inner["startRowIndex"] and inner["endRowIndex"] <= outer["endRowIndex"]
            and outer["startColumnIndex"] <= inner["startColumnIndex"]
            and inner["endColumnIndex"] <= outer["endColumnIndex"])


def _merge_pieces(window: Window, merge_type: str) -> list[tuple[int, int, int, int]]:
    """The (r0, r1, c0, c1) blocks a merge type cuts the window into: one, one per row, or one per column."""
    if merge_type == "MERGE_ALL":
        return [(window.start_row, window.end_row, window.start_col, window.end_col)]
    if merge_type == "MERGE_ROWS":
        return [(r, r + 1, window.start_col, window.end_col) for r in range(window.start_row, window.end_row)]
    if merge_type == "MERGE_COLUMNS":
        return [(window.start_row, window.end_row, c, c + 1) for c in range(window.start_col, window.end_col)]
    raise RequestError(f"Unknown merge type {merge_type}")


def merge_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Merge a range (MERGE_ALL / MERGE_ROWS / MERGE_COLUMNS); only the top-left value survives."""
    window = window_of(book, req.get("range"))
    sheet = window.sheet
    pieces = _merge_pieces(window, req.get("mergeType", "MERGE_ALL"))
    merges = sheet.extras.setdefault("merges", [])
    for r0, r1, c0, c1 in pieces:
        if (r1 - r0) * (c1 - c0) < 2:
            continue
        rng = {"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0,
               "endColumnIndex": c1}
        # Merges wholly inside the new one are absorbed by it; a partial overlap is refused, as in Sheets.
        inside = [m for m in merges if _contains(rng, m)]
        if any(_overlaps(rng, m) and m not in inside for m in merges):
            raise RequestError("You can't merge cells that overlap with an existing merge.")
        for m in inside:
            merges.remove(m)
        merges.append(rng)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if (r, c) != (r0, c0) and has_value(sheet.cell(r, c)):
                    write_celldata(sheet, r, c, {}, "userEnteredValue")
    if not merges:
        sheet.extras.pop("merges")
    sheet.trim()
    return None


def unmerge_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Unmerge every merge inside the range."""
    window = window_of(book, req.get("range"))
    sheet = window.sheet
    rng = {"startRowIndex": window.start_row, "endRowIndex": window.end_row,
           "startColumnIndex": window.start_col, "endColumnIndex": window.end_col}
    merges = sheet.extras.get("merges", [])
    kept = [m for m in merges if not _overlaps(m, rng)]
    if kept:
        sheet.extras["merges"] = kept
    else:
        sheet.extras.pop("merges", None)
    return None
