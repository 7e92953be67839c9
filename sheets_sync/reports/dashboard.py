"""The Dashboard tab: its cell grid and its chart request — pure; the tracker layer writes them.

Layout (0-based row indexes, as the Sheets API's GridRange counts them)::

    0                 Dashboard — Updated 2026-11-26 18:30 IST
    1  (HEADER_ROW)   विभाग / Department | प्रलंबित / Open | मुदतबाह्य / Overdue | ... (headers "Marathi / English")
    2 .. 1+D          one row per department (metrics.by_department order)
    2+D               Total
    3+D               (blank)
    4+D               माध्यम / Platform | प्रलंबित / Open | मुदतबाह्य / Overdue | ...
    5+D .. 8+D+P      one row per platform, then Total
    then              (blank), Last successful cycle | time, Last error | time — what failed (when given)

Every row is padded to the same width with "" so that writing the grid over last cycle's also blanks cells
that are no longer used within those columns (the caller should still clear rows below the grid when the
number of departments shrinks). Counts are ints; hours are floats rounded to one decimal, or "—".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from .frame import RowFrame, frame_by_department, frame_by_platform, frame_summary
from .metrics import DASH, GroupMetrics

Cell = str | int | float

TITLE = "Dashboard"
HEADER_ROW = 1  # 0-based index of the department block's header row; pass it to dashboard_chart_spec
# Headers "Marathi / English", the terms of the digest (मध्यगा = median, मुदतबाह्य = overdue). The chart and
# jobs/dashboard.py read columns by position, not by these texts.
OVERDUE_LABEL = "मुदतबाह्य / Overdue"
METRIC_COLUMNS = ["प्रलंबित / Open", OVERDUE_LABEL, "वरिष्ठांकडे वर्ग / Escalated", "उत्तरे (२४ तास) / Replied (24 h)",
                  "मध्यगा तास (७ दिवस) / Median reply h (7 d)", "P90 तास (७ दिवस) / P90 reply h (7 d)",
                  "मध्यगा तास (३० दिवस) / Median reply h (30 d)", "P90 तास (३० दिवस) / P90 reply h (30 d)"]
DEPARTMENT_HEADER = ["विभाग / Department", *METRIC_COLUMNS]
PLATFORM_HEADER = ["माध्यम / Platform", *METRIC_COLUMNS]
WIDTH = len(DEPARTMENT_HEADER)
OVERDUE_COLUMN = DEPARTMENT_HEADER.index(OVERDUE_LABEL)
CHART_COLUMN = WIDTH + 1  # one empty column between the table and the chart


def _hours(value: float | None) -> Cell:
    return DASH if value is None else round(value, 1)


def metrics_row(m: GroupMetrics) -> list[Cell]:
    """One table row: the group's name, then the figures in ``METRIC_COLUMNS`` order."""
    return [m.name, m.open, m.overdue, m.escalated, m.replied_24h,
            _hours(m.median_7d), _hours(m.p90_7d), _hours(m.median_30d), _hours(m.p90_30d)]


def _pad(row: list[Cell]) -> list[Cell]:
    return row + [""] * (WIDTH - len(row))


def dashboard_grid(rows: RowFrame | Iterable[Mapping[str, Any]], departments: Iterable[Mapping[str, Any]],
                   now: datetime, tz: tzinfo, health: Mapping[str, str] | None = None,
                   posts_block: Iterable[list[Cell]] = ()) -> list[list[Cell]]:
    """The Dashboard tab's values from A1: title, the department block with Total, a blank row, the platform
    block with Total, and — given ``health`` (``last_ok``, ``last_error``, ``last_error_at``, ISO times) — the
    runner's last successful cycle and last error. ``now`` must be tz-aware; it is shown in ``tz``. ``posts_block``
    (``reports.posts.dashboard_block``) goes after the platform block, before the runner's lines."""
    frame = rows if isinstance(rows, RowFrame) else RowFrame.from_rows(rows, ("Department", "Platform"))
    local = now.astimezone(tz)
    grid: list[list[Cell]] = [_pad([f"{TITLE} — Updated {local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()])]
    total = metrics_row(frame_summary(frame, now))
    grid.append(list(DEPARTMENT_HEADER))
    grid.extend(metrics_row(m) for m in frame_by_department(frame, departments, now))
    grid.append(total)
    grid.append(_pad([]))
    grid.append(list(PLATFORM_HEADER))
    grid.extend(metrics_row(m) for m in frame_by_platform(frame, now))
    grid.append(list(total))
    for i, line in enumerate(posts_block):
        grid.extend([_pad([])] if i == 0 else [])
        grid.append(_pad(list(line)))
    if health is not None:
        grid.append(_pad([]))
        grid.append(_pad(["Last successful cycle", _when(health.get("last_ok"), tz) or "none yet"]))
        error = health.get("last_error") or ""
        grid.append(_pad(["Last error", f"{_when(health.get('last_error_at'), tz)} — {error}" if error else "none"]))
    return grid


def _when(iso: str | None, tz: tzinfo) -> str:
    """An ISO time as the Dashboard shows times ("" when absent or unreadable)."""
    try:
        moment = datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return ""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def dashboard_chart_spec(sheet_id: int, first_row: int, n_departments: int, *,
                         chart_id: int | None = None) -> dict[str, Any]:
    """The ``addChart`` request (one item of a ``spreadsheets.batchUpdate`` ``requests`` list): a column chart
    of Overdue by department drawn from the Dashboard tab's first block.

    ``sheet_id`` is the Dashboard tab's numeric id; ``first_row`` the 0-based index of the block's header row
    (``HEADER_ROW`` for ``dashboard_grid``'s layout); ``n_departments`` the number of department rows (the
    Total row is left out: it would dwarf every bar). Give ``chart_id`` to be able to delete or update the
    chart later by id (e.g. when the number of departments changes).
    """
    if n_departments < 0 or first_row < 0:
        raise ValueError("first_row and n_departments must not be negative")

    def column(index: int) -> dict[str, Any]:
        return {"sourceRange": {"sources": [{
            "sheetId": sheet_id,
            "startRowIndex": first_row,
            "endRowIndex": first_row + 1 + n_departments,  # header + departments; end is exclusive
            "startColumnIndex": index,
            "endColumnIndex": index + 1,
        }]}}

    chart: dict[str, Any] = {
        "spec": {
            "title": "विभागनिहाय मुदतबाह्य प्रतिक्रिया / Overdue by department",
            "basicChart": {
                "chartType": "COLUMN",
                "legendPosition": "NO_LEGEND",
                "axis": [
                    {"position": "BOTTOM_AXIS", "title": DEPARTMENT_HEADER[0]},
                    {"position": "LEFT_AXIS", "title": OVERDUE_LABEL},
                ],
                "domains": [{"domain": column(0)}],
                "series": [{"series": column(OVERDUE_COLUMN), "targetAxis": "LEFT_AXIS"}],
                "headerCount": 1,
            },
        },
        "position": {"overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": first_row, "columnIndex": CHART_COLUMN},
            "widthPixels": 640,
            "heightPixels": 360,
        }},
    }
    if chart_id is not None:
        chart["chartId"] = chart_id
    return {"addChart": {"chart": chart}}
