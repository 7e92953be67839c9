"""Rules attached to ranges: data validation, named ranges, protected ranges, filters, conditional formats.

The ranges stored here follow inserted and deleted rows and columns: ``..dimensions`` moves them with the
cells they cover.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..grid import find_named_range
from ..masks import apply_update
from ..store import Sheet, Spreadsheet
from .base import (
    Context,
    RequestError,
    grid_range_out,
    new_numeric_id,
    prune,
    require_fields,
    sheet_of,
    window_of,
)
from .celldata import quantise_colors, write_celldata

# A name must look like an identifier and must not read as a cell reference (A1, XFD7) or a boolean.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}\d+$")


# --- data validation ------------------------------------------------------------------------------------


def set_data_validation(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Attach (or, without a rule, remove) a validation rule on every cell of a range."""
    window = window_of(book, req.get("range"))
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


# --- named ranges ---------------------------------------------------------------------------------------


def _valid_name(name: Any) -> bool:
    """Whether Sheets accepts ``name`` for a named range."""
    return isinstance(name, str) and bool(_NAME.match(name)) and not _CELL_LIKE.match(name) \
        and name.upper() not in ("TRUE", "FALSE")


def add_named_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A named range; reply ``{"namedRange": {...namedRangeId}}``."""
    given = copy.deepcopy(req.get("namedRange") or {})
    name = given.get("name")
    if not _valid_name(name):
        raise RequestError(f"The name '{name}' is not valid.")
    if find_named_range(book, name) is not None:
        raise RequestError(f"Named range with name '{name}' already exists.")
    window_of(book, given.get("range") or {})
    named_id = str(given.get("namedRangeId") or new_numeric_id())
    named = {"namedRangeId": named_id, "name": name, "range": grid_range_out(given.get("range") or {})}
    book.named_ranges.append(named)
    return {"namedRange": copy.deepcopy(named)}


def _named_by_id(book: Spreadsheet, named_id: Any) -> dict[str, Any]:
    """The named range with this id."""
    for named in book.named_ranges:
        if named["namedRangeId"] == str(named_id):
            return named
    raise RequestError(f"No named range with id: {named_id}")


def update_named_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Rename or move a named range under a field mask."""
    given = req.get("namedRange") or {}
    fields = require_fields(req)
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


def delete_named_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove a named range by id."""
    named = _named_by_id(book, req.get("namedRangeId"))
    book.named_ranges.remove(named)
    return None


# --- protection -----------------------------------------------------------------------------------------


def _all_protected(book: Spreadsheet) -> list[tuple[Sheet, dict[str, Any]]]:
    """Every protected range of the spreadsheet, with the sheet holding it."""
    return [(s, p) for s in book.sheets for p in s.extras.get("protectedRanges", [])]


def _protected_out(protected: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A stored protected range as the caller sees it (whether they may edit it)."""
    out = copy.deepcopy(protected)
    if "range" in out:
        out["range"] = grid_range_out(out["range"])
    users = out.get("editors", {}).get("users", [])
    out["requestingUserCanEdit"] = ctx.caller == ctx.owner or ctx.caller in users or \
        bool(out.get("warningOnly"))
    return prune(out)


def add_protected_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Protect a range or sheet; reply ``{"protectedRange": {...protectedRangeId}}``."""
    given = copy.deepcopy(req.get("protectedRange") or {})
    rng = given.get("range")
    if rng is None:
        raise RequestError("A protected range needs a range.")
    window = window_of(book, rng)
    protected_id = given.get("protectedRangeId") or new_numeric_id()
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


def update_protected_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Change a protected range under a field mask."""
    given = req.get("protectedRange") or {}
    fields = require_fields(req)
    for _sheet_obj, protected in _all_protected(book):
        if protected["protectedRangeId"] == given.get("protectedRangeId"):
            apply_update(protected, given, fields)
            protected.update(prune(protected))
            return None
    raise RequestError(f"No protected range with id: {given.get('protectedRangeId')}")


def delete_protected_range(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove a protected range by id."""
    for sheet, protected in _all_protected(book):
        if protected["protectedRangeId"] == req.get("protectedRangeId"):
            sheet.extras["protectedRanges"].remove(protected)
            if not sheet.extras["protectedRanges"]:
                del sheet.extras["protectedRanges"]
            return None
    raise RequestError(f"No protected range with id: {req.get('protectedRangeId')}")


# --- filters and conditional formats ---------------------------------------------------------------


def set_basic_filter(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """The sheet's one basic filter (replaces any previous one)."""
    given = copy.deepcopy(req.get("filter") or {})
    window = window_of(book, given.get("range") or {})
    # Google stores the filter's range with every bound filled in (an open range becomes the whole grid).
    given["range"] = {"sheetId": window.sheet.sheet_id, "startRowIndex": window.start_row,
                      "endRowIndex": window.end_row, "startColumnIndex": window.start_col,
                      "endColumnIndex": window.end_col}
    window.sheet.extras["basicFilter"] = prune(given)
    return None


def clear_basic_filter(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Remove the basic filter."""
    sheet = sheet_of(book, req.get("sheetId"))
    sheet.extras.pop("basicFilter", None)
    return None


def add_filter_view(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A filter view; reply ``{"filter": {...filterViewId}}``."""
    given = copy.deepcopy(req.get("filter") or {})
    window = window_of(book, given.get("range") or {})
    given["filterViewId"] = given.get("filterViewId") or new_numeric_id()
    given["range"] = grid_range_out({"sheetId": window.sheet.sheet_id, **(given.get("range") or {})})
    given = prune(given)
    window.sheet.extras.setdefault("filterViews", []).append(given)
    return {"filter": copy.deepcopy(given)}


def update_filter_view(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Change a filter view under a field mask (``fields`` required, as Google requires it)."""
    given = req.get("filter") or {}
    fields = require_fields(req)
    for sheet in book.sheets:
        for view in sheet.extras.get("filterViews", []):
            if view["filterViewId"] == given.get("filterViewId"):
                apply_update(view, given, fields)
                view.update(prune(view))
                return None
    raise RequestError(f"No filter view with id: {given.get('filterViewId')}")


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


def add_conditional_format_rule(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Insert a rule at ``index`` in its sheet's list."""
    rule = copy.deepcopy(req.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise RequestError("A conditional format rule needs at least one range.")
    sheets = {window_of(book, r).sheet.sheet_id for r in ranges}
    if len(sheets) != 1:
        raise RequestError("All ranges of a conditional format rule must be on the same sheet.")
    if not rule.get("booleanRule") and not rule.get("gradientRule"):
        raise RequestError("A conditional format rule needs a booleanRule or a gradientRule.")
    sheet = sheet_of(book, sheets.pop())
    rule["ranges"] = [grid_range_out({"sheetId": sheet.sheet_id, **r}) for r in ranges]
    rules = sheet.extras.setdefault("conditionalFormats", [])
    index = req.get("index", 0)
    if not 0 <= index <= len(rules):
        raise RequestError(f"Invalid index {index}.")
    # Stored as Google stores colours (8-bit channels, a zero channel not printed), as for cell formats.
    rules.insert(index, prune(quantise_colors(rule)))
    return None


def delete_conditional_format_rule(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Remove the rule at ``index``; the reply carries the removed rule."""
    sheet = sheet_of(book, req.get("sheetId"))
    rules = sheet.extras.get("conditionalFormats", [])
    index = req.get("index", 0)
    if not 0 <= index < len(rules):
        raise RequestError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    rule = rules.pop(index)
    if not rules:
        sheet.extras.pop("conditionalFormats")
    return {"rule": rule}
