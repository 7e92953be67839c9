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
from .store import Sheet, Spreadsheet

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME = "application/vnd.google-apps.folder"
# The caller's "My Drive": ``root`` is Drive's alias for it. Folders are not otherwise modelled, so every
# spreadsheet lives here. The id has the shape of Google's root ids (``0A…Uk9PVA``).
ROOT_ID = "0AEmulatorMyDriveRootUk9PVA"
ROOT_ALIAS = "root"


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
        "version": str(book.version),  # int64 as a JSON string, as Drive sends it
        "trashed": False,
        "parents": [ROOT_ID],
        "webViewLink": f"https://docs.google.com/spreadsheets/d/{book.id}/edit?usp=drivesdk",
    }


def root_resource(created_time: str) -> dict[str, Any]:
    """The root folder ("My Drive"), as ``files.get root`` answers it."""
    return {"kind": "drive#file", "id": ROOT_ID, "name": "My Drive", "mimeType": FOLDER_MIME,
            "createdTime": created_time, "modifiedTime": created_time, "trashed": False}


def is_root(file_id: str) -> bool:
    """Whether ``file_id`` names the root folder (by its alias or its id)."""
    return file_id in (ROOT_ALIAS, ROOT_ID)


def check_parents(body: dict[str, Any]) -> None:
    """A create/copy may name the root folder as parent; any other folder does not exist (404, as Drive)."""
    parents = body.get("parents")
    if parents is None:
        return
    if not isinstance(parents, list):
        raise DriveError(400, "Invalid parents: a list of folder ids.", "invalid", "parents")
    for parent in parents:
        if not isinstance(parent, str) or not is_root(parent):
            raise file_not_found(str(parent)[:80])


DEFAULT_FILE_FIELDS = ["kind", "id", "name", "mimeType"]


def with_fields(resource: dict[str, Any], fields: str | None, default: list[str]) -> dict[str, Any]:
    """Apply a Drive ``fields`` mask (or Drive's default field set)."""
    if not fields:
        return {k: resource[k] for k in default if k in resource}
    return select(resource, parse_fields(fields))


_CLAUSE = re.compile(
    r"""^\s*(?:(?P<field>name|mimeType|trashed|fullText)\s*(?P<op>=|!=|contains)\s*(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|true|false)
    |(?P<parent>'[^']*'|"[^"]*")\s+in\s+parents|parents\s+in\s+(?P<parent_v2>'[^']*'|"[^"]*"))\s*$""",
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
        parent = m.group("parent") or m.group("parent_v2")  # gspread writes the older ``parents in "id"``
        if parent:
            if not is_root(_unquote(parent)):
                return False  # every spreadsheet is in the root folder, and only there
            continue
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
    return EmuResponse(status=200, body=sheet_csv(book, book.sheets[0]), headers={"Content-Type": "text/csv"})


def sheet_csv(book: Spreadsheet, sheet: Sheet) -> bytes:
    """One tab as Google's CSV export writes it: formatted values, rows padded to the widest, CRLF
    between rows and none after the last."""
    evaluator = Evaluator(book)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = []
    for r, line in enumerate(evaluator.rows(sheet)):  # array formulas' spilled values included
        rows.append([cell_text(cell, evaluator, sheet, r, c) for c, cell in enumerate(line)])
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)))
    text = out.getvalue()
    if text.endswith("\r\n"):
        text = text[:-2]  # Drive's CSV has no trailing newline
    return text.encode("utf-8")


def import_csv(book: Spreadsheet, data: bytes) -> None:
    """Drive v2 upload with ``convert=true``: the CSV replaces the spreadsheet's content in one sheet
    named after the file, as Google does."""
    from .store import DEFAULT_COLS, DEFAULT_ROWS

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
