"""The gspread client factory: Google, an emulator server, or the embedded emulator — one code path above.

The three back-ends differ only in the ``requests.Session`` handed to ``gspread.Client``: an
``AuthorizedSession`` for Google, a session whose Google hosts are rewritten to ``spreadsheet.endpoint``, or a
session with the in-process emulator mounted. Every request goes through ``RetryingHTTPClient``: the project's
one retry policy, a timeout, and request accounting for the cycle's budget.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gspread
import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from requests.adapters import HTTPAdapter
from tenacity import retry_if_exception

from . import retry
from .config import Config
from .errors import ConfigError, RetryableError

log = logging.getLogger(__name__)

SCOPES = [
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
]
DRIVE_FILES_URL = "https://www.googleapis.com/drive/v3/files"
GOOGLE_PREFIXES = ["https://sheets.googleapis.com/", "https://www.googleapis.com/",
                   "https://docs.google.com/spreadsheets/"]  # per-tab CSV export link
SERVICE_ACCOUNT_FIELDS = ("type", "project_id", "private_key_id", "private_key", "client_email", "token_uri")


class AmbiguousWriteError(RetryableError):
    """A non-idempotent write (append, batchUpdate) lost its connection: it may or may not have been applied.

    Retrying it blindly could apply it twice, so the caller must re-read the sheet and reconcile (the tracker
    layer does: it finds rows by Ticket ID, so a repeated cycle never doubles a row).
    """


@dataclass
class RequestCounter:
    """Sheets/Drive requests made by this process, as Google's quota counts them (retries included)."""

    reads: int = 0
    writes: int = 0
    # Writes to a spreadsheet that Sheets accepted (2xx): each moves the Drive file's ``version`` once, so the
    # runner can tell its own writes from anyone else's (``jobs.runner``'s unchanged-sheet check).
    sheet_writes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # Drive requests (the file's version, exports, sharing): Drive's own quota, far larger than Sheets' 60 a
    # minute, so they are counted apart from the Sheets reads and writes.
    drive: int = 0

    def add(self, method: str, url: str = "") -> None:
        """Count one request (a Drive one when ``url`` is Drive's)."""
        with self._lock:
            if "/drive/" in urlsplit(url).path:
                self.drive += 1
            elif method.upper() == "GET":
                self.reads += 1
            else:
                self.writes += 1

    def add_sheet_write(self) -> None:
        """Count one accepted write to a spreadsheet."""
        with self._lock:
            self.sheet_writes += 1

    @property
    def total(self) -> int:
        """Reads plus writes."""
        return self.reads + self.writes

    def snapshot(self) -> dict[str, int]:
        """The counts now, for a cycle's log line (``total``: Sheets requests)."""
        return {"reads": self.reads, "writes": self.writes, "total": self.total, "drive": self.drive}


# A request that changes a spreadsheet's content: /v4/spreadsheets/{id}/... or {id}:batchUpdate (not create).
_SHEET_WRITE = re.compile(r"/v4/spreadsheets/[^/:]+(/values|:batchUpdate)")


