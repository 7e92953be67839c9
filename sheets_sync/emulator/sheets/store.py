"""The emulator's state (spreadsheets, sheets, their grids) and its crash-safe persistence.

One JSON file per spreadsheet in the data directory, written to a temp file, flushed, fsynced and moved over
the old one with ``os.replace``: a crash leaves either the old or the new file, never half of one. Only the
spreadsheet a write touched is saved, so a 100k-row tab does not slow down writes to every other file.

A file the emulator cannot take for one it wrote (empty, truncated, garbage, the wrong shape, an id that is
not a spreadsheet id) is set aside as ``<name>.corrupt-<UTC time>`` with its bytes untouched, a warning names
it and where it went, and the emulator starts with the others. Every id becomes a path only after it is
checked against the id alphabet, so no id can name a file outside the data directory.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import secrets
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ConfigError, RetryableError
from ..datafiles import parse_json_bytes, set_aside, write_atomically
from .cells import Cell

log = logging.getLogger(__name__)

ID_ALPHABET = string.ascii_letters + string.digits + "-_"
# What a spreadsheet id may be: Google's ids (and ``new_spreadsheet_id``'s) are 44 characters of ID_ALPHABET;
# other Drive ids are shorter. Anything else ("..", "a/b", "x.json") never reaches a path.
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def is_valid_id(value: object) -> bool:
    """Whether ``value`` is a spreadsheet id the emulator could have given (and so a safe file name)."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


class DataFileError(ConfigError):
    """A file in the emulator's data directory cannot be used; the message names the file and the fix."""


class SaveFailed(RetryableError):
    """Persisting a change failed (disk full, permission denied): nothing was changed, in memory or on disk."""


@dataclass(frozen=True)
class SetAside:
    """A data file the emulator did not load: where it was, where its bytes are now, and why."""

    path: Path
    moved_to: Path
    reason: str

    @property
    def spreadsheet_id(self) -> str:
        """The id the file's name claims (the Tracker's id, if it was the Tracker)."""
        return self.path.stem

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26

# What a new spreadsheet's properties look like in Google's answers (recorded; constant across cassettes).
_ACCENTS = [
    ("TEXT", {}), ("BACKGROUND", {"red": 1, "green": 1, "blue": 1}),
    ("ACCENT1", {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}),
    ("ACCENT2", {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}),
    ("ACCENT3", {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}),
    ("ACCENT4", {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}),
    ("ACCENT5", {"red": 1, "green": 0.42745098, "blue": 0.003921569}),
    ("ACCENT6", {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}),
    ("LINK", {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}),
]


def default_properties(title: str) -> dict[str, Any]:
    """The properties Google gives a new spreadsheet."""
    return {
        "title": title,
        "locale": "en_US",
        "autoRecalc": "ON_CHANGE",
        "timeZone": "Etc/GMT",
        "defaultFormat": {
            "backgroundColor": {"red": 1, "green": 1, "blue": 1},
            "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
            "verticalAlignment": "BOTTOM",
            "wrapStrategy": "OVERFLOW_CELL",
            "textFormat": {
                "foregroundColor": {}, "fontFamily": "arial,sans,sans-serif", "fontSize": 10, "bold": False,
                "italic": False, "strikethrough": False, "underline": False,
                "foregroundColorStyle": {"rgbColor": {}},
            },
            "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
        },
        "spreadsheetTheme": {
            "primaryFontFamily": "Arial",
            "themeColors": [{"colorType": kind, "color": {"rgbColor": dict(rgb)}} for kind, rgb in _ACCENTS],
        },
    }


def new_spreadsheet_id() -> str:
    """A 44-character id like Google's."""
    return "1" + "".join(secrets.choice(ID_ALPHABET) for _ in range(43))


def new_sheet_id(taken: set[int]) -> int:
    """A random positive 31-bit sheet id, like Google's, not already used in the spreadsheet."""
    while True:
        candidate = secrets.randbelow(2**31 - 1) + 1
        if candidate not in taken:
            return candidate


def iso_now(clock: float | None = None) -> str:
    """An RFC 3339 UTC timestamp with milliseconds, as Drive prints them."""
    now = time.time() if clock is None else clock
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


