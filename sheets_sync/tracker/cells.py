"""Typed cell values: what the Sheets API returns (UNFORMATTED_VALUE, SERIAL_NUMBER) to Python and back.

Pure functions, no I/O. Ids are never numericised: a cell typed ``007`` stays ``"007"``, and a number that
Google returns for an id column comes back as its integer text.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .. import vocabulary
from ..vocabulary import CellValueError, ticket_id

__all__ = ["CellValueError", "ticket_id", "parse_checkbox", "parse_cell", "as_text", "fit_text", "to_cell_data",
           "cell_equal", "parse_datetime", "parse_date", "serial_to_datetime", "datetime_to_serial", "utc_now"]

SERIAL_EPOCH = datetime(1899, 12, 30)
CELL_LIMIT = 50_000
CUT_MARKER = "… [cut by sheets-sync: {n} more characters; open the Link for the full text]"
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


def serial_to_datetime(serial: float, tz: ZoneInfo) -> datetime:
    """A Sheets serial number (days since 1899-12-30, local wall time) as a tz-aware datetime."""
    naive = SERIAL_EPOCH + timedelta(days=float(serial))
    # Round to the second: serials carry float noise (…:59.9999).
    naive = (naive + timedelta(microseconds=500_000)).replace(microsecond=0)
    return naive.replace(tzinfo=tz)


def datetime_to_serial(value: datetime, tz: ZoneInfo) -> float:
    """A tz-aware datetime as a Sheets serial number in the sheet's time zone."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass a tz-aware datetime")
    local = value.astimezone(tz).replace(tzinfo=None)
    delta = local - SERIAL_EPOCH
    return round(delta.days + delta.seconds / 86400, 8)


def parse_datetime(raw: Any, tz: ZoneInfo) -> datetime | None:
    """A datetime cell: serial number, ISO-like text or ``dd/mm/yyyy hh:mm``; empty is None."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise CellValueError(f"{raw!r} is not a date and time; write it as 2026-10-05 10:30")
    if isinstance(raw, int | float):
        if not math.isfinite(raw) or not 0 < raw < 2958466:
            raise CellValueError(f"{raw!r} is not a date and time; write it as 2026-10-05 10:30")
        return serial_to_datetime(raw, tz)
    text = str(raw).strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    except ValueError:
        pass
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise CellValueError(f"{text!r} is not a date and time; write it as 2026-10-05 10:30")


def parse_date(raw: Any, tz: ZoneInfo) -> date | None:
    """A date cell (serial or text)."""
    value = parse_datetime(raw, tz)
    return value.date() if value else None


def parse_checkbox(raw: Any) -> bool:
    """A checkbox cell: booleans, or the words of ``vocabulary.TRUE_WORDS``/``FALSE_WORDS``; empty is False."""
    return bool(vocabulary.parse_checkbox(raw))


def as_text(raw: Any) -> str:
    """Any cell as text, never numericised: 7.0 → "7", 1e20 stays exact, None → ""."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e16:
        return str(int(raw))
    return str(raw)


def parse_cell(raw: Any, kind: str, tz: ZoneInfo) -> Any:
    """A cell's value as its column's type says."""
    if kind == "datetime":
        return parse_datetime(raw, tz)
    if kind == "date":
        return parse_date(raw, tz)
    if kind == "checkbox":
        return parse_checkbox(raw)
    if kind == "number":
        return vocabulary.parse_number(raw)
    return as_text(raw).strip() if kind in ("enum", "id") else as_text(raw)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A lone UTF-16 surrogate (a platform can send one: half of an emoji cut by a length limit) is not valid
# Unicode; Sheets refuses the whole batched write that holds one. It becomes U+FFFD, the replacement character.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def fit_text(text: str) -> str:
    """Text safe for one cell: control characters (which Sheets rejects) removed, lone surrogates replaced by
    U+FFFD, cut to 50,000 characters with a visible marker saying how much was cut."""
    text = _SURROGATE.sub(REPLACEMENT, _CONTROL.sub("", text))
    if len(text) <= CELL_LIMIT:
        return text
    # Reserve room for the marker, whose length depends on the number it names.
    marker = CUT_MARKER.format(n=len(text))
    keep = CELL_LIMIT - len(marker)
    return text[:keep] + CUT_MARKER.format(n=len(text) - keep)


def to_cell_data(value: Any, tz: ZoneInfo) -> dict[str, Any]:
    """A value as ``CellData`` for ``updateCells``/``appendCells``; strings go as ``stringValue`` — the RAW
    path — so a comment starting with ``=``, ``+``, ``-`` or ``@`` stays text and never becomes a formula."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, datetime):
        return {"userEnteredValue": {"numberValue": datetime_to_serial(value, tz)}}
    if isinstance(value, date):
        return {"userEnteredValue": {"numberValue": float((value - SERIAL_EPOCH.date()).days)}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": fit_text(str(value))}}


def cell_equal(current: Any, new: Any) -> bool:
    """Whether a typed value read from the sheet equals the value the tool would write (no-op detection)."""
    if isinstance(current, datetime) and isinstance(new, datetime):
        return abs((current - new).total_seconds()) < 1.0
    if current in (None, "") and new in (None, ""):
        return True
    if isinstance(new, str) and isinstance(current, str):
        return current == fit_text(new)
    return current == new


def utc_now() -> datetime:
    """Now, tz-aware UTC (injectable clocks call this by default)."""
    return datetime.now(UTC)


NO_TIME = -(2**63)  # in an int64 array of times: a cell that holds no date and time
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def microseconds(moment: Any) -> int:
    """A tz-aware datetime as whole microseconds since 1970 UTC (exact, as ``datetime`` keeps it); ``NO_TIME``
    for anything else. Times as integers let the figures compare and subtract a whole column at once."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return (moment - _EPOCH) // _MICROSECOND
    return NO_TIME


def moment_of(micros: int, tz: ZoneInfo) -> datetime | None:
    """``microseconds`` undone: the moment in ``tz``, or None for ``NO_TIME``."""
    return None if micros == NO_TIME else (_EPOCH + micros * _MICROSECOND).astimezone(tz)

