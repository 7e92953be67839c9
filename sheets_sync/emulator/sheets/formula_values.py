"""The values a formula works with, and how Google coerces them.

A value is a number (``int``/``float``), text, ``bool``, ``None`` (a blank cell), an ``ErrorValue``, or an
``Array`` (a range read from the grid, an array literal ``{1,2;3,4}``, or an array a function returned).
Errors inside scalar code travel as the ``FormulaError`` exception, so a function need not check every
argument; ``IFERROR`` and friends catch it. Inside an array each element carries its own error value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any


class FormulaError(Exception):
    """A spreadsheet error value such as ``#NAME?``, ``#DIV/0!``, ``#REF!`` or ``#ERROR!``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ErrorValue(str):
    """A rendered error value; a ``str`` so it serialises the way Google shows it (``#NAME?``)."""


class DateNumber(float):
    """A number that is a date or time (a serial day count): DATE, TODAY, NOW and date arithmetic give one.

    ``kind`` is ``"DATE"``, ``"TIME"`` or ``"DATE_TIME"``, so a renderer can pick Google's default date format.
    """

    kind: str

    def __new__(cls, value: float, kind: str = "DATE") -> DateNumber:
        new = super().__new__(cls, value)
        new.kind = kind
        return new


def date_kind(value: Any) -> str | None:
    """``"DATE"``, ``"TIME"`` or ``"DATE_TIME"`` when a formula's result is a date or time, else None.

    Sheets shows such a result in a date format when the cell has no number format of its own.
    """
    return value.kind if isinstance(value, DateNumber) else None


class Array:
    """A rectangle of values; ``origin`` is (row, col) of its top-left cell when it was read from a sheet."""

    __slots__ = ("rows", "origin")

    def __init__(self, rows: list[list[Any]], origin: tuple[int, int] | None = None) -> None:
        self.rows = rows or [[None]]
        self.origin = origin

    @property
    def height(self) -> int:
        """Number of rows."""
        return len(self.rows)

    @property
    def width(self) -> int:
        """Number of columns (of the first row; arrays are rectangular)."""
        return len(self.rows[0]) if self.rows else 0

    def flat(self) -> list[Any]:
        """Every value, row by row."""
        return [v for row in self.rows for v in row]

    def columns(self) -> list[list[Any]]:
        """The values column by column."""
        return [list(col) for col in zip(*self.rows, strict=False)]

    def map(self, func: Callable[[Any], Any]) -> Array:
        """A new array of ``func`` applied to each element, an error in one element staying in that element."""
        return Array([[_guard(func, v) for v in row] for row in self.rows])


def _guard(func: Callable[[Any], Any], value: Any) -> Any:
    try:
        return func(value)
    except FormulaError as err:
        return ErrorValue(err.code)


def raise_error(code: str) -> Any:
    """Raise Google's error ``code`` (usable in a lambda)."""
    raise FormulaError(code)


def check(value: Any) -> Any:
    """``value``, or its error raised."""
    if isinstance(value, ErrorValue):
        raise FormulaError(str(value))
    return value


def scalar(value: Any) -> Any:
    """A single value: an array in a scalar place gives its top-left element (as Sheets does)."""
    if isinstance(value, Array):
        value = value.rows[0][0] if value.rows and value.rows[0] else None
    return check(value)


def number(value: Any) -> float:
    """A value as a number: blank is 0, TRUE is 1, numeric text is parsed, other text is ``#VALUE!``."""
    value = scalar(value)
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return value
    parsed = parse_number(str(value))
    if parsed is None:
        raise FormulaError("#VALUE!")
    return parsed


_NUMERIC_TEXT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*(%?)\s*$")


def parse_number(text: str) -> float | None:
    """Text that Sheets reads as a number (``"12"``, ``"1,234.5"``, ``"10%"``), else None."""
    m = _NUMERIC_TEXT.match(text.replace(",", ""))
    if not m:
        return None
    value = float(m.group(0).strip().rstrip("%"))
    return value / 100 if m.group(3) else value


def integer(value: Any) -> int:
    """A value as an integer, truncated toward zero like Sheets' index arguments."""
    return int(number(value))


