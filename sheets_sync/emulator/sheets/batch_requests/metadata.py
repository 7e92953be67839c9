"""Objects stored but not acted on: developer metadata and charts (their specs are kept, never drawn)."""

from __future__ import annotations

import copy
from typing import Any

from ..store import Spreadsheet
from .base import Context, RequestError, dim_range, new_numeric_id, sheet_of


def create_developer_metadata(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Metadata on the spreadsheet, a sheet, or rows/columns (which then follow inserts and deletes)."""
    meta = copy.deepcopy(req.get("developerMetadata") or {})
    if not meta.get("metadataKey"):
        raise RequestError("metadataKey is required")
    if meta.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise RequestError("visibility must be DOCUMENT or PROJECT")
    location = meta.get("location") or {}
    meta["metadataId"] = meta.get("metadataId") or book.next_metadata_id
    book.next_metadata_id = max(book.next_metadata_id, meta["metadataId"]) + 1
    if "dimensionRange" in location:
        sheet, dim, start, end = dim_range(book, location["dimensionRange"])
        location["locationType"] = "ROW" if dim == "ROWS" else "COLUMN"
        location["dimensionRange"] = {"sheetId": sheet.sheet_id, "dimension": dim, "startIndex": start,
                                      "endIndex": end}
        sheet.extras.setdefault("developerMetadata", []).append(meta)
    elif "sheetId" in location:
        sheet = sheet_of(book, location["sheetId"])
        location["locationType"] = "SHEET"
        sheet.extras.setdefault("developerMetadata", []).append(meta)
    elif location.get("spreadsheet"):
        location["locationType"] = "SPREADSHEET"
        book.developer_metadata.append(meta)
    else:
        raise RequestError("A developer metadata location is required.")
    return {"developerMetadata": copy.deepcopy(meta)}


def delete_developer_metadata(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Delete metadata matching a lookup by id or key."""
    lookup = (req.get("dataFilter") or {}).get("developerMetadataLookup") or {}
    removed: list[dict[str, Any]] = []
    holders = [book.developer_metadata] + [s.extras.get("developerMetadata", []) for s in book.sheets]
    for holder in holders:
        for meta in list(holder):
            if ("metadataId" in lookup and meta["metadataId"] != lookup["metadataId"]) or \
                    ("metadataKey" in lookup and meta["metadataKey"] != lookup["metadataKey"]):
                continue
            holder.remove(meta)
            removed.append(meta)
    return {"deletedDeveloperMetadata": removed}


def add_chart(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Store a chart spec (not drawn); reply ``{"chart": {...chartId}}``."""
    chart = copy.deepcopy(req.get("chart") or {})
    if not chart.get("spec"):
        raise RequestError("A chart needs a spec.")
    position = chart.get("position") or {}
    sheet_id = (position.get("overlayPosition") or {}).get("anchorCell", {}).get("sheetId") \
        or position.get("sheetId") or 0
    sheet = sheet_of(book, sheet_id)
    chart["chartId"] = chart.get("chartId") or new_numeric_id()
    sheet.extras.setdefault("charts", []).append(chart)
    return {"chart": copy.deepcopy(chart)}


def update_chart_spec(book: Spreadsheet, req: dict[str, Any], ctx: Context) -> None:
    """Replace a chart's spec, found by chartId on any sheet."""
    chart_id, spec = req.get("chartId"), req.get("spec")
    if not spec:
        raise RequestError("spec is required")
    for sheet in book.sheets:
        for chart in sheet.extras.get("charts", []):
            if chart.get("chartId") == chart_id:
                chart["spec"] = copy.deepcopy(spec)
                return None
    raise RequestError(f"No chart with id: {chart_id}")
