"""Counts and reply times per department and per platform — pure functions over Tracker rows.

Definitions (the single place they are made; the Dashboard, the digests and the tests all use these):

- **new**: Status is ``New``.
- **open**: Status is ``New``, ``Assigned`` or ``Escalated`` — the citizen is still waiting.
- **escalated**: an open row whose Overdue is ``Escalated`` *or* whose Status is ``Escalated``. The two
  columns are written by different hands (Overdue by the SLA job, Status also by people), so either one is
  enough.
- **overdue**: an open row whose Overdue is ``Overdue`` and that is not escalated. Escalated rows are past
  their deadline too, but counting them in both columns would make "Overdue + Escalated" double-count; the
  buckets are disjoint so that a reader may add them.
  Only *open* rows count in either: once a row is Replied or Closed its Overdue flag is history, not work.
- **replied (24 h)**: Reply Posted At in ``(now - 24 h, now]``, whatever the Status is now.
- **reply hours**: ``Reply Posted At - Received At`` in hours, for rows that have both and where the reply is
  not earlier than the comment (such a row is a clock or data error and would drag the median down).
  The 7-day and 30-day windows select rows by Reply Posted At in ``(now - N days, now]``.
- **median / p90**: the median, and the 90th percentile with linear interpolation between closest ranks
  (numpy's and pandas' default, so an independent recount with ``Series.quantile(0.9)`` agrees).
  No replies in the window → ``None`` (shown as "—").

A row's department is its Department cell, matched to the Departments tab case-insensitively and ignoring
surrounding spaces (the tab's spelling wins). A department that appears in rows but not in the tab still
counts and is shown, after the tab's departments, alphabetically; rows with an empty Department are grouped
under ``UNROUTED``, shown last.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .. import vocabulary
from ..vocabulary import Overdue, Status

Row = Mapping[str, Any]

OPEN_STATUSES = vocabulary.OPEN_STATUSES
PLATFORMS = ("facebook", "instagram", "youtube", "x")
UNROUTED = "(not routed)"
DASH = "—"

DAY = timedelta(days=1)
WINDOW_7D = timedelta(days=7)
WINDOW_30D = timedelta(days=30)


@dataclass(frozen=True)
class GroupMetrics:
    """The figures for one group of rows (a department, a platform, or everything)."""

    name: str
    new: int = 0
    open: int = 0
    overdue: int = 0
    escalated: int = 0
    replied_24h: int = 0
    received_24h: int = 0
    median_7d: float | None = None
    p90_7d: float | None = None
    median_30d: float | None = None
    p90_30d: float | None = None
    listed: bool = True  # False for a department found in rows but missing from the Departments tab


def _text(row: Row, key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def is_open(row: Row) -> bool:
    """Whether the citizen is still waiting for an answer (Status New, Assigned or Escalated)."""
    return _text(row, "Status") in OPEN_STATUSES


def is_escalated(row: Row) -> bool:
    """An open row flagged Escalated by the SLA job (Overdue column) or by a person (Status column)."""
    return is_open(row) and (_text(row, "Overdue") == Overdue.ESCALATED or _text(row, "Status") == Status.ESCALATED)


def is_overdue(row: Row) -> bool:
    """An open row past its deadline but not (yet) escalated; disjoint from ``is_escalated``."""
    return is_open(row) and _text(row, "Overdue") == "Overdue" and not is_escalated(row)


def _within(moment: Any, now: datetime, window: timedelta) -> bool:
    return isinstance(moment, datetime) and now - window < moment <= now


def reply_hours(row: Row) -> float | None:
    """Hours from the comment to the posted reply, or None when either is missing or they are out of order."""
    received, posted = row.get("Received At"), row.get("Reply Posted At")
    if not isinstance(received, datetime) or not isinstance(posted, datetime) or posted < received:
        return None
    return (posted - received).total_seconds() / 3600.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0..1) with linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(rows: Iterable[Row], now: datetime, name: str = "Total", listed: bool = True) -> GroupMetrics:
    """All figures for ``rows`` as of ``now`` (tz-aware).

    One pass with the tests of ``is_open``/``is_overdue``/``is_escalated``/``_within``/``reply_hours`` written
    out inline: this runs over every row of a 100,000-row Tracker for the Dashboard, where a function call per
    test per row is most of the cost. ``tests/test_reports_metrics.py`` holds it to those functions' answers."""
    new = open_ = overdue = escalated = replied = received = 0
    hours_7d: list[float] = []
    hours_30d: list[float] = []
    day_ago, week_ago, month_ago = now - DAY, now - WINDOW_7D, now - WINDOW_30D
    for row in rows:
        status = row.get("Status")
        status = status.strip() if isinstance(status, str) else ""
        if status == Status.NEW:
            new += 1
        if status in OPEN_STATUSES:
            open_ += 1
            flag = row.get("Overdue")
            flag = flag.strip() if isinstance(flag, str) else ""
            if flag == Overdue.ESCALATED or status == Status.ESCALATED:
                escalated += 1
            elif flag == "Overdue":
                overdue += 1
        posted, got = row.get("Reply Posted At"), row.get("Received At")
        posted_ok, got_ok = isinstance(posted, datetime), isinstance(got, datetime)
        if got_ok and day_ago < got <= now:
            received += 1
        if not posted_ok or not month_ago < posted <= now:
            continue
        if posted > day_ago:
            replied += 1
        if got_ok and posted >= got:
            hours = (posted - got).total_seconds() / 3600.0
            hours_30d.append(hours)
            if posted > week_ago:
                hours_7d.append(hours)
    return GroupMetrics(
        name=name, new=new, open=open_, overdue=overdue, escalated=escalated, replied_24h=replied,
        received_24h=received,
        median_7d=_median(hours_7d), p90_7d=percentile(hours_7d, 0.9),
        median_30d=_median(hours_30d), p90_30d=percentile(hours_30d, 0.9),
        listed=listed,
    )


