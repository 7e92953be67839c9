"""What every batchUpdate request handler shares: the call context, the error type, and range look-ups.

Look-ups raise ``RequestError`` with Google's wording; ``apply_batch`` prefixes it with the failing
request's index and kind, so a handler never needs to know where it sits in the batch.
"""

from __future__ import annotations

import secrets
from typing import Any

from .. import a1
from ..errors import ApiError
from ..grid import Window, window_from_grid_range
from ..store import Sheet, Spreadsheet
from ..values import PROTECTED_MESSAGE, check_protection


class Context:
    """Who is calling and what the handlers may need besides the spreadsheet."""

    def __init__(self, caller: str, owner: str) -> None:
        self.caller = caller
        self.owner = owner


class RequestError(Exception):
    """A sub-request failure; the index and kind are added when it becomes Google's message."""


def require_fields(req: dict[str, Any]) -> str:
    """The request's field mask; Google refuses a masked update without one rather than guessing."""
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    return fields


def prune(obj: Any) -> Any:
    """Drop what Google's proto3 JSON never prints: nulls, false, empty lists/strings."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if value is None or value is False or value == "" or value == []:
                continue
            out[key] = prune(value)
        return out
    if isinstance(obj, list):
        return [prune(v) for v in obj]
    return obj


def grid_range_out(rng: dict[str, Any]) -> dict[str, Any]:
    """A GridRange as Google prints it (sheetId 0 is the proto default and is left out)."""
    out = {k: v for k, v in rng.items() if v is not None}
    if out.get("sheetId") == 0:
        del out["sheetId"]
    return out


def sheet_of(book: Spreadsheet, sheet_id: Any) -> Sheet:
    """The sheet with this id (a missing id is sheet 0, the proto default)."""
    sheet = book.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise RequestError(f"No grid with id: {sheet_id or 0}")
    return sheet


def window_of(book: Spreadsheet, rng: dict[str, Any] | None) -> Window:
    """The window a GridRange covers, refused (not clamped) when it reaches past the grid."""
    if rng is None:
        raise RequestError("range is required")
    window = window_from_grid_range(book, rng)
    sheet = window.sheet
    if window.end_row > sheet.row_count or window.end_col > sheet.col_count or window.start_row < 0 \
            or window.start_col < 0:
        raise RequestError(f"Range ({a1.quote_title(sheet.title)}!"
                           f"{a1.index_to_col(window.start_col)}{window.start_row + 1}:"
                           f"{a1.index_to_col(max(window.end_col, 1) - 1)}{window.end_row}) exceeds grid "
                           f"limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}")
    return window


def check_protected(book: Spreadsheet, window: Window, ctx: Context) -> None:
    """Refuse an edit of a range protected against the caller, in batchUpdate's wording."""
    if ctx.caller == ctx.owner:
        return
    try:
        check_protection(book, window, ctx.caller, ctx.owner)
    except ApiError:
        raise RequestError(PROTECTED_MESSAGE) from None


def dim_range(book: Spreadsheet, rng: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    """A DimensionRange as (sheet, dimension, start, end); an open end runs to the end of the grid."""
    sheet = sheet_of(book, rng.get("sheetId"))
    dim = rng.get("dimension")
    if dim not in ("ROWS", "COLUMNS"):
        raise RequestError("dimension must be ROWS or COLUMNS")
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    start = rng.get("startIndex", 0)
    end = rng.get("endIndex", limit)
    if start < 0 or end > limit or start >= end:
        raise RequestError(f"Invalid dimension range: [{start}, {end}) with {limit} "
                           f"{dim.lower()} in the sheet.")
    return sheet, dim, start, end


def prune_nulls(obj: Any) -> Any:
    """Drop JSON nulls (a field set to null is a field cleared)."""
    if isinstance(obj, dict):
        return {k: prune_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [prune_nulls(v) for v in obj]
    return obj


def new_numeric_id() -> int:
    """A fresh id for a protected range, named range, filter view or chart (Google's are positive int32s)."""
    return secrets.randbelow(2**31 - 1) + 1
