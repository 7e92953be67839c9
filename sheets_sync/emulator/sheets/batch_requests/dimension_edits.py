"""Row and column requests: insert, delete, append, resize, hide, group.

Inserting and deleting move everything attached to the rows (see ``..dimensions``); the rest only touch the
per-row/column metadata and the sheet's dimension groups.
"""

from __future__ import annotations

import copy
from typing import Any

from ..dimensions import shift_for_delete, shift_for_insert
from ..grid import Evaluator, cell_text
from ..masks import apply_update
from ..store import Spreadsheet
from .base import Context, RequestError, dim_range, require_fields, sheet_of


def insert_dimension(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Insert empty rows/columns; everything below/right moves."""
    rng = req.get("range") or {}
    sheet = sheet_of(book, rng.get("sheetId"))
    dim = rng.get("dimension")
    if dim not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS")
    start, end = rng.get("startIndex", 0), rng.get("endIndex", 0)
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    if start < 0 or end <= start or start > limit:
        raise RequestError(f"Invalid dimension range: [{start}, {end}).")
    if req.get("inheritFromBefore") and start == 0:
        raise RequestError("Cannot inherit properties from before the first row/column.")
    shift_for_insert(sheet, dim, start, end - start, book)
    return None


def delete_dimension(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Delete rows/columns; at least one must remain, and frozen ones cannot all go."""
    sheet, dim, start, end = dim_range(book, req.get("range") or {})
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    if end - start >= limit:
        raise RequestError(f"You can't delete all the {dim.lower()} on the sheet.")
    shift_for_delete(sheet, dim, start, end, book)
    return None


def append_dimension(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Add rows/columns at the end of the grid."""
    sheet = sheet_of(book, req.get("sheetId"))
    dim = req.get("dimension")
    length = int(req.get("length", 0))
    if dim not in ("ROWS", "COLUMNS") or length <= 0:
        raise RequestError("length must be positive and dimension ROWS or COLUMNS")
    key = "rowCount" if dim == "ROWS" else "columnCount"
    sheet.props["gridProperties"][key] += length
    return None


def update_dimension_properties(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """pixelSize / hiddenByUser on a span of rows or columns."""
    sheet, dim, start, end = dim_range(book, req.get("range") or {})
    fields = require_fields(req)
    meta = sheet.row_meta if dim == "ROWS" else sheet.col_meta
    for i in range(start, end):
        entry = meta.setdefault(i, {})
        apply_update(entry, req.get("properties") or {}, fields)
        if entry.get("hiddenByUser") is False:
            del entry["hiddenByUser"]
        if not entry:
            del meta[i]
    return None


def auto_resize_dimensions(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Fit columns to their text: an estimate (Google measures rendered glyphs)."""
    sheet, dim, start, end = dim_range(book, req.get("dimensions") or {})
    evaluator = Evaluator(book)
    for i in range(start, end):
        if dim == "COLUMNS":
            texts = [cell_text(sheet.cell(r, i), evaluator, sheet, r, i) for r in range(len(sheet.rows))]
            longest = max((len(t) for t in texts), default=0)
            size = max(100, 7 * longest + 7) if longest else 100
            sheet.col_meta.setdefault(i, {})["pixelSize"] = size
        else:
            sheet.row_meta.setdefault(i, {})["pixelSize"] = 21
    return None


def _groups_key(dim: str) -> str:
    """Where a sheet keeps its groups of this dimension."""
    return "rowGroups" if dim == "ROWS" else "columnGroups"


def add_dimension_group(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Group rows/columns; reply lists every group of that dimension."""
    sheet, dim, start, end = dim_range(book, req.get("range") or {})
    groups = sheet.extras.setdefault(_groups_key(dim), [])
    # Sheets turns on the "+/- control after the group" flag the first time a group is added.
    flag = "rowGroupControlAfter" if dim == "ROWS" else "columnGroupControlAfter"
    sheet.props["gridProperties"].setdefault(flag, True)
    depth = 1 + sum(1 for g in groups if g["range"]["startIndex"] <= start and end <= g["range"]["endIndex"])
    groups.append({"range": {"dimension": dim, "startIndex": start, "endIndex": end}, "depth": depth})
    groups.sort(key=lambda g: (g["depth"], g["range"]["startIndex"]))
    out = [copy.deepcopy(g) for g in groups]
    if sheet.sheet_id:
        for g in out:
            g["range"] = {"sheetId": sheet.sheet_id, **g["range"]}
    return {"dimensionGroups": out}


def delete_dimension_group(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Ungroup; reply lists the groups left."""
    sheet, dim, start, end = dim_range(book, req.get("range") or {})
    key = _groups_key(dim)
    groups = sheet.extras.get(key, [])
    match = [g for g in groups if g["range"]["startIndex"] == start and g["range"]["endIndex"] == end]
    if not match:
        raise RequestError("No dimension group found at the given range.")
    groups.remove(max(match, key=lambda g: g["depth"]))
    if not groups:
        sheet.extras.pop(key, None)
        return {}
    return {"dimensionGroups": copy.deepcopy(groups)}