def text(value: Any) -> str:
    """A value as text, as ``&`` and the text functions see it."""
    value = scalar(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    return str(value)


def truthy(value: Any) -> bool:
    """A value as a condition: numbers are true when non-zero, "TRUE"/"FALSE" text counts, other text errors."""
    value = scalar(value)
    if isinstance(value, str):
        upper = value.upper()
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE"
        if value == "":
            return False
        raise FormulaError("#VALUE!")
    return bool(number(value))


def values_of(arg: Any) -> Iterator[Any]:
    """The values of an argument: an array's elements, or the argument itself."""
    if isinstance(arg, Array):
        yield from arg.flat()
    else:
        yield arg


def numbers_of(args: list[Any]) -> list[float]:
    """Numbers for SUM/AVERAGE/MIN/MAX: text and blanks in ranges are skipped, typed arguments coerced."""
    out: list[float] = []
    for arg in args:
        if isinstance(arg, Array):
            for v in arg.flat():
                check(v)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out.append(v)
        else:
            out.append(number(arg))
    return out


def as_array(value: Any) -> Array:
    """Any value as an array (a scalar is a 1x1 array)."""
    return value if isinstance(value, Array) else Array([[value]])


def same(a: Any, b: Any) -> bool:
    """Equality as ``=`` and the lookups see it: text case-insensitive, blank equals "" and 0."""
    if a is None:
        a = "" if isinstance(b, str) else 0
    if b is None:
        b = "" if isinstance(a, str) else 0
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, str) != isinstance(b, str):
        return False
    return a == b


def order_key(value: Any) -> tuple[int, Any]:
    """Sheets' comparison order: numbers < text (case-insensitive) < booleans."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value).lower())


def compare(op: str, a: Any, b: Any) -> bool:
    """``a op b`` for one of = <> < > <= >=, in Sheets' type order."""
    if op == "=":
        return same(a, b)
    if op == "<>":
        return not same(a, b)
    if a is None:
        a = "" if isinstance(b, str) else 0
    if b is None:
        b = "" if isinstance(a, str) else 0
    ka, kb = order_key(a), order_key(b)
    return {"<": ka < kb, ">": ka > kb, "<=": ka <= kb, ">=": ka >= kb}[op]


# --- criteria (COUNTIF, SUMIF, ...) ---------------------------------------------------------------------

_CRITERION = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.DOTALL)


def criterion(spec: Any) -> Callable[[Any], bool]:
    """A test for COUNTIF-style criteria: ``">5"``, ``"<>done"``, ``"ab*"`` (wildcards), or a plain value."""
    spec = scalar(spec)
    if not isinstance(spec, str):
        return lambda v: same(v, spec) if v is not None else False
    m = _CRITERION.match(spec)
    op, operand = (m.group(1) or "=", m.group(2)) if m else ("=", spec)
    parsed = parse_number(operand)
    target: Any = parsed if parsed is not None else operand
    if operand.upper() in ("TRUE", "FALSE"):
        target = operand.upper() == "TRUE"
    if isinstance(target, str):
        return _text_criterion(op, target)
    if op in ("=", "<>"):
        return (lambda v: _num_equal(v, target)) if op == "=" else (lambda v: not _num_equal(v, target))
    return lambda v: (isinstance(v, (int, float)) and not isinstance(v, bool) and isinstance(target, float)
                      and compare(op, v, target))


def _num_equal(value: Any, target: Any) -> bool:
    if isinstance(value, str):
        parsed = parse_number(value)
        return parsed is not None and parsed == target
    return value is not None and same(value, target)


def _text_criterion(op: str, target: str) -> Callable[[Any], bool]:
    if op in ("=", "<>"):
        if target == "":
            return (lambda v: v is None or v == "") if op == "=" else (lambda v: v is not None and v != "")
        pattern = wildcard(target)

        def hit(v: Any) -> bool:
            return isinstance(v, str) and pattern.fullmatch(v) is not None

        return hit if op == "=" else (lambda v: not hit(v))
    return lambda v: isinstance(v, str) and compare(op, v, target)


def wildcard(pattern: str) -> re.Pattern[str]:
    """A case-insensitive regex for a Sheets wildcard pattern (``*``, ``?``, ``~`` escapes)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)
