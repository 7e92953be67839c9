"""``SheetsEmulator``: routing, quotas, fault injection, accounting and persistence around the handlers.

Order of a request: control endpoints (never faulted or counted against quota) -> route lookup (unknown
route: a named 404) -> fault injection (decided before any state is touched) -> per-minute quota -> the
handler under the one lock -> save the spreadsheet a successful write changed.

With a data directory a write changes a copy of the spreadsheet, saves it, and only then makes it the live
one: a save the disk refuses (full, read-only) answers 503 and leaves memory and disk as they were.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests

from ..faults import FaultInjector
from ..http import EmuRequest, EmuResponse, json_response
from ..transport import mount
from . import docs_export, drive, drive_permissions, mask_check, sheet_copy, values
from .batch_update import Context, apply_batch
from .drive_uploads import DriveUploads
from .errors import ApiError, invalid, not_found
from .spreadsheet_get import get_spreadsheet
from .store import FileStore, SaveFailed, SetAside, Spreadsheet, is_valid_id, iso_now, new_spreadsheet_id

QUOTA_WINDOW_S = 60.0


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path pattern, accounting name and quota class ("read"/"write"/"drive")."""

    method: str
    regex: re.Pattern[str]
    name: str
    kind: str
    action: str


def _route(method: str, pattern: str, name: str, kind: str, action: str) -> Route:
    return Route(method, re.compile("^" + pattern + "$"), name, kind, action)


_ID = r"(?P<id>[^/:]+)"
ROUTES = [
    _route("POST", r"/v4/spreadsheets", "POST /v4/spreadsheets", "write", "create"),
    _route("GET", rf"/v4/spreadsheets/{_ID}", "GET /v4/spreadsheets/{id}", "read", "get"),
    _route("POST", rf"/v4/spreadsheets/{_ID}:batchUpdate", "POST /v4/spreadsheets/{id}:batchUpdate", "write",
           "batch_update"),
    _route("POST", rf"/v4/spreadsheets/{_ID}/sheets/(?P<sheet>[0-9]{{1,10}}):copyTo",
           "POST /v4/spreadsheets/{id}/sheets/{sheetId}:copyTo", "write", "copy_to"),
    _route("GET", rf"/v4/spreadsheets/{_ID}/values:batchGet", "GET /v4/spreadsheets/{id}/values:batchGet",
           "read", "values_batch_get"),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values:batchUpdate",
           "POST /v4/spreadsheets/{id}/values:batchUpdate", "write", "values_batch_update"),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values:batchClear", "POST /v4/spreadsheets/{id}/values:batchClear",
           "write", "values_batch_clear"),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values/(?P<range>[^/]+):append",
           "POST /v4/spreadsheets/{id}/values/{range}:append", "write", "values_append"),
    _route("POST", rf"/v4/spreadsheets/{_ID}/values/(?P<range>[^/]+):clear",
           "POST /v4/spreadsheets/{id}/values/{range}:clear", "write", "values_clear"),
    _route("GET", rf"/v4/spreadsheets/{_ID}/values/(?P<range>[^/]+)", "GET /v4/spreadsheets/{id}/values/{range}",
           "read", "values_get"),
    _route("PUT", rf"/v4/spreadsheets/{_ID}/values/(?P<range>[^/]+)", "PUT /v4/spreadsheets/{id}/values/{range}",
           "write", "values_update"),
    _route("POST", r"/drive/v3/files", "POST /drive/v3/files", "drive", "drive_create"),
    _route("GET", r"/drive/v3/files", "GET /drive/v3/files", "drive", "drive_list"),
    _route("GET", rf"/drive/v3/files/{_ID}", "GET /drive/v3/files/{id}", "drive", "drive_get"),
    _route("PATCH", rf"/drive/v3/files/{_ID}", "PATCH /drive/v3/files/{id}", "drive", "drive_update"),
    _route("DELETE", rf"/drive/v3/files/{_ID}", "DELETE /drive/v3/files/{id}", "drive", "drive_delete"),
    _route("POST", rf"/drive/v3/files/{_ID}/copy", "POST /drive/v3/files/{id}/copy", "drive", "drive_copy"),
    _route("GET", rf"/drive/v3/files/{_ID}/export", "GET /drive/v3/files/{id}/export", "drive", "drive_export"),
    _route("POST", rf"/drive/v3/files/{_ID}/permissions", "POST /drive/v3/files/{id}/permissions", "drive",
           "drive_share"),
    _route("GET", rf"/drive/v3/files/{_ID}/permissions", "GET /drive/v3/files/{id}/permissions", "drive",
           "drive_permissions"),
    _route("DELETE", rf"/drive/v3/files/{_ID}/permissions/(?P<pid>[^/:]+)",
           "DELETE /drive/v3/files/{id}/permissions/{permissionId}", "drive", "drive_unshare"),
    _route("GET", rf"/drive/v3/files/{_ID}/comments", "GET /drive/v3/files/{id}/comments", "drive",
           "drive_comments"),
    # The Sheets web app's per-tab download link (docs.google.com): Drive's CSV export is the first tab only.
    _route("GET", rf"/spreadsheets/d/{_ID}/export", "GET docs.google.com/spreadsheets/d/{id}/export", "drive",
           "docs_export"),
    _route("PUT", rf"/upload/drive/v2/files/{_ID}", "PUT /upload/drive/v2/files/{id}", "drive", "drive_v2_upload"),
    _route("POST", r"/upload/drive/v3/files", "POST /upload/drive/v3/files", "drive", "drive_upload"),
]