def _is_idempotent(method: str, url: str) -> bool:
    # Positional value writes and clears can be repeated safely; appends, batchUpdate (appendCells,
    # insertDimension, addSheet...) and Drive creates cannot.
    path = urlsplit(url).path
    if method.upper() in ("GET", "PUT", "DELETE"):
        return True
    return path.endswith((":clear", ":batchClear", "values:batchUpdate", ":batchGet"))


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client under the project's retry policy, with a timeout on every request."""

    counter: RequestCounter
    retry_policy: Any = None

    def __init__(self, auth: Any, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.timeout = retry.REQUEST_TIMEOUT_S
        self.counter = RequestCounter()

    def request(self, method: str, endpoint: str, *args: Any, stream: bool = False,
                **kwargs: Any) -> requests.Response:
        """Send one request; retries what is safe to retry, raises ``AmbiguousWriteError`` otherwise. With
        ``stream`` the answer's body is left to be read (``response.raw``): the caller parses it as it comes
        and closes the response; a connection lost while it reads is the caller's to handle."""
        idempotent = _is_idempotent(method, endpoint)

        def once() -> requests.Response:
            self.counter.add(method, endpoint)
            try:
                if stream:
                    return self._streamed(method, endpoint, *args, **kwargs)
                return HTTPClient.request(self, method, endpoint, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                connect_failed = isinstance(exc, requests.ConnectTimeout)
                if idempotent or connect_failed:
                    raise
                raise AmbiguousWriteError(f"{method.upper()} {urlsplit(endpoint).path}: connection lost "
                                          "after sending; re-read before writing again") from exc

        def retryable(exc: BaseException) -> bool:
            return not isinstance(exc, AmbiguousWriteError) and retry.is_retryable(exc)

        policy = self.retry_policy or retry.policy()
        policy = policy.copy(retry=retry_if_exception(retryable))
        response = policy(once)
        if method.upper() != "GET" and _SHEET_WRITE.search(urlsplit(endpoint).path):
            self.counter.add_sheet_write()
        return response


    def _streamed(self, method: str, endpoint: str, params: Any = None) -> requests.Response:
        """``HTTPClient.request`` (the same errors: ``APIError`` for an answer that is not ok), the body not
        read yet."""
        response = self.session.request(method=method, url=endpoint, params=params, timeout=self.timeout,
                                        stream=True)
        if response.ok:
            return response
        raise APIError(response)


class RewriteAdapter(HTTPAdapter):
    """Sends requests meant for Google's hosts to an emulator server's base URL instead."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = urlsplit(endpoint)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Rewrite scheme and host, keep path and query."""
        parts = urlsplit(request.url or "")
        base_path = self.endpoint.path.rstrip("/")
        request.url = urlunsplit((self.endpoint.scheme, self.endpoint.netloc, base_path + parts.path,
                                  parts.query, ""))
        request.headers["Host"] = self.endpoint.netloc
        return super().send(request, *args, **kwargs)


def load_google_credentials(path: Path, where: str = "credentials") -> Any:
    """Google credentials from a service-account key file (or an authorized-user file, the OAuth option).

    Raises ``ConfigError`` naming the file and the fix when it is missing or malformed; the key itself is
    never printed.
    """
    if not path.is_file():
        raise ConfigError(f"{where}: key file {path} does not exist. Create a service-account key in Google "
                          "Cloud Console (IAM > Service accounts > Keys > Add key > JSON) and save it there.")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: key file {path} cannot be read ({exc.strerror}): let the user running "
                          "sheets-sync read it (chmod 600, owned by that user).") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: key file {path} is not a text JSON file: download the JSON key again "
                          "(not the .p12 one).") from exc
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        # Only the position, and not chained: the JSONDecodeError's ``doc`` holds the whole file, key included.
        raise ConfigError(f"{where}: key file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}): "
                          "download the key again; do not edit it by hand.") from None
    if not isinstance(info, dict):
        raise ConfigError(f"{where}: key file {path} must hold a JSON object.")
    kind = info.get("type")
    if kind == "authorized_user":
        from google.oauth2.credentials import Credentials as UserCredentials

        missing = [k for k in ("client_id", "client_secret", "refresh_token") if not info.get(k)]
        if missing:
            raise ConfigError(f"{where}: authorized-user file {path} lacks {', '.join(missing)}: run the OAuth "
                              "flow again (README, 'OAuth user credentials').")
        return UserCredentials.from_authorized_user_info(info, SCOPES)
    if kind != "service_account":
        raise ConfigError(f"{where}: key file {path} has type {kind!r}; expected 'service_account' (or "
                          "'authorized_user'). Download a JSON key of a service account.")
    missing = [k for k in SERVICE_ACCOUNT_FIELDS if not info.get(k)]
    if missing:
        raise ConfigError(f"{where}: key file {path} lacks {', '.join(missing)}: download a new JSON key.")
    from google.oauth2 import service_account

    try:
        return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, TypeError) as exc:
        # Never include the exception text: it may quote key material.
        raise ConfigError(f"{where}: the private_key in {path} cannot be loaded (is it the example file?): "
                          "download a new JSON key for the service account.") from exc


@dataclass
class SheetsBackend:
    """A connected gspread client and where the Tracker Sheet is."""

    client: gspread.Client
    spreadsheet_id: str | None
    kind: str  # "google" | "endpoint" | "embedded"
    emulator: Any = None  # the in-process SheetsEmulator, when embedded

    @property
    def counter(self) -> RequestCounter:
        """This process's Sheets request counts."""
        return self.client.http_client.counter  # type: ignore[attr-defined]


