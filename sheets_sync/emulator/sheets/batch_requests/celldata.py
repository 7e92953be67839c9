"""Google's CellData and the emulator's stored cells, and the format normalisation Google applies on write.

A stored cell is a bare value when it has nothing else, else a ``Cell``; CellData is what requests carry and
what ``spreadsheets.get`` prints, so the two conversions here are each other's inverse.
"""

from __future__ import annotations

import copy
import struct
from typing import Any

from ..cells import Cell, validate_length
from ..masks import apply_update
from ..store import Sheet
from .base import RequestError


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


def strip_unset(obj: Any) -> Any:
    """proto3 JSON: a ``null`` field and an enum's ``*_UNSPECIFIED`` value both mean "not set"."""
    if isinstance(obj, dict):
        return {k: strip_unset(v) for k, v in obj.items()
                if v is not None and not (isinstance(v, str) and v.endswith("_UNSPECIFIED"))}
    if isinstance(obj, list):
        return [strip_unset(v) for v in obj]
    return obj


def _proto_number(value: Any) -> int | float:
    """proto3 JSON lets a number travel as a string (``{"numberValue": "3"}``, as pygsheets sends it)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise RequestError(f"Invalid value at 'number_value' (TYPE_DOUBLE), \"{value}\"") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"Invalid value at 'number_value' (TYPE_DOUBLE), {value!r}")
    return value


def normalise_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """Google mirrors plain colours into their ``*Style`` twins in what it stores and returns."""
    fmt = strip_unset(copy.deepcopy(fmt))
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
    value, formula = _entered_value(data.get("userEnteredValue") or {})
    note = data.get("note") or None
    fmt = (normalise_format(data["userEnteredFormat"]) or None) if data.get("userEnteredFormat") else None
    validation = data.get("dataValidation") or None
    display = dt_kind = None
    if isinstance(old, Cell) and old.formula == formula and old.value == value and \
            _number_format(old.fmt) == _number_format(fmt):
        display, dt_kind = old.display, old.dt_kind  # value and format unchanged: keep how it is shown
    if formula is None and note is None and fmt is None and validation is None and display is None:
        return value
    new = Cell(value=value, formula=formula, display=display, dt_kind=dt_kind, note=note, fmt=fmt,
               validation=validation)
    validate_length(new)
    return new


def _number_format(fmt: dict[str, Any] | None) -> Any:
    return (fmt or {}).get("numberFormat")


def _entered_value(entered: dict[str, Any]) -> tuple[Any, str | None]:
    """(value, formula) of an ExtendedValue; whole floats are stored as ints, as Sheets shows them."""
    entered = {k: v for k, v in entered.items() if v is not None}  # proto3: null is unset
    if "formulaValue" in entered:
        return None, entered["formulaValue"]
    if "stringValue" in entered:
        return entered["stringValue"], None
    if entered.get("numberValue") is not None:
        value = _proto_number(entered["numberValue"])
        if isinstance(value, float) and value == int(value):
            value = int(value)
        return value, None
    if "boolValue" in entered:
        return bool(entered["boolValue"]), None
    if "errorValue" in entered:
        raise RequestError("errorValue cannot be entered")
    return None, None


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
