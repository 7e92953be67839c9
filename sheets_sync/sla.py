"""Deadlines: when a comment's reply is due, and whether it is overdue or escalated.

Pure functions over tz-aware datetimes; the jobs read the Tracker and write the cells.

* Due By = Received At + the reply time.  The reply time is the department's Reply Hours
  when its Departments row has one, else the category default (Complaint and Question 24 h,
  Suggestion and Remark 72 h).
* With ``office_hours`` configured, only office time counts (e.g. Mon-Sat 09:45-18:15 in the
  corporation's timezone) and listed holidays are skipped; a comment received at night
  starts counting at the next opening.
* Overdue is ``""`` up to and including Due By, ``"Overdue"`` after it, and ``"Escalated"``
  after twice the reply time (counted the same way), when a New/Assigned row's Status also
  becomes ``Escalated``.  Replied and Closed rows are never flagged.

Config (``sla:`` section of the project config)::

    sla:
      default_hours: {Complaint: 24, Question: 24, Suggestion: 72, Remark: 72}
      urgent_hours: 2        # Priority Urgent rows: counted round the clock, office hours or not
      office_hours: {start: "09:45", end: "18:15", days: [Mon, Tue, Wed, Thu, Fri, Sat]}
      holidays: [2026-01-26, 2026-08-15]
      timezone: Asia/Kolkata
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import vocabulary
from .errors import ConfigError

__all__ = [
    "DEFAULT_HOURS",
    "SlaConfigError",
    "OfficeHours",
    "SlaPolicy",
    "reply_hours",
    "due_by",
    "overdue_state",
]

DEFAULT_HOURS: Mapping[str, float] = MappingProxyType(
    {"Complaint": 24.0, "Question": 24.0, "Suggestion": 72.0, "Remark": 72.0}
)
DEFAULT_URGENT_HOURS = 2.0
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Case-insensitive, as people type them; from the one vocabulary.
_CLEARED_STATUSES = {s.lower() for s in vocabulary.FINISHED_STATUSES}
_ESCALATABLE_STATUSES = {"", *(s.lower() for s in vocabulary.OPEN_STATUSES)}
# A deadline further away than this means a configuration with (almost) no office time.
_MAX_DAYS_SCANNED = 3700


class SlaConfigError(ConfigError, ValueError):
    """The ``sla`` configuration is wrong; the message names the key and the fix."""


@dataclass(frozen=True)
class OfficeHours:
    """The corporation's working window: ``start``-``end`` on ``days`` (0 = Monday)."""

    start: time
    end: time
    days: frozenset[int]

    def is_working_day(self, day: date, holidays: frozenset[date]) -> bool:
        """True when ``day`` is an office day and not a holiday."""
        return day.weekday() in self.days and day not in holidays


