"""Date and time formula functions, and TEXT.

Dates are Google's serial numbers (days since 1899-12-30, the time of day as the fraction). Functions that
give a date return a ``DateNumber`` so the cell can be shown as a date (``formula_values.date_kind``).
TODAY and NOW use the spreadsheet's time zone, as Sheets does; they are read from the evaluation context.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from .formula import Evaluation, Node
from .formula_functions import arity
from .formula_values import (
    DateNumber,
    FormulaError,
    integer,
    number,
    parse_number,
    scalar,
    text,
    values_of,
)

EPOCH = dt.date(1899, 12, 30)
Function = Callable[[list[Any]], Any]


def to_date(value: Any) -> dt.date:
    """A date argument (a serial number, or text Sheets reads as a date) as a ``date``."""
    value = scalar(value)
    if isinstance(value, str):
        value = datevalue([value]) if parse_number(value) is None else parse_number(value)
    serial = number(value)
    if serial < 0:
        raise FormulaError("#NUM!")
    return EPOCH + dt.timedelta(days=math.floor(serial))


def serial_of(day: dt.date) -> DateNumber:
    """A date as a serial number that is flagged as a date."""
    return DateNumber(float((day - EPOCH).days), "DATE")


@arity(3, 3)
def _date(args: list[Any]) -> DateNumber:
    year, month, day = integer(args[0]), integer(args[1]), integer(args[2])
    if 0 <= year < 1900:
        year += 1900  # Sheets: DATE(24,1,1) is 1924
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    if not 1 <= year <= 9999:
        raise FormulaError("#NUM!")
    return serial_of(dt.date(year, month, 1) + dt.timedelta(days=day - 1))


@arity(3, 3)
def _time(args: list[Any]) -> DateNumber:
    seconds = integer(args[0]) * 3600 + integer(args[1]) * 60 + integer(args[2])
    if seconds < 0:
        raise FormulaError("#NUM!")
    return DateNumber((seconds % 86400) / 86400, "TIME")


def datevalue(args: list[Any]) -> DateNumber:
    """DATEVALUE: text Sheets reads as a date (``2024-01-15``, ``1/15/2024``) as its serial number."""
    from .cells import parse_user_entered

    parsed = parse_user_entered(text(args[0]).strip())
    kind = getattr(parsed, "dt_kind", None)
    if kind not in ("DATE", "DATE_TIME"):
        raise FormulaError("#VALUE!")
    return DateNumber(float(math.floor(parsed.value)), "DATE")


def _part(getter: Callable[[dt.datetime], int]) -> Function:
    """YEAR/MONTH/DAY/HOUR/MINUTE/SECOND of a serial number."""
    @arity(1, 1)
    def func(args: list[Any]) -> float:
        value = scalar(args[0])
        serial = number(datevalue([value]) if isinstance(value, str) and parse_number(value) is None else value)
        if serial < 0:
            raise FormulaError("#NUM!")
        # Round to the second first, so 0.5 days is 12:00:00 and not 11:59:59.999.
        moment = dt.datetime(1899, 12, 30) + dt.timedelta(seconds=round(serial * 86400))
        return float(getter(moment))
    return func


@arity(1, 2)
def _weekday(args: list[Any]) -> float:
    day = to_date(args[0])
    kind = integer(args[1]) if len(args) > 1 else 1
    monday0 = day.weekday()  # Monday = 0
    if kind == 1:
        return float((monday0 + 1) % 7 + 1)  # Sunday = 1
    if kind == 2:
        return float(monday0 + 1)  # Monday = 1
    if kind == 3:
        return float(monday0)  # Monday = 0
    raise FormulaError("#NUM!")


def _months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


@arity(3, 3)
def _datedif(args: list[Any]) -> float:
    start, end = to_date(args[0]), to_date(args[1])
    unit = text(args[2]).upper()
    if start > end:
        raise FormulaError("#NUM!")
    months = _months_between(start, end)
    if unit == "D":
        return float((end - start).days)
    if unit == "M":
        return float(months)
    if unit == "Y":
        return float(months // 12)
    if unit == "YM":
        return float(months % 12)
    if unit == "MD":
        anchor_month = end.replace(day=1) - dt.timedelta(days=1) if end.day < start.day else end
        base = _clamped(anchor_month.year, anchor_month.month, start.day)
        return float((end - base).days)
    if unit == "YD":
        base = _clamped(end.year, start.month, start.day)
        if base > end:
            base = _clamped(end.year - 1, start.month, start.day)
        return float((end - base).days)
    raise FormulaError("#NUM!")


def _clamped(year: int, month: int, day: int) -> dt.date:
    """A date with the day clamped to the month's length (Jan 31 + 1 month is Feb 28/29)."""
    for candidate in (day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day, candidate))
        except ValueError:
            continue
    raise FormulaError("#NUM!")


