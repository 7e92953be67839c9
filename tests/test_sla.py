"""Table-driven tests of reply deadlines, office hours, holidays and escalation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sheets_sync.sla import SlaConfigError, SlaPolicy, due_by, overdue_state, reply_hours

IST = ZoneInfo("Asia/Kolkata")
UTC = ZoneInfo("UTC")
PLAIN = SlaPolicy.from_config(None)
OFFICE = SlaPolicy.from_config(
    {
        "office_hours": {
            "start": "09:45",
            "end": "18:15",
            "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        },
        "holidays": ["2026-01-26"],
    }
)


def ist(day: str, clock: str) -> datetime:
    """An IST datetime from "2026-03-02", "10:00"."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=IST)


# 2026-03-02 is a Monday; 2026-01-24 a Saturday; 2026-01-26 (Republic Day) a holiday Monday.


@pytest.mark.parametrize(
    ("category", "department_hours", "expected"),
    [
        ("Complaint", None, 24.0),
        ("Question", "", 24.0),
        ("Suggestion", None, 72.0),
        ("Remark", "  ", 72.0),
        ("complaint", None, 24.0),  # category case does not matter
        (None, None, 24.0),  # unknown category: the shortest default
        ("Whatever", None, 24.0),
        ("Complaint", "48", 48.0),  # the department's Reply Hours win
        ("Remark", 12, 12.0),
        ("Remark", "36.5", 36.5),
        ("Remark", "1,000", 1000.0),  # a comma that groups thousands is not ambiguous
    ],
)
def test_reply_hours(category: str | None, department_hours: str | float | None, expected: float) -> None:
    assert reply_hours(category, department_hours, PLAIN) == expected


@pytest.mark.parametrize("bad", ["abc", "0", "-4", "2,5", "nan", "inf"])
def test_reply_hours_rejects_bad_department_hours(bad: str) -> None:
    with pytest.raises(ValueError, match="Reply Hours"):
        reply_hours("Complaint", bad, PLAIN)


def test_reply_hours_uses_configured_defaults() -> None:
    policy = SlaPolicy.from_config({"default_hours": {"Complaint": 12, "remark": 96}})
    assert reply_hours("Complaint", None, policy) == 12
    assert reply_hours("Remark", None, policy) == 96
    assert reply_hours("Suggestion", None, policy) == 72


@pytest.mark.parametrize(
    ("policy", "received", "hours", "expected"),
    [
        # plain elapsed time, spanning a night
        (PLAIN, ist("2026-03-02", "10:00"), 24, ist("2026-03-03", "10:00")),
        (PLAIN, datetime(2026, 3, 2, 4, 30, tzinfo=UTC), 24, ist("2026-03-03", "10:00")),  # UTC in, IST out
        (
            PLAIN,
            ist("2026-03-07", "23:30"),
            72,
            ist("2026-03-10", "23:30"),
        ),  # weekends count without office hours
        # office hours: inside one day
        (OFFICE, ist("2026-03-02", "10:00"), 4, ist("2026-03-02", "14:00")),
        # across the night: 1 h on Monday, 1 h on Tuesday
        (OFFICE, ist("2026-03-02", "17:15"), 2, ist("2026-03-03", "10:45")),
        # received after closing or before opening
        (OFFICE, ist("2026-03-02", "20:00"), 1, ist("2026-03-03", "10:45")),
        (OFFICE, ist("2026-03-02", "07:00"), 1, ist("2026-03-02", "10:45")),
        # Saturday evening -> Sunday skipped -> Monday
        (OFFICE, ist("2026-03-07", "17:15"), 2, ist("2026-03-09", "10:45")),
        (OFFICE, ist("2026-03-08", "12:00"), 1, ist("2026-03-09", "10:45")),  # received on Sunday
        # Saturday evening -> Sunday -> Monday holiday -> Tuesday
        (OFFICE, ist("2026-01-24", "17:15"), 2, ist("2026-01-27", "10:45")),
        # a deadline exactly at closing time stays at closing time
        (OFFICE, ist("2026-03-02", "09:45"), 8.5, ist("2026-03-02", "18:15")),
        # 24 office hours = 8.5 + 8.5 + 7
        (OFFICE, ist("2026-03-02", "09:45"), 24, ist("2026-03-04", "16:45")),
    ],
)
def test_due_by(policy: SlaPolicy, received: datetime, hours: float, expected: datetime) -> None:
    result = due_by(received, hours, policy)
    assert result == expected
    assert result.tzinfo == IST and result.utcoffset() == timedelta(hours=5, minutes=30)


def test_ist_has_no_dst() -> None:
    # Plain 24 h added on dates where European/US zones change clocks stays a whole day in IST.
    for day in ("2026-03-08", "2026-03-29", "2026-10-25", "2026-11-01"):
        received = ist(day, "01:30")
        assert due_by(received, 24, PLAIN) - received == timedelta(hours=24)
        assert due_by(received, 24, PLAIN).time() == time(1, 30)


def test_due_by_needs_aware_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_by(datetime(2026, 3, 2, 10, 0), 24, PLAIN)


RECEIVED = ist("2026-03-02", "10:00")


