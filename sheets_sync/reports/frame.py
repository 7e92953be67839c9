"""The figures' columns of every Tracker row as numpy arrays, and the figures of ``reports.metrics`` and
``reports.posts`` computed over them by group — pure, no I/O.

The Dashboard and the Posts tab sum every row of the Tracker whenever rows changed. Over row dicts that is one
Python step per test per row (about two seconds at 100,000 rows); over arrays it is a few vector operations per
figure. The definitions are not repeated here: ``tests/test_reports_frame.py`` holds every figure to the row
functions of ``reports.metrics`` (``summarize``, ``by_department``, ``by_platform``) and ``reports.posts``
(``post_figures``) over random rows, exactly — counts, and reply hours to the last bit (times are whole
microseconds, as ``datetime`` keeps them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ..tracker.cells import NO_TIME, microseconds
from ..vocabulary import OPEN_STATUSES, Overdue, Status
from .metrics import (
    DAY,
    PLATFORMS,
    UNROUTED,
    WINDOW_7D,
    WINDOW_30D,
    GroupMetrics,
    department_names,
    display_order,
    percentile,
)
from .posts import PostFigures

__all__ = ["RowFrame", "frame_by_department", "frame_by_platform", "frame_post_figures", "frame_summary"]

def _times(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    return np.fromiter(map(microseconds, values), dtype=np.int64, count=len(values))


def _texts(values: Sequence[Any]) -> list[str]:
    """Cells as stripped text ("" for anything not text), computed once per distinct value."""
    distinct = {v: (v.strip() if isinstance(v, str) else "") for v in set(values)}
    return [distinct[v] for v in values]


def coded(texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Stripped texts as codes (int32, one per row) and the distinct texts, in the order first seen."""
    code = {t: i for i, t in enumerate(dict.fromkeys(texts))}
    return np.fromiter(map(code.__getitem__, texts), dtype=np.int32, count=len(texts)), list(code)


@dataclass(frozen=True)
class RowFrame:
    """Rows as arrays: the status tests of ``reports.metrics`` per row, the two times, and the text columns
    the figures are grouped by (as stripped text, one per row)."""

    new: np.ndarray
    open: np.ndarray
    overdue: np.ndarray  # disjoint from ``escalated``, as in ``metrics.is_overdue``
    escalated: np.ndarray
    status_replied: np.ndarray
    received: np.ndarray  # int64 microseconds since 1970 UTC, or NO_TIME
    posted: np.ndarray
    # The columns figures are grouped by: per row an int32 code, and the stripped texts the codes stand for.
    groups: Mapping[str, tuple[np.ndarray, list[str]]]

    @classmethod
    def build(cls, status: Sequence[Any], overdue: Sequence[Any], received: Sequence[Any], posted: Sequence[Any],
              groups: Mapping[str, Sequence[Any]]) -> RowFrame:
        """From column lists of equal length: Status and Overdue as read (text), Received At and Reply Posted
        At as parsed (datetimes or anything else) or already as microseconds (``Table.micros``), and the
        grouping columns as read."""
        return cls.of_codes(*coded(_texts(status)), *coded(_texts(overdue)), _times(received), _times(posted),
                            {h: coded(_texts(v)) for h, v in groups.items()})

    @classmethod
    def of_codes(cls, status: np.ndarray, status_names: Sequence[str], flags: np.ndarray,
                 flag_names: Sequence[str], received: np.ndarray, posted: np.ndarray,
                 groups: Mapping[str, tuple[np.ndarray, list[str]]]) -> RowFrame:
        """From Status and Overdue as codes (``coded``: int per row, and the stripped texts they stand for),
        the two times as int64 microseconds, and the grouping columns coded the same way."""
        def where(test: Any) -> np.ndarray:
            chosen = np.array([test(s) for s in status_names] or [False], dtype=bool)
            return chosen[status] if len(status) else np.zeros(0, dtype=bool)

        def flagged(word: str) -> np.ndarray:
            chosen = np.array([f == word for f in flag_names] or [False], dtype=bool)
            return chosen[flags] if len(flags) else np.zeros(0, dtype=bool)

        is_open = where(lambda s: s in OPEN_STATUSES)
        escalated = is_open & (flagged(Overdue.ESCALATED) | where(lambda s: s == Status.ESCALATED))
        return cls(new=where(lambda s: s == Status.NEW), open=is_open,
                   overdue=is_open & ~escalated & flagged("Overdue"), escalated=escalated,
                   status_replied=where(lambda s: s == Status.REPLIED), received=received, posted=posted,
                   groups=dict(groups))

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]],
                  groups: Sequence[str] = ("Department", "Platform", "Post ID")) -> RowFrame:
        """From row dicts (typed values, as ``reports.metrics`` takes them)."""
        rows = list(rows)
        return cls.build(*([r.get(h) for r in rows] for h in ("Status", "Overdue", "Received At", "Reply Posted At")),
                         {h: [r.get(h) for r in rows] for h in groups})

    def __len__(self) -> int:
        return len(self.new)

    def grouped(self, column: str, label: Callable[[str], str] | None = None) -> tuple[_Grouped, list[str]]:
        """The rows grouped by ``column`` — by ``label`` of its text, when given (texts with one label are one
        group) — and the groups' names in code order. Worked out per distinct text, not per row."""
        codes, texts = self.groups[column]
        names = texts if label is None else [label(t) for t in texts]
        code: dict[str, int] = {}
        remap = np.fromiter((code.setdefault(n, len(code)) for n in names), dtype=np.int64, count=len(names))
        return _Grouped(remap[codes] if len(codes) else np.zeros(0, dtype=np.int64), len(code)), list(code)


