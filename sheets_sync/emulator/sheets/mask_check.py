"""Checking a request's ``fields`` mask against the API's schema, and Google's 400 for a bad one.

Google expands a ``fields`` mask against the schema of the method's response before it runs the method, so
a name the response type does not have is refused and nothing is changed:

- Sheets answers ``400 INVALID_ARGUMENT "Request contains an invalid argument."`` with a ``BadRequest``
  detail whose description is ``Error expanding 'fields' parameter. Cannot find matching fields for path
  'sheets.sheetProperties'.`` (the whole expanded path; the ``field`` is the mask as sent). Sheets does not
  strip spaces: ``properties, sheets.properties`` fails on the path ``' sheets.properties'``.
- Drive answers ``400 "Invalid field selection items"`` (the unknown name alone) with an ``errors`` item of
  reason ``invalidParameter`` located at the ``fields`` parameter; Drive does allow spaces after commas.

The schema is ``api_fields.json``: for each response type, its fields and the type of each, extracted from
Google's own discovery documents (the ones google-api-python-client ships) by ``python -m
sheets_sync.emulator.sheets.mask_check --regenerate``. The file is generated, not hand-written, so it is
exactly Google's published field list, and the emulator does not need google-api-python-client to run.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from ..http import EmuResponse
from .errors import ApiError
from .masks import parse_fields, select

SCHEMA_FILE = Path(__file__).with_name("api_fields.json")

# Route action (core.py) -> (API, discovery method id). Methods with no JSON answer (delete, export) are absent.
METHODS: dict[str, tuple[str, str]] = {
    "create": ("sheets", "sheets.spreadsheets.create"),
    "get": ("sheets", "sheets.spreadsheets.get"),
    "batch_update": ("sheets", "sheets.spreadsheets.batchUpdate"),
    "copy_to": ("sheets", "sheets.spreadsheets.sheets.copyTo"),
    "values_get": ("sheets", "sheets.spreadsheets.values.get"),
    "values_batch_get": ("sheets", "sheets.spreadsheets.values.batchGet"),
    "values_update": ("sheets", "sheets.spreadsheets.values.update"),
    "values_batch_update": ("sheets", "sheets.spreadsheets.values.batchUpdate"),
    "values_append": ("sheets", "sheets.spreadsheets.values.append"),
    "values_clear": ("sheets", "sheets.spreadsheets.values.clear"),
    "values_batch_clear": ("sheets", "sheets.spreadsheets.values.batchClear"),
    "drive_create": ("drive", "drive.files.create"),
    "drive_upload": ("drive", "drive.files.create"),
    "drive_get": ("drive", "drive.files.get"),
    "drive_update": ("drive", "drive.files.update"),
    "drive_list": ("drive", "drive.files.list"),
    "drive_copy": ("drive", "drive.files.copy"),
    "drive_share": ("drive", "drive.permissions.create"),
    "drive_permissions": ("drive", "drive.permissions.list"),
    "drive_comments": ("drive", "drive.comments.list"),
}

# Actions whose handler does not apply the mask itself: ``apply_mask`` trims their answer afterwards.
MASKED_AFTER = {"create", "batch_update", "copy_to", "values_get", "values_batch_get", "values_update",
                "values_batch_update", "values_append", "values_clear", "values_batch_clear"}

FREE = "{}"  # a map field (``appProperties``): any key may follow it


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def raw_paths(text: str) -> list[list[str]] | None:
    """The mask's paths with every name exactly as sent (spaces kept), or None when the parentheses do not
    balance. ``a(b,c/d)`` -> ``[["a","b"], ["a","c","d"]]``."""
    paths: list[list[str]] = []
    stack: list[list[str]] = [[]]  # the prefix each open parenthesis added
    current: list[str] = []
    token = ""
    for ch in text:
        if ch in "./":
            current.append(token)
            token = ""
        elif ch == "(":
            stack.append(stack[-1] + current + [token])
            current, token = [], ""
        elif ch in ",)":
            if token or current:
                paths.append(stack[-1] + current + [token])
            current, token = [], ""
            if ch == ")":
                if len(stack) == 1:
                    return None
                stack.pop()
        else:
            token += ch
    if len(stack) != 1:
        return None
    if token or current:
        paths.append(stack[-1] + current + [token])
    return paths


def unknown_path(api: str, response_type: str, path: list[str], strip: bool) -> tuple[list[str], str] | None:
    """(the path, the first name in it) when ``path`` names a field the response type does not have."""
    types = _schema()[api]["types"]
    kind: str | None = response_type
    for name in path:
        key = name.strip() if strip else name
        if key == "*" or kind == FREE:
            return None  # everything below a wildcard or a map key exists
        fields = types.get(kind) if kind else None
        if fields is None or key not in fields:
            return path, key
        kind = fields[key]
    return None


def sheets_mask_error(mask: str, path: str) -> ApiError:
    """Sheets' 400 for a mask naming a field the response does not have."""
    return ApiError(400, "Request contains an invalid argument.", "INVALID_ARGUMENT", details=[{
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{
            "field": mask,
            "description": f"Error expanding 'fields' parameter. Cannot find matching fields for path '{path}'.",
        }],
    }])


