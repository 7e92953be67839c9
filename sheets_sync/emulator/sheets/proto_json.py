"""How Google's JSON front end reads a ``spreadsheets.batchUpdate`` body before any request runs.

proto3 JSON parsers accept a field by its proto name as well as its JSON name (``update_sheet_properties``
for ``updateSheetProperties``), and Google's front end is lenient about the shape of a repeated field: a lone
object where a list belongs is a list of one, and a list nested in the list is flattened. Clients rely on
this: gspread-pandas sends ``{"requests": {"update_sheet_properties": {...}}}`` to freeze rows, pygsheets
sends ``{"requests": [[{...}]]}`` to set column widths. The emulator reads such a body as Google does.
"""

from __future__ import annotations

import re
from typing import Any

_SNAKE = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """The JSON name of a proto field name (``frozen_row_count`` → ``frozenRowCount``); others unchanged."""
    return _SNAKE.sub(lambda m: m.group(1).upper(), name) if "_" in name else name


def _camel_mask(mask: str) -> str:
    """A field mask with each path segment in its JSON name (``grid_properties(frozen_row_count)``)."""
    return re.sub(r"[A-Za-z0-9_]+", lambda m: camel(m.group(0)), mask)


def _camel_keys(obj: Any) -> Any:
    """``obj`` with every object key in its JSON name; a ``fields`` mask's paths too. Values are untouched."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            name = camel(key) if isinstance(key, str) else key
            out[name] = _camel_mask(value) if name == "fields" and isinstance(value, str) else _camel_keys(value)
        return out
    if isinstance(obj, list):
        return [_camel_keys(v) for v in obj]
    return obj


def _flatten(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def read_requests(requests: Any) -> Any:
    """The ``requests`` of a batchUpdate body as a flat list in JSON names; anything else is returned as is."""
    if isinstance(requests, dict):
        requests = [requests]
    if not isinstance(requests, list):
        return requests
    return [_camel_keys(r) for r in _flatten(requests)]
