"""Formulas on the grid: evaluating a cell's formula against the spreadsheet, and spilling array results.

One ``Evaluator`` lives for one request. It memoises every formula it evaluates, breaks reference cycles with
``#REF!`` (Sheets: "Circular dependency detected"), resolves named ranges and cross-sheet references, and
gives TODAY/NOW the spreadsheet's own time zone.

Spilling, as in Sheets: a formula whose result is an array (``=UNIQUE(A2:A)``, ``=ARRAYFORMULA(...)``,
``={1,2;3,4}``) shows its top-left value in its own cell and the rest in the empty cells to the right and
below. If one of those cells holds data, nothing spills and the formula's cell shows ``#REF!`` ("Array result
was not expanded because it would overwrite data"). Spilled values are computed, never stored: read paths
ask ``Evaluator.rows(sheet)`` for the grid with them laid over the stored cells. Which formulas can spill is
decided from their text first (``_MAY_SPILL``), so a sheet without such formulas costs one fast scan.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cells import Cell
from .formula import evaluate
from .formula_values import Array, ErrorValue
from .store import Sheet, Spreadsheet

# Formulas whose result can be an array: array functions, array literals, a bare range (=A1:B3).
_MAY_SPILL = re.compile(
    r"(?i)\b(ARRAYFORMULA|UNIQUE|FILTER|SORT|INDEX|XLOOKUP|SEQUENCE|TRANSPOSE)\s*\(|\{|^=\s*[^(\"]+:[^(\"]*$")

Key = tuple[int, int, int]


def may_spill(formula: str) -> bool:
    """Whether a formula's text allows an array result."""
    return _MAY_SPILL.search(formula) is not None


def _empty(cell: Any) -> bool:
    return cell is None or cell == "" or (isinstance(cell, Cell) and not cell.has_content())


class Evaluator:
    """Evaluates formulas on demand for one request, memoising results and breaking reference cycles."""

    def __init__(self, book: Spreadsheet) -> None:
        self.book = book
        self.cache: dict[Key, Any] = {}
        self.active: set[Key] = set()
        self.arrays: dict[Key, Array] = {}
        self._spills: dict[int, dict[tuple[int, int], Any]] = {}
        self._now: float | None = None

    # --- values -----------------------------------------------------------------------------------------

    def value(self, sheet: Sheet, row: int, col: int) -> Any:
        """The effective (calculated) value at a cell: number/str/bool/ErrorValue or None."""
        cell = sheet.cell(row, col)
        if not isinstance(cell, Cell):
            if cell is None:
                return self.spill_map(sheet).get((row, col))
            return cell
        if cell.formula is None:
            if cell.value is None:
                return self.spill_map(sheet).get((row, col))
            return cell.value
        key = (sheet.sheet_id, row, col)
        if key in self.cache:
            return self.cache[key]
        if key in self.active:
            return ErrorValue("#REF!")
        self.active.add(key)
        try:
            result = evaluate(cell.formula, lambda title, r1, r2, c1, c2: self._read(sheet, title, r1, r2, c1, c2),
                              names=self._named, home=(row, col), now=self.now())
        finally:
            self.active.discard(key)
        if isinstance(result, Array):
            result = self._anchor(sheet, key, cell.formula, result)
        self.cache[key] = result
        return result

    def _anchor(self, sheet: Sheet, key: Key, formula: str, result: Array) -> Any:
        """The value an array formula's own cell shows; the array is kept for spilling when it fits."""
        if not may_spill(formula):
            return result.rows[0][0]
        _, row, col = key
        for dr, line in enumerate(result.rows):
            for dc in range(len(line)):
                if (dr or dc) and not _empty(sheet.cell(row + dr, col + dc)):
                    return ErrorValue("#REF!")
        if row + result.height > sheet.row_count or col + result.width > sheet.col_count:
            return ErrorValue("#REF!")  # Sheets would add rows; an API grid does not grow by itself
        self.arrays[key] = result
        return result.rows[0][0]

    def _read(self, home: Sheet, title: str | None, r1: int, r2: int | None, c1: int,
              c2: int | None) -> list[list[Any]]:
        sheet = home if title is None else self.book.sheet_by_title(title)
        if sheet is None:
            return [[ErrorValue("#REF!")]]
        if r2 is None:
            # An open range (A2:A) reaches the last row with data, spilled values included.
            spilled = self.spill_map(sheet)
            r2 = max(len(sheet.rows), max((r + 1 for r, _ in spilled), default=0))
        end_row = min(r2, sheet.row_count)
        end_col = min(c2 if c2 is not None else sheet.col_count, sheet.col_count)
        return [[self.value(sheet, r, c) for c in range(c1, end_col)] for r in range(r1, max(end_row, r1))]

    def _named(self, name: str) -> tuple[str | None, int, int | None, int, int | None] | None:
        lowered = name.lower()
        for named in self.book.named_ranges:
            if named["name"].lower() == lowered:
                grid = named["range"]
                sheet = self.book.sheet_by_id(grid.get("sheetId", 0))
                if sheet is None:
                    return None
                return (sheet.title, grid.get("startRowIndex", 0), grid.get("endRowIndex"),
                        grid.get("startColumnIndex", 0), grid.get("endColumnIndex"))
        return None

    def now(self) -> float:
        """Now as a serial day number in the spreadsheet's time zone (fixed for the whole request)."""
        if self._now is None:
            try:
                zone = ZoneInfo(self.book.properties.get("timeZone") or "Etc/GMT")
            except (ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo("Etc/GMT")
            local = dt.datetime.now(zone).replace(tzinfo=None)
            self._now = (local - dt.datetime(1899, 12, 30)).total_seconds() / 86400
        return self._now

    # --- spilling ---------------------------------------------------------------------------------------

    def spill_map(self, sheet: Sheet) -> dict[tuple[int, int], Any]:
        """(row, col) -> value for every cell an array formula on this sheet spills into."""
        found = self._spills.get(sheet.sheet_id)
        if found is not None:
            return found
        spilled: dict[tuple[int, int], Any] = {}
        # Published before it is filled: a formula read while spills are computed sees none (no recursion).
        self._spills[sheet.sheet_id] = spilled
        for row, line in enumerate(sheet.rows):
            if Cell not in map(type, line):
                continue  # the common case, checked at C speed
            for col, cell in enumerate(line):
                if isinstance(cell, Cell) and cell.formula is not None and may_spill(cell.formula):
                    self.value(sheet, row, col)
                    self._lay(spilled, self.arrays.get((sheet.sheet_id, row, col)), row, col)
        return spilled

    @staticmethod
    def _lay(spilled: dict[tuple[int, int], Any], array: Array | None, row: int, col: int) -> None:
        if array is None:
            return
        for dr, line in enumerate(array.rows):
            for dc, value in enumerate(line):
                if dr or dc:
                    spilled[(row + dr, col + dc)] = None if value == "" else value

    def rows(self, sheet: Sheet) -> list[list[Any]]:
        """The sheet's rows with spilled values laid over its empty cells (the stored rows when none)."""
        spilled = self.spill_map(sheet)
        if not spilled:
            return sheet.rows
        rows = list(sheet.rows)
        copied: set[int] = set()
        for (r, c), value in spilled.items():
            if value is None:
                continue
            while len(rows) <= r:
                rows.append([])
            if r not in copied:
                rows[r] = list(rows[r])
                copied.add(r)
            line = rows[r]
            if len(line) <= c:
                line.extend([None] * (c + 1 - len(line)))
            old = line[c]
            line[c] = old.copy(value=value) if isinstance(old, Cell) else Cell(value=value)
        return rows
