"""A1 notation: parsing Google's range strings and printing them back the way Google does.

Pure functions, no state. A parsed range keeps ``None`` for open ends (``A:C`` has no rows, ``A2:Z`` no end
row) so the caller can clamp it to the sheet's grid, which is what Google does before it answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_REF = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*|[A-Za-z]{1,3}|\d+)$")


def col_to_index(letters: str) -> int:
    """``"A"`` -> 0, ``"Z"`` -> 25, ``"AA"`` -> 26."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def index_to_col(index: int) -> str:
    """0 -> ``"A"``, 26 -> ``"AA"``."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def quote_title(title: str) -> str:
    """A sheet title as Google prints it in a range: quoted when it is not a plain identifier.

    Titles that look like a cell reference (``D3``) are quoted too, or ``D3!A1`` would be ambiguous.
    """
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_REF.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class GridRange:
    """A rectangle on one sheet, zero-based, end-exclusive; ``None`` ends are open (to the grid's edge)."""

    title: str | None
    start_row: int | None
    end_row: int | None
    start_col: int | None
    end_col: int | None
    name: str | None = None  # set when the text was a named range, resolved by the caller


def split_sheet(text: str) -> tuple[str | None, str]:
    """Split ``'It''s'!A1:B2`` into (``It's``, ``A1:B2``); a bare title gives (title, "")."""
    text = text.strip()
    if text.startswith("'"):
        i = 1
        out = []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    out.append("'")
                    i += 2
                    continue
                rest = text[i + 1:]
                title = "".join(out)
                if rest.startswith("!"):
                    return title, rest[1:]
                if rest == "":
                    return title, ""
                raise ValueError(f"Unable to parse range: {text}")
            out.append(ch)
            i += 1
        raise ValueError(f"Unable to parse range: {text}")
    if "!" in text:
        title, _, rest = text.rpartition("!")
        return title, rest
    return None, text


def parse_cell(text: str) -> tuple[int | None, int | None]:
    """``B3`` -> (row 2, col 1); ``B`` -> (None, 1); ``3`` -> (2, None)."""
    m = _CELL.match(text)
    if not m or (not m.group(1) and not m.group(2)):
        raise ValueError(f"Unable to parse range: {text}")
    letters, digits = m.groups()
    row = int(digits) - 1 if digits else None
    col = col_to_index(letters) if letters else None
    if row is not None and row < 0:
        raise ValueError(f"Unable to parse range: {text}")
    return row, col


def parse_range(text: str) -> GridRange:
    """Parse an A1 range; a text that is no cell reference is returned as a bare title or a named range.

    The caller decides between "a sheet called X" and "a named range called X", since only it knows both.
    """
    title, ref = split_sheet(text)
    if title is not None and ref == "" and not text.strip().startswith("'") and "!" not in text:
        title = None
    if title is None and ref:
        # No '!' and no quotes: either a cell/range reference, or a sheet title / named range.
        try:
            return _parse_ref(None, ref)
        except ValueError:
            return GridRange(ref, None, None, None, None, name=ref)
    if ref == "":
        return GridRange(title, None, None, None, None)
    try:
        return _parse_ref(title, ref)
    except ValueError:
        # 'Sheet1'!NamedRange: Google accepts a named range after a sheet prefix.
        return GridRange(title, None, None, None, None, name=ref)


def _parse_ref(title: str | None, ref: str) -> GridRange:
    """A cell (``B2``) or range (``A1:C3``, ``A:C``, ``2:5``, ``A2:Z``) reference on sheet ``title``."""
    first, sep, second = ref.partition(":")
    r1, c1 = parse_cell(first)
    if not sep:
        if r1 is None or c1 is None:
            raise ValueError(f"Unable to parse range: {ref}")
        return GridRange(title, r1, r1 + 1, c1, c1 + 1)
    r2, c2 = parse_cell(second)
    # Open rows/columns are only legal when both ends agree (A:C, 2:5) or the start is a full cell (A2:Z).
    if r1 is None and c1 is None:
        raise ValueError(f"Unable to parse range: {ref}")
    if r1 is not None and r2 is None and c1 is not None and c2 is None:
        raise ValueError(f"Unable to parse range: {ref}")
    r1, r2 = _ordered(r1, r2)
    c1, c2 = _ordered(c1, c2)
    # A row given only at the start and no column there (2:B) leaves the rows open.
    start_row = None if (r2 is None and c1 is None) else _open_start(r1, r2)
    return GridRange(title, start_row, _open_end(r2), _open_start(c1, c2), _open_end(c2))


def _ordered(start: int | None, end: int | None) -> tuple[int | None, int | None]:
    """Both ends in order (C1:A1 is A1:C1); an open end leaves the pair as it is."""
    if start is not None and end is not None and start > end:
        return end, start
    return start, end


def _open_start(start: int | None, end: int | None) -> int | None:
    """The start index of one axis: a missing start with a given end is 0 (A:B5 reads as A1:B5)."""
    if start is None:
        return 0 if end is not None else None
    return start


def _open_end(end: int | None) -> int | None:
    """The exclusive end index of one axis, or None when the end is open."""
    return end + 1 if end is not None else None


def format_range(title: str, start_row: int, end_row: int, start_col: int, end_col: int) -> str:
    """Google's printed form of a closed range: ``Sheet1!A1:D4``, or ``Sheet1!A1`` for one cell."""
    first = f"{index_to_col(start_col)}{start_row + 1}"
    last = f"{index_to_col(end_col - 1)}{end_row}"
    ref = first if (end_row - start_row == 1 and end_col - start_col == 1) else f"{first}:{last}"
    return f"{quote_title(title)}!{ref}"
