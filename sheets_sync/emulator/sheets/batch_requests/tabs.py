"""Spreadsheet and sheet (tab) requests: properties, add, delete, duplicate, move, resize."""

from __future__ import annotations

import copy
from typing import Any

from ..masks import apply_update
from ..store import DEFAULT_COLS, DEFAULT_ROWS, Sheet, Spreadsheet, new_sheet_id
from .base import Context, RequestError, prune, prune_nulls, require_fields, sheet_of
from .celldata import quantise_colors


def update_spreadsheet_properties(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Title, locale, time zone... under a field mask."""
    fields = require_fields(req)
    apply_update(book.properties, req.get("properties") or {}, fields)
    if not book.properties.get("title"):
        raise RequestError("A spreadsheet title must not be empty.")
    return None


def _check_title(book: Spreadsheet, title: Any, own_id: int | None) -> None:
    """Refuse an empty title or one another sheet has (case-insensitively)."""
    if not isinstance(title, str) or not title.strip():
        raise RequestError("A sheet title must not be empty.")
    for sheet in book.sheets:
        if sheet.title.lower() == title.lower() and sheet.sheet_id != own_id:
            raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')


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


def delete_sheet(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove a tab (never the last visible one) and the named ranges on it."""
    sheet = sheet_of(book, req.get("sheetId"))
    if len(book.sheets) == 1:
        raise RequestError("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.named_ranges = [n for n in book.named_ranges if n["range"].get("sheetId", 0) != sheet.sheet_id]
    book.reindex()
    return None


def duplicate_sheet(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Copy a tab with its cells."""
    source = sheet_of(book, req.get("sourceSheetId"))
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


def update_sheet_properties(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Title, index, hidden, tab colour, frozen rows, grid size... under a field mask."""
    given = req.get("properties") or {}
    fields = require_fields(req)
    sheet = sheet_of(book, given.get("sheetId"))
    before = copy.deepcopy(sheet.props)
    props = copy.deepcopy(sheet.props)
    apply_update(props, given, fields)
    props["sheetId"] = sheet.sheet_id
    if props.get("title") != before.get("title"):
        _check_title(book, props.get("title"), sheet.sheet_id)
    _mirror_tab_color(props, before)
    if props.get("hidden") and all(s.props.get("hidden") for s in book.sheets if s is not sheet):
        raise RequestError("You can't hide all the sheets in a document.")
    rows, cols = _checked_grid(props.setdefault("gridProperties", {}))
    props = _as_stored(props)
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


def _mirror_tab_color(props: dict[str, Any], before: dict[str, Any]) -> None:
    """Keep ``tabColor`` and ``tabColorStyle`` in step, as Google does: whichever was set wins."""
    if "tabColor" in props and props.get("tabColor") != before.get("tabColor"):
        props["tabColorStyle"] = {"rgbColor": copy.deepcopy(props["tabColor"])}
    if "tabColorStyle" in props and "rgbColor" in props["tabColorStyle"]:
        props["tabColor"] = copy.deepcopy(props["tabColorStyle"]["rgbColor"])
    _drop_empty_tab_color(props)


def _drop_empty_tab_color(props: dict[str, Any]) -> None:
    # A cleared style clears the plain colour with it (Google never prints one without the other).
    if not props.get("tabColorStyle"):
        props.pop("tabColorStyle", None)
        props.pop("tabColor", None)


def _checked_grid(grid: dict[str, Any]) -> tuple[int, int]:
    """Validate the new grid size and frozen counts; returns (rows, columns). Zero counts are dropped."""
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
    # Zero and false are proto3 defaults: Google does not store (or print) them.
    for key in ("frozenRowCount", "frozenColumnCount"):
        if grid.get(key) == 0:
            grid.pop(key)
    if grid.get("hideGridlines") is False:
        grid.pop("hideGridlines")
    return rows, cols


def _as_stored(props: dict[str, Any]) -> dict[str, Any]:
    """Sheet properties as Google stores them: no nulls, 8-bit colours, no default ``hidden: false``."""
    props = prune_nulls(props)
    for key in ("tabColor", "tabColorStyle"):
        if key in props:
            props[key] = quantise_colors(props[key])
    _drop_empty_tab_color(props)
    if props.get("hidden") is False:
        props.pop("hidden")
    return props


def _move_sheet(book: Spreadsheet, sheet: Sheet, index: int) -> None:
    """Put ``sheet`` at ``index`` and renumber the others."""
    others = [s for s in sorted(book.sheets, key=lambda s: s.props["index"]) if s is not sheet]
    # Google's index counts positions before the move, so moving right lands one to the left.
    old = sheet.props.get("index", 0)
    target = index - 1 if index > old else index
    target = max(0, min(target, len(others)))
    others.insert(target, sheet)
    for i, s in enumerate(others):
        s.props["index"] = i
    book.reindex()