def is_active(department: Row) -> bool:
    """The Departments tab's Active checkbox: a bool, or the text TRUE/FALSE (empty counts as active)."""
    return vocabulary.is_active(department.get("Active", True))


def department_names(departments: Iterable[Row]) -> list[str]:
    """The Departments tab's names, in tab order, without blanks or repeats."""
    names: list[str] = []
    seen: set[str] = set()
    for dept in departments:
        name = _text(dept, "Department")
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def department_of(row: Row, canonical: Mapping[str, str]) -> str:
    """The row's department as spelled in the Departments tab (``canonical`` maps casefolded names to it)."""
    name = _text(row, "Department")
    if not name:
        return UNROUTED
    return canonical.get(name.casefold(), name)


def group_by_department(rows: Iterable[Row], departments: Iterable[Row]) -> dict[str, list[Row]]:
    """Rows per department, keys in display order: tab order (inactive ones only when they have rows), then
    departments missing from the tab alphabetically, then ``UNROUTED``."""
    departments = list(departments)
    canonical = {name.casefold(): name for name in department_names(departments)}
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(department_of(row, canonical), []).append(row)
    return {name: groups.get(name, []) for name in display_order(set(groups), departments)}


def display_order(found: Collection[str], departments: Sequence[Row]) -> list[str]:
    """The department groups to show, in order, given the names ``found`` in rows (as the tab spells them):
    tab order (inactive ones only when found), then names missing from the tab alphabetically, then
    ``UNROUTED``."""
    active = {_text(d, "Department").casefold() for d in departments if is_active(d)}
    ordered = [name for name in department_names(departments) if name in found or name.casefold() in active]
    ordered += sorted((n for n in found if n not in ordered and n != UNROUTED), key=lambda n: (n.casefold(), n))
    return ordered + ([UNROUTED] if UNROUTED in found else [])


def by_department(rows: Iterable[Row], departments: Iterable[Row], now: datetime) -> list[GroupMetrics]:
    """Figures per department, in display order (see ``group_by_department``)."""
    departments = list(departments)
    listed = {n.casefold() for n in department_names(departments)}
    return [summarize(group, now, name, listed=name.casefold() in listed)
            for name, group in group_by_department(rows, departments).items()]


def by_platform(rows: Iterable[Row], now: datetime) -> list[GroupMetrics]:
    """Figures per platform: the four known platforms always (zeros included), then any others alphabetically."""
    groups: dict[str, list[Row]] = {p: [] for p in PLATFORMS}
    for row in rows:
        groups.setdefault(_text(row, "Platform").lower() or "(none)", []).append(row)
    names = list(PLATFORMS) + sorted(n for n in groups if n not in PLATFORMS)
    return [summarize(groups[name], now, name) for name in names]


def format_hours(hours: float | None) -> str:
    """Hours for people: one decimal, or "—" when there is nothing to measure."""
    return DASH if hours is None else f"{hours:.1f}"