_QUOTA_NAMES = {
    "read": ("Read requests", "Read requests per minute per user", "sheets.googleapis.com/read_requests",
             "ReadRequestsPerMinutePerUser"),
    "write": ("Write requests", "Write requests per minute per user", "sheets.googleapis.com/write_requests",
              "WriteRequestsPerMinutePerUser"),
}


def quota_error(kind: str, limit: int) -> ApiError:
    """Google's 429 for an exhausted per-minute quota, ErrorInfo detail included."""
    metric, limit_name, metric_id, limit_id = _QUOTA_NAMES[kind]
    message = (f"Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service "
               f"'sheets.googleapis.com' for consumer 'project_number:000000000000'.")
    return ApiError(429, message, "RESOURCE_EXHAUSTED", details=[{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {"quota_metric": metric_id, "quota_limit": limit_id, "quota_limit_value": str(limit)},
    }])


class SheetsEmulator:
    """An offline Google Sheets API v4 + Drive v3 (as gspread uses it) behind ``handle(request)``."""

    def __init__(self, data_dir: str | Path | None = None, quota_per_minute: int | None = 60,
                 fault_rate: float = 0.0, latency_s: float = 0.0, seed: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 service_account: str = "sheets-sync@emulator.local") -> None:
        self.quota_per_minute = quota_per_minute or 0
        self.clock = clock
        self.service_account = service_account
        # The organisation's sharing settings (domains it allows, addresses without a Google account).
        self.sharing_policy = drive_permissions.SharingPolicy()
        self.faults = FaultInjector(rate=fault_rate, latency_s=latency_s, seed=seed)
        # Files uploaded to Drive (attachments of content e-mails): in memory, see drive_uploads.py.
        self.uploads = DriveUploads()
        self._lock = threading.RLock()
        self._store = FileStore(data_dir) if data_dir is not None else None
        # A data file the emulator did not write is set aside (a warning names it); the others load.
        self.books: dict[str, Spreadsheet] = self._store.load_all() if self._store else {}
        self.set_aside: list[SetAside] = list(self._store.set_aside) if self._store else []
        # Google's per-minute quotas are per user: one window per (kind, caller's credentials).
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self.reset_stats()

    # --- accounting -------------------------------------------------------------------------------------

    def reset_stats(self) -> None:
        """Zero the request counters."""
        with self._lock:
            self._stats: dict[str, Any] = {"reads": 0, "writes": 0, "requests": {}, "bytes_in": 0,
                                           "bytes_out": 0}

    def stats(self) -> dict[str, Any]:
        """Counters since the last reset: reads, writes, requests per endpoint pattern, bytes in/out."""
        with self._lock:
            snapshot = dict(self._stats)
            snapshot["requests"] = dict(self._stats["requests"])
            return snapshot

    def _account(self, name: str, kind: str | None, request: EmuRequest, response: EmuResponse) -> None:
        with self._lock:
            stats = self._stats
            stats["requests"][name] = stats["requests"].get(name, 0) + 1
            if kind == "read":
                stats["reads"] += 1
            elif kind == "write":
                stats["writes"] += 1
            stats["bytes_in"] += len(request.body or b"")
            stats["bytes_out"] += len(response.body or b"")

    # --- entry point ------------------------------------------------------------------------------------

    def session(self) -> requests.Session:
        """A new ``requests.Session`` with this emulator mounted for Google's Sheets and Drive hosts."""
        return mount(requests.Session(), self,
                     ["https://sheets.googleapis.com/", "https://www.googleapis.com/",
                      "https://docs.google.com/spreadsheets/"])

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Answer one HTTP request as Google would."""
        path = request.path
        method = request.method.upper()
        if path.startswith("/_emulator/"):
            return self._control(method, path)
        route, match = self._match(method, path)
        if route is None or match is None:
            response = not_found(f"Unknown route: {method} {path} (the offline Sheets emulator has no such "
                                 f"endpoint).").response()
            self._account(f"{method} (unknown)", None, request, response)
            return response
        fault = self.faults.maybe_fault(request)
        if fault is not None:
            self._account(route.name, route.kind, request, fault)
            return fault
        response = self._throttle(route, request)
        if response is None:
            try:
                response = self._dispatch(route, match, request)
            except ApiError as err:
                response = err.response()
            except SaveFailed as err:
                response = ApiError(503, str(err), "UNAVAILABLE").response()
            except json.JSONDecodeError as err:
                response = invalid(f"Invalid JSON payload received. {err.msg}.").response()
            except (AttributeError, TypeError, KeyError, ValueError) as err:
                # A body of the wrong JSON shape (a list for an object, a string for a number...).
                response = invalid(f"Invalid JSON payload received. {type(err).__name__}: {err}").response()
        self._account(route.name, route.kind, request, response)
        return response

    def _control(self, method: str, path: str) -> EmuResponse:
        if method == "GET" and path == "/_emulator/stats":
            return json_response(200, self.stats())
        if method == "POST" and path == "/_emulator/stats/reset":
            self.reset_stats()
            return json_response(200, {"reset": True})
        return not_found(f"Unknown control endpoint: {method} {path}").response()

    @staticmethod
    def _match(method: str, path: str) -> tuple[Route | None, re.Match[str] | None]:
        for route in ROUTES:
            if route.method != method:
                continue
            match = route.regex.match(path)
            if match:
                return route, match
        return None, None

    def _throttle(self, route: Route, request: EmuRequest | None = None) -> EmuResponse | None:
        """A 429 when this minute's read/write quota of the caller is spent (Drive has its own, unmodelled,
        quota). The caller is told apart by its Authorization header, as Google tells users apart."""
        if route.kind not in ("read", "write") or not self.quota_per_minute:
            return None
        user = (request.header("Authorization") or "") if request is not None else ""
        with self._lock:
            now = self.clock()
            window = self._windows.setdefault((route.kind, user), deque())
            while window and window[0] <= now - QUOTA_WINDOW_S:
                window.popleft()
            if len(window) >= self.quota_per_minute:
                return quota_error(route.kind, self.quota_per_minute).response()
            window.append(now)
        return None

    # --- dispatch ---------------------------------------------------------------------------------------

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self.books.get(spreadsheet_id) if is_valid_id(spreadsheet_id) else None
        if book is None:
            raise not_found()
        return book

    def _drive_book(self, file_id: str) -> Spreadsheet:
        book = self.books.get(file_id) if is_valid_id(file_id) else None
        if book is None:
            raise drive.file_not_found(file_id if is_valid_id(file_id) else file_id[:80])
        return book

    def _working(self, book: Spreadsheet) -> Spreadsheet:
        """The spreadsheet a write may change: a copy when changes are saved (``_commit`` makes it the live
        one once saved); without a data directory no save can fail, so the live one is changed in place."""
        return book.clone() if self._store is not None else book

    def _commit(self, book: Spreadsheet) -> None:
        """Stamp, save, and only then make ``book`` the live spreadsheet: ``SaveFailed`` changes nothing."""
        book.modified_time = iso_now()
        book.version += 1
        if self._store is not None:
            self._store.save(book)
        self.books[book.id] = book

    def _new_book(self, title: str, owner: str | None = None) -> Spreadsheet:
        book = Spreadsheet(new_spreadsheet_id(), title, owner=owner or self.service_account)
        book.add_default_sheet()
        return book

    def create_spreadsheet(self, title: str = "Untitled spreadsheet", owner: str | None = None) -> Spreadsheet:
        """Create a spreadsheet directly (for seeding tests); ``owner`` defaults to the service account.

        A spreadsheet owned by someone else is how protected ranges can block the service account.
        """
        with self._lock:
            book = self._new_book(title, owner)
            self._commit(book)
            return book

    def _dispatch(self, route: Route, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        action = route.action
        # Google expands ``fields`` before running the method: a bad mask is refused and changes nothing.
        fields = request.arg("fields")
        mask_check.check(action, fields)
        with self._lock:
            response = getattr(self, f"_do_{action}")(match, request)
        return mask_check.apply_mask(action, fields, response)

    def _ctx(self, book: Spreadsheet) -> tuple[str, str]:
        return self.service_account, book.owner or self.service_account

    # Sheets ---------------------------------------------------------------------------------------------

    def _do_create(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        body = request.json() or {}
        title = (body.get("properties") or {}).get("title") or "Untitled spreadsheet"
        book = self._new_book(title)  # live (and saved) only once complete
        for key, value in (body.get("properties") or {}).items():
            if key != "title":
                book.properties[key] = value
        given = body.get("sheets") or []
        if given:
            book.sheets = []
            ctx = Context(self.service_account, book.owner)
            requests_ = [{"addSheet": {"properties": {**(s.get("properties") or {})}}} for s in given]
            for i, req in enumerate(requests_):
                if i == 0 and "sheetId" not in req["addSheet"]["properties"]:
                    req["addSheet"]["properties"]["sheetId"] = 0
            apply_batch(book, {"requests": requests_}, ctx)
        self._commit(book)
        return json_response(200, get_spreadsheet(book, [], False, None, *self._ctx(book)))

    def _do_get(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._book(unquote(match["id"]))
        include = (request.arg("includeGridData") or "false").lower() == "true"
        ranges = request.query.get("ranges", [])
        body = get_spreadsheet(book, ranges, include, request.arg("fields"), *self._ctx(book))
        return json_response(200, body)

    def _do_batch_update(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._book(unquote(match["id"]))
        body = request.json()
        caller, owner = self._ctx(book)
        work = book.clone()  # atomic: mutate a copy, keep it only if every request succeeds
        replies = apply_batch(work, body, Context(caller, owner))
        self._commit(work)  # live only once saved
        out: dict[str, Any] = {"spreadsheetId": work.id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            # A fields mask reaching into updatedSpreadsheet decides what is built (Google then ignores
            # responseIncludeGridData).
            inner, masked = mask_check.sub_mask(request.arg("fields"), "updatedSpreadsheet")
            grid = bool(body.get("responseIncludeGridData")) and not masked
            out["updatedSpreadsheet"] = get_spreadsheet(
                work, body.get("responseRanges") or [], grid, inner, caller, owner)
        return json_response(200, out)

    def _do_copy_to(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        source = self._book(unquote(match["id"]))
        target = (request.json() or {}).get("destinationSpreadsheetId")
        if not isinstance(target, str) or not target:
            raise invalid("Invalid value at 'destination_spreadsheet_id': a spreadsheet id is required.")
        work = self._book(target).clone()  # atomic, as batchUpdate
        props = sheet_copy.copy_to(source, int(match["sheet"]), work)
        self._commit(work)
        return json_response(200, props)

    def _do_values_get(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._book(unquote(match["id"]))
        return json_response(200, values.get(book, unquote(match["range"]), request.arg))

    def _do_values_batch_get(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._book(unquote(match["id"]))
        return json_response(200, values.batch_get(book, request.query.get("ranges", []), request.arg))

    def _do_values_update(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._book(unquote(match["id"])))
        out = values.update(book, unquote(match["range"]), request.arg, request.json(), *self._ctx(book))
        self._commit(book)
        return json_response(200, out)

    def _do_values_batch_update(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._book(unquote(match["id"])))
        out = values.batch_update(book, request.json(), *self._ctx(book))
        self._commit(book)
        return json_response(200, out)

    def _do_values_append(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._book(unquote(match["id"])))
        out = values.append(book, unquote(match["range"]), request.arg, request.json(), *self._ctx(book))
        self._commit(book)
        return json_response(200, out)

    def _do_values_clear(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._book(unquote(match["id"])))
        out = values.clear(book, unquote(match["range"]), *self._ctx(book))
        self._commit(book)
        return json_response(200, out)

    def _do_values_batch_clear(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._book(unquote(match["id"])))
        out = values.batch_clear(book, request.json(), *self._ctx(book))
        self._commit(book)
        return json_response(200, out)

    # Drive ----------------------------------------------------------------------------------------------

    def _do_drive_create(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        body = request.json() or {}
        mime = body.get("mimeType")
        if mime != drive.SPREADSHEET_MIME:
            raise drive.DriveError(400, f"The offline emulator only stores Google Sheets files, not {mime!r}.",
                                   "badRequest", "mimeType")
        drive.check_parents(body)
        book = self.create_spreadsheet(body.get("name") or "Untitled spreadsheet")
        return drive.ok(drive.with_fields(drive.file_resource(book), request.arg("fields"),
                                          drive.DEFAULT_FILE_FIELDS))

    def _do_drive_get(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        if drive.is_root(unquote(match["id"])):
            oldest = min((b.created_time for b in self.books.values()), default=iso_now())
            return drive.ok(drive.with_fields(drive.root_resource(oldest), request.arg("fields"),
                                              drive.DEFAULT_FILE_FIELDS))
        book = self._drive_book(unquote(match["id"]))
        return drive.ok(drive.with_fields(drive.file_resource(book), request.arg("fields"),
                                          drive.DEFAULT_FILE_FIELDS))

    def _do_drive_update(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._drive_book(unquote(match["id"])))
        body = request.json() or {}
        if body.get("name"):
            book.properties["title"] = body["name"]
        self._commit(book)
        return drive.ok(drive.with_fields(drive.file_resource(book), request.arg("fields"),
                                          drive.DEFAULT_FILE_FIELDS))

    def _do_drive_list(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        page_size = int(request.arg("pageSize") or 100)
        body = drive.list_files(list(self.books.values()), request.arg("q") or "", request.arg("fields"),
                                page_size)
        return drive.ok(body)

    def _do_drive_delete(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._drive_book(unquote(match["id"]))
        if self._store is not None:
            self._store.delete(book.id)  # first: a delete the disk refuses leaves the file listed
        del self.books[book.id]
        return drive.no_content()

    def _do_drive_copy(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        source = self._drive_book(unquote(match["id"]))
        body = request.json() or {}
        drive.check_parents(body)
        copy_ = source.clone()
        copy_.id = new_spreadsheet_id()
        copy_.owner = self.service_account
        copy_.properties["title"] = body.get("name") or f"Copy of {source.title}"
        copy_.created_time = copy_.modified_time = iso_now()
        self._commit(copy_)
        return drive.ok(drive.with_fields(drive.file_resource(copy_), request.arg("fields"),
                                          drive.DEFAULT_FILE_FIELDS))

    def _do_drive_export(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._drive_book(unquote(match["id"]))
        return drive.export_csv(book, request.arg("mimeType"))

    def _do_docs_export(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        return docs_export.export(self._book(unquote(match["id"])), request)

    def _do_drive_share(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._drive_book(unquote(match["id"])))
        permission = drive_permissions.create(book, request, self.sharing_policy)
        self._commit(book)
        return drive.ok(permission)

    def _do_drive_permissions(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._drive_book(unquote(match["id"]))
        return drive.ok(drive_permissions.list_permissions(book, request, self.service_account))

    def _do_drive_unshare(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        book = self._working(self._drive_book(unquote(match["id"])))
        drive_permissions.delete(book, unquote(match["pid"]), self.service_account)
        self._commit(book)
        return drive.no_content()

    def _do_drive_comments(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        # The emulator has no way to add comments, so every file truthfully has none.
        self._drive_book(unquote(match["id"]))
        body = {"kind": "drive#commentList", "comments": []}
        fields = request.arg("fields")
        return drive.ok(drive.select(body, drive.parse_fields(fields)) if fields else body)

    def _do_drive_upload(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        return drive.ok(self.uploads.upload(request.arg("uploadType"), request.header("Content-Type") or "",
                                            request.body, request.arg("fields")))

    def _do_drive_v2_upload(self, match: re.Match[str], request: EmuRequest) -> EmuResponse:
        live = self._drive_book(unquote(match["id"]))
        if (request.arg("convert") or "").lower() != "true":
            raise drive.DriveError(400, "Only convert=true CSV uploads are supported by the offline emulator.",
                                   "badRequest", "convert")
        book = self._working(live)
        drive.import_csv(book, request.body)
        self._commit(book)
        # A trimmed Drive v2 File resource: v2's full resource (permissions, links, etags) is not modelled.
        return drive.ok({"kind": "drive#file", "id": book.id, "title": book.title,
                         "mimeType": drive.SPREADSHEET_MIME})