def _holidays(arg: Any) -> set[dt.date]:
    return {to_date(v) for v in values_of(arg) if v not in (None, "")}


@arity(2, 3)
def _networkdays(args: list[Any]) -> float:
    start, end = to_date(args[0]), to_date(args[1])
    holidays = _holidays(args[2]) if len(args) > 2 else set()
    sign = 1
    if start > end:
        start, end, sign = end, start, -1
    days = sum(1 for i in range((end - start).days + 1)
               if (d := start + dt.timedelta(days=i)).weekday() < 5 and d not in holidays)
    return float(sign * days)


@arity(2, 3)
def _workday(args: list[Any]) -> DateNumber:
    day = to_date(args[0])
    count = integer(args[1])
    holidays = _holidays(args[2]) if len(args) > 2 else set()
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += dt.timedelta(days=step)
        if day.weekday() < 5 and day not in holidays:
            remaining -= 1
    return serial_of(day)


@arity(2, 2)
def _edate(args: list[Any]) -> DateNumber:
    start = to_date(args[0])
    months = start.month - 1 + integer(args[1])
    return serial_of(_clamped(start.year + months // 12, months % 12 + 1, start.day))


@arity(2, 2)
def _eomonth(args: list[Any]) -> DateNumber:
    start = to_date(args[0])
    months = start.month + integer(args[1])  # the month after the target, whose day 0 is the answer
    first_next = dt.date(start.year + months // 12, months % 12 + 1, 1)
    return serial_of(first_next - dt.timedelta(days=1))


@arity(2, 2)
def _days(args: list[Any]) -> float:
    return float((to_date(args[0]) - to_date(args[1])).days)


@arity(2, 2)
def _text_function(args: list[Any]) -> str:
    """TEXT(value, format): a number (or date) shown under a Sheets number format pattern."""
    from .number_format import render_number

    value, pattern = scalar(args[0]), text(args[1])
    if isinstance(value, str):
        parsed = parse_number(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    shown = render_number(number(value), {"type": "NUMBER", "pattern": pattern})
    return text(value) if shown is None else shown


def _today(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    if nodes:
        raise FormulaError("#N/A")
    return DateNumber(float(math.floor(_now_serial(ev))), "DATE")


def _now(ev: Evaluation, nodes: tuple[Node, ...]) -> Any:
    if nodes:
        raise FormulaError("#N/A")
    return DateNumber(_now_serial(ev), "DATE_TIME")


def _now_serial(ev: Evaluation) -> float:
    if ev.ctx.now is not None:
        return ev.ctx.now
    moment = dt.datetime.now()
    return (moment - dt.datetime(1899, 12, 30)).total_seconds() / 86400


DATE_FUNCTIONS: dict[str, Function] = {
    "DATE": _date,
    "TIME": _time,
    "DATEVALUE": arity(1, 1)(datevalue),
    "YEAR": _part(lambda m: m.year),
    "MONTH": _part(lambda m: m.month),
    "DAY": _part(lambda m: m.day),
    "HOUR": _part(lambda m: m.hour),
    "MINUTE": _part(lambda m: m.minute),
    "SECOND": _part(lambda m: m.second),
    "WEEKDAY": _weekday,
    "DATEDIF": _datedif,
    "NETWORKDAYS": _networkdays,
    "WORKDAY": _workday,
    "EDATE": _edate,
    "EOMONTH": _eomonth,
    "DAYS": _days,
    "TEXT": _text_function,
}

DATE_SPECIAL_FORMS = {"TODAY": _today, "NOW": _now}
