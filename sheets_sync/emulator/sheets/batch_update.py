"""``spreadsheets.batchUpdate``: one handler per request kind, applied atomically.

The core hands ``apply_batch`` a *clone* of the spreadsheet; if any sub-request fails the clone is dropped
and the stored spreadsheet is untouched, which is Google's all-or-nothing behaviour. A request kind with no
handler is refused with Google's 400 INVALID_ARGUMENT, never silently accepted.

The handlers live in ``batch_requests``, grouped by request family; ``HANDLERS`` below is the one table
mapping request kinds to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .batch_requests import cell_edits, dimension_edits, metadata, ranges, rules, tabs
from .batch_requests.base import Context, RequestError, grid_range_out, prune
from .batch_requests.celldata import to_celldata
from .errors import ApiError, invalid
from .proto_json import read_requests
from .store import Spreadsheet
from .values import CELL_LIMIT, cell_limit_error

# Context, grid_range_out, prune and to_celldata are imported from here by ``core`` and ``spreadsheet_get``.
__all__ = ["HANDLERS", "Context", "Handler", "apply_batch", "grid_range_out", "prune", "to_celldata"]

Handler = Callable[[Spreadsheet, dict[str, Any], Context], dict[str, Any] | None]

HANDLERS: dict[str, Handler] = {
    # spreadsheet and sheets
    "updateSpreadsheetProperties": tabs.update_spreadsheet_properties,
    "addSheet": tabs.add_sheet,
    "deleteSheet": tabs.delete_sheet,
    "duplicateSheet": tabs.duplicate_sheet,
    "updateSheetProperties": tabs.update_sheet_properties,
    # rows and columns
    "insertDimension": dimension_edits.insert_dimension,
    "deleteDimension": dimension_edits.delete_dimension,
    "appendDimension": dimension_edits.append_dimension,
    "updateDimensionProperties": dimension_edits.update_dimension_properties,
    "autoResizeDimensions": dimension_edits.auto_resize_dimensions,
    "addDimensionGroup": dimension_edits.add_dimension_group,
    "deleteDimensionGroup": dimension_edits.delete_dimension_group,
    # cell values and formats
    "repeatCell": cell_edits.repeat_cell,
    "updateCells": cell_edits.update_cells,
    "appendCells": cell_edits.append_cells,
    "updateBorders": cell_edits.update_borders,
    "findReplace": cell_edits.find_replace,
    # moving and merging blocks of cells
    "copyPaste": ranges.copy_paste,
    "cutPaste": ranges.cut_paste,
    "sortRange": ranges.sort_range,
    "mergeCells": ranges.merge_cells,
    "unmergeCells": ranges.unmerge_cells,
    # rules attached to ranges
    "setDataValidation": rules.set_data_validation,
    "addNamedRange": rules.add_named_range,
    "updateNamedRange": rules.update_named_range,
    "deleteNamedRange": rules.delete_named_range,
    "addProtectedRange": rules.add_protected_range,
    "updateProtectedRange": rules.update_protected_range,
    "deleteProtectedRange": rules.delete_protected_range,
    "setBasicFilter": rules.set_basic_filter,
    "clearBasicFilter": rules.clear_basic_filter,
    "addFilterView": rules.add_filter_view,
    "updateFilterView": rules.update_filter_view,
    "deleteFilterView": rules.delete_filter_view,
    "addConditionalFormatRule": rules.add_conditional_format_rule,
    "deleteConditionalFormatRule": rules.delete_conditional_format_rule,
    # stored objects
    "createDeveloperMetadata": metadata.create_developer_metadata,
    "deleteDeveloperMetadata": metadata.delete_developer_metadata,
    "addChart": metadata.add_chart,
    "updateChartSpec": metadata.update_chart_spec,
}


def apply_batch(book: Spreadsheet, body: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Apply every request in order to ``book`` (a clone); returns the replies or raises ApiError."""
    requests = read_requests(body.get("requests"))
    if not isinstance(requests, list) or not requests:
        raise invalid("Must specify at least one request.")
    replies: list[dict[str, Any]] = []
    for i, request in enumerate(requests):
        if not isinstance(request, dict) or len(request) != 1:
            raise invalid(f"Invalid requests[{i}]: No request set.")
        kind, payload = next(iter(request.items()))
        func = HANDLERS.get(kind)
        if func is None:
            raise invalid(f"Invalid requests[{i}].{kind}: this request kind is not supported by the offline "
                          f"emulator.")
        try:
            reply = func(book, payload or {}, ctx)
        except RequestError as err:
            raise invalid(f"Invalid requests[{i}].{kind}: {err}") from None
        except ApiError as err:
            if err.code == 400 and not err.message.startswith("Invalid requests"):
                raise invalid(f"Invalid requests[{i}].{kind}: {err.message}") from None
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise invalid(f"Invalid requests[{i}].{kind}: {err}") from None
        replies.append({kind: reply} if reply is not None else {})
    if book.total_cells() > CELL_LIMIT:
        raise cell_limit_error()
    return replies

