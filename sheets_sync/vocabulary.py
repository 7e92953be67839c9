"""The Tracker Sheet's words, defined once: statuses and their groups, the words people type in a checkbox,
numbers as people type them, and the platforms with their ticket prefixes and account-id keys.

Derived from ``sheet_schema.yaml`` and checked against it when this module is imported: a schema that renames a
status or adds a platform fails loudly here instead of drifting from the code. Every job, report and parser
imports from this module, so the same cell text means the same thing everywhere (``tests/test_vocabulary.py``).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from .errors import SchemaError
from .schema import load_schema


class CellValueError(ValueError):
    """A cell holds something its column's type cannot hold; the message says what and how to fix it."""


class Status(StrEnum):
    """A Tracker row's *Status* (shared column: people may set it too)."""

    NEW = "New"
    ASSIGNED = "Assigned"
    REPLIED = "Replied"
    CLOSED = "Closed"
    ESCALATED = "Escalated"


class Overdue(StrEnum):
    """The *Overdue* flag (empty when on time)."""

    NONE = ""
    OVERDUE = "Overdue"
    ESCALATED = "Escalated"


class PlatformStatus(StrEnum):
    """Whether the comment is still visible on its platform."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    DELETED = "deleted"


_SCHEMA = load_schema()
_STATUS_COLUMN = _SCHEMA["Tracker"].column("Status")
# Rows the tool works on (routes, flags, checks on the platform), and rows it leaves alone and archives.
# In the schema's order (sheet formulas and filters are built from them, and must not change from run to run).
OPEN_STATUSES: tuple[str, ...] = _STATUS_COLUMN.group("open")
FINISHED_STATUSES: tuple[str, ...] = _STATUS_COLUMN.group("finished")
PLATFORMS: tuple[str, ...] = _SCHEMA["Tracker"].column("Platform").values
# A Ticket ID is the platform's prefix and the platform's own comment id (FB-123_456).
# Priority (Tracker and Routing tabs): a comment that cannot wait (sla.urgent_hours, an alert e-mail at once).
URGENT = "Urgent"
PLATFORM_PREFIX = {"facebook": "FB", "instagram": "IG", "youtube": "YT", "x": "X"}
# The key of a ``platforms`` config entry that names the account the connector reads.
PLATFORM_ID_KEYS = {"facebook": "page_id", "instagram": "ig_user_id", "youtube": "channel_id", "x": "user_id"}


def _check_against_schema() -> None:
    checks = [
        ("Tracker Status", {s.value for s in Status}, set(_STATUS_COLUMN.values)),
        ("Tracker Overdue", {o.value for o in Overdue}, set(_SCHEMA["Tracker"].column("Overdue").values)),
        ("Tracker Platform Status", {p.value for p in PlatformStatus},
         set(_SCHEMA["Tracker"].column("Platform Status").values)),
        ("Tracker Priority", {"", URGENT}, set(_SCHEMA["Tracker"].column("Priority").values)),
        ("Routing Priority", {"", URGENT}, set(_SCHEMA["Routing"].column("Priority").values)),
        ("platform prefixes", set(PLATFORM_PREFIX), set(PLATFORMS)),
        ("platform id keys", set(PLATFORM_ID_KEYS), set(PLATFORMS)),
        ("Status groups", {*OPEN_STATUSES, *FINISHED_STATUSES}, set(_STATUS_COLUMN.values)),
    ]
    for what, code, schema in checks:
        if code != schema:
            raise SchemaError(f"sheet_schema.yaml and sheets_sync/vocabulary.py disagree on {what}: the schema has "
                              f"{sorted(schema)}, the code {sorted(code)}. Change both together.")
    if set(OPEN_STATUSES) & set(FINISHED_STATUSES):
        raise SchemaError("sheet_schema.yaml: a Status is both open and finished.")


_check_against_schema()


def is_finished(status: Any) -> bool:
    """Whether a Status cell's text says the row is done (Replied, Closed)."""
    return str(status or "").strip() in FINISHED_STATUSES


def is_open(status: Any) -> bool:
    """Whether a Status cell's text says the row still needs work (New, Assigned, Escalated)."""
    return str(status or "").strip() in OPEN_STATUSES


# -- checkboxes -----------------------------------------------------------------------------------------------

# What people type over a checkbox (or into a text cell meant as one), in the scripts the corporation uses.
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on", "x", "✓", "✔", "होय", "हो", "हाँ", "हां"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "✗", "नाही", "नहीं"})


def parse_checkbox(raw: Any) -> bool | None:
    """A checkbox cell as a bool; None when empty. ``CellValueError`` for text that is neither a yes nor a no."""
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return None
    if isinstance(raw, int | float):
        return raw != 0
    text = str(raw).strip().lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellValueError(f"{raw!r} is not a checkbox value; tick or untick the box (TRUE/FALSE)")


def checkbox(raw: Any, empty: bool, unreadable: bool) -> bool:
    """A checkbox cell, with the caller's meaning for an empty cell and for unreadable text.

    Why the caller chooses: an unreadable *Send* must not post a reply (False), while an unreadable *Active*
    must not silently drop a department from routing and digests (True); both are reported as cell problems.
    """
    try:
        value = parse_checkbox(raw)
    except CellValueError:
        return unreadable
    return empty if value is None else value


def is_active(raw: Any) -> bool:
    """A Departments or Routing *Active* cell: empty, ticked or unreadable (reported elsewhere) is active."""
    return checkbox(raw, empty=True, unreadable=True)


# -- numbers --------------------------------------------------------------------------------------------------

# Digit grouping as Indian (1,00,000) and Western (100,000) sheets show it: commas that only group thousands.
_GROUPED = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d{1,2}(,\d{2})*,\d{3})(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_number(raw: Any) -> float | None:
    """A number cell as people type it; None when empty.

    A comma that only groups digits (``1,000``, ``1,00,000``) is dropped. Any other comma (``2,5``) is
    ambiguous — a decimal comma (2.5) or a mistyped 25 — and is refused with a ``CellValueError`` that asks for
    the intended number, rather than guessed.
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise CellValueError(f"{raw!r} is not a number; write digits such as 24")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None
        if _GROUPED.match(text):
            text = text.replace(",", "")
        elif "," in text:
            whole, _, frac = text.partition(",")
            raise CellValueError(f"{text!r} is ambiguous: write {whole}.{frac} or {whole}{frac} (use a point for "
                                 "a decimal, no comma)")
        if not _PLAIN.match(text):
            raise CellValueError(f"{raw!r} is not a number; write digits such as 24")
        value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise CellValueError(f"{raw!r} is not a number; write digits such as 24")
    return value


def ticket_id(platform: str, comment_id: str) -> str:
    """The stable, human-readable Ticket ID of a comment: platform prefix + the platform's own id.

    Deterministic, so a comment fetched twice maps to the same row; the platform's id is unique per platform.
    """
    prefix = PLATFORM_PREFIX.get(platform)
    if prefix is None:
        raise ValueError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORM_PREFIX)}")
    return f"{prefix}-{comment_id}"
