"""The content calendar (Content tab): flags for late or unapproved requests, and the posts they became.

Rules, from the order on departments' content requests:

- ``late_submission``: the request reached the cell less than 7 days before its Publish On. When Publish On
  is a date (the usual case) the rule counts calendar days in the corporation's time zone — submitted on the
  26th for the 3rd is exactly 7 days, not late; when it is a datetime the rule compares instants.
- ``unapproved``: Approved By is still empty 48 hours before publication, or later. A date-only Publish On
  means the start of that day (posts go out in the morning, so approval is due two days before that).

Neither flag is raised for a request whose Status is Published or Cancelled (nothing left to do), nor when the
dates it needs are missing. ``late_submission`` stops once the publish day has passed: by then it is history,
and a still-missing approval is what ``unapproved`` keeps reporting.

Post IDs format (the Content tab's "Post IDs" column): ids separated by commas (semicolons, spaces and new
lines also work), each either ``platform:id`` — platform one of facebook, instagram, youtube, x (aliases fb,
ig, yt, twitter) — or a bare platform id. A prefix that is not a known platform is not a prefix: the whole
token is the id (so a pasted URL is kept whole rather than split at "https:").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

FlagKind = Literal["late_submission", "unapproved"]

MIN_NOTICE = timedelta(days=7)
APPROVAL_DUE = timedelta(hours=48)
DONE_STATUSES = frozenset({"published", "cancelled", "canceled"})
PLATFORM_ALIASES = {
    "facebook": "facebook", "fb": "facebook",
    "instagram": "instagram", "ig": "instagram",
    "youtube": "youtube", "yt": "youtube",
    "x": "x", "twitter": "x",
}
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class ContentFlag:
    """One problem with one Content row; ``row`` is its 1-based sheet row."""

    row: int
    department: str
    title: str
    kind: FlagKind
    message: str


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def _aware(moment: datetime, tz: tzinfo) -> datetime:
    # A naive datetime from a sheet cell is wall-clock time in the corporation's zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def publish_start(publish_on: date | datetime, tz: tzinfo) -> datetime:
    """The moment a request is due to go out: the datetime itself, or the start of the day in ``tz``."""
    if isinstance(publish_on, datetime):
        return _aware(publish_on, tz)
    return datetime.combine(publish_on, time(0, 0), tzinfo=tz)


def _days(delta: timedelta) -> str:
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours = rest // 3600
    if days and hours:
        return f"{days} d {hours} h"
    return f"{days} d" if days else f"{hours} h"


def _publish_label(publish_on: date | datetime, tz: tzinfo) -> str:
    if isinstance(publish_on, datetime):
        return f"{_aware(publish_on, tz).astimezone(tz):%Y-%m-%d %H:%M}"
    return publish_on.isoformat()


def late_by(submitted: datetime, publish_on: date | datetime, tz: tzinfo) -> bool:
    """Whether a request submitted at ``submitted`` gave less than 7 days' notice for ``publish_on``."""
    submitted = _aware(submitted, tz)
    if isinstance(publish_on, datetime):
        return _aware(publish_on, tz) - submitted < MIN_NOTICE
    return (publish_on - submitted.astimezone(tz).date()).days < MIN_NOTICE.days


def content_flags(content_rows: Iterable[Mapping[str, Any]], now: datetime, tz: tzinfo) -> list[ContentFlag]:
    """Late and unapproved content requests, in sheet order (for one row: late first, then unapproved)."""
    flags: list[ContentFlag] = []
    today = now.astimezone(tz).date()
    for index, row in enumerate(content_rows, start=2):
        publish_on = row.get("Publish On")
        if not isinstance(publish_on, date) or _text(row, "Status").casefold() in DONE_STATUSES:
            continue
        number = int(row.get("_row") or index)
        department, title = _text(row, "Department"), _text(row, "Title")
        label = _publish_label(publish_on, tz)
        start = publish_start(publish_on, tz)
        publish_day = start.astimezone(tz).date()

        submitted = row.get("Submitted At")
        if isinstance(submitted, datetime) and publish_day >= today and late_by(submitted, publish_on, tz):
            notice = max(start - _aware(submitted, tz), timedelta(0))
            sent_on = f"{_aware(submitted, tz).astimezone(tz):%Y-%m-%d}"
            flags.append(ContentFlag(number, department, title, "late_submission",
                                     f"उशिरा सादर: {sent_on} रोजी, प्रकाशनाच्या ({label}) केवळ {_days(notice)} "
                                     "आधी; आदेशानुसार किमान ७ दिवस आधी सादर करणे आवश्यक. / "
                                     f"Submitted {sent_on}, only {_days(notice)} before publishing on {label}; "
                                     "the order asks for at least 7 days."))

        if not _text(row, "Approved By") and now >= start - APPROVAL_DUE:
            if now >= start:
                message = (f"मंजुरी नाही: प्रकाशनाची तारीख {label} आली तरी Approved By रिकामे आहे. / "
                           f"Publish date {label} has come and the request is still not approved "
                           "(Approved By is empty).")
            else:
                left = _days(start - now)
                message = (f"मंजुरी बाकी: प्रकाशन {label} रोजी ({left} नंतर), Approved By रिकामे आहे. / "
                           f"Publishes {label}, in {left}, and is not approved yet (Approved By is empty).")
            flags.append(ContentFlag(number, department, title, "unapproved", message))
    return flags


def flags_by_row(flags: Iterable[ContentFlag]) -> dict[int, str]:
    """Text for the Content tab's Flags column, per 1-based row (rows without flags are absent)."""
    cells: dict[int, list[str]] = {}
    for flag in flags:
        cells.setdefault(flag.row, []).append(flag.message)
    return {row: " ".join(messages) for row, messages in cells.items()}


def split_post_id(value: str) -> tuple[str, str]:
    """``"fb:123_456"`` → ``("facebook", "123_456")``; a bare id → ``("", id)``."""
    value = value.strip()
    prefix, sep, rest = value.partition(":")
    platform = PLATFORM_ALIASES.get(prefix.strip().lower())
    if sep and platform and rest.strip():
        return platform, rest.strip()
    return "", value


def published_posts(content_rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """``(Post ID, Department, Title)`` for every id in a filled Post IDs cell, in sheet order.

    Post ID is normalised to ``platform:id`` (canonical platform name) or left bare when no platform was
    given; ``split_post_id`` takes it apart for the Posts register. An id listed twice (in one row or in two)
    is reported once, for its first row: the register is keyed by Post ID.
    """
    posts: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for row in content_rows:
        for token in _SEPARATORS.split(_text(row, "Post IDs")):
            if not token:
                continue
            platform, post_id = split_post_id(token)
            key = f"{platform}:{post_id}" if platform else post_id
            if key not in seen:
                seen.add(key)
                posts.append((key, _text(row, "Department"), _text(row, "Title")))
    return posts