class Sheet:
    """One tab: its properties, its grid (ragged list of rows) and everything attached to it."""

    # Sheet-level lists Google returns under the sheet, in Google's key order.
    EXTRA_KEYS = ("merges", "conditionalFormats", "filterViews", "protectedRanges", "basicFilter", "charts",
                  "bandedRanges", "developerMetadata", "rowGroups", "columnGroups")

    def __init__(self, props: dict[str, Any]) -> None:
        self.props = props
        self.rows: list[list[Any]] = []
        self.extras: dict[str, Any] = {}
        self.row_meta: dict[int, dict[str, Any]] = {}
        self.col_meta: dict[int, dict[str, Any]] = {}

    @property
    def sheet_id(self) -> int:
        """The sheet's id."""
        return self.props["sheetId"]

    @property
    def title(self) -> str:
        """The sheet's title."""
        return self.props["title"]

    @property
    def row_count(self) -> int:
        """Grid height."""
        return self.props["gridProperties"]["rowCount"]

    @property
    def col_count(self) -> int:
        """Grid width."""
        return self.props["gridProperties"]["columnCount"]

    def cell(self, row: int, col: int) -> Any:
        """The stored cell at (row, col), or None."""
        rows = self.rows
        if row < len(rows):
            line = rows[row]
            if col < len(line):
                return line[col]
        return None

    def set_cell(self, row: int, col: int, value: Any) -> None:
        """Store a cell, growing the ragged row lists as needed."""
        rows = self.rows
        if row >= len(rows):
            if value is None:
                return
            rows.extend([] for _ in range(row + 1 - len(rows)))
        line = rows[row]
        if col >= len(line):
            if value is None:
                return
            line.extend([None] * (col + 1 - len(line)))
        line[col] = value

    def trim(self) -> None:
        """Drop trailing empty cells and rows so "last row with data" stays cheap to find."""
        rows = self.rows
        for line in rows:
            while line and line[-1] is None:
                line.pop()
        while rows and not rows[-1]:
            rows.pop()

    def clone(self) -> Sheet:
        """A copy safe to mutate: rows are copied one level (cells are immutable), the rest deep-copied."""
        new = Sheet(copy.deepcopy(self.props))
        new.rows = [line[:] for line in self.rows]
        new.extras = copy.deepcopy(self.extras)
        new.row_meta = copy.deepcopy(self.row_meta)
        new.col_meta = copy.deepcopy(self.col_meta)
        return new

    def to_json(self) -> dict[str, Any]:
        """Persistable form."""
        return {
            "props": self.props,
            "rows": [[{"c": v.to_json()} if isinstance(v, Cell) else v for v in line] for line in self.rows],
            "extras": self.extras,
            "row_meta": {str(k): v for k, v in self.row_meta.items()},
            "col_meta": {str(k): v for k, v in self.col_meta.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sheet:
        """Inverse of ``to_json``."""
        sheet = cls(data["props"])
        # Most rows hold only bare values and are taken as they are; only rows with Cell objects are rebuilt.
        sheet.rows = [line if not any(type(v) is dict for v in line)
                      else [Cell.from_json(v["c"]) if isinstance(v, dict) else v for v in line]
                      for line in data["rows"]]
        sheet.extras = data.get("extras", {})
        sheet.row_meta = {int(k): v for k, v in data.get("row_meta", {}).items()}
        sheet.col_meta = {int(k): v for k, v in data.get("col_meta", {}).items()}
        return sheet


class Spreadsheet:
    """A spreadsheet (a Drive file too): properties, tabs, named ranges, metadata and Drive timestamps."""

    def __init__(self, spreadsheet_id: str, title: str, now: float | None = None, owner: str = "") -> None:
        self.id = spreadsheet_id
        self.owner = owner
        self.properties = default_properties(title)
        self.sheets: list[Sheet] = []
        self.named_ranges: list[dict[str, Any]] = []
        self.developer_metadata: list[dict[str, Any]] = []
        self.created_time = iso_now(now)
        self.modified_time = self.created_time
        # Drive's ``version``: "a monotonically increasing version number for the file", moved by every change
        # saved (each successful write request here); the tool compares it to skip re-reading an unchanged sheet.
        self.version = 1
        self.next_metadata_id = 1
        self.permissions: list[dict[str, Any]] = []  # Drive sharing, besides the owner

    @property
    def title(self) -> str:
        """The spreadsheet's title (the Drive file's name)."""
        return self.properties["title"]

    def add_default_sheet(self) -> Sheet:
        """The first tab of a new spreadsheet: "Sheet1", id 0, 1000x26."""
        sheet = Sheet({"sheetId": 0, "title": "Sheet1", "index": 0, "sheetType": "GRID",
                       "gridProperties": {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLS}})
        self.sheets.append(sheet)
        return sheet

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        """The tab with this id."""
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def sheet_by_title(self, title: str) -> Sheet | None:
        """The tab with this title (Google matches titles case-insensitively)."""
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        lowered = title.lower()
        for sheet in self.sheets:
            if sheet.title.lower() == lowered:
                return sheet
        return None

    def reindex(self) -> None:
        """Keep ``index`` equal to position after tabs move, appear or go."""
        self.sheets.sort(key=lambda s: s.props["index"])
        for i, sheet in enumerate(self.sheets):
            sheet.props["index"] = i

    def total_cells(self) -> int:
        """Cells in all grids, for the 10,000,000-cell limit."""
        return sum(s.row_count * s.col_count for s in self.sheets if "gridProperties" in s.props)

    def clone(self) -> Spreadsheet:
        """A copy a batchUpdate may mutate and throw away."""
        new = Spreadsheet.__new__(Spreadsheet)
        new.id = self.id
        new.owner = self.owner
        new.properties = copy.deepcopy(self.properties)
        new.sheets = [s.clone() for s in self.sheets]
        new.named_ranges = copy.deepcopy(self.named_ranges)
        new.developer_metadata = copy.deepcopy(self.developer_metadata)
        new.created_time = self.created_time
        new.modified_time = self.modified_time
        new.version = self.version
        new.next_metadata_id = self.next_metadata_id
        new.permissions = copy.deepcopy(self.permissions)
        return new

    def to_json(self) -> dict[str, Any]:
        """Persistable form."""
        return {
            "id": self.id, "owner": self.owner, "properties": self.properties, "sheets": [s.to_json() for s in self.sheets],
            "named_ranges": self.named_ranges, "developer_metadata": self.developer_metadata,
            "created_time": self.created_time, "modified_time": self.modified_time, "version": self.version,
            "next_metadata_id": self.next_metadata_id, "permissions": self.permissions,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spreadsheet:
        """Inverse of ``to_json``."""
        new = cls.__new__(cls)
        new.id = data["id"]
        new.owner = data.get("owner", "")
        new.properties = data["properties"]
        new.sheets = [Sheet.from_json(s) for s in data["sheets"]]
        new.named_ranges = data.get("named_ranges", [])
        new.developer_metadata = data.get("developer_metadata", [])
        new.created_time = data["created_time"]
        new.modified_time = data["modified_time"]
        new.version = int(data.get("version", 1))
        new.next_metadata_id = data.get("next_metadata_id", 1)
        new.permissions = data.get("permissions", [])
        return new


class FileStore:
    """One JSON file per spreadsheet under ``data_dir``; writes are atomic (temp + fsync + os.replace)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.dir = Path(data_dir)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataFileError(f"the emulator's data directory {self.dir} cannot be created "
                                f"({exc.strerror or exc}): choose another data directory or fix its "
                                "permissions") from None
        self.set_aside: list[SetAside] = []

    def _path(self, spreadsheet_id: str) -> Path:
        if not is_valid_id(spreadsheet_id):  # never let an id climb out of the data directory
            raise ValueError(f"not a spreadsheet id: {spreadsheet_id!r}")
        return self.dir / f"{spreadsheet_id}.json"

    def load_all(self) -> dict[str, Spreadsheet]:
        """Every stored spreadsheet; leftover temp files from a crash are ignored, and a file that is not a
        spreadsheet the emulator wrote is set aside (see ``set_aside``) with a warning.

        Raises ``DataFileError`` (one line: the file and the fix) when a file cannot be read or set aside.
        """
        out: dict[str, Spreadsheet] = {}
        self.set_aside = []
        for path in sorted(self.dir.glob("*.json")):
            if not path.is_file():
                continue
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise DataFileError(f"{path} cannot be read ({exc.strerror or exc}): let the user running the "
                                    "emulator read it, or move it out of the data directory") from None
            book, reason = _parse_book(raw, path.stem)
            if book is None:
                self._set_aside(path, reason)
                continue
            out[book.id] = book
        return out

    def _set_aside(self, path: Path, reason: str) -> SetAside:
        target = set_aside(path, reason, "a spreadsheet", DataFileError, "started without it (the other "
                           "spreadsheets are kept)")
        record = SetAside(path, target, reason)
        self.set_aside.append(record)
        return record

    def save(self, book: Spreadsheet) -> None:
        """Write one spreadsheet crash-safely; ``SaveFailed`` when the disk refuses (the old file stays)."""
        path = self._path(book.id)
        payload = json.dumps(book.to_json(), ensure_ascii=False, separators=(",", ":"))
        try:
            write_atomically(path, payload, ".tmp-", ".part")
        except OSError as exc:
            raise SaveFailed(f"the emulator could not save spreadsheet {book.id} to {path} "
                             f"({exc.strerror or exc}); nothing was changed: free disk space or fix the data "
                             "directory's permissions, then retry") from exc
        # fsync the directory so the rename itself survives a power cut. The new file is in place already:
        # a failure here does not undo the save.
        try:
            dir_fd = os.open(self.dir, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError as exc:
            log.debug("fsync of %s failed: %s", self.dir, exc)
        finally:
            os.close(dir_fd)

    def delete(self, spreadsheet_id: str) -> None:
        """Remove a spreadsheet's file; ``SaveFailed`` when the disk refuses."""
        path = self._path(spreadsheet_id)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise SaveFailed(f"the emulator could not delete {path} ({exc.strerror or exc}); nothing was "
                             "changed: fix the data directory's permissions, then retry") from exc


_BOOK_KEYS = ("id", "properties", "sheets", "created_time", "modified_time")


def _parse_book(raw: bytes, stem: str) -> tuple[Spreadsheet | None, str]:
    """The spreadsheet in a data file's bytes, or None and why it is not one the emulator wrote."""
    if not is_valid_id(stem):
        return None, "its name is not a spreadsheet id: letters, digits, - and _ only"
    data, reason = parse_json_bytes(raw)
    if reason:
        return None, reason
    problem = _shape_problem(data, stem)
    if problem:
        return None, problem
    try:
        return Spreadsheet.from_json(data), ""
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        return None, f"wrong shape ({type(exc).__name__}: {exc})"


def _shape_problem(data: Any, stem: str) -> str:
    """What is wrong with a parsed data file's shape ("" when it looks like one the emulator wrote)."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    missing = [key for key in _BOOK_KEYS if key not in data]
    if missing:
        return f"missing {', '.join(missing)}"
    book_id = data["id"]
    if not is_valid_id(book_id):
        return f"its id {str(book_id)[:80]!r} is not a spreadsheet id: letters, digits, - and _ only"
    if book_id != stem:
        return f"its id {book_id} does not match its file name"
    if not isinstance(data["properties"], dict) or not isinstance(data["properties"].get("title"), str):
        return "properties is not an object with a title"
    if not isinstance(data["sheets"], list):
        return "sheets is not a list"
    for index, sheet in enumerate(data["sheets"]):
        props = sheet.get("props") if isinstance(sheet, dict) else None
        if (not isinstance(props, dict) or type(props.get("sheetId")) is not int
                or not isinstance(props.get("title"), str)):
            return f"sheet {index} has no props with a sheetId and a title"
        rows = sheet.get("rows")
        if not isinstance(rows, list) or any(type(line) is not list for line in rows):
            return f"sheet {index}'s rows are not a list of lists"
    if not isinstance(data["created_time"], str) or not isinstance(data["modified_time"], str):
        return "created_time or modified_time is not a string"
    return ""