@pytest.mark.parametrize(
    ("now", "status", "expected"),
    [
        (RECEIVED + timedelta(hours=23), "New", ("", None)),
        (RECEIVED + timedelta(hours=24), "New", ("", None)),  # exactly at Due By: not yet overdue
        (RECEIVED + timedelta(hours=24, minutes=1), "New", ("Overdue", None)),
        (RECEIVED + timedelta(hours=48), "Assigned", ("Overdue", None)),  # exactly 2x: still only overdue
        (RECEIVED + timedelta(hours=48, minutes=1), "New", ("Escalated", "Escalated")),
        (RECEIVED + timedelta(hours=48, minutes=1), "Assigned", ("Escalated", "Escalated")),
        (RECEIVED + timedelta(hours=48, minutes=1), "", ("Escalated", "Escalated")),  # empty = New
        (RECEIVED + timedelta(hours=60), "Escalated", ("Escalated", None)),  # already escalated
        (RECEIVED + timedelta(hours=1), "Escalated", ("", None)),  # status stays, cell clears
        (RECEIVED + timedelta(hours=100), "Replied", ("", None)),
        (RECEIVED + timedelta(hours=100), "Closed", ("", None)),
        (RECEIVED + timedelta(hours=100), " replied ", ("", None)),
        (RECEIVED + timedelta(hours=100), "In Progress", ("Escalated", None)),  # flagged, status untouched
    ],
)
def test_overdue_state(now: datetime, status: str, expected: tuple[str, str | None]) -> None:
    assert overdue_state(now, RECEIVED, 24, status, PLAIN) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 8.5 office hours from Monday 10:00: due Tuesday 10:00, escalated after Wednesday 10:00
        (ist("2026-03-03", "10:00"), ("", None)),
        (ist("2026-03-03", "10:01"), ("Overdue", None)),
        (ist("2026-03-03", "23:00"), ("Overdue", None)),
        (ist("2026-03-04", "10:00"), ("Overdue", None)),
        (ist("2026-03-04", "10:01"), ("Escalated", "Escalated")),
    ],
)
def test_escalation_counts_office_hours(now: datetime, expected: tuple[str, str | None]) -> None:
    assert overdue_state(now, RECEIVED, 8.5, "New", OFFICE) == expected


# --- configuration ----------------------------------------------------------------------


def test_from_config_defaults() -> None:
    policy = SlaPolicy.from_config(None)
    assert policy.office_hours is None and policy.holidays == frozenset()
    assert policy.tz == IST and dict(policy.default_hours)["Suggestion"] == 72


@pytest.mark.parametrize(
    "office_hours",
    [
        {"start": "09:45", "end": "18:15", "days": "Mon-Sat"},
        {"start": time(9, 45), "end": time(18, 15), "days": ["monday", "Tue", "WED", "thu", "Fri", "sat"]},
        {"start": "09:45", "end": 1095},  # YAML 1.1 reads unquoted 18:15 as 1095; days default Mon-Sat
        {"start": "9.45", "end": "18:15", "days": "Mon, Tue-Fri, Sat"},
    ],
)
def test_from_config_office_hours_forms(office_hours: dict) -> None:
    policy = SlaPolicy.from_config(
        {"office_hours": office_hours, "holidays": [date(2026, 1, 26), "2026-08-15"]}
    )
    assert policy.office_hours is not None
    assert (policy.office_hours.start, policy.office_hours.end) == (time(9, 45), time(18, 15))
    assert policy.office_hours.days == frozenset(range(6))
    assert policy.holidays == {date(2026, 1, 26), date(2026, 8, 15)}


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        ({"office_hour": {}}, "unknown key(s) office_hour"),
        ({"timezone": "Pune/Standard"}, "sla.timezone: 'Pune/Standard' is not a known timezone"),
        ({"default_hours": {"Complain": 24}}, "sla.default_hours.Complain: not a category"),
        ({"default_hours": {"Complaint": "a day"}}, "sla.default_hours.Complaint: 'a day' is not a number"),
        ({"default_hours": {"Complaint": 0}}, "sla.default_hours.Complaint: 0 hours is not allowed"),
        ({"default_hours": [24]}, "sla.default_hours: expected a mapping"),
        ({"office_hours": "9 to 6"}, "sla.office_hours: expected"),
        (
            {"office_hours": {"start": "9am", "end": "18:15"}},
            "sla.office_hours.start: '9am' is not a time of day",
        ),
        ({"office_hours": {"end": "18:15"}}, "sla.office_hours.start: missing"),
        ({"office_hours": {"start": "18:15", "end": "09:45"}}, "end 09:45 is not after start 18:15"),
        (
            {"office_hours": {"start": "09:45", "end": "18:15", "days": ["Funday"]}},
            "'Funday' is not a weekday",
        ),
        (
            {"office_hours": {"start": "09:45", "end": "18:15", "days": "Sat-Mon"}},
            "'Sat-Mon' is not a weekday range",
        ),
        ({"office_hours": {"start": "09:45", "end": "18:15", "days": []}}, "no days given"),
        ({"holidays": ["26/01/2026"]}, "sla.holidays: '26/01/2026' is not a date — write it as YYYY-MM-DD"),
        ({"holidays": "2026-01-26"}, "sla.holidays: expected a list"),
    ],
)
def test_from_config_errors_name_key_and_fix(cfg: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        SlaPolicy.from_config(cfg)
    assert isinstance(info.value, SlaConfigError)
    assert message in str(info.value)


def test_timezone_from_argument_and_config() -> None:
    assert SlaPolicy.from_config({}, tz_name="Asia/Kathmandu").tz == ZoneInfo("Asia/Kathmandu")
    assert SlaPolicy.from_config({"timezone": "Asia/Kolkata"}, tz_name="UTC").tz == IST
