"""Content-calendar flags and published posts: tables of cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from test_reports_data import IST

from sheets_sync.reports.content import (
    ContentFlag,
    content_flags,
    flags_by_row,
    published_posts,
    split_post_id,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=IST)


def content_row(row: int = 2, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Title": "Metro line 3 works", "Department": "Roads", "Type": "Project",
                            "Publish On": None, "Material Link": "", "Submitted At": None, "Approved By": "",
                            "Status": "Requested", "Post IDs": "", "_row": row}
    base.update({{"publish": "Publish On", "submitted": "Submitted At", "approved": "Approved By",
                  "post_ids": "Post IDs"}.get(k, k): v for k, v in values.items()})
    return base


def at(days: float, hour: int = 10) -> datetime:
    """``NOW``'s day plus ``days``, at ``hour`` IST."""
    return (NOW + timedelta(days=days)).replace(hour=hour, minute=0)


# (case, row values, expected kinds)
CASES = [
    ("on time, approved", dict(publish=date(2026, 12, 10), submitted=at(-1), approved="A. Patil"), []),
    ("exactly 7 calendar days", dict(publish=date(2026, 12, 3), submitted=at(0, 23), approved="X"), []),
    ("6 calendar days", dict(publish=date(2026, 12, 2), submitted=at(0, 9), approved="X"), ["late_submission"]),
    ("datetime, 6 d 23 h", dict(publish=at(7, 9), submitted=at(0, 10), approved="X"), ["late_submission"]),
    ("datetime, 7 d", dict(publish=at(7, 10), submitted=at(0, 10), approved="X"), []),
    ("no submission date", dict(publish=date(2026, 11, 27), approved="X"), []),
    ("unapproved, 3 days out", dict(publish=date(2026, 11, 29), submitted=at(-20)), []),
    ("unapproved, 47 h out", dict(publish=at(2, 9), submitted=at(-20)), ["unapproved"]),
    ("unapproved, date tomorrow", dict(publish=date(2026, 11, 27), submitted=at(-20)), ["unapproved"]),
    ("unapproved, date in 2 days (its start is 38 h away)", dict(publish=date(2026, 11, 28), submitted=at(-20)),
     ["unapproved"]),
    ("unapproved, publish day passed", dict(publish=date(2026, 11, 20), submitted=at(-20)), ["unapproved"]),
    ("late and unapproved", dict(publish=date(2026, 11, 27), submitted=at(-2)),
     ["late_submission", "unapproved"]),
    ("late but publish day passed", dict(publish=date(2026, 11, 20), submitted=at(-8), approved="X"), []),
    ("published", dict(publish=date(2026, 11, 27), submitted=at(-1), Status="Published"), []),
    ("cancelled", dict(publish=date(2026, 11, 27), submitted=at(-1), Status=" cancelled "), []),
    ("no publish date", dict(submitted=at(-1)), []),
    ("naive datetime read as IST", dict(publish=datetime(2026, 11, 28, 9, 0), submitted=at(-20)),
     ["unapproved"]),
    ("blank approver is unapproved", dict(publish=date(2026, 11, 27), submitted=at(-20), approved="  "),
     ["unapproved"]),
]


@pytest.mark.parametrize(("values", "kinds"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_content_flags(values: dict[str, Any], kinds: list[str]) -> None:
    flags = content_flags([content_row(5, **values)], NOW, IST)
    assert [f.kind for f in flags] == kinds
    for flag in flags:
        assert (flag.row, flag.department, flag.title) == (5, "Roads", "Metro line 3 works")
        assert flag.message


def test_flag_messages_and_flags_column() -> None:
    flags = content_flags([content_row(3, publish=date(2026, 11, 27), submitted=at(-2)),
                           content_row(4, publish=date(2026, 12, 20), submitted=at(-1), approved="X")], NOW, IST)
    assert "7 days" in flags[0].message and "2026-11-27" in flags[0].message
    assert "not approved" in flags[1].message
    # Bilingual, "Marathi / English", Marathi first.
    assert flags[0].message.startswith("उशिरा सादर") and "किमान ७ दिवस" in flags[0].message
    assert flags[1].message.startswith("मंजुरी") and " / Publish" in flags[1].message
    assert flags_by_row(flags) == {3: f"{flags[0].message} {flags[1].message}"}
    assert isinstance(flags[0], ContentFlag)


@pytest.mark.parametrize(("value", "expected"), [
    ("facebook:123_456", ("facebook", "123_456")),
    ("FB:123_456", ("facebook", "123_456")),
    ("ig:17890000", ("instagram", "17890000")),
    ("twitter:1790000000000000000", ("x", "1790000000000000000")),
    ("yt:dQw4w9WgXcQ", ("youtube", "dQw4w9WgXcQ")),
    ("123_456", ("", "123_456")),
    ("https://fb.com/123", ("", "https://fb.com/123")),   # not a platform prefix: kept whole
    ("facebook:", ("", "facebook:")),
])
def test_split_post_id(value: str, expected: tuple[str, str]) -> None:
    assert split_post_id(value) == expected


def test_published_posts() -> None:
    rows = [
        content_row(2, post_ids=""),
        content_row(3, Title="Water cut notice", Department="Water Supply",
                    post_ids="facebook:111_222, ig:333;\n yt:abc-_9  444"),
        content_row(4, Title="Repeat", Department="Roads", post_ids="fb:111_222, x:555, x:555"),
    ]
    assert published_posts(rows) == [
        ("facebook:111_222", "Water Supply", "Water cut notice"),
        ("instagram:333", "Water Supply", "Water cut notice"),
        ("youtube:abc-_9", "Water Supply", "Water cut notice"),
        ("444", "Water Supply", "Water cut notice"),
        ("x:555", "Roads", "Repeat"),
    ]
