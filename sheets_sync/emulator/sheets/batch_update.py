"""``spreadsheets.batchUpdate``: one handler per request kind, applied atomically.

The core hands ``apply_batch`` a *clone* of the spreadsheet; if any sub-request fails the clone is dropped
and the stored spreadsheet is untouched, which is Google's all-or-nothing behaviour. A request kind with no
handler is refused with Google's 400 INVALID_ARGUMENT, never silently accepted.
"""

from __future__ import annotations

import copy
import secrets
import struct
from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

from . import a1
from .cells import Cell, has_value, validate_length
from .dimensions import shift_for_delete, shift_for_insert
from .errors import ApiError, invalid
from .grid import Evaluator, Window, cell_text, data_extent, find_named_range, window_from_grid_range
from .masks import apply_update
from .store import DEFAULT_COLS, DEFAULT_ROWS, Sheet, Spreadsheet, new_sheet_id
from .values import CELL_LIMIT, PROTECTED_MESSAGE, cell_limit_error


class Context:
    """Who is calling and what the handlers may need besides the spreadsheet."""

    def __init__(self, caller: str, owner: str) -> None:
        self.caller = caller
        self.owner = owner


class RequestError(Exception):
    """A sub-request failure; the index and kind are added when it becomes Google's message."""


Handler = Callable[[Spreadsheet, dict[str, Any], Context], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler for one request kind."""
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func
    return register


def apply_batch(book: Spreadsheet, body: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Apply every request in order to ``book`` (a clone); returns the replies or raises ApiError."""
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise invalid("Must specify at least one request.")
    replies: list[dict[str, Any]] = []
    for i, request in enumerate(requests):
        if not isinstance(request, dict) or len(request) != 1:
            raise invalid(f"Invalid requests[{i}]: No request set.")
        kind, payload = next(iter(request.items()))
        func = HANDLERS.get(kind)
        if func is None:
            raise invalid(f"Invalid requests[{i}].{kind}: this request kind is not supported by the offline "
                          f"emulator.")
        try:
            reply = func(book, payload or {}, ctx)
        except RequestError as err:
            raise invalid(f"Invalid requests[{i}].{kind}: {err}") from None
        except ApiError as err:
            if err.code == 400 and not err.message.startswith("Invalid requests"):
                raise invalid(f"Invalid requests[{i}].{kind}: {err.message}") from None
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise invalid(f"Invalid requests[{i}].{kind}: {err}") from None
        replies.append({kind: reply} if reply is not None else {})
    if book.total_cells() > CELL_LIMIT:
        raise cell_limit_error()
    return replies


# --- helpers --------------------------------------------------------------------------------------------


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


def _sheet(book: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = book.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise RequestError(f"No grid with id: {sheet_id or 0}")
    return sheet


def _window(book: Spreadsheet, rng: dict[str, Any] | None) -> Window:
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


def _check_protected(book: Spreadsheet, window: Window, ctx: Context) -> None:
    if ctx.caller == ctx.owner:
        return
    from .values import check_protection

    try:
        check_protection(book, window, ctx.caller, ctx.owner)
    except ApiError:
        raise RequestError(PROTECTED_MESSAGE) from None


def _dim_range(book: Spreadsheet, rng: dict[str, Any]) -> tuple[Sheet, str, int, int]:
    sheet = _sheet(book, rng.get("sheetId"))
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


def _f32(value: float) -> float:
    """The shortest decimal that reads back as the same 32-bit float, as Google prints its floats."""
    target = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == target:
            return candidate
    return target


def quantise_colors(obj: Any) -> Any:
    """Colours are stored as 8-bit channels (0.5 reads back as 127/255 = 0.49803922)."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key in ("red", "green", "blue") and isinstance(value, (int, float)):
                level = int(value * 255 + 1e-9)
                if level == 0:
                    continue  # a zero channel is the proto default and is not printed
                out[key] = 1 if level == 255 else _f32(level / 255)
            else:
                out[key] = quantise_colors(value)
        return out
    if isinstance(obj, list):
        return [quantise_colors(v) for v in obj]
    return obj


def normalise_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """Google mirrors plain colours into their ``*Style`` twins in what it stores and returns."""
    fmt = copy.deepcopy(fmt)
    if "backgroundColor" in fmt and "backgroundColorStyle" not in fmt:
        fmt["backgroundColorStyle"] = {"rgbColor": copy.deepcopy(fmt["backgroundColor"])}
    text = fmt.get("textFormat")
    if isinstance(text, dict) and "foregroundColor" in text and "foregroundColorStyle" not in text:
        text["foregroundColorStyle"] = {"rgbColor": copy.deepcopy(text["foregroundColor"])}
    for side in (fmt.get("borders") or {}).values():
        if isinstance(side, dict) and "color" in side and "colorStyle" not in side:
            side["colorStyle"] = {"rgbColor": copy.deepcopy(side["color"])}
    return fmt


# --- CellData <-> stored cells ----------------------------------------------------------------------------


def to_celldata(cell: Any) -> dict[str, Any]:
    """The stored cell as the user-entered part of Google's CellData."""
    data: dict[str, Any] = {}
    value = cell.value if isinstance(cell, Cell) else cell
    formula = cell.formula if isinstance(cell, Cell) else None
    if formula is not None:
        data["userEnteredValue"] = {"formulaValue": formula}
    elif isinstance(value, bool):
        data["userEnteredValue"] = {"boolValue": value}
    elif isinstance(value, (int, float)):
        data["userEnteredValue"] = {"numberValue": value}
    elif isinstance(value, str) and value != "":
        data["userEnteredValue"] = {"stringValue": value}
    if isinstance(cell, Cell):
        if cell.fmt is not None:
            data["userEnteredFormat"] = cell.fmt
        if cell.note is not None:
            data["note"] = cell.note
        if cell.validation is not None:
            data["dataValidation"] = cell.validation
    return data


def from_celldata(data: dict[str, Any], old: Any) -> Any:
    """A stored cell from a CellData (the inverse of ``to_celldata``)."""
    entered = data.get("userEnteredValue") or {}
    value: Any = None
    formula = None
    if "formulaValue" in entered:
        formula = entered["formulaValue"]
    elif "stringValue" in entered:
        value = entered["stringValue"]
    elif "numberValue" in entered:
        value = entered["numberValue"]
        if isinstance(value, float) and value == int(value):
            value = int(value)
    elif "boolValue" in entered:
        value = bool(entered["boolValue"])
    elif "errorValue" in entered:
        raise RequestError("errorValue cannot be entered")
    note = data.get("note") or None
    fmt = normalise_format(data["userEnteredFormat"]) if data.get("userEnteredFormat") else None
    validation = data.get("dataValidation") or None
    display = dt_kind = None
    if isinstance(old, Cell) and old.formula == formula and old.value == value:
        display, dt_kind = old.display, old.dt_kind  # the value did not change: keep how it is shown
    if formula is None and note is None and fmt is None and validation is None and display is None:
        return value
    new = Cell(value=value, formula=formula, display=display, dt_kind=dt_kind, note=note, fmt=fmt,
               validation=validation)
    validate_length(new)
    return new


def write_celldata(sheet: Sheet, row: int, col: int, data: dict[str, Any], fields: str) -> None:
    """Apply one CellData to a cell under a field mask."""
    old = sheet.cell(row, col)
    current = copy.deepcopy(to_celldata(old))
    apply_update(current, data, fields)
    try:
        new = from_celldata(current, old)
    except ValueError as err:
        raise RequestError(str(err)) from None
    sheet.set_cell(row, col, new)


# --- spreadsheet and sheet properties -------------------------------------------------------------------


@handler("updateSpreadsheetProperties")
def update_spreadsheet_properties(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Title, locale, time zone... under a field mask."""
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    apply_update(book.properties, req.get("properties") or {}, fields)
    if not book.properties.get("title"):
        raise RequestError("A spreadsheet title must not be empty.")
    return None


def _check_title(book: Spreadsheet, title: Any, own_id: int | None) -> None:
    if not isinstance(title, str) or not title.strip():
        raise RequestError("A sheet title must not be empty.")
    for sheet in book.sheets:
        if sheet.title.lower() == title.lower() and sheet.sheet_id != own_id:
            raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')


@handler("addSheet")
def add_sheet(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A new tab; reply ``{"properties": {...}}`` with Google's defaults filled in."""
    given = copy.deepcopy(req.get("properties") or {})
    taken = {s.sheet_id for s in book.sheets}
    sheet_id = given.get("sheetId")
    if sheet_id is not None:
        if sheet_id in taken:
            raise RequestError(f"A sheet with id {sheet_id} already exists.")
    else:
        sheet_id = new_sheet_id(taken)
    title = given.get("title")
    if title is None:
        n = len(book.sheets) + 1
        while book.sheet_by_title(f"Sheet{n}") is not None:
            n += 1
        title = f"Sheet{n}"
    _check_title(book, title, None)
    index = given.get("index", len(book.sheets))
    index = max(0, min(index, len(book.sheets)))
    sheet_type = given.get("sheetType", "GRID")
    grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLS}
    grid.update(given.get("gridProperties") or {})
    props: dict[str, Any] = {"sheetId": sheet_id, "title": title, "index": index, "sheetType": sheet_type,
                             "gridProperties": grid}
    for key in ("hidden", "tabColor", "tabColorStyle", "rightToLeft"):
        if key in given:
            props[key] = given[key]
    if "tabColor" in props and "tabColorStyle" not in props:
        props["tabColorStyle"] = {"rgbColor": copy.deepcopy(props["tabColor"])}
    props = prune(props)
    for sheet in book.sheets:
        if sheet.props["index"] >= index:
            sheet.props["index"] += 1
    book.sheets.append(Sheet(props))
    book.reindex()
    return {"properties": copy.deepcopy(props)}


@handler("deleteSheet")
def delete_sheet(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove a tab (never the last visible one) and the named ranges on it."""
    sheet = _sheet(book, req.get("sheetId"))
    if len(book.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.named_ranges = [n for n in book.named_ranges if n["range"].get("sheetId", 0) != sheet.sheet_id]
    book.reindex()
    return None


@handler("duplicateSheet")
def duplicate_sheet(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Copy a tab with its cells."""
    source = _sheet(book, req.get("sourceSheetId"))
    copy_sheet = source.clone()
    taken = {s.sheet_id for s in book.sheets}
    new_id = req.get("newSheetId") or new_sheet_id(taken)
    if new_id in taken:
        raise RequestError(f"A sheet with id {new_id} already exists.")
    title = req.get("newSheetName") or f"Copy of {source.title}"
    _check_title(book, title, None)
    index = req.get("insertSheetIndex", len(book.sheets))
    copy_sheet.props.update({"sheetId": new_id, "title": title})
    for sheet in book.sheets:
        if sheet.props["index"] >= index:
            sheet.props["index"] += 1
    copy_sheet.props["index"] = index
    copy_sheet.extras.pop("protectedRanges", None)
    book.sheets.append(copy_sheet)
    book.reindex()
    return {"properties": copy.deepcopy(copy_sheet.props)}


@handler("updateSheetProperties")
def update_sheet_properties(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Title, index, hidden, tab colour, frozen rows, grid size... under a field mask."""
    given = req.get("properties") or {}
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    sheet = _sheet(book, given.get("sheetId"))
    before = copy.deepcopy(sheet.props)
    props = copy.deepcopy(sheet.props)
    apply_update(props, given, fields)
    props["sheetId"] = sheet.sheet_id
    if props.get("title") != before.get("title"):
        _check_title(book, props.get("title"), sheet.sheet_id)
    if "tabColor" in props and props.get("tabColor") != before.get("tabColor"):
        props["tabColorStyle"] = {"rgbColor": copy.deepcopy(props["tabColor"])}
    if "tabColorStyle" in props and "rgbColor" in props["tabColorStyle"]:
        props["tabColor"] = copy.deepcopy(props["tabColorStyle"]["rgbColor"])
    if not props.get("tabColorStyle"):
        props.pop("tabColorStyle", None)
        props.pop("tabColor", None)
    if props.get("hidden") and all(s.props.get("hidden") for s in book.sheets if s is not sheet):
        raise RequestError("You can't hide all the sheets in a document.")
    grid = props.setdefault("gridProperties", {})
    rows = grid.get("rowCount", 0)
    cols = grid.get("columnCount", 0)
    if rows < 1 or cols < 1:
        raise RequestError("The grid must have at least one row and one column.")
    frozen_rows = grid.get("frozenRowCount", 0)
    frozen_cols = grid.get("frozenColumnCount", 0)
    if frozen_rows >= rows and frozen_rows:
        raise RequestError("You can't freeze all visible rows on the sheet.")
    if frozen_cols >= cols and frozen_cols:
        raise RequestError("You can't freeze all visible columns on the sheet.")
    for key in ("frozenRowCount", "frozenColumnCount"):
        if grid.get(key) == 0:
            grid.pop(key)
    for key in ("hideGridlines",):
        if grid.get(key) is False:
            grid.pop(key)
    props = prune_nulls(props)
    for key in ("tabColor", "tabColorStyle"):
        if key in props:
            props[key] = quantise_colors(props[key])
    if not props.get("tabColorStyle"):
        props.pop("tabColorStyle", None)
        props.pop("tabColor", None)
    if props.get("hidden") is False:
        props.pop("hidden")
    old_rows, old_cols = sheet.row_count, sheet.col_count
    index = props.get("index", before["index"])
    sheet.props = props
    if rows < old_rows:
        del sheet.rows[rows:]
    if cols < old_cols:
        for line in sheet.rows:
            del line[cols:]
    sheet.trim()
    if index != before["index"]:
        _move_sheet(book, sheet, index)
    return None


def _move_sheet(book: Spreadsheet, sheet: Sheet, index: int) -> None:
    others = [s for s in sorted(book.sheets, key=lambda s: s.props["index"]) if s is not sheet]
    # Google's index counts positions before the move, so moving right lands one to the left.
    old = sheet.props.get("index", 0)
    target = index - 1 if index > old else index
    target = max(0, min(target, len(others)))
    others.insert(target, sheet)
    for i, s in enumerate(others):
        s.props["index"] = i
    book.reindex()


# --- dimensions -----------------------------------------------------------------------------------------


@handler("insertDimension")
def insert_dimension(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Insert empty rows/columns; everything below/right moves."""
    rng = req.get("range") or {}
    sheet = _sheet(book, rng.get("sheetId"))
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


@handler("deleteDimension")
def delete_dimension(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Delete rows/columns; at least one must remain, and frozen ones cannot all go."""
    sheet, dim, start, end = _dim_range(book, req.get("range") or {})
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    if end - start >= limit:
        raise RequestError(f"You can't delete all the {dim.lower()} on the sheet.")
    shift_for_delete(sheet, dim, start, end, book)
    return None


@handler("appendDimension")
def append_dimension(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Add rows/columns at the end of the grid."""
    sheet = _sheet(book, req.get("sheetId"))
    dim = req.get("dimension")
    length = int(req.get("length", 0))
    if dim not in ("ROWS", "COLUMNS") or length <= 0:
        raise RequestError("length must be positive and dimension ROWS or COLUMNS")
    key = "rowCount" if dim == "ROWS" else "columnCount"
    sheet.props["gridProperties"][key] += length
    return None


@handler("updateDimensionProperties")
def update_dimension_properties(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """pixelSize / hiddenByUser on a span of rows or columns."""
    sheet, dim, start, end = _dim_range(book, req.get("range") or {})
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    meta = sheet.row_meta if dim == "ROWS" else sheet.col_meta
    for i in range(start, end):
        entry = meta.setdefault(i, {})
        apply_update(entry, req.get("properties") or {}, fields)
        if entry.get("hiddenByUser") is False:
            del entry["hiddenByUser"]
        if not entry:
            del meta[i]
    return None


@handler("autoResizeDimensions")
def auto_resize_dimensions(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Fit columns to their text: an estimate (Google measures rendered glyphs)."""
    sheet, dim, start, end = _dim_range(book, req.get("dimensions") or {})
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
    return "rowGroups" if dim == "ROWS" else "columnGroups"


@handler("addDimensionGroup")
def add_dimension_group(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Group rows/columns; reply lists every group of that dimension."""
    sheet, dim, start, end = _dim_range(book, req.get("range") or {})
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


@handler("deleteDimensionGroup")
def delete_dimension_group(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Ungroup; reply lists the groups left."""
    sheet, dim, start, end = _dim_range(book, req.get("range") or {})
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


# --- cells ----------------------------------------------------------------------------------------------


@handler("repeatCell")
def repeat_cell(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """One CellData written to every cell of a range under a field mask."""
    window = _window(book, req.get("range"))
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    _check_protected(book, window, ctx)
    data = req.get("cell") or {}
    for r in range(window.start_row, window.end_row):
        for c in range(window.start_col, window.end_col):
            write_celldata(window.sheet, r, c, data, fields)
    window.sheet.trim()
    return None


@handler("updateCells")
def update_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Rows of CellData written at ``start`` or into ``range`` under a field mask."""
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    rows = req.get("rows") or []
    if "start" in req:
        start = req["start"]
        sheet = _sheet(book, start.get("sheetId"))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        height = len(rows)
        width = max((len(row.get("values") or []) for row in rows), default=0)
        window = _window(book, {"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r0 + height,
                                "startColumnIndex": c0, "endColumnIndex": c0 + width})
    else:
        window = _window(book, req.get("range"))
    _check_protected(book, window, ctx)
    sheet = window.sheet
    bounded = "range" in req
    for dr in range(window.rows if bounded else len(rows)):
        row_values = (rows[dr].get("values") or []) if dr < len(rows) else []
        for dc in range(window.cols if bounded else len(row_values)):
            data = row_values[dc] if dc < len(row_values) else {}
            write_celldata(sheet, window.start_row + dr, window.start_col + dc, data or {}, fields)
    sheet.trim()
    return None


@handler("appendCells")
def append_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Rows of CellData after the last row with data, growing the grid."""
    sheet = _sheet(book, req.get("sheetId"))
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
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


@handler("updateBorders")
def update_borders(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Borders around/inside a range, stored in each cell's format."""
    window = _window(book, req.get("range"))
    sheet = window.sheet
    sides = {k: req[k] for k in ("top", "bottom", "left", "right", "innerHorizontal", "innerVertical")
             if k in req}
    for r in range(window.start_row, window.end_row):
        for c in range(window.start_col, window.end_col):
            borders: dict[str, Any] = {}
            if r == window.start_row and "top" in sides:
                borders["top"] = sides["top"]
            if r == window.end_row - 1 and "bottom" in sides:
                borders["bottom"] = sides["bottom"]
            if c == window.start_col and "left" in sides:
                borders["left"] = sides["left"]
            if c == window.end_col - 1 and "right" in sides:
                borders["right"] = sides["right"]
            if r < window.end_row - 1 and "innerHorizontal" in sides:
                borders["bottom"] = sides["innerHorizontal"]
            if c < window.end_col - 1 and "innerVertical" in sides:
                borders["right"] = sides["innerVertical"]
            if borders:
                fmt = {"borders": {k: v for k, v in borders.items() if v.get("style") != "NONE"}}
                write_celldata(sheet, r, c, {"userEnteredFormat": fmt},
                               ",".join(f"userEnteredFormat.borders.{k}" for k in borders))
    return None


def _paste(sheet: Sheet, src: Sheet, src_win: Window, r0: int, c0: int, paste_type: str,
           transpose: bool = False) -> None:
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
                sheet.set_cell(r, c, cell)
            else:
                sheet.set_cell(r, c, old)
    sheet.trim()


@handler("copyPaste")
def copy_paste(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Copy a range; a larger destination repeats the source as Sheets does."""
    src = _window(book, req.get("source"))
    dst = _window(book, req.get("destination"))
    _check_protected(book, dst, ctx)
    paste_type = req.get("pasteType", "PASTE_NORMAL")
    transpose = req.get("pasteOrientation") == "TRANSPOSE"
    h, w = (src.cols, src.rows) if transpose else (src.rows, src.cols)
    reps_r = max(1, dst.rows // h)
    reps_c = max(1, dst.cols // w)
    for i in range(reps_r):
        for j in range(reps_c):
            _paste(dst.sheet, src.sheet, src, dst.start_row + i * h, dst.start_col + j * w, paste_type, transpose)
    return None


@handler("cutPaste")
def cut_paste(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Move a range to a destination cell."""
    src = _window(book, req.get("source"))
    dest = req.get("destination") or {}
    sheet = _sheet(book, dest.get("sheetId"))
    r0, c0 = dest.get("rowIndex", 0), dest.get("columnIndex", 0)
    dst = _window(book, {"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r0 + src.rows,
                         "startColumnIndex": c0, "endColumnIndex": c0 + src.cols})
    _check_protected(book, src, ctx)
    _check_protected(book, dst, ctx)
    block = [[src.sheet.cell(r, c) for c in range(src.start_col, src.end_col)]
             for r in range(src.start_row, src.end_row)]
    for r in range(src.start_row, src.end_row):
        for c in range(src.start_col, src.end_col):
            src.sheet.set_cell(r, c, None)
    for dr, row in enumerate(block):
        for dc, cell in enumerate(row):
            sheet.set_cell(r0 + dr, c0 + dc, cell)
    src.sheet.trim()
    sheet.trim()
    return None


def _sort_key_cmp(specs: list[tuple[int, bool]]) -> Callable[[list[Any], list[Any]], int]:
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


@handler("sortRange")
def sort_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Sort the rows of a range by one or more columns (stable, like Sheets)."""
    window = _window(book, req.get("range"))
    _check_protected(book, window, ctx)
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


@handler("setDataValidation")
def set_data_validation(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Attach (or, without a rule, remove) a validation rule on every cell of a range."""
    window = _window(book, req.get("range"))
    rule = req.get("rule")
    if rule is not None:
        condition = rule.get("condition") or {}
        if not condition.get("type"):
            raise RequestError("A data validation rule needs a condition type.")
        if condition["type"] in ("ONE_OF_LIST",) and not condition.get("values"):
            raise RequestError("ONE_OF_LIST needs at least one value.")
        rule = prune(rule)
    for r in range(window.start_row, window.end_row):
        for c in range(window.start_col, window.end_col):
            write_celldata(window.sheet, r, c, {"dataValidation": rule} if rule else {}, "dataValidation")
    return None


# --- merges ---------------------------------------------------------------------------------------------


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["startRowIndex"] < b["endRowIndex"] and b["startRowIndex"] < a["endRowIndex"]
            and a["startColumnIndex"] < b["endColumnIndex"] and b["startColumnIndex"] < a["endColumnIndex"])


def _contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    return (outer["startRowIndex"] <= inner["startRowIndex"] and inner["endRowIndex"] <= outer["endRowIndex"]
            and outer["startColumnIndex"] <= inner["startColumnIndex"]
            and inner["endColumnIndex"] <= outer["endColumnIndex"])


@handler("mergeCells")
def merge_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Merge a range (MERGE_ALL / MERGE_ROWS / MERGE_COLUMNS); only the top-left value survives."""
    window = _window(book, req.get("range"))
    sheet = window.sheet
    merge_type = req.get("mergeType", "MERGE_ALL")
    pieces: list[tuple[int, int, int, int]] = []
    if merge_type == "MERGE_ALL":
        pieces = [(window.start_row, window.end_row, window.start_col, window.end_col)]
    elif merge_type == "MERGE_ROWS":
        pieces = [(r, r + 1, window.start_col, window.end_col) for r in range(window.start_row, window.end_row)]
    elif merge_type == "MERGE_COLUMNS":
        pieces = [(window.start_row, window.end_row, c, c + 1) for c in range(window.start_col, window.end_col)]
    else:
        raise RequestError(f"Unknown merge type {merge_type}")
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


@handler("unmergeCells")
def unmerge_cells(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Unmerge every merge inside the range."""
    window = _window(book, req.get("range"))
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


# --- named ranges ---------------------------------------------------------------------------------------


def _new_numeric_id() -> int:
    return secrets.randbelow(2**31 - 1) + 1


def _valid_name(name: Any) -> bool:
    import re

    return isinstance(name, str) and bool(re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", name)) \
        and not re.match(r"^[A-Za-z]{1,3}\d+$", name) and name.upper() not in ("TRUE", "FALSE")


@handler("addNamedRange")
def add_named_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A named range; reply ``{"namedRange": {...namedRangeId}}``."""
    given = copy.deepcopy(req.get("namedRange") or {})
    name = given.get("name")
    if not _valid_name(name):
        raise RequestError(f"The name '{name}' is not valid.")
    if find_named_range(book, name) is not None:
        raise RequestError(f"Named range with name '{name}' already exists.")
    _window(book, given.get("range") or {})
    named_id = str(given.get("namedRangeId") or _new_numeric_id())
    named = {"namedRangeId": named_id, "name": name, "range": grid_range_out(given.get("range") or {})}
    book.named_ranges.append(named)
    return {"namedRange": copy.deepcopy(named)}


def _named_by_id(book: Spreadsheet, named_id: Any) -> dict[str, Any]:
    for named in book.named_ranges:
        if named["namedRangeId"] == str(named_id):
            return named
    raise RequestError(f"No named range with id: {named_id}")


@handler("updateNamedRange")
def update_named_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Rename or move a named range under a field mask."""
    given = req.get("namedRange") or {}
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    named = _named_by_id(book, given.get("namedRangeId"))
    updated = copy.deepcopy(named)
    apply_update(updated, given, fields)
    if updated["name"] != named["name"]:
        if not _valid_name(updated["name"]):
            raise RequestError(f"The name '{updated['name']}' is not valid.")
        other = find_named_range(book, updated["name"])
        if other is not None and other is not named:
            raise RequestError(f"Named range with name '{updated['name']}' already exists.")
    updated["range"] = grid_range_out(updated.get("range") or {})
    updated["namedRangeId"] = named["namedRangeId"]
    named.clear()
    named.update(updated)
    return None


@handler("deleteNamedRange")
def delete_named_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove a named range by id."""
    named = _named_by_id(book, req.get("namedRangeId"))
    book.named_ranges.remove(named)
    return None


# --- protection -----------------------------------------------------------------------------------------


def _all_protected(book: Spreadsheet) -> list[tuple[Sheet, dict[str, Any]]]:
    return [(s, p) for s in book.sheets for p in s.extras.get("protectedRanges", [])]


def _protected_out(protected: dict[str, Any], ctx: Context) -> dict[str, Any]:
    out = copy.deepcopy(protected)
    if "range" in out:
        out["range"] = grid_range_out(out["range"])
    users = out.get("editors", {}).get("users", [])
    out["requestingUserCanEdit"] = ctx.caller == ctx.owner or ctx.caller in users or \
        bool(out.get("warningOnly"))
    return prune(out)


@handler("addProtectedRange")
def add_protected_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Protect a range or sheet; reply ``{"protectedRange": {...protectedRangeId}}``."""
    given = copy.deepcopy(req.get("protectedRange") or {})
    rng = given.get("range")
    if rng is None:
        raise RequestError("A protected range needs a range.")
    window = _window(book, rng)
    protected_id = given.get("protectedRangeId") or _new_numeric_id()
    editors = given.get("editors") or {}
    stored: dict[str, Any] = {"protectedRangeId": protected_id, "range": grid_range_out(rng)}
    stored["range"]["sheetId"] = window.sheet.sheet_id
    for key in ("description", "warningOnly", "unprotectedRanges"):
        if given.get(key):
            stored[key] = given[key]
    # The owner can always edit and Google lists them among the editors it stores; the reply echoes the
    # editors as requested.
    users = [ctx.owner] + [u for u in editors.get("users") or [] if u != ctx.owner]
    stored["editors"] = prune({"users": users, "groups": list(editors.get("groups") or []),
                               "domainUsersCanEdit": editors.get("domainUsersCanEdit")})
    window.sheet.extras.setdefault("protectedRanges", []).append(stored)
    reply = _protected_out(stored, ctx)
    reply["editors"] = prune(copy.deepcopy(editors))
    return {"protectedRange": reply}


@handler("updateProtectedRange")
def update_protected_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Change a protected range under a field mask."""
    given = req.get("protectedRange") or {}
    fields = req.get("fields")
    if not fields:
        raise RequestError("fields is required")
    for _sheet_obj, protected in _all_protected(book):
        if protected["protectedRangeId"] == given.get("protectedRangeId"):
            apply_update(protected, given, fields)
            protected.update(prune(protected))
            return None
    raise RequestError(f"No protected range with id: {given.get('protectedRangeId')}")


@handler("deleteProtectedRange")
def delete_protected_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove a protected range by id."""
    for sheet, protected in _all_protected(book):
        if protected["protectedRangeId"] == req.get("protectedRangeId"):
            sheet.extras["protectedRanges"].remove(protected)
            if not sheet.extras["protectedRanges"]:
                del sheet.extras["protectedRanges"]
            return None
    raise RequestError(f"No protected range with id: {req.get('protectedRangeId')}")


# --- filters, conditional formats, metadata, charts -----------------------------------------------------


@handler("setBasicFilter")
def set_basic_filter(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """The sheet's one basic filter (replaces any previous one)."""
    given = copy.deepcopy(req.get("filter") or {})
    window = _window(book, given.get("range") or {})
    # Google stores the filter's range with every bound filled in (an open range becomes the whole grid).
    given["range"] = {"sheetId": window.sheet.sheet_id, "startRowIndex": window.start_row,
                      "endRowIndex": window.end_row, "startColumnIndex": window.start_col,
                      "endColumnIndex": window.end_col}
    window.sheet.extras["basicFilter"] = prune(given)
    return None


@handler("clearBasicFilter")
def clear_basic_filter(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove the basic filter."""
    sheet = _sheet(book, req.get("sheetId"))
    sheet.extras.pop("basicFilter", None)
    return None


@handler("addFilterView")
def add_filter_view(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A filter view; reply ``{"filter": {...filterViewId}}``."""
    given = copy.deepcopy(req.get("filter") or {})
    window = _window(book, given.get("range") or {})
    given["filterViewId"] = given.get("filterViewId") or _new_numeric_id()
    given["range"] = grid_range_out({"sheetId": window.sheet.sheet_id, **(given.get("range") or {})})
    given = prune(given)
    window.sheet.extras.setdefault("filterViews", []).append(given)
    return {"filter": copy.deepcopy(given)}


@handler("deleteFilterView")
def delete_filter_view(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove a filter view by id."""
    for sheet in book.sheets:
        views = sheet.extras.get("filterViews", [])
        for view in views:
            if view["filterViewId"] == req.get("filterId"):
                views.remove(view)
                if not views:
                    del sheet.extras["filterViews"]
                return None
    raise RequestError(f"No filter view with id: {req.get('filterId')}")


@handler("addConditionalFormatRule")
def add_conditional_format_rule(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Insert a rule at ``index`` in its sheet's list."""
    rule = copy.deepcopy(req.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise RequestError("A conditional format rule needs at least one range.")
    sheets = {_window(book, r).sheet.sheet_id for r in ranges}
    if len(sheets) != 1:
        raise RequestError("All ranges of a conditional format rule must be on the same sheet.")
    if not rule.get("booleanRule") and not rule.get("gradientRule"):
        raise RequestError("A conditional format rule needs a booleanRule or a gradientRule.")
    sheet = _sheet(book, sheets.pop())
    rule["ranges"] = [grid_range_out({"sheetId": sheet.sheet_id, **r}) for r in ranges]
    rules = sheet.extras.setdefault("conditionalFormats", [])
    index = req.get("index", 0)
    if not 0 <= index <= len(rules):
        raise RequestError(f"Invalid index {index}.")
    rules.insert(index, prune(rule))
    return None


@handler("deleteConditionalFormatRule")
def delete_conditional_format_rule(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Remove the rule at ``index``; the reply carries the removed rule."""
    sheet = _sheet(book, req.get("sheetId"))
    rules = sheet.extras.get("conditionalFormats", [])
    index = req.get("index", 0)
    if not 0 <= index < len(rules):
        raise RequestError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    rule = rules.pop(index)
    if not rules:
        sheet.extras.pop("conditionalFormats")
    return {"rule": rule}


@handler("createDeveloperMetadata")
def create_developer_metadata(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Metadata on the spreadsheet, a sheet, or rows/columns (which then follow inserts and deletes)."""
    meta = copy.deepcopy(req.get("developerMetadata") or {})
    if not meta.get("metadataKey"):
        raise RequestError("metadataKey is required")
    if meta.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise RequestError("visibility must be DOCUMENT or PROJECT")
    location = meta.get("location") or {}
    meta["metadataId"] = meta.get("metadataId") or book.next_metadata_id
    book.next_metadata_id = max(book.next_metadata_id, meta["metadataId"]) + 1
    if "dimensionRange" in location:
        sheet, dim, start, end = _dim_range(book, location["dimensionRange"])
        location["locationType"] = "ROW" if dim == "ROWS" else "COLUMN"
        location["dimensionRange"] = {"sheetId": sheet.sheet_id, "dimension": dim, "startIndex": start,
                                      "endIndex": end}
        sheet.extras.setdefault("developerMetadata", []).append(meta)
    elif "sheetId" in location:
        sheet = _sheet(book, location["sheetId"])
        location["locationType"] = "SHEET"
        sheet.extras.setdefault("developerMetadata", []).append(meta)
    elif location.get("spreadsheet"):
        location["locationType"] = "SPREADSHEET"
        book.developer_metadata.append(meta)
    else:
        raise RequestError("A developer metadata location is required.")
    return {"developerMetadata": copy.deepcopy(meta)}


@handler("deleteDeveloperMetadata")
def delete_developer_metadata(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Delete metadata matching a lookup by id or key."""
    lookup = (req.get("dataFilter") or {}).get("developerMetadataLookup") or {}
    removed: list[dict[str, Any]] = []
    holders = [book.developer_metadata] + [s.extras.get("developerMetadata", []) for s in book.sheets]
    for holder in holders:
        for meta in list(holder):
            if ("metadataId" in lookup and meta["metadataId"] != lookup["metadataId"]) or \
                    ("metadataKey" in lookup and meta["metadataKey"] != lookup["metadataKey"]):
                continue
            holder.remove(meta)
            removed.append(meta)
    return {"deletedDeveloperMetadata": removed}


@handler("addChart")
def add_chart(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Store a chart spec (not drawn); reply ``{"chart": {...chartId}}``."""
    chart = copy.deepcopy(req.get("chart") or {})
    if not chart.get("spec"):
        raise RequestError("A chart needs a spec.")
    position = chart.get("position") or {}
    sheet_id = (position.get("overlayPosition") or {}).get("anchorCell", {}).get("sheetId") \
        or position.get("sheetId") or 0
    sheet = _sheet(book, sheet_id)
    chart["chartId"] = chart.get("chartId") or _new_numeric_id()
    sheet.extras.setdefault("charts", []).append(chart)
    return {"chart": copy.deepcopy(chart)}


@handler("updateChartSpec")
def update_chart_spec(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Replace a chart's spec, found by chartId on any sheet."""
    chart_id, spec = req.get("chartId"), req.get("spec")
    if not spec:
        raise RequestError("spec is required")
    for sheet in book.sheets:
        for chart in sheet.extras.get("charts", []):
            if chart.get("chartId") == chart_id:
                chart["spec"] = copy.deepcopy(spec)
                return None
    raise RequestError(f"No chart with id: {chart_id}")


@handler("findReplace")
def find_replace(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Plain-text find/replace in values (no regex, no formulas)."""
    find = req.get("find")
    if not find:
        raise RequestError("find must not be empty")
    if req.get("searchByRegex"):
        raise RequestError("searchByRegex is not supported by the offline emulator")
    replacement = req.get("replacement", "")
    sheets = book.sheets if req.get("allSheets") else [_sheet(book, req.get("sheetId"))]
    changed = 0
    for sheet in sheets:
        for r, line in enumerate(sheet.rows):
            for c, cell in enumerate(line):
                if isinstance(cell, str) and find in cell:
                    sheet.set_cell(r, c, cell.replace(find, replacement))
                    changed += 1
    return {"valuesChanged": changed, "rowsChanged": changed, "sheetsChanged": len(sheets),
            "occurrencesChanged": changed} if changed else {}
