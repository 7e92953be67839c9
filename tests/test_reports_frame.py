"""The array figures (``reports.frame``, what the Dashboard and the Posts tab use) equal the row figures of
``reports.metrics`` and ``reports.posts`` exactly, on random rows with every awkward value a sheet holds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sheets_sync.reports import metrics as m
from sheets_sync.reports.frame import (
    RowFrame,
    frame_by_department,
    frame_by_platform,
    frame_post_figures,
    frame_summary,
)
from sheets_sync.reports.posts import post_figures

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DEPARTMENTS = [{"Department": "Roads", "Active": True}, {"Department": "Water Supply", "Active": True},
               {"Department": "Garden", "Active": False}, {"Department": "Health", "Active": "FALSE"},
               {"Department": "Drainage"}]


def random_rows(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    statuses = ["New", "Assigned", "Escalated", "Replied", "Closed", " Assigned ", "", None, 3, "replied"]
    flags = ["", "Overdue", "Escalated", " Overdue", None, True, "overdue"]
    departments = ["Roads", " roads ", "WATER SUPPLY", "Garden", "Traffic", "traffic", "", None, "Zoo"]
    platforms = ["facebook", "Facebook", "instagram", "youtube", "x", "X ", "", None, "whatsapp"]
    posts = ["p1", "p2", " p2 ", "p3", "", None, "p4"]

    def moment() -> Any:
        choice = rng.random()
        if choice < 0.15:
            return rng.choice(["", None, "yesterday", 45000.5])
        return NOW - timedelta(hours=rng.uniform(-5, 24 * 40))

    return [{"Status": rng.choice(statuses), "Overdue": rng.choice(flags), "Received At": moment(),
             "Reply Posted At": moment(), "Department": rng.choice(departments), "Platform": rng.choice(platforms),
             "Post ID": rng.choice(posts)} for _ in range(n)]


@pytest.mark.parametrize("seed", range(8))
def test_frame_figures_equal_the_row_figures(seed: int) -> None:
    rows = random_rows(seed, 2500)
    frame = RowFrame.from_rows(rows)
    assert frame_summary(frame, NOW) == m.summarize(rows, NOW)
    assert frame_by_department(frame, DEPARTMENTS, NOW) == m.by_department(rows, DEPARTMENTS, NOW)
    assert frame_by_platform(frame, NOW) == m.by_platform(rows, NOW)
    assert frame_post_figures(frame) == post_figures(rows)


def test_the_random_rows_reach_every_figure() -> None:
    """The comparison above is worth something only if the rows give non-zero figures of every kind."""
    rows = random_rows(0, 2500)
    total = m.summarize(rows, NOW)
    assert min(total.new, total.open, total.overdue, total.escalated, total.replied_24h, total.received_24h) > 0
    assert total.median_7d is not None and total.p90_30d is not None
    names = [g.name for g in m.by_department(rows, DEPARTMENTS, NOW)]
    assert m.UNROUTED in names and "Traffic" in names and "Garden" in names and "Health" not in names


def test_empty_and_single_rows() -> None:
    for rows in ([], [{"Status": "New"}], [{"Status": "Replied", "Received At": NOW - timedelta(hours=3),
                                            "Reply Posted At": NOW - timedelta(hours=1), "Post ID": "p"}],
                 # a reply in the same second as the comment: 0 hours, counted
                 [{"Status": "Closed", "Received At": NOW - timedelta(hours=2), "Reply Posted At": NOW - timedelta(hours=2),
                   "Post ID": "p"}, {"Status": "Closed", "Received At": NOW - timedelta(hours=9),
                                     "Reply Posted At": NOW - timedelta(hours=1), "Post ID": "p"}]):
        frame = RowFrame.from_rows(rows)
        assert frame_summary(frame, NOW) == m.summarize(rows, NOW)
        assert frame_by_department(frame, DEPARTMENTS, NOW) == m.by_department(rows, DEPARTMENTS, NOW)
        assert frame_by_platform(frame, NOW) == m.by_platform(rows, NOW)
        assert frame_post_figures(frame) == post_figures(rows)
