"""Conditional formatting as Sheets applies it, for a cell's ``effectiveFormat``.

A sheet's rules are tried in order; the first boolean rule whose ranges hold the cell and whose condition is
true paints it: its format is merged over the cell's own (``userEnteredFormat``), as the cell is shown. A
custom formula is written for the top-left cell of the rule's first range, and its relative references move
with the cell (``=$H2<>""`` is ``=$H7<>""`` on row 7), exactly as a copied formula's do, so it is evaluated
with the same engine and shift as ``copyPaste`` (``formula.py``, ``formula_refs.shift_relative``).

A colour scale (``gradientRule``) sets the background from the cell's place between the scale's points,
interpolated per colour channel as Sheets does. Date conditions (``DATE_BEFORE`` …) are not evaluated.
"""

from __future__ import annotations

import copy
from typing import Any

from .formula import evaluate
from .formula_grid import Evaluator
from .formula_refs import shift_relative
from .formula_values import ErrorValue, FormulaError, parse_number, truthy
from .store import Sheet

_NUMBER_TESTS = {
    "NUMBER_GREATER": lambda v, a: v > a[0],
    "NUMBER_GREATER_THAN_EQ": lambda v, a: v >= a[0],
    "NUMBER_LESS": lambda v, a: v < a[0],
    "NUMBER_LESS_THAN_EQ": lambda v, a: v <= a[0],
    "NUMBER_EQ": lambda v, a: v == a[0],
    "NUMBER_NOT_EQ": lambda v, a: v != a[0],
    "NUMBER_BETWEEN": lambda v, a: min(a[0], a[1]) <= v <= max(a[0], a[1]),
    "NUMBER_NOT_BETWEEN": lambda v, a: not min(a[0], a[1]) <= v <= max(a[0], a[1]),
}
# Sheets compares text in conditional formats without regard to case.
_TEXT_TESTS = {
    "TEXT_CONTAINS": lambda v, a: a[0] in v,
    "TEXT_NOT_CONTAINS": lambda v, a: a[0] not in v,
    "TEXT_STARTS_WITH": lambda v, a: v.startswith(a[0]),
    "TEXT_ENDS_WITH": lambda v, a: v.endswith(a[0]),
    "TEXT_EQ": lambda v, a: v == a[0],
}


def _contains(grid: dict[str, Any], row: int, col: int) -> bool:
    return (grid.get("startRowIndex", 0) <= row < grid.get("endRowIndex", row + 1)
            and grid.get("startColumnIndex", 0) <= col < grid.get("endColumnIndex", col + 1))