def make_client(session: requests.Session, auth: Any = None) -> gspread.Client:
    """A gspread client over ``session`` with the project's retry policy and timeout."""
    return gspread.Client(auth, session=session, http_client=RetryingHTTPClient)


def endpoint_session(endpoint: str) -> requests.Session:
    """A session that sends Google-bound requests to an emulator server at ``endpoint``."""
    session = requests.Session()
    adapter = RewriteAdapter(endpoint)
    for prefix in GOOGLE_PREFIXES:
        session.mount(prefix, adapter)
    session.headers["Authorization"] = "Bearer emulator"
    return session


EMBEDDED_ID_FILE = "tracker-spreadsheet-id"


def connect(config: Config, emulator: Any = None) -> SheetsBackend:
    """Connect to where the configuration says the Tracker Sheet lives.

    With no ``spreadsheet.id`` the embedded emulator (persisted under ``data_dir``) holds it; its spreadsheet id
    is remembered in ``data_dir`` so every run finds the same sheet. ``emulator`` lets tests and the demo pass
    an emulator they already hold.
    """
    if config.endpoint:
        client = make_client(endpoint_session(config.endpoint))
        return SheetsBackend(client, config.spreadsheet_id, "endpoint")
    if config.spreadsheet_id and emulator is None:
        if config.credentials is None:
            raise ConfigError(f"{config.where('credentials')}: `spreadsheet.id` is set but no `credentials` key "
                              "file is named. Add `credentials: service-account.json` (see README).")
        creds = load_google_credentials(config.credentials, config.where("credentials"))
        from google.auth.transport.requests import AuthorizedSession

        client = make_client(AuthorizedSession(creds), creds)
        return SheetsBackend(client, config.spreadsheet_id, "google")
    spreadsheet_id = config.spreadsheet_id or _embedded_spreadsheet_id(config.data_dir)
    if emulator is None:
        from .emulator.sheets import SheetsEmulator

        # A data directory it cannot use is a ConfigError (one line: the file and the fix); a corrupt
        # spreadsheet file is set aside with a warning, and is an error here only when it is the Tracker.
        emulator = SheetsEmulator(data_dir=config.data_dir / "sheets")
        _check_embedded_tracker(config.data_dir, emulator, spreadsheet_id)
    client = make_client(emulator.session())
    return SheetsBackend(client, spreadsheet_id, "embedded", emulator)


def _check_embedded_tracker(data_dir: Path, emulator: Any, spreadsheet_id: str | None) -> None:
    """A ``ConfigError`` naming the file and the fix when the embedded Tracker Sheet did not load."""
    if not spreadsheet_id or spreadsheet_id in emulator.books:
        return
    from .emulator.sheets.store import is_valid_id

    marker = data_dir / EMBEDDED_ID_FILE
    fix = f"restore it from a backup, or delete {marker} to start a new Tracker Sheet"
    if not is_valid_id(spreadsheet_id):
        raise ConfigError(f"{marker} names {spreadsheet_id[:80]!r}, which is not a spreadsheet id: delete it to "
                          "start a new Tracker Sheet, or write the Tracker's id in it")
    for aside in emulator.set_aside:
        if aside.spreadsheet_id == spreadsheet_id:
            raise ConfigError(f"{aside.path}, the embedded Tracker Sheet, is not a spreadsheet the emulator wrote "
                              f"({aside.reason}); its bytes were moved to {aside.moved_to}: {fix}")
    path = data_dir / "sheets" / f"{spreadsheet_id}.json"
    earlier = sorted(path.parent.glob(f"{path.name}.corrupt-*"))
    aside_note = f" (it was set aside as {earlier[-1]})" if earlier else ""
    raise ConfigError(f"{path}, the embedded Tracker Sheet named in {marker}, is missing{aside_note}: {fix}")


def _embedded_spreadsheet_id(data_dir: Path) -> str | None:
    marker = data_dir / EMBEDDED_ID_FILE
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else None


def remember_embedded_spreadsheet(data_dir: Path, spreadsheet_id: str) -> None:
    """Record the embedded Tracker Sheet's id so later runs open the same sheet."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / EMBEDDED_ID_FILE).write_text(spreadsheet_id + "\n", encoding="utf-8")
