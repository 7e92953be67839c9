"""``spreadsheets.get``: the Spreadsheet resource, with ``ranges``, ``includeGridData`` and ``fields`` masks.

Grid data is only built when asked for (``includeGridData=true`` or a mask reaching into ``sheets.data``),
and only the parts a mask names, so a metadata read of a 100k-row tab stays cheap.
"""

from __future__ import annotations

import copy
from typing import Any

from .batch_update import grid_range_out, prune
from .cells import Cell
from .conditional import ConditionalFormats, merge_format
from .errors import invalid
from .grid import Evaluator, Window, render, resolve
from .masks import parse_fields, select
from .store import Sheet, Spreadsheet

DEFAULT_ROW_PX = 21
DEFAULT_COL_PX = 100


def _sheet_json(sheet: Sheet, caller: str, owner: str) -> dict[str, Any]:
    out: dict[str, Any] = {"properties": copy.deepcopy(sheet.props)}
    for key in Sheet.EXTRA_KEYS:
        value = sheet.extras.get(key)
        if not value:
            continue
        if key == "merges":
            value = [grid_range_out(m) for m in value]
        elif key == "protectedRanges":
            value = [_protected(p, caller, owner) for p in value]
        elif key == "basicFilter":
            value = {**value, "range": grid_range_out(value["range"])}
        out[key] = copy.deepcopy(value)
    return out


def _protected(protected: dict[str, Any], caller: str, owner: str) -> dict[str, Any]:
    out = copy.deepcopy(protected)
    if "range" in out:
        out["range"] = grid_range_out(out["range"])
    users = out.get("editors", {}).get("users", [])
    out["requestingUserCanEdit"] = caller == owner or caller in users or bool(out.get("warningOnly"))
    return prune(out)


def _needs(paths: list[list[str]] | None, *prefix: str) -> bool:
    """Whether a mask asks for anything under ``prefix`` (no mask: everything)."""
    if paths is None:
        return True
    for path in paths:
        n = min(len(path), len(prefix))
        if path[:n] == list(prefix[:n]):
            return True
    return False


def cell_data(cell: Any, evaluator: Evaluator, sheet: Sheet, row: int, col: int,
              conditional: ConditionalFormats | None = None) -> dict[str, Any]:
    """Google's CellData for one cell (user-entered and effective value, formatted text, format, note);
    with ``conditional``, effectiveFormat carries the conditional format painting the cell."""
    from .batch_update import to_celldata

    data = copy.deepcopy(to_celldata(cell))
    if cell is None or (isinstance(cell, Cell) and not cell.has_content()):
        return data
    effective = evaluator.value(sheet, row, col)
    if isinstance(effective, bool):
        data["effectiveValue"] = {"boolValue": effective}
    elif isinstance(effective, (int, float)):
        data["effectiveValue"] = {"numberValue": effective}
    elif isinstance(effective, str) and effective.startswith("#") and isinstance(cell, Cell) and cell.formula:
        data["effectiveValue"] = {"errorValue": {"type": "ERROR", "message": effective}}
    elif effective is not None:
        data["effectiveValue"] = {"stringValue": effective}
    formatted = render(cell, evaluator, sheet, row, col, "FORMATTED_VALUE", True)
    if formatted is not None:
        data["formattedValue"] = formatted
    own = cell.fmt if isinstance(cell, Cell) else None
    painted = conditional.format_at(row, col) if conditional is not None else None
    if painted:
        data["effectiveFormat"] = merge_format(own, painted)
    elif own is not None:
        data["effectiveFormat"] = copy.deepcopy(own)
    return data


def grid_data(book: Spreadsheet, window: Window, paths: list[list[str]] | None,
              evaluator: Evaluator) -> dict[str, Any]:
    """One GridData block for a window."""
    sheet = window.sheet
    out: dict[str, Any] = {}
    if window.start_row:
        out["startRow"] = window.start_row
    if window.start_col:
        out["startColumn"] = window.start_col
    if _needs(paths, "sheets", "data", "rowData"):
        row_data = []
        rows = evaluator.rows(sheet)  # with array formulas' spilled values
        # Conditional formats are evaluated only when effectiveFormat is asked for (they cost formulas).
        conditional = (ConditionalFormats(evaluator, sheet) if sheet.extras.get("conditionalFormats")
                       and _needs(paths, "sheets", "data", "rowData", "values", "effectiveFormat") else None)
        for r in range(window.start_row, min(window.end_row, len(rows))):
            line = rows[r]
            values = [cell_data(line[c] if c < len(line) else None, evaluator, sheet, r, c, conditional)
                      for c in range(window.start_col, min(window.end_col, len(line)))]
            row_data.append({"values": values} if values else {})
        out["rowData"] = row_data
    if _needs(paths, "sheets", "data", "rowMetadata"):
        out["rowMetadata"] = [{"pixelSize": DEFAULT_ROW_PX, **sheet.row_meta.get(r, {})}
                              for r in range(window.start_row, window.end_row)]
    if _needs(paths, "sheets", "data", "columnMetadata"):
        out["columnMetadata"] = [{"pixelSize": DEFAULT_COL_PX, **sheet.col_meta.get(c, {})}
                                 for c in range(window.start_col, window.end_col)]
    return out


def _trim_grid(data: Any) -> Any:
    """Google leaves out trailing empty cells and rows in rowData, and empty lists altogether."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            value = _trim_grid(value)
            if key in ("rowData", "values") and isinstance(value, list):
                while value and value[-1] == {}:
                    value.pop()
            if isinstance(value, list) and not value and key in ("rowData", "values"):
                continue
            out[key] = value
        return out
    if isinstance(data, list):
        return [_trim_grid(v) for v in data]
    return data


def get_spreadsheet(book: Spreadsheet, ranges: list[str], include_grid: bool, fields: str | None,
                    caller: str, owner: str) -> dict[str, Any]:
    """The Spreadsheet resource as ``spreadsheets.get`` answers it."""
    paths = parse_fields(fields) if fields else None
    if paths is not None and not paths:
        raise invalid("Invalid field selection")
    want_data = include_grid or (paths is not None and any(p[:2] == ["sheets", "data"] for p in paths))
    windows: dict[int, list[Window]] = {}
    for text in ranges:
        window = resolve(book, text)
        windows.setdefault(window.sheet.sheet_id, []).append(window)
    sheets_out = []
    evaluator = Evaluator(book)
    for sheet in book.sheets:
        if ranges and sheet.sheet_id not in windows:
            continue
        entry = _sheet_json(sheet, caller, owner)
        if want_data:
            wins = windows.get(sheet.sheet_id) or [Window(sheet, 0, sheet.row_count, 0, sheet.col_count)]
            entry["data"] = [grid_data(book, w, paths, evaluator) for w in wins]
        sheets_out.append(entry)
    body: dict[str, Any] = {"spreadsheetId": book.id, "properties": copy.deepcopy(book.properties),
                            "sheets": sheets_out}
    if book.named_ranges:
        body["namedRanges"] = copy.deepcopy(book.named_ranges)
    if book.developer_metadata:
        body["developerMetadata"] = copy.deepcopy(book.developer_metadata)
    body["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{book.id}/edit"
    if paths is not None:
        body = select(body, paths)
    return _trim_grid(body)
