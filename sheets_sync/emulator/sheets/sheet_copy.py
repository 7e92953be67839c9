"""``spreadsheets.sheets.copyTo``: a tab copied into another (or the same) spreadsheet.

Google adds the copy as the destination's last tab, named ``Copy of <title>``, with a new sheet id, its
cells, formats, notes, validation, merges, conditional formats and filters, and answers with the new tab's
SheetProperties. Protected ranges are not copied (as ``duplicateSheet``); named ranges stay with the source.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import invalid
from .store import Spreadsheet, new_sheet_id


def _free_title(book: Spreadsheet, title: str) -> str:
    """``title``, or ``title 2``, ``title 3``… when a tab already has it (titles compare case-insensitively)."""
    taken = {s.title.lower() for s in book.sheets}
    candidate, n = title, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{title} {n}"
    return candidate


def copy_to(source: Spreadsheet, sheet_id: int, destination: Spreadsheet) -> dict[str, Any]:
    """Append a copy of ``source``'s tab ``sheet_id`` to ``destination`` (mutated); its SheetProperties."""
    found = next((s for s in source.sheets if s.sheet_id == sheet_id), None)
    if found is None:
        raise invalid(f"No grid with id: {sheet_id}")
    tab = found.clone()
    tab.props.update({"sheetId": new_sheet_id({s.sheet_id for s in destination.sheets}), "title": _free_title(destination, f"Copy of {found.title}"),
                      "index": len(destination.sheets)})
    tab.props.pop("hidden", None)
    tab.extras.pop("protectedRanges", None)
    destination.sheets.append(tab)
    destination.reindex()
    return copy.deepcopy(tab.props)
