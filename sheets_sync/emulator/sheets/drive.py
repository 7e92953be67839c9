"""Drive v3 as gspread uses it: files create/get/list/delete/copy, CSV export, and the comment list.

Only Google Sheets files exist in the emulator. Drive's error bodies differ from Sheets' (they carry an
``errors`` list with ``domain``/``reason``), and gspread's retry logic looks at them, so they are copied too.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from ..http import EmuResponse, json_response
from .errors import ApiError
from .grid import Evaluator, cell_text
from .masks import parse_fields, select
from .store import Spreadsheet

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"


class DriveError(ApiError):
    """A Drive-shaped error (``errors: [{domain, reason, message, ...}]``)."""

    def __init__(self, code: int, message: str, reason: str, location: str | None = None) -> None:
        super().__init__(code, message)
        self.reason = reason
        self.location = location

    def body(self) -> dict[str, Any]:
        """Drive's error body."""
        item: dict[str, Any] = {"message": self.message, "domain": "global", "reason": self.reason}
        if self.location:
            item.update({"location": self.location, "locationType": "parameter"})
        return {"error": {"code": self.code, "message": self.message, "errors": [item]}}


def file_not_found(file_id: str) -> DriveError:
    """Drive's 404 for an unknown file id."""
    return DriveError(404, f"File not found: {file_id}.", "notFound", "fileId")


def file_resource(book: Spreadsheet) -> dict[str, Any]:
    """Every field of the Drive file the emulator knows."""
    return {
        "kind": "drive#file",
        "id": book.id,
        "name": book.title,
        "mimeType": SPREADSHEET_MIME,
        "createdTime": book.created_time,
        "modifiedTime": book.modified_time,
        "trashed": False,
        "webViewLink": f"https://docs.google.com/spreadsheets/d/{book.id}/edit?usp=drivesdk",
    }


DEFAULT_FILE_FIELDS = ["kind", "id", "name", "mimeType"]


def with_fields(resource: dict[str, Any], fields: str | None, default: list[str]) -> dict[str, Any]:
    """Apply a Drive ``fields`` mask (or Drive's default field set)."""
    if not fields:
        return {k: resource[k] for k in default if k in resource}
    return select(resource, parse_fields(fields))


_CLAUSE = re.compile(
    r"""^\s*(?:(?P<field>name|mimeType|trashed|fullText)\s*(?P<op>=|!=|contains)\s*(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|true|false)
    |(?P<parent>'[^']*')\s+in\s+parents)\s*$""",
    re.VERBOSE,
)


def _unquote(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    return re.sub(r"\\(.)", r"\1", value[1:-1])


def query_matches(query: str, book: Spreadsheet) -> bool:
    """Evaluate a Drive ``q`` made of ``and``-joined clauses on name, mimeType and trashed."""
    if not query.strip():
        return True
    for clause in re.split(r"\s+and\s+", query.strip()):
        m = _CLAUSE.match(clause)
        if not m:
            raise DriveError(400, "Invalid Value", "invalid", "q")
        if m.group("parent"):
            continue  # no folders in the emulator: every file is in every parent the caller names
        field, op, value = m.group("field"), m.group("op"), _unquote(m.group("value"))
        actual: Any = {"name": book.title, "mimeType": SPREADSHEET_MIME, "trashed": False,
                       "fullText": book.title}[field]
        if op == "=" and actual != value:
            return False
        if op == "!=" and actual == value:
            return False
        if op == "contains" and str(value).lower() not in str(actual).lower():
            return False
    return True


def list_files(books: list[Spreadsheet], query: str, fields: str | None, page_size: int) -> dict[str, Any]:
    """``files.list``: newest first, one page (the emulator never needs a second)."""
    # Newest first; among equal timestamps the later-created file comes first.
    matched = [b for b in reversed(books) if query_matches(query, b)]
    matched.sort(key=lambda b: b.created_time, reverse=True)
    files = [file_resource(b) for b in matched[:page_size]]
    body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
    if not fields:
        body["files"] = [{k: f[k] for k in DEFAULT_FILE_FIELDS} for f in files]
        return body
    return select(body, parse_fields(fields))


def export_csv(book: Spreadsheet, mime_type: str | None) -> EmuResponse:
    """``files.export`` as CSV of the first sheet (what Drive does), or .xlsx (``drive_export``); other
    formats are refused."""
    from .drive_export import XLSX_MIME, export_xlsx

    if mime_type == XLSX_MIME:
        return EmuResponse(status=200, body=export_xlsx(book), headers={"Content-Type": XLSX_MIME})
    if mime_type != "text/csv":
        raise DriveError(400, f"Export to {mime_type} is not supported by the offline emulator (only "
                              "text/csv and xlsx: PDF and ODS rendering is not modelled).",
                         "badRequest", "mimeType")
    sheet = book.sheets[0]
    evaluator = Evaluator(book)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = []
    for r, line in enumerate(sheet.rows):
        rows.append([cell_text(cell, evaluator, sheet, r, c) for c, cell in enumerate(line)])
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)))
    text = out.getvalue()
    if text.endswith("\r\n"):
        text = text[:-2]  # Drive's CSV has no trailing newline
    return EmuResponse(status=200, body=text.encode("utf-8"), headers={"Content-Type": "text/csv"})


def import_csv(book: Spreadsheet, data: bytes) -> None:
    """Drive v2 upload with ``convert=true``: the CSV replaces the spreadsheet's content in one sheet
    named after the file, as Google does."""
    from .store import DEFAULT_COLS, DEFAULT_ROWS, Sheet

    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    from .cells import parse_user_entered

    sheet = Sheet({"sheetId": 0, "title": book.title, "index": 0, "sheetType": "GRID",
                   "gridProperties": {"rowCount": max(DEFAULT_ROWS, len(rows)),
                                      "columnCount": max(DEFAULT_COLS, max((len(r) for r in rows), default=0))}})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            parsed = parse_user_entered(value)
            sheet.set_cell(r, c, None if parsed == "" else parsed)
    sheet.trim()
    book.sheets = [sheet]
    book.named_ranges = []


# permissions.list/create/delete: drive_permissions.py (routed from core.py).


def no_content() -> EmuResponse:
    """Drive's 204 for a delete."""
    return EmuResponse(status=204, body=b"", headers={"Content-Type": "text/html"})


def ok(payload: Any) -> EmuResponse:
    """A 200 JSON answer."""
    return json_response(200, payload)
