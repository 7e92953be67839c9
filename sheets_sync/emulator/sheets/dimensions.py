"""Inserting and deleting rows/columns: the grid, and every range that points into it, move together.

Merges, protected and named ranges, filters, conditional formats, dimension groups and developer metadata all
follow the rows they are attached to, as in Google (a range that straddles the insertion point grows).
"""

from __future__ import annotations

from typing import Any

from .formula_refs import after_delete, after_insert
from .store import Sheet, Spreadsheet


def _keys(dim: str) -> tuple[str, str]:
    return ("startRowIndex", "endRowIndex") if dim == "ROWS" else ("startColumnIndex", "endColumnIndex")


def _ranges_in(sheet: Sheet, book: Spreadsheet | None) -> list[dict[str, Any]]:
    """Every GridRange dict on this sheet that must follow inserted/deleted rows or columns."""
    extras = sheet.extras
    out: list[dict[str, Any]] = [m for m in extras.get("merges", [])]
    out += [p["range"] for p in extras.get("protectedRanges", []) if "range" in p]
    if extras.get("basicFilter"):
        out.append(extras["basicFilter"]["range"])
    out += [f["range"] for f in extras.get("filterViews", []) if "range" in f]
    for rule in extras.get("conditionalFormats", []):
        out += rule.get("ranges", [])
    for banded in extras.get("bandedRanges", []):
        out.append(banded["range"])
    if book is not None:
        out += [n["range"] for n in book.named_ranges if n["range"].get("sheetId", 0) == sheet.sheet_id]
    return out


def _dim_ranges(sheet: Sheet, dim: str) -> list[dict[str, Any]]:
    key = "rowGroups" if dim == "ROWS" else "columnGroups"
    return [g["range"] for g in sheet.extras.get(key, [])]


def _axis(sheet: Sheet, dim: str) -> tuple[str, dict[int, dict[str, Any]]]:
    """The gridProperties key holding the dimension's size, and its per-index metadata."""
    return ("rowCount", sheet.row_meta) if dim == "ROWS" else ("columnCount", sheet.col_meta)


def _index_ranges(sheet: Sheet, dim: str) -> list[dict[str, Any]]:
    """The DimensionRanges of this dimension: its groups, and the developer metadata on its rows/columns."""
    out = _dim_ranges(sheet, dim)
    for meta_entry in sheet.extras.get("developerMetadata", []):
        loc = meta_entry.get("location", {}).get("dimensionRange")
        if loc and loc.get("dimension") == dim:
            out.append(loc)
    return out


def shift_for_insert(sheet: Sheet, dim: str, at: int, count: int, book: Spreadsheet | None = None) -> None:
    """Insert ``count`` rows/columns before index ``at``."""
    size_key, meta = _axis(sheet, dim)
    sheet.props["gridProperties"][size_key] += count
    if dim == "ROWS":
        if at < len(sheet.rows):
            sheet.rows[at:at] = [[] for _ in range(count)]
    else:
        for line in sheet.rows:
            if at < len(line):
                line[at:at] = [None] * count
    moved = {(k + count if k >= at else k): v for k, v in meta.items()}
    meta.clear()
    meta.update(moved)
    for rng in _ranges_in(sheet, book):
        _grow_grid_range(rng, dim, at, count)
    for rng in _index_ranges(sheet, dim):
        rng["startIndex"], rng["endIndex"] = _grow(rng["startIndex"], rng["endIndex"], at, count)
    if book is not None:
        after_insert(book, sheet, dim, at, count)  # formulas' references move with the cells


def _grow_grid_range(rng: dict[str, Any], dim: str, at: int, count: int) -> None:
    """Move or grow one GridRange along ``dim`` after an insert at ``at``; an absent bound stays open."""
    start_key, end_key = _keys(dim)
    start, end = rng.get(start_key), rng.get(end_key)
    if start is not None and start >= at:
        rng[start_key] = start + count
    if end is not None and end > at:
        rng[end_key] = end + count


