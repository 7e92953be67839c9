"""``https://docs.google.com/spreadsheets/d/{id}/export?format=csv&gid={sheetId}``: one tab as CSV.

Drive's ``files.export`` to ``text/csv`` only ever gives the first tab; the per-tab CSV is this link of the
Sheets web app (the "Download → CSV" of a tab), which answers to the same OAuth bearer token. ``format=xlsx``
there is the whole spreadsheet, as Drive's export.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ..http import EmuRequest, EmuResponse
from .drive import sheet_csv
from .errors import ApiError, invalid
from .store import Sheet, Spreadsheet


def _sheet(book: Spreadsheet, gid: str | None) -> Sheet:
    """The tab ``gid`` names (the first tab when none is given)."""
    if gid is None or gid == "":
        return book.sheets[0]
    if not re.fullmatch(r"-?\d+", gid):
        raise invalid(f"Invalid gid {gid!r}: the tab's sheetId, a number.")
    sheet = book.sheet_by_id(int(gid))
    if sheet is None:
        # docs.google.com answers an unknown gid with an error page; the emulator says which tabs exist.
        known = ", ".join(f"{s.props['sheetId']} ({s.title})" for s in book.sheets)
        raise ApiError(404, f"No tab with gid {gid} in this spreadsheet; its tabs are {known}.", "NOT_FOUND")
    return sheet


def export(book: Spreadsheet, request: EmuRequest) -> EmuResponse:
    """The tab as CSV (``format=csv``), or the whole spreadsheet as .xlsx (``format=xlsx``)."""
    fmt = request.arg("format") or "csv"
    if fmt == "xlsx":
        from .drive_export import XLSX_MIME, export_xlsx

        return EmuResponse(status=200, body=export_xlsx(book), headers={
            "Content-Type": XLSX_MIME,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(book.title)}.xlsx"})
    if fmt != "csv":
        raise invalid(f"Export format {fmt!r} is not supported by the offline emulator (csv and xlsx are).")
    sheet = _sheet(book, request.arg("gid"))
    name = quote(f"{book.title} - {sheet.title}.csv")
    return EmuResponse(status=200, body=sheet_csv(book, sheet), headers={
        "Content-Type": "text/csv", "Content-Disposition": f"attachment; filename*=UTF-8''{name}"})