@dataclass(frozen=True)
class _Grouped:
    """Rows split by a code per row: ``order`` sorts rows by code, ``bounds[g]:bounds[g + 1]`` is group g."""

    codes: np.ndarray
    n_groups: int

    def counts(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=mask, minlength=self.n_groups).astype(np.int64)

    def values_sorted(self, mask: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``values`` where ``mask``, sorted by group then value; and each group's bounds in that array."""
        codes = self.codes[mask]
        chosen = values[mask]
        order = np.lexsort((chosen, codes))
        codes, chosen = codes[order], chosen[order]
        return chosen, np.searchsorted(codes, np.arange(self.n_groups + 1))


def _median(ordered: list[float]) -> float | None:
    """``statistics.median`` of an already sorted list."""
    n = len(ordered)
    if not n:
        return None
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _figures(frame: RowFrame, grouped: _Grouped, now: datetime) -> list[dict[str, Any]]:
    """``metrics.summarize``'s figures for every group at once."""
    now_us = microseconds(now)
    day_ago, week_ago, month_ago = (microseconds(now - w) for w in (DAY, WINDOW_7D, WINDOW_30D))
    got, posted = frame.received, frame.posted
    got_ok, posted_ok = got != NO_TIME, posted != NO_TIME
    in_month = posted_ok & (posted > month_ago) & (posted <= now_us)
    timed = in_month & got_ok & (posted >= got)
    hours = np.zeros(len(frame), dtype=np.float64)
    hours[timed] = (posted[timed] - got[timed]) / 1e6 / 3600.0
    month_sorted, month_bounds = grouped.values_sorted(timed, hours)
    week_sorted, week_bounds = grouped.values_sorted(timed & (posted > week_ago), hours)
    columns = {"new": grouped.counts(frame.new), "open": grouped.counts(frame.open),
               "overdue": grouped.counts(frame.overdue), "escalated": grouped.counts(frame.escalated),
               "replied_24h": grouped.counts(in_month & (posted > day_ago)),
               "received_24h": grouped.counts(got_ok & (got > day_ago) & (got <= now_us))}
    out = []
    for g in range(grouped.n_groups):
        week = week_sorted[week_bounds[g]:week_bounds[g + 1]].tolist()
        month = month_sorted[month_bounds[g]:month_bounds[g + 1]].tolist()
        out.append({**{k: int(v[g]) for k, v in columns.items()},
                    "median_7d": _median(week), "p90_7d": percentile(week, 0.9),
                    "median_30d": _median(month), "p90_30d": percentile(month, 0.9)})
    return out


def frame_summary(frame: RowFrame, now: datetime, name: str = "Total") -> GroupMetrics:
    """``metrics.summarize`` over every row of ``frame``."""
    grouped = _Grouped(np.zeros(len(frame), dtype=np.int64), 1)
    return GroupMetrics(name=name, **_figures(frame, grouped, now)[0])


def frame_by_department(frame: RowFrame, departments: Iterable[Mapping[str, Any]], now: datetime,
                        column: str = "Department") -> list[GroupMetrics]:
    """``metrics.by_department`` over ``frame`` (its ``column`` group, the rows' Department text)."""
    departments = list(departments)
    canonical = {n.casefold(): n for n in department_names(departments)}
    grouped, found = frame.grouped(column, lambda t: canonical.get(t.casefold(), t) if t else UNROUTED)
    figures = dict(zip(found, _figures(frame, grouped, now), strict=True))
    listed = set(canonical)
    empty = {k: 0 for k in ("new", "open", "overdue", "escalated", "replied_24h", "received_24h")}
    return [GroupMetrics(name=n, listed=n.casefold() in listed, **figures.get(n, empty))
            for n in display_order(set(found), departments)]


def frame_by_platform(frame: RowFrame, now: datetime, column: str = "Platform") -> list[GroupMetrics]:
    """``metrics.by_platform`` over ``frame``: the four platforms always, then others alphabetically."""
    grouped, found = frame.grouped(column, lambda t: t.lower() or "(none)")
    figures = dict(zip(found, _figures(frame, grouped, now), strict=True))
    order = list(PLATFORMS) + sorted(n for n in found if n not in PLATFORMS)
    empty = {k: 0 for k in ("new", "open", "overdue", "escalated", "replied_24h", "received_24h")}
    return [GroupMetrics(name=n, **figures.get(n, empty)) for n in order]


def frame_post_figures(frame: RowFrame, column: str = "Post ID") -> dict[str, PostFigures]:
    """``reports.posts.post_figures`` over ``frame``: figures per Post ID; rows without one are left out."""
    grouped, found = frame.grouped(column)
    got, posted = frame.received, frame.posted
    timed = (got != NO_TIME) & (posted != NO_TIME) & (posted >= got)
    hours = np.zeros(len(frame), dtype=np.float64)
    hours[timed] = (posted[timed] - got[timed]) / 1e6 / 3600.0
    ordered, bounds = grouped.values_sorted(timed, hours)
    received = np.bincount(grouped.codes, minlength=grouped.n_groups)
    is_open = grouped.counts(frame.open)
    late = grouped.counts(frame.overdue | frame.escalated)
    replied = grouped.counts((posted != NO_TIME) | frame.status_replied)
    out = {}
    for g, post_id in enumerate(found):
        if not post_id:
            continue
        median = _median(ordered[bounds[g]:bounds[g + 1]].tolist())
        out[post_id] = PostFigures(received=int(received[g]), open=int(is_open[g]), overdue=int(late[g]),
                                   replied=int(replied[g]), median_hours=None if median is None else round(median, 1))
    return out
