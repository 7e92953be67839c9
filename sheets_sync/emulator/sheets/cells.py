"""Cells: how a typed value is stored (USER_ENTERED vs RAW) and how it is rendered back.

A sheet stores most cells as bare Python values (``str``, ``int``/``float``, ``bool``) because a 100k-row
tracker is mostly plain text and numbers, and bare values keep reads fast and memory small. Only cells that
carry more (a formula, a date or percent format, a note, a user format, a validation rule) are ``Cell``
objects. ``Cell`` objects are treated as immutable: edits build a new one, so a batchUpdate can work on a
shallow copy of the rows and be thrown away on failure without touching the original.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

EPOCH = dt.datetime(1899, 12, 30)
MAX_CELL_CHARS = 50_000


class Cell:
    """A cell with more than a bare value. ``value`` is the user-entered value (a formula's is None)."""

    __slots__ = ("value", "formula", "display", "dt_kind", "note", "fmt", "validation")

    def __init__(self, value: Any = None, formula: str | None = None, display: str | None = None,
                 dt_kind: str | None = None, note: str | None = None, fmt: dict | None = None,
                 validation: dict | None = None) -> None:
        self.value = value
        self.formula = formula
        self.display = display  # the formatted text for date/percent/currency numbers
        self.dt_kind = dt_kind  # "DATE"/"TIME"/"DATE_TIME" when the number is a date (render options care)
        self.note = note
        self.fmt = fmt
        self.validation = validation

    def copy(self, **changes: Any) -> Cell:
        """A new cell with some attributes changed."""
        new = Cell(self.value, self.formula, self.display, self.dt_kind, self.note, self.fmt, self.validation)
        for key, val in changes.items():
            setattr(new, key, val)
        return new

    def has_content(self) -> bool:
        """Whether the cell shows a value (notes and formats alone do not count for values.get)."""
        return self.formula is not None or (self.value is not None and self.value != "")

    def is_blank(self) -> bool:
        """Whether nothing at all is left in the cell."""
        return (not self.has_content() and self.note is None and self.fmt is None
                and self.validation is None)

    def to_json(self) -> dict:
        """Persistable form (only the set attributes)."""
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    @classmethod
    def from_json(cls, data: dict) -> Cell:
        """Inverse of ``to_json``."""
        return cls(**data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return f"Cell({self.to_json()!r})"


def has_value(cell: Any) -> bool:
    """Whether a stored cell shows something in values.get."""
    if cell is None or cell == "":
        return False
    if isinstance(cell, Cell):
        return cell.has_content()
    return True


def with_value(old: Any, new: Any) -> Any:
    """Store ``new`` (a parsed value: bare or Cell) into a cell that may carry a note/format to keep."""
    if isinstance(old, Cell) and (old.note is not None or old.fmt is not None or old.validation is not None):
        if isinstance(new, Cell):
            return _keep_format(old, new)
        return Cell(value=None if new == "" else new, note=old.note, fmt=old.fmt, validation=old.validation)
    if new == "":
        return None
    return new


def _keep_format(old: Cell, new: Cell) -> Cell:
    """A typed value landing in a formatted cell: a number format already there wins over the one the input
    implies (Sheets applies an inferred format only to an automatic cell), other formatting is kept."""
    fmt = old.fmt
    if new.fmt is not None and (old.fmt is None or "numberFormat" not in old.fmt):
        fmt = {**(old.fmt or {}), **new.fmt}
    elif fmt is not None and "numberFormat" in fmt:
        new = new.copy(display=None)  # shown by the cell's own pattern, not as typed
    return new.copy(note=old.note, fmt=fmt, validation=old.validation)


def cleared(old: Any) -> Any:
    """What values:clear leaves in a cell: formats and notes stay, the value goes."""
    if isinstance(old, Cell) and (old.note is not None or old.fmt is not None or old.validation is not None):
        return Cell(note=old.note, fmt=old.fmt, validation=old.validation)
    return None


# --- USER_ENTERED parsing -------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_PERCENT = re.compile(r"^([+-]?(\d+\.?\d*|\.\d+))\s*%$")
_CURRENCY = re.compile(r"^([+-]?)([$₹])\s*(\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?)$")
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?$")


def to_serial(moment: dt.datetime) -> float | int:
    """Google's serial number: days since 1899-12-30, time of day as the fraction."""
    delta = moment - EPOCH
    serial = delta.days + delta.seconds / 86400
    return int(serial) if serial == int(serial) else serial


def from_serial(serial: float) -> dt.datetime:
    """Inverse of ``to_serial``."""
    return EPOCH + dt.timedelta(days=serial)


def _number(value: float) -> int | float:
    return int(value) if value == int(value) and abs(value) < 1e15 else value


def parse_user_entered(raw: Any) -> Any:
    """Parse a value as if typed into the Sheets UI; returns a bare value, a Cell, or "" for empty.

    Only JSON strings are parsed: numbers and booleans arrive already typed.
    """
    if not isinstance(raw, str):
        return raw
    text = raw
    if text == "":
        return ""
    if text.startswith("'"):
        # A leading apostrophe forces text and is not part of the value.
        return text[1:]
    if text.startswith("=") and len(text) > 1:
        return Cell(formula=text)
    stripped = text.strip()
    upper = stripped.upper()
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
    if _NUMBER.match(stripped):
        return _number(float(stripped))
    if _GROUPED.match(stripped):
        decimals = len(stripped.partition(".")[2])
        return Cell(value=_number(float(stripped.replace(",", ""))), display=stripped,
                    fmt=_inferred("NUMBER", "#,##0" + ("." + "0" * decimals if decimals else "")))
    m = _PERCENT.match(stripped)
    if m:
        number = float(m.group(1)) / 100
        decimals = len(m.group(1).partition(".")[2])
        pattern = f"{{:.{max(decimals, 2) if decimals else 0}f}}%"
        return Cell(value=_number(round(number, 15)), display=pattern.format(float(m.group(1))),
                    fmt=_inferred("PERCENT", "0.00%" if decimals else "0%"))
    m = _CURRENCY.match(stripped)
    if m:
        number = float(m.group(3).replace(",", ""))
        if m.group(1) == "-":
            number = -number
        symbol = m.group(2)
        return Cell(value=_number(number), display=f"{'-' if number < 0 else ''}{symbol}{abs(number):,.2f}",
                    fmt=_inferred("CURRENCY", f'"{symbol}"#,##0.00'))
    parsed = _parse_date(stripped)
    if parsed is not None:
        return parsed
    return text


def _parse_date(text: str) -> Cell | None:
    try:
        m = _ISO_DATE.match(text)
        if m:
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            return _date_cell(text, dt.datetime(year, month, day), m.group(4), m.group(5), m.group(6),
                              "yyyy-mm-dd")
        m = _US_DATE.match(text)
        if m:
            month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if year < 100:
                year += 2000 if year < 30 else 1900
            return _date_cell(text, dt.datetime(year, month, day), m.group(4), m.group(5), m.group(6),
                              "M/d/yyyy")
        m = _TIME.match(text)
        if m:
            hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
            if m.group(4):
                if hour > 12:
                    return None
                hour = hour % 12 + (12 if m.group(4).upper() == "PM" else 0)
            if hour > 23 or minute > 59 or second > 59:
                return None
            fraction = (hour * 3600 + minute * 60 + second) / 86400
            return Cell(value=_number(fraction), display=text, dt_kind="TIME",
                        fmt=_inferred("TIME", _time_pattern(m.group(3), m.group(4))))
    except ValueError:
        return None  # 2023-02-30 is text to Google too
    return None


def _inferred(kind: str, pattern: str) -> dict[str, Any]:
    """The userEnteredFormat Sheets records for a typed ``10%``, ``₹1,234`` or ``2024-01-15``."""
    return {"numberFormat": {"type": kind, "pattern": pattern}}


def _time_pattern(seconds: str | None, meridiem: str | None) -> str:
    return ("h" if meridiem else "H") + ":mm" + (":ss" if seconds else "") + (" am/pm" if meridiem else "")


def _date_cell(text: str, day: dt.datetime, hour: str | None, minute: str | None,
               second: str | None, date_pattern: str) -> Cell:
    kind = "DATE"
    pattern = date_pattern
    if hour is not None:
        day = day.replace(hour=int(hour), minute=int(minute or 0), second=int(second or 0))
        kind = "DATE_TIME"
        pattern += " " + _time_pattern(second, None)
    return Cell(value=to_serial(day), display=text, dt_kind=kind, fmt=_inferred(kind, pattern))


def parse_input(raw: Any, user_entered: bool) -> Any:
    """Parse one JSON value of a values write; raises ValueError for a JSON type Google refuses."""
    if raw is None:
        return None  # null means "leave this cell alone"
    if isinstance(raw, (dict, list)):
        raise ValueError("Invalid value")
    if isinstance(raw, float) and (math.isnan(raw) or math.isinf(raw)):
        raise ValueError("Invalid value")
    if isinstance(raw, float):
        raw = _number(raw)
    if user_entered:
        return parse_user_entered(raw)
    return raw


# --- rendering ------------------------------------------------------------------------------------------


def format_number(value: float | int) -> str:
    """Google's "automatic" number format: integers plainly, fractions up to ~10 significant digits."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) or (value == int(value) and abs(value) < 1e15):
        number = int(value)
        if abs(number) >= 10**15:
            return f"{number:.5E}".replace("E+", "E+")
        return str(number)
    text = f"{value:.10g}"
    if "e" in text:
        mantissa, _, exp = text.partition("e")
        return f"{float(mantissa):.2f}E{int(exp):+03d}".replace("+0", "+").replace("-0", "-")
    return text


def render_scalar(value: Any, formatted: bool) -> Any:
    """Render a bare (non-formula) value."""
    if formatted:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return format_number(value)
        return value
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return int(value)
    return value


def validate_length(value: Any) -> None:
    """Google's 50,000-characters-per-cell limit."""
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        raise ValueError("Your input contains more than the maximum of 50000 characters in a single cell.")
    if isinstance(value, Cell):
        for text in (value.formula, value.value):
            if isinstance(text, str) and len(text) > MAX_CELL_CHARS:
                raise ValueError(
                    "Your input contains more than the maximum of 50000 characters in a single cell.")