@dataclass(frozen=True)
class SlaPolicy:
    """How reply deadlines are counted."""

    default_hours: Mapping[str, float] = field(default_factory=lambda: DEFAULT_HOURS)
    office_hours: OfficeHours | None = None
    holidays: frozenset[date] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Kolkata"))
    # Urgent rows (Priority Urgent): this many hours, counted round the clock — a live wire does not wait for
    # the office to open.
    urgent_hours: float = DEFAULT_URGENT_HOURS

    def round_the_clock(self) -> SlaPolicy:
        """This policy without office hours or holidays: how an urgent row's deadline is counted."""
        return replace(self, office_hours=None, holidays=frozenset())

    @classmethod
    def from_config(cls, cfg: dict | None, tz_name: str = "Asia/Kolkata") -> SlaPolicy:
        """Build a policy from the ``sla`` config section (None or {} gives the defaults).

        Raises :class:`SlaConfigError` (a ``ValueError``) naming the key and the fix.
        """
        cfg = dict(cfg or {})
        _check_keys("sla", cfg, ("default_hours", "office_hours", "holidays", "timezone", "urgent_hours"))
        tz_name = cfg.get("timezone") or tz_name
        try:
            tz = ZoneInfo(str(tz_name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SlaConfigError(
                f"sla.timezone: '{tz_name}' is not a known timezone — use a name such as Asia/Kolkata"
            ) from exc
        return cls(
            default_hours=_parse_default_hours(cfg.get("default_hours")),
            office_hours=_parse_office_hours(cfg.get("office_hours")),
            holidays=_parse_holidays(cfg.get("holidays")),
            tz=tz,
            urgent_hours=(DEFAULT_URGENT_HOURS if cfg.get("urgent_hours") is None
                          else _positive_hours(cfg["urgent_hours"], "sla.urgent_hours")),
        )


def _check_keys(where: str, value: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """``SlaConfigError`` for keys of ``value`` that are not ``allowed``, with a "Did you mean" hint."""
    unknown = sorted(map(str, set(value) - set(allowed)))
    if unknown:
        close = difflib.get_close_matches(unknown[0], allowed, n=1)
        hint = f". Did you mean `{close[0]}`?" if close else ""
        raise SlaConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} — allowed keys are {', '.join(allowed)}{hint}"
        )


def _parse_default_hours(value: Any) -> Mapping[str, float]:
    hours = dict(DEFAULT_HOURS)
    if value is None:
        return MappingProxyType(hours)
    if not isinstance(value, Mapping):
        raise SlaConfigError("sla.default_hours: expected a mapping such as {Complaint: 24, Remark: 72}")
    for category, number in value.items():
        canonical = next(
            (name for name in DEFAULT_HOURS if name.lower() == str(category).strip().lower()), None
        )
        if canonical is None:
            raise SlaConfigError(
                f"sla.default_hours.{category}: not a category — use Complaint, Question, Suggestion or Remark"
            )
        hours[canonical] = _positive_hours(number, f"sla.default_hours.{category}")
    return MappingProxyType(hours)


def _positive_hours(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SlaConfigError(
            f"{where}: '{value}' is not a number of hours — write a number such as 24"
        ) from None
    if not number > 0 or number == float("inf"):
        raise SlaConfigError(f"{where}: {value} hours is not allowed — use a number of hours above 0")
    return number


def _parse_time(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 18:15 as the base-60 integer 1095 (minutes).
        return time(value // 60, value % 60)
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", str(value))
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    raise SlaConfigError(
        f"{where}: '{value}' is not a time of day — write it in quotes as HH:MM, e.g. \"09:45\""
    )


def _parse_days(value: Any) -> frozenset[int]:
    where = "sla.office_hours.days"
    if value is None:
        return frozenset(range(6))  # Monday to Saturday, as the corporation's offices work
    items: list[str]
    if isinstance(value, str):
        items = [part for part in re.split(r"[,\s]+", value) if part]
    elif isinstance(value, (list, tuple)):
        items = [str(item) for item in value]
    else:
        raise SlaConfigError(f"{where}: expected a list such as [Mon, Tue, Wed, Thu, Fri, Sat]")
    days: set[int] = set()
    for item in items:
        bounds = item.split("-")
        try:
            indexes = [_DAY_NAMES.index(bound.strip().lower()[:3]) for bound in bounds]
        except ValueError:
            raise SlaConfigError(
                f"{where}: '{item}' is not a weekday — use Mon, Tue, Wed, Thu, Fri, Sat, Sun"
            ) from None
        if len(indexes) == 1:
            days.add(indexes[0])
        elif len(indexes) == 2 and indexes[0] <= indexes[1]:
            days.update(range(indexes[0], indexes[1] + 1))
        else:
            raise SlaConfigError(f"{where}: '{item}' is not a weekday range — write it like Mon-Sat")
    if not days:
        raise SlaConfigError(
            f"{where}: no days given — list the office days, e.g. [Mon, Tue, Wed, Thu, Fri, Sat]"
        )
    return frozenset(days)


def _parse_office_hours(value: Any) -> OfficeHours | None:
    if value in (None, False, {}):
        return None
    if not isinstance(value, Mapping):
        raise SlaConfigError(
            'sla.office_hours: expected {start: "09:45", end: "18:15", days: [Mon, ..., Sat]}'
        )
    _check_keys("sla.office_hours", value, ("start", "end", "days"))
    for key in ("start", "end"):
        if key not in value:
            raise SlaConfigError(f'sla.office_hours.{key}: missing — add it as HH:MM, e.g. {key}: "09:45"')
    start = _parse_time(value["start"], "sla.office_hours.start")
    end = _parse_time(value["end"], "sla.office_hours.end")
    if end <= start:
        raise SlaConfigError(
            f"sla.office_hours: end {end:%H:%M} is not after start {start:%H:%M} — "
            "office hours must lie within one day"
        )
    return OfficeHours(start=start, end=end, days=_parse_days(value.get("days")))


def _parse_holidays(value: Any) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise SlaConfigError("sla.holidays: expected a list of dates such as [2026-01-26, 2026-08-15]")
    holidays: set[date] = set()
    for item in value:
        if isinstance(item, datetime):
            holidays.add(item.date())
        elif isinstance(item, date):
            holidays.add(item)
        else:
            try:
                holidays.add(date.fromisoformat(str(item).strip()))
            except ValueError:
                raise SlaConfigError(
                    f"sla.holidays: '{item}' is not a date — write it as YYYY-MM-DD"
                ) from None
    return frozenset(holidays)


def reply_hours(category: str | None, department_hours: str | float | None, policy: SlaPolicy) -> float:
    """Hours allowed for a reply: the department's Reply Hours if set, else the category default.

    ``department_hours`` is the Departments-tab cell (text, number or empty).  An unknown or
    empty category gets the shortest default, so nothing waits longer than it should.
    Raises ``ValueError`` for a Reply Hours cell that is not a positive number.
    """
    try:
        hours = vocabulary.parse_number(department_hours)
    except vocabulary.CellValueError as exc:
        raise ValueError(f"Reply Hours {exc}, or leave it empty") from None
    if hours is not None:
        if not hours > 0:
            raise ValueError(f"Reply Hours {department_hours} must be more than 0 — or leave it empty")
        return hours
    wanted = (category or "").strip().lower()
    for name, hours in policy.default_hours.items():
        if name.lower() == wanted:
            return float(hours)
    return float(min(policy.default_hours.values()))


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (e.g. datetime(..., tzinfo=ZoneInfo('Asia/Kolkata')))"
        )


def due_by(received_at: datetime, hours: float, policy: SlaPolicy) -> datetime:
    """Deadline for a reply, in the policy's timezone.

    Without office hours this is plain elapsed time.  With office hours only time inside
    the window on working, non-holiday days counts; a deadline that falls exactly at
    closing time stays at closing time rather than moving to the next morning.
    """
    _require_aware(received_at, "received_at")
    if hours < 0:
        raise ValueError(f"hours must not be negative (got {hours})")
    local = received_at.astimezone(policy.tz)
    office = policy.office_hours
    if office is None:
        # Add in UTC so the result is right in zones with DST too (IST has none).
        return (received_at.astimezone(ZoneInfo("UTC")) + timedelta(hours=hours)).astimezone(policy.tz)
    remaining = timedelta(hours=hours)
    day = local.date()
    cursor = local
    for _ in range(_MAX_DAYS_SCANNED):
        if office.is_working_day(day, policy.holidays):
            opening = datetime.combine(day, office.start, policy.tz)
            closing = datetime.combine(day, office.end, policy.tz)
            start = max(cursor, opening)
            if start < closing or (start == closing and not remaining):
                available = closing - start
                if remaining <= available:
                    return start + remaining
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), policy.tz)
    raise ValueError(
        f"no office time found within {_MAX_DAYS_SCANNED} days — check sla.office_hours.days and sla.holidays"
    )


def overdue_state(
    now: datetime, received_at: datetime, hours: float, status: str, policy: SlaPolicy
) -> tuple[str, str | None]:
    """The Overdue cell value and, when it must change, the new Status.

    Returns ``("", None)`` for Replied/Closed rows and until Due By (inclusive);
    ``("Overdue", None)`` after Due By; ``("Escalated", "Escalated")`` after twice the
    reply time for a New, Assigned (or empty) Status.  An Escalated row keeps its Status
    (new Status None), and other statuses are flagged but not changed.
    """
    _require_aware(now, "now")
    state = (status or "").strip().lower()
    if state in _CLEARED_STATUSES:
        return "", None
    if now <= due_by(received_at, hours, policy):
        return "", None
    if now <= due_by(received_at, 2 * hours, policy):
        return "Overdue", None
    if state in _ESCALATABLE_STATUSES and state != "escalated":
        return "Escalated", "Escalated"
    return "Escalated", None