def drive_mask_error(name: str) -> ApiError:
    """Drive's 400 for a mask naming a field the resource does not have."""
    from .drive import DriveError

    return DriveError(400, f"Invalid field selection {name}", "invalidParameter", "fields")


def check(action: str, mask: str | None) -> None:
    """Refuse (raise Google's 400) a ``fields`` mask naming anything the action's response cannot have."""
    if not mask or action not in METHODS:
        return
    api, method = METHODS[action]
    response_type = _schema()[api]["methods"][method]
    strip = api == "drive"
    paths = raw_paths(mask)
    if paths is None:
        raise sheets_mask_error(mask, mask) if api == "sheets" else drive_mask_error(mask)
    for path in paths:
        found = unknown_path(api, response_type, path, strip)
        if found is None:
            continue
        full, name = found
        if api == "sheets":
            raise sheets_mask_error(mask, ".".join(full))
        raise drive_mask_error(name)


def apply_mask(action: str, mask: str | None, response: EmuResponse) -> EmuResponse:
    """A successful JSON answer trimmed to ``mask`` (for the handlers that do not trim their own)."""
    if not mask or action not in MASKED_AFTER or response.status != 200:
        return response
    body = select(response.json(), parse_fields(mask))
    return EmuResponse(status=200, body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                       headers=dict(response.headers))


def sub_mask(mask: str | None, key: str) -> tuple[str | None, bool]:
    """(the part of ``mask`` under ``key`` as a mask of its own, whether the mask names anything there).

    ``updatedSpreadsheet.sheets.data.rowData`` under ``updatedSpreadsheet`` is ``sheets.data.rowData``; a
    mask naming ``key`` whole (or none at all) gives None: everything below it.
    """
    if not mask:
        return None, False
    below = [path[1:] for path in parse_fields(mask) if path and path[0] in (key, "*")]
    if not below:
        return None, False
    if any(not rest or rest == ["*"] for rest in below):
        return None, True
    return ",".join(".".join(rest) for rest in below), True


# --- generating api_fields.json from Google's discovery documents --------------------------------------------


def _field_type(prop: dict[str, Any]) -> str | None:
    while prop.get("type") == "array":
        prop = prop.get("items") or {}
    if "$ref" in prop:
        return str(prop["$ref"])
    if prop.get("type") == "object" and "additionalProperties" in prop:
        return FREE
    if prop.get("type") == "object" and "properties" in prop:
        return None  # an inline object (Drive's ``capabilities``): handled by _inline below
    return None


def _compact(doc: dict[str, Any]) -> dict[str, Any]:
    """The discovery document reduced to {methods: id -> response type, types: type -> {field: type}}."""
    methods: dict[str, str] = {}

    def walk(resource: dict[str, Any]) -> None:
        for sub in (resource.get("resources") or {}).values():
            for method in (sub.get("methods") or {}).values():
                if (method.get("response") or {}).get("$ref"):
                    methods[method["id"]] = method["response"]["$ref"]
            walk(sub)

    walk(doc)
    types: dict[str, dict[str, str | None]] = {}

    def add(name: str, schema: dict[str, Any]) -> None:
        fields: dict[str, str | None] = {}
        for field, prop in (schema.get("properties") or {}).items():
            inner = prop
            while inner.get("type") == "array":
                inner = inner.get("items") or {}
            if inner.get("type") == "object" and "properties" in inner:
                add(f"{name}.{field}", inner)  # inline objects become types of their own
                fields[field] = f"{name}.{field}"
            else:
                fields[field] = _field_type(prop)
        types[name] = fields

    for name, schema in doc["schemas"].items():
        add(name, schema)
    return {"methods": methods, "types": types}


def regenerate() -> None:
    """Rewrite ``api_fields.json`` from the discovery documents google-api-python-client ships."""
    import googleapiclient  # the test extra installs it; the emulator only reads the generated file

    documents = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
    out = {api: _compact(json.loads((documents / name).read_text(encoding="utf-8")))
           for api, name in (("sheets", "sheets.v4.json"), ("drive", "drive.v3.json"))}
    SCHEMA_FILE.write_text(json.dumps(out, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {SCHEMA_FILE} ({SCHEMA_FILE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python -m sheets_sync.emulator.sheets.mask_check --regenerate")
    regenerate()