def _grow(start: int, end: int, at: int, count: int) -> tuple[int, int]:
    """New (start, end) of [start, end) after inserting ``count`` before ``at`` (a straddling range grows)."""
    return (start + count if start >= at else start), (end + count if end > at else end)


def _shrink(start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """New (start, end) of [start, end) after deleting [lo, hi)."""
    width = hi - lo

    def move(x: int) -> int:
        if x <= lo:
            return x
        if x >= hi:
            return x - width
        return lo

    return move(start), move(end)


def shift_for_delete(sheet: Sheet, dim: str, lo: int, hi: int, book: Spreadsheet | None = None) -> None:
    """Delete rows/columns [lo, hi); ranges shrink, ranges left empty disappear."""
    count = hi - lo
    size_key, meta = _axis(sheet, dim)
    sheet.props["gridProperties"][size_key] -= count
    if dim == "ROWS":
        del sheet.rows[lo:hi]
    else:
        for line in sheet.rows:
            del line[lo:hi]
    moved = {(k - count if k >= hi else k): v for k, v in meta.items() if not lo <= k < hi}
    meta.clear()
    meta.update(moved)
    sheet.trim()
    for rng in _ranges_in(sheet, book):
        _shrink_grid_range(rng, dim, lo, hi)
    extras = sheet.extras
    if "merges" in extras:
        extras["merges"] = [m for m in extras["merges"] if _nonempty(m)]
        if not extras["merges"]:
            del extras["merges"]
    _shrink_groups(extras, dim, lo, hi)
    _shrink_metadata(extras, dim, lo, hi)
    if book is not None:
        after_delete(book, sheet, dim, lo, hi)  # formulas' references shrink; deleted ones become #REF!


def _shrink_grid_range(rng: dict[str, Any], dim: str, lo: int, hi: int) -> None:
    """Shrink one GridRange along ``dim`` after deleting [lo, hi); an open (absent) bound stays open."""
    start_key, end_key = _keys(dim)
    start, end = rng.get(start_key), rng.get(end_key)
    if start is None and end is None:
        return
    # An open end is treated as "past everything" while shrinking.
    new_start, new_end = _shrink(start or 0, end if end is not None else 10**9, lo, hi)
    if start is not None:
        rng[start_key] = new_start
    if end is not None:
        rng[end_key] = new_end


def _shrink_groups(extras: dict[str, Any], dim: str, lo: int, hi: int) -> None:
    """Shrink this dimension's groups after deleting [lo, hi); groups left empty (of either kind) go."""
    for key in ("rowGroups", "columnGroups"):
        groups = []
        for group in extras.get(key, []):
            rng = group["range"]
            if rng.get("dimension") == dim:
                rng["startIndex"], rng["endIndex"] = _shrink(rng["startIndex"], rng["endIndex"], lo, hi)
            if rng["endIndex"] > rng["startIndex"]:
                groups.append(group)
        if key in extras:
            extras[key] = groups
            if not groups:
                del extras[key]


def _shrink_metadata(extras: dict[str, Any], dim: str, lo: int, hi: int) -> None:
    """Shrink developer metadata on this dimension after deleting [lo, hi)."""
    kept = []
    for meta_entry in extras.get("developerMetadata", []):
        loc = meta_entry.get("location", {}).get("dimensionRange")
        if loc and loc.get("dimension") == dim:
            loc["startIndex"], loc["endIndex"] = _shrink(loc["startIndex"], loc["endIndex"], lo, hi)
            if loc["endIndex"] <= loc["startIndex"]:
                continue  # metadata is deleted with its rows
        kept.append(meta_entry)
    if "developerMetadata" in extras:
        extras["developerMetadata"] = kept


def _nonempty(rng: dict[str, Any]) -> bool:
    return (rng.get("endRowIndex", 1) > rng.get("startRowIndex", 0)
            and rng.get("endColumnIndex", 1) > rng.get("startColumnIndex", 0))
