"""The runner's lease — one machine runs a cycle at a time — taken atomically, with no pause.

While a runner holds the lease, a hidden tab ``_lease`` exists; its cell A1 says who holds it and until when.
Sheets has no compare-and-set on a cell, but a ``spreadsheets.batchUpdate`` is atomic (one invalid request and
nothing is applied) and ``addSheet`` refuses a title that exists. So adding the tab *is* the claim: of runners
claiming at once exactly one succeeds, whatever the timing. (The lease used to be a cell in ``_state``: write
a claim, wait ``lease.settle_seconds`` for a rival's claim to land, read it back — two seconds on every cycle,
and unsafe when a rival's read-to-claim gap outlasted the wait, as a first read of a large sheet does.)

- A lease whose holder died (its expiry passed) is replaced in one batchUpdate that deletes *that* tab, by its
  ``sheetId``, and adds ours: if another runner replaced it first, that ``sheetId`` is gone and ours fails whole.
- The cycle's write deletes the tab in the same batchUpdate (``fence``): the lease is released with the write,
  and a runner whose lease was taken over meanwhile (it overran ``lease.minutes``) has its write refused whole
  — ``LeaseLost``, nothing written, no cursor moved.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gspread.exceptions import APIError

from ..client import AmbiguousWriteError
from .table import quote_title

log = logging.getLogger(__name__)

__all__ = ["LEASE_TAB", "Holder", "Lease"]

LEASE_TAB = "_lease"
# Claims raced by another runner's claim or release in between are tried again this many times.
_TRIES = 3


@dataclass(frozen=True)
class Holder:
    """Who holds the lease now, until when (None: unreadable), and its tab's ``sheetId``."""

    runner: str
    expires: datetime | None
    sheet_id: int


class Lease:
    """One runner's view of the lease of one spreadsheet, through gspread's HTTP client."""

    def __init__(self, http: Any, spreadsheet_id: str, clock: Callable[[], datetime]) -> None:
        self.http = http
        self.spreadsheet_id = spreadsheet_id
        self.clock = clock
        self.held: int | None = None  # the sheetId of our lease tab while we hold it

    def claim(self, runner: str, minutes: float) -> tuple[bool, str]:
        """Take the lease for ``minutes`` unless another live runner holds it. Returns (held, who holds it).
        A lease of our own name (a claim whose answer was lost, a cycle that died) or one expired is replaced."""
        holder: Holder | None = None
        for _ in range(_TRIES):
            replacing = holder.sheet_id if holder is not None else None
            try:
                self.held = self._add(runner, minutes, replacing)
                return True, runner
            except _Refused:
                pass  # the tab exists (another claim), or the one we meant to replace is gone
            except AmbiguousWriteError:
                log.warning("lease claim: no answer from Sheets; reading whose the lease is")
            holder = self.current()
            if holder is None:
                continue  # released in between: claim again
            if holder.runner == runner and self._ours_just_now(holder, minutes):
                self.held = holder.sheet_id  # our claim landed though its answer was lost
                return True, runner
            if holder.runner != runner and holder.expires is not None and holder.expires > self.clock():
                return False, holder.runner
        return False, holder.runner if holder is not None else "another runner"

    def current(self) -> Holder | None:
        """The lease as it is now (one small ``spreadsheets.get``); None when nobody holds it."""
        try:
            body = self.http.fetch_sheet_metadata(self.spreadsheet_id, params={
                "ranges": f"{quote_title(LEASE_TAB)}!A1", "includeGridData": "true",
                "fields": "sheets(properties(sheetId,title),data(rowData(values(userEnteredValue))))"})
        except APIError as exc:
            if exc.response.status_code == 400 and "parse range" in str(exc):
                return None
            raise
        sheet = next((s for s in body.get("sheets", []) if s.get("properties", {}).get("title") == LEASE_TAB), None)
        if sheet is None:
            return None
        cells = [c for data in sheet.get("data", []) for row in data.get("rowData", []) for c in row.get("values", [])]
        runner, expires = parse_claim(str((cells[0].get("userEnteredValue") or {}).get("stringValue", "")) if cells
                                      else "")
        return Holder(runner, expires, int(sheet["properties"].get("sheetId", 0)))

    def fence(self) -> dict[str, Any] | None:
        """The request that releases our lease inside the cycle's write (None when we hold none)."""
        return None if self.held is None else {"deleteSheet": {"sheetId": self.held}}

    def lost(self, error: APIError) -> bool:
        """Whether a fenced write was refused because our lease tab is gone (another runner replaced it)."""
        return (self.held is not None and error.response.status_code == 400
                and f"No grid with id: {self.held}" in str(error))

    def released(self) -> None:
        """The fenced write landed: the tab is deleted, the lease free."""
        self.held = None

    def release(self) -> None:
        """Free the lease at once (a cycle that could not write must not keep others waiting)."""
        held, self.held = self.held, None
        if held is None:
            return
        try:
            self.http.batch_update(self.spreadsheet_id, {"requests": [{"deleteSheet": {"sheetId": held}}]})
        except APIError as exc:
            if exc.response.status_code != 400:  # 400: already gone (replaced after expiring)
                raise

    def _add(self, runner: str, minutes: float, replacing: int | None) -> int:
        """Add our lease tab (deleting ``replacing`` in the same batchUpdate); its sheetId. ``_Refused`` when
        Sheets refuses: the tab exists, or the one to replace is gone."""
        sheet_id = secrets.randbelow(2**31 - 2) + 1  # sheetIds are positive int32; a clash is refused, tried again
        claim = json.dumps({"runner": runner, "expires": (self.clock() + timedelta(minutes=minutes)).isoformat()})
        requests: list[dict[str, Any]] = [] if replacing is None else [{"deleteSheet": {"sheetId": replacing}}]
        requests += [
            {"addSheet": {"properties": {"sheetId": sheet_id, "title": LEASE_TAB, "hidden": True,
                                         "gridProperties": {"rowCount": 1, "columnCount": 1}}}},
            {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}, "fields": "userEnteredValue",
                             "rows": [{"values": [{"userEnteredValue": {"stringValue": claim}}]}]}},
        ]
        try:
            self.http.batch_update(self.spreadsheet_id, {"requests": requests})
        except APIError as exc:
            text = str(exc)
            if exc.response.status_code == 400 and ("already exists" in text or "No grid with id" in text):
                raise _Refused from exc
            raise
        return sheet_id

    def _ours_just_now(self, holder: Holder, minutes: float) -> bool:
        """Whether ``holder`` (of our name) is a claim this call made: it expires about ``minutes`` from now.
        An older one of ours (a cycle that died) is replaced instead, so the tab is known to be this claim's."""
        return holder.expires is not None and holder.expires >= self.clock() + timedelta(minutes=minutes * 0.9)


class _Refused(Exception):
    """Sheets refused a claim's batchUpdate: the lease tab exists, or the one to replace is gone."""


def parse_claim(text: str) -> tuple[str, datetime | None]:
    """A claim's JSON → (runner, expiry); ("", None) when unreadable."""
    try:
        data = json.loads(text) if text else {}
        return str(data.get("runner", "")), datetime.fromisoformat(data["expires"]) if data.get("expires") else None
    except (ValueError, TypeError, AttributeError, KeyError):
        return "", None