def merge_format(base: dict[str, Any] | None, over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base`` key by key (nested objects merged too); a colour set by
    ``over`` sets its twin (``backgroundColor`` / ``backgroundColorStyle``) too, so the two never disagree."""
    out = copy.deepcopy(base) if base else {}
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not key.endswith(("Color", "Style")):
            out[key] = merge_format(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
            if key.endswith("Color") and f"{key}Style" not in over:
                out[f"{key}Style"] = {"rgbColor": copy.deepcopy(value)}
            elif key.endswith("ColorStyle") and key[:-5] not in over and "rgbColor" in value:
                out[key[:-5]] = copy.deepcopy(value["rgbColor"])
    return out


class ConditionalFormats:
    """The conditional format rules of one sheet, evaluated per cell within one request."""

    def __init__(self, evaluator: Evaluator, sheet: Sheet) -> None:
        self.evaluator = evaluator
        self.sheet = sheet
        self.rules: list[dict[str, Any]] = sheet.extras.get("conditionalFormats") or []
        self._formulas: dict[tuple[str, int, int], Any] = {}  # shifted text (+ place) -> value
        # A rule's formula is re-tokenized only per row when its columns are all anchored ($H2), not per cell.
        self._by_column: dict[str, bool] = {}
        self._shifted: dict[tuple[str, int, int], str] = {}
        self._scales: dict[int, tuple[float, float, float | None]] = {}

    def format_at(self, row: int, col: int) -> dict[str, Any] | None:
        """The format the first matching rule paints the cell with (None when no rule applies)."""
        for index, rule in enumerate(self.rules):
            ranges = rule.get("ranges") or []
            if not any(_contains(grid, row, col) for grid in ranges):
                continue
            if "booleanRule" in rule:
                boolean = rule["booleanRule"]
                if self._holds(boolean.get("condition") or {}, ranges[0], row, col):
                    return boolean.get("format") or {}
            elif "gradientRule" in rule:
                painted = self._gradient(index, rule, row, col)
                if painted is not None:
                    return painted
        return None

    # --- boolean rules ----------------------------------------------------------------------------------

    def _holds(self, condition: dict[str, Any], anchor: dict[str, Any], row: int, col: int) -> bool:
        kind = condition.get("type", "")
        args = [self._argument(v.get("userEnteredValue", ""), anchor, row, col)
                for v in condition.get("values") or []]
        if kind == "CUSTOM_FORMULA":
            return bool(args) and self._true(args[0])
        value = self.evaluator.value(self.sheet, row, col)
        if kind in ("BLANK", "NOT_BLANK"):
            return (value is None or value == "") == (kind == "BLANK")
        if kind in _NUMBER_TESTS:
            numbers = [_as_number(a) for a in args]
            actual = _as_number(value) if not isinstance(value, str) or value else None
            if actual is None or not numbers or any(n is None for n in numbers):
                return False
            return bool(_NUMBER_TESTS[kind](actual, numbers + numbers))
        if kind in _TEXT_TESTS and args:
            shown = "" if value is None else str(value).lower()
            return bool(_TEXT_TESTS[kind](shown, [str(a).lower() for a in args]))
        return False  # date conditions and the rest are not evaluated

    def _argument(self, entered: str, anchor: dict[str, Any], row: int, col: int) -> Any:
        """A condition value: literal text, or a formula evaluated for this cell."""
        if not entered.startswith("="):
            return entered
        d_row, d_col = row - anchor.get("startRowIndex", 0), col - anchor.get("startColumnIndex", 0)
        if entered not in self._by_column:  # does moving right change it? (``$H2`` does not)
            self._by_column[entered] = shift_relative(entered, 0, 1) != entered
        key = (entered, d_row, d_col if self._by_column[entered] else 0)
        shifted = self._shifted.get(key)
        if shifted is None:
            shifted = self._shifted[key] = shift_relative(entered, d_row, key[2])
        # ROW()/COLUMN() give the cell's own place: such a formula's value is kept per row/column.
        upper = shifted.upper()
        value_key = (shifted, row if "ROW(" in upper else -1, col if "COLUMN(" in upper else -1)
        if value_key not in self._formulas:
            ev = self.evaluator
            self._formulas[value_key] = evaluate(
                shifted, lambda title, r1, r2, c1, c2: ev._read(self.sheet, title, r1, r2, c1, c2),
                names=ev._named, home=(row, col), now=ev.now())
        return self._formulas[value_key]

    @staticmethod
    def _true(value: Any) -> bool:
        if isinstance(value, ErrorValue):
            return False
        try:
            return truthy(value)
        except FormulaError:
            return False  # text that is not TRUE/FALSE: the rule does not apply

    # --- colour scales ----------------------------------------------------------------------------------

    def _gradient(self, index: int, rule: dict[str, Any], row: int, col: int) -> dict[str, Any] | None:
        value = _as_number(self.evaluator.value(self.sheet, row, col))
        if value is None:
            return None
        low, high, mid = self._scale(index, rule)
        gradient = rule["gradientRule"]
        points = [(low, gradient.get("minpoint") or {})]
        if mid is not None and gradient.get("midpoint"):
            points.append((mid, gradient["midpoint"]))
        points.append((high, gradient.get("maxpoint") or {}))
        colour = _interpolate(points, value)
        return {"backgroundColor": {k: v for k, v in colour.items() if v}}  # Google leaves out zero channels

    def _scale(self, index: int, rule: dict[str, Any]) -> tuple[float, float, float | None]:
        """(min, max, mid) of a colour scale, from its points and the numbers in its ranges."""
        if index not in self._scales:
            numbers = [n for grid in rule.get("ranges") or [] for n in self._numbers(grid)]
            gradient = rule["gradientRule"]
            lo = _point(gradient.get("minpoint") or {}, numbers, default=min(numbers, default=0.0))
            hi = _point(gradient.get("maxpoint") or {}, numbers, default=max(numbers, default=0.0))
            mid = _point(gradient["midpoint"], numbers, default=(lo + hi) / 2) if gradient.get("midpoint") else None
            self._scales[index] = (lo, hi, mid)
        return self._scales[index]

    def _numbers(self, grid: dict[str, Any]) -> list[float]:
        sheet = self.sheet
        r1 = min(grid.get("endRowIndex", sheet.row_count), len(sheet.rows))
        c1 = grid.get("endColumnIndex", sheet.col_count)
        found = []
        for r in range(grid.get("startRowIndex", 0), r1):
            for c in range(grid.get("startColumnIndex", 0), min(c1, len(sheet.rows[r]))):
                number = _as_number(self.evaluator.value(sheet, r, c))
                if number is not None:
                    found.append(number)
        return found


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and not isinstance(value, ErrorValue):
        return parse_number(value)
    return None


def _point(point: dict[str, Any], numbers: list[float], default: float) -> float:
    """A scale point's number: MIN/MAX of the range, a NUMBER, or a PERCENT/PERCENTILE of it."""
    kind = point.get("type", "")
    given = parse_number(str(point.get("value", ""))) if point.get("value") not in (None, "") else None
    if kind == "NUMBER" and given is not None:
        return given
    if kind in ("PERCENT", "PERCENTILE") and given is not None and numbers:
        lo, hi = min(numbers), max(numbers)
        if kind == "PERCENT":
            return lo + (hi - lo) * given / 100
        ordered = sorted(numbers)
        rank = (len(ordered) - 1) * given / 100
        below = int(rank)
        above = min(below + 1, len(ordered) - 1)
        return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)
    return default


def _colour(point: dict[str, Any]) -> dict[str, float]:
    colour = point.get("color") or (point.get("colorStyle") or {}).get("rgbColor") or {}
    return {k: float(colour.get(k, 0.0)) for k in ("red", "green", "blue")}


def _interpolate(points: list[tuple[float, dict[str, Any]]], value: float) -> dict[str, float]:
    """The colour at ``value`` between the scale's points (clamped at the ends)."""
    if value <= points[0][0]:
        return _colour(points[0][1])
    for (x0, p0), (x1, p1) in zip(points, points[1:], strict=False):
        if value <= x1:
            t = 0.0 if x1 == x0 else (value - x0) / (x1 - x0)
            c0, c1 = _colour(p0), _colour(p1)
            return {k: c0[k] + (c1[k] - c0[k]) * t for k in c0}
    return _colour(points[-1][1])
