"""Keeping formulas pointed at the right cells when the grid changes, as Sheets does.

- Rows/columns inserted (``insertDimension``) above or left of a reference move it; a range that straddles
  the insertion point grows. Absolute (``$A$1``) references move too: ``$`` only matters when copying.
- Rows/columns deleted shrink a range; a reference whose cells are all deleted becomes ``#REF!``.
- ``copyPaste`` shifts a pasted formula's relative references by the paste offset (``=A1`` copied one row
  down is ``=A2``); one pushed off the grid becomes ``#REF!``.
- ``cutPaste`` moves cells: every reference in the spreadsheet to cells wholly inside the cut block follows
  them to the destination; the moved formulas' other references stay where they were.

Only the reference tokens of a formula are rewritten; everything else (spacing, strings, function names)
is kept byte for byte.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from functools import lru_cache

from .a1 import index_to_col, quote_title
from .cells import Cell
from .formula import Ref, Token, parse_ref, tokenize
from .formula_values import FormulaError
from .store import Sheet, Spreadsheet

# A change to one reference: the same Ref (unchanged), a new Ref, or None for #REF!.
RefChange = Callable[[Ref], Ref | None]


@lru_cache(maxsize=4096)
def _tokens(body: str) -> tuple[Token, ...]:
    return tuple(tokenize(body))


def rewrite(formula: str, change: RefChange) -> str:
    """``formula`` with each reference passed through ``change``; a formula that does not parse is kept."""
    body = formula[1:]
    try:
        tokens = _tokens(body)
    except FormulaError:
        return formula
    out: list[str] = []
    pos = 0
    for tok in tokens:
        if tok.kind != "ref":
            continue
        try:
            ref = parse_ref(tok.text)
        except FormulaError:
            continue
        new = change(ref)
        if new is ref:
            continue
        out.append(body[pos:tok.start])
        out.append("#REF!" if new is None else format_ref(new, tok.text))
        pos = tok.start + len(tok.text)
    if not out:
        return formula
    return "=" + "".join(out) + body[pos:]


def format_ref(ref: Ref, original: str) -> str:
    """A Ref printed back in A1 form, keeping the original sheet prefix when the sheet did not change."""
    prefix = ""
    if ref.title is not None:
        same_sheet = "!" in original and parse_ref(original).title == ref.title
        prefix = (original.rpartition("!")[0] if same_sheet else quote_title(ref.title)) + "!"
    first = _part(ref.r1, ref.c1, ref.abs_r1, ref.abs_c1)
    if not ref.is_range:
        return prefix + first
    return prefix + first + ":" + _part(ref.r2, ref.c2, ref.abs_r2, ref.abs_c2)


def _part(row: int | None, col: int | None, abs_row: bool, abs_col: bool) -> str:
    letters = "" if col is None else ("$" if abs_col else "") + index_to_col(col)
    digits = "" if row is None else ("$" if abs_row else "") + str(row + 1)
    return letters + digits


def formula_cells(book: Spreadsheet) -> Iterator[tuple[Sheet, int, int, Cell]]:
    """Every formula cell of the spreadsheet, with its sheet and position."""
    for sheet in book.sheets:
        for row, line in enumerate(sheet.rows):
            if Cell not in map(type, line):
                continue
            for col, cell in enumerate(line):
                if isinstance(cell, Cell) and cell.formula is not None:
                    yield sheet, row, col, cell


def _apply(book: Spreadsheet, change_for: Callable[[Sheet], RefChange]) -> None:
    """Rewrite every formula in the book; ``change_for(home sheet)`` gives the change for its references."""
    for sheet, row, col, cell in list(formula_cells(book)):
        assert cell.formula is not None
        new = rewrite(cell.formula, change_for(sheet))
        if new != cell.formula:
            sheet.rows[row][col] = cell.copy(formula=new)


def _targets(ref: Ref, home: Sheet, target: Sheet) -> bool:
    """Whether a reference written on ``home`` points into ``target``."""
    if ref.title is None:
        return home is target
    return ref.title.lower() == target.title.lower()


def _rows_of(ref: Ref, dim: str) -> tuple[int | None, int | None]:
    return (ref.r1, ref.r2) if dim == "ROWS" else (ref.c1, ref.c2)


def _with(ref: Ref, dim: str, start: int | None, end: int | None) -> Ref:
    if dim == "ROWS":
        return dataclasses.replace(ref, r1=start, r2=end)
    return dataclasses.replace(ref, c1=start, c2=end)


def after_insert(book: Spreadsheet, sheet: Sheet, dim: str, at: int, count: int) -> None:
    """Move references after ``count`` rows/columns were inserted before index ``at`` of ``sheet``."""
    def change_for(home: Sheet) -> RefChange:
        def change(ref: Ref) -> Ref | None:
            start, end = _rows_of(ref, dim)
            if not _targets(ref, home, sheet) or start is None:
                return ref
            new_start = start + count if start >= at else start
            new_end = end + count if end is not None and end >= at else end
            if (new_start, new_end) == (start, end):
                return ref
            return _with(ref, dim, new_start, new_end)
        return change
    _apply(book, change_for)


def after_delete(book: Spreadsheet, sheet: Sheet, dim: str, lo: int, hi: int) -> None:
    """Shrink or move references after rows/columns [lo, hi) of ``sheet`` were deleted; ``#REF!`` for
    references whose cells are all gone."""
    count = hi - lo

    def change_for(home: Sheet) -> RefChange:
        def change(ref: Ref) -> Ref | None:
            start, end = _rows_of(ref, dim)
            if not _targets(ref, home, sheet) or start is None:
                return ref
            last = end if end is not None else 10**9  # an open end (A2:A) is never deleted
            if lo <= start and last < hi:
                return None
            new_start = start if start < lo else (lo if start < hi else start - count)
            new_end = end
            if end is not None:
                new_end = end if end < lo else (lo - 1 if end < hi else end - count)
            if (new_start, new_end) == (start, end):
                return ref
            return _with(ref, dim, new_start, new_end)
        return change
    _apply(book, change_for)


def shift_relative(formula: str, d_row: int, d_col: int) -> str:
    """A formula copied ``d_row`` rows down and ``d_col`` columns right: relative references move."""
    if not d_row and not d_col:
        return formula

    def move(value: int | None, delta: int, absolute: bool) -> int | None:
        if value is None or absolute:
            return value
        moved = value + delta
        if moved < 0:
            raise _OffGrid
        return moved

    def change(ref: Ref) -> Ref | None:
        try:
            return dataclasses.replace(
                ref, r1=move(ref.r1, d_row, ref.abs_r1), r2=move(ref.r2, d_row, ref.abs_r2),
                c1=move(ref.c1, d_col, ref.abs_c1), c2=move(ref.c2, d_col, ref.abs_c2))
        except _OffGrid:
            return None
    return rewrite(formula, change)


class _OffGrid(Exception):
    """A copied reference would point above row 1 or left of column A."""


def after_cut(book: Spreadsheet, source: Sheet, rows: tuple[int, int], cols: tuple[int, int],
              dest: Sheet, d_row: int, d_col: int) -> None:
    """References to cells wholly inside the cut block ``rows`` x ``cols`` (end-exclusive) of ``source``
    follow the cells to ``dest``, ``d_row``/``d_col`` away."""
    def moved(ref: Ref, home: Sheet) -> Ref | None:
        r1, r2, c1, c2 = ref.r1, ref.r2, ref.c1, ref.c2
        if r1 is None or r2 is None or c1 is None or c2 is None:
            return None  # an open range (A:A, A2:A) never moves with a block
        if not (rows[0] <= min(r1, r2) and max(r1, r2) < rows[1]
                and cols[0] <= min(c1, c2) and max(c1, c2) < cols[1]):
            return None
        title = ref.title if dest is source else (None if dest is home else dest.title)
        return dataclasses.replace(ref, title=title, r1=r1 + d_row, r2=r2 + d_row, c1=c1 + d_col, c2=c2 + d_col)

    def change_for(home: Sheet) -> RefChange:
        def change(ref: Ref) -> Ref | None:
            if not _targets(ref, home, source):
                return ref
            return moved(ref, home) or ref
        return change
    _apply(book, change_for)
