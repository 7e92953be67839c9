"""``sheets-sync init``: create or upgrade the Tracker Sheet's tabs, idempotently.

It compares what the sheet has with ``sheet_schema.yaml`` and sends one ``batchUpdate`` with only what is
missing: a second run sends no write at all. Extra columns, reordered columns and existing data are kept; a
missing required column is added after the last one; a person's column widths are left alone (widths are set
only on columns ``init`` creates).

Headers are written only into row 1, and only when row 1 is empty or already holds headers. A tab whose row 1 holds
other text (a title a person typed above the headers) is refused: nothing is written to it, the other tabs are
still laid out, and ``run_init`` then raises ``InitRefused`` naming each refused tab, its header row and the fix.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml

from ..errors import SchemaError
from ..schema import Column, Schema, Tab
from ..vocabulary import FINISHED_STATUSES, URGENT, Status
from .cells import as_text, to_cell_data
from .changes import STATE_TAB
from .table import column_letter, quote_title, trim_header

if TYPE_CHECKING:
    from .store import TrackerStore

log = logging.getLogger(__name__)

DATETIME_PATTERN = "yyyy-mm-dd hh:mm"
DATE_PATTERN = "yyyy-mm-dd"
# The Dashboard chart's id: stable, so the dashboard job can re-aim it when the departments change.
DASHBOARD_CHART_ID = 7_300_001
MIN_ROWS = {"Tracker": 2000, "Audit": 1000, "Dashboard": 60}
RED, AMBER, GREEN = (
    {"red": 0.96, "green": 0.8, "blue": 0.8},
    {"red": 1.0, "green": 0.9, "blue": 0.6},
    {"red": 0.85, "green": 0.94, "blue": 0.83},
)
# Urgent rows: a colour of their own (deep orange, white text would not carry over an export), first in the list.
URGENT_ORANGE = {"red": 1.0, "green": 0.6, "blue": 0.4}
META_FIELDS = ("properties(title,timeZone),sheets(properties,protectedRanges(protectedRangeId,description),"
               "conditionalFormats,filterViews(filterViewId,title,sortSpecs),charts(chartId))")
GRID_FIELDS = "sheets(properties(title),data(rowData(values(note,dataValidation))))"
# How many rows from the top ``init`` looks through for a header row that a title row pushed down.
HEADER_SEARCH_ROWS = 5
SCHEMA_VERSION_KEY = "schema_version"


@dataclass
class InitReport:
    """What ``init`` found and did."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    spreadsheet_id: str | None = None
    # Tabs left untouched because their header row is not row 1: one message each, naming the row and the fix.
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether ``init`` had anything to write."""
        return bool(self.requests)

    def add(self, request: dict[str, Any], action: str | None = None) -> None:
        """Queue one request for the batch, and the sentence that says what it does (if any)."""
        self.requests.append(request)
        if action is not None:
            self.actions.append(action)


class InitRefused(SchemaError):
    """``init`` left one or more tabs untouched (see ``report.problems``); the other tabs were laid out."""

    def __init__(self, report: InitReport) -> None:
        super().__init__("\n".join(report.problems))
        self.report = report


def stable_sheet_id(title: str) -> int:
    """A sheetId for a tab ``init`` creates: derived from the title, so requests in the same batch can name it."""
    return zlib.crc32(title.encode("utf-8")) % 2_000_000_000 + 1


def _validation_for(tab: Tab, header: str) -> dict[str, Any] | None:
    col = tab.column(header)
    if col.type == "checkbox":
        return {"condition": {"type": "BOOLEAN"}}
    if col.type != "enum":
        return None
    if col.values_from:
        return {"condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=" + col.values_from}]},
                "showCustomUi": True, "strict": False}
    values = [v for v in col.values if v]
    return {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]},
            "showCustomUi": True, "strict": False}


def _same_validation(current: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    if not current:
        return False
    cond, want = current.get("condition", {}), wanted["condition"]
    return (cond.get("type") == want["type"]
            and [v.get("userEnteredValue") for v in cond.get("values", [])]
            == [v.get("userEnteredValue") for v in want.get("values", [])])


@dataclass
class _Sheet:
    """One schema tab as the plan sees it: the sheet's id and grid, and what the sheet already has."""

    title: str
    tab: Tab
    sheet_id: int
    grid: dict[str, Any]  # gridProperties: rowCount, columnCount, frozenRowCount
    existing: dict[str, Any] | None  # the tab in spreadsheets.get (META_FIELDS); None when this batch adds it

    @property
    def created(self) -> bool:
        """Whether this batch adds the tab."""
        return self.existing is None


def plan_init(schema: Schema, meta: dict[str, Any], headers: dict[str, list[str]], grids: dict[str, dict[str, Any]],
              tab_rows: dict[str, int], departments: list[str], seeds: dict[str, list[list[Any]]],
              tz: ZoneInfo, top_rows: dict[str, list[list[str]]] | None = None,
              department_rows: list[list[str]] | None = None,
              marathi_renames: dict[tuple[str, str], str] | None = None) -> InitReport:
    """What ``init`` must send, from what the sheet has. Pure.

    ``meta``: spreadsheets.get with META_FIELDS. ``headers``: each existing tab's row 1. ``grids``: title →
    the GridData of rows 1–2 (notes, validation). ``tab_rows``: non-empty row count per tab (for seeding).
    ``departments``: names for the filter views. ``seeds``: rows to add to an empty tab. ``top_rows``: each
    existing tab's first HEADER_SEARCH_ROWS rows (row 1 alone when not given), to find a header row pushed down.
    A tab whose row 1 is not its header row gets no request at all, and a message in ``report.problems``.
    ``department_rows``: the existing Departments tab's rows (row 1 included), as text; ``marathi_renames``:
    (Department, old default Marathi Name) → the current default (``previous_marathi_names``). A Marathi Name
    that still reads an old default is set to the current one; any other text is left as it is.
    """
    report = InitReport()
    sheets = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
    if meta.get("properties", {}).get("timeZone") != tz.key:
        report.add({"updateSpreadsheetProperties": {"properties": {"timeZone": tz.key}, "fields": "timeZone"}},
                   f"time zone set to {tz.key}")
    for index, (title, tab) in enumerate(schema.tabs.items()):
        if title in sheets and tab.columns:
            top = (top_rows or {}).get(title) or [headers.get(title, [])]
            problem = header_row_problem(title, tab, top)
            if problem is not None:
                report.problems.append(problem)
                continue
        sheet = _plan_sheet(report, index, title, tab, sheets)
        if title == "Dashboard" and not (sheet.existing or {}).get("charts"):
            _plan_dashboard_chart(report, sheet.sheet_id, len(departments))
        if not tab.columns:
            continue
        positions = _plan_header(report, sheet, headers.get(title, []), grids.get(title), tz)
        _plan_protection(report, sheet, positions)
        _plan_tab_extras(report, sheet, positions, departments)
        _plan_rows(report, sheet, positions, trim_header(headers.get(title, [])), tab_rows.get(title, 0),
                   seeds.get(title) or [], tz, department_rows, marathi_renames)
    return report


def _plan_rows(report: InitReport, sheet: _Sheet, positions: dict[str, int], header: list[str], n_rows: int,
               seeds: list[Any], tz: ZoneInfo, department_rows: list[list[str]] | None,
               marathi_renames: dict[tuple[str, str], str] | None) -> None:
    """Rows init adds to a tab: the seeds of an empty tab; for an existing one what an upgrade brings (the
    Routing tab's default urgent cues, the Departments tab's renamed default Marathi names)."""
    if n_rows == 0 and seeds:
        _plan_seed(report, sheet, seeds, tz)
    elif sheet.title == "Routing" and "Priority" not in header:
        _plan_urgent_rules(report, sheet, positions, seeds, tz)
    elif sheet.title == "Departments" and not sheet.created and department_rows and marathi_renames:
        _plan_marathi_names(report, sheet, header, department_rows[1:], marathi_renames, tz)


def _plan_tab_extras(report: InitReport, sheet: _Sheet, positions: dict[str, int], departments: list[str]) -> None:
    """What only some tabs have: the Tracker's filter views per department, the Content tab's highlighting."""
    if sheet.title == "Tracker":
        _plan_tracker_views(report, sheet.existing, sheet.sheet_id, positions, departments)
    if sheet.title == "Content":
        _plan_content_format(report, sheet.existing, sheet.sheet_id, positions)


def _matches(tab: Tab, row: list[str]) -> int:
    """How many cells of ``row`` (trimmed text) hold one of the tab's headers."""
    wanted = set(tab.headers)
    return sum(1 for cell in row if cell in wanted)


def find_header_row(tab: Tab, top: list[list[str]]) -> int | None:
    """The 0-based index, among the tab's first rows ``top``, of its header row; None when none is found.

    Row 1 is the header row when any of its cells is a header of the tab (``init`` adds the missing ones). A row
    below must hold at least two of them (all of them, for a one-column tab), so that a data cell that happens to
    read like a header ("Department" in Routing's data) is not taken for one.
    """
    rows = [trim_header(r) for r in top[:HEADER_SEARCH_ROWS]]
    if rows and _matches(tab, rows[0]):
        return 0
    needed = min(2, len(tab.headers))
    for i, row in enumerate(rows[1:], start=1):
        if _matches(tab, row) >= needed:
            return i
    return None


def _shown(row: list[str], limit: int = 60) -> str:
    """A row's text as a message quotes it: its non-empty cells, cut to ``limit`` characters."""
    text = " | ".join(c for c in row if c)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def header_row_problem(title: str, tab: Tab, top: list[list[str]]) -> str | None:
    """Why ``init`` must not write this tab's headers into row 1, with the fix; None when it may.

    ``top``: the tab's first rows as read. Row 1 empty with no header row below, or row 1 holding headers (some
    or all): None. Otherwise the tab's headers are further down or nowhere, and writing row 1 would misalign
    every column, or overwrite a person's text.
    """
    rows = [trim_header(r) for r in top[:HEADER_SEARCH_ROWS]]
    first = rows[0] if rows else []
    found = find_header_row(tab, rows)
    if found == 0 or (found is None and not first):
        return None
    holds = f"row 1 holds {_shown(first)}" if first else "row 1 is empty"
    if found is not None:
        above = "row 1" if found == 1 else f"rows 1–{found}"
        keep = " (or move that title to a cell comment or another tab)" if first else ""
        return (f"{title}: the header row is row {found + 1} ({holds}). The tool reads headers from row 1: delete "
                f"{above}{keep}, then run `sheets-sync init` again.")
    names = ", ".join(repr(h) for h in tab.headers[:2])
    return (f"{title}: {holds}, not the column headers (no cell in rows 1–{HEADER_SEARCH_ROWS} reads {names} or "
            f"another {title} header). The tool reads headers from row 1: insert an empty row 1 above it (to keep "
            "that text) or clear row 1, then run `sheets-sync init` again to write the headers there.")


def _plan_sheet(report: InitReport, index: int, title: str, tab: Tab, sheets: dict[str, dict[str, Any]]) -> _Sheet:
    """Add the tab when it is missing, else freeze its header row and hide it as the schema says."""
    existing = sheets.get(title)
    if existing is None:
        return _plan_new_sheet(report, index, title, tab, sheets)
    props = existing["properties"]
    sheet = _Sheet(title, tab, props["sheetId"], props.get("gridProperties", {}), existing)
    wanted_frozen = 1 if tab.columns else 0
    if tab.columns and sheet.grid.get("frozenRowCount", 0) != wanted_frozen:
        report.add({"updateSheetProperties": {"properties": {"sheetId": sheet.sheet_id, "gridProperties": {
            "frozenRowCount": wanted_frozen}}, "fields": "gridProperties.frozenRowCount"}},
            f"{title}: header row frozen")
    if tab.hidden and not props.get("hidden"):
        report.add({"updateSheetProperties": {"properties": {"sheetId": sheet.sheet_id, "hidden": True},
                                              "fields": "hidden"}}, f"{title}: hidden")
    return sheet


def _plan_new_sheet(report: InitReport, index: int, title: str, tab: Tab, sheets: dict[str, dict[str, Any]]
                    ) -> _Sheet:
    """``addSheet`` with a sheetId derived from the title (the next free one if another tab has it)."""
    sheet_id = stable_sheet_id(title)
    taken = {s["properties"]["sheetId"] for s in sheets.values()}
    while sheet_id in taken:
        sheet_id += 1
    props: dict[str, Any] = {"sheetId": sheet_id, "title": title, "index": index,
                             "gridProperties": {"rowCount": MIN_ROWS.get(title, 200),
                                                "columnCount": max(len(tab.columns), 12),
                                                "frozenRowCount": 1 if tab.columns else 0}}
    if tab.hidden:
        props["hidden"] = True
    report.add({"addSheet": {"properties": props}}, f"tab {title} created")
    return _Sheet(title, tab, sheet_id, props["gridProperties"], None)


def _plan_dashboard_chart(report: InitReport, sheet_id: int, departments: int) -> None:
    from ..reports.dashboard import HEADER_ROW, dashboard_chart_spec

    report.add(dashboard_chart_spec(sheet_id, HEADER_ROW, departments, chart_id=DASHBOARD_CHART_ID),
               "Dashboard: chart of overdue items by department")


def _grid_row(grid: dict[str, Any] | None, row: int) -> list[dict[str, Any]]:
    """The cells of row ``row`` (0-based) of a tab's GridData, [] when the grid has no such row."""
    rows = (grid or {}).get("rowData") or []
    return rows[row].get("values", []) if len(rows) > row else []


def _plan_header(report: InitReport, sheet: _Sheet, header_row: list[str], grid: dict[str, Any] | None,
                 tz: ZoneInfo) -> dict[str, int]:
    """Header cells: keep what is there, add the missing required ones after the last header; keep each column's
    note and dropdown/checkbox as the schema says. Returns header → column index (the new columns included)."""
    header = trim_header(header_row)
    present = set(header)
    positions: dict[str, int] = {h: i for i, h in enumerate(header) if h}
    new_cols = [c for c in sheet.tab.columns if c.header not in present]
    width_needed = len(header) + len(new_cols)
    if width_needed > sheet.grid.get("columnCount", 26):
        report.add({"appendDimension": {"sheetId": sheet.sheet_id, "dimension": "COLUMNS",
                                        "length": width_needed - sheet.grid.get("columnCount", 26)}})
    for offset, col in enumerate(new_cols):
        positions[col.header] = len(header) + offset
    notes_row = [] if sheet.created else _grid_row(grid, 0)
    row2_values = [] if sheet.created else _grid_row(grid, 1)
    for col in sheet.tab.columns:
        i = positions[col.header]
        is_new = col.header not in present
        if is_new:
            _plan_new_column(report, sheet, col, i, tz)
        else:
            _plan_note(report, sheet, col, i, notes_row)
        _plan_validation(report, sheet, col, i, is_new, row2_values)
    return positions


def _column_range(sheet_id: int, i: int, **rows: int) -> dict[str, Any]:
    return {"sheetId": sheet_id, **rows, "startColumnIndex": i, "endColumnIndex": i + 1}


def _plan_new_column(report: InitReport, sheet: _Sheet, col: Column, i: int, tz: ZoneInfo) -> None:
    """A new column at index ``i``: bold header with its note, its width, and a date format when it holds dates."""
    cell = to_cell_data(col.header, tz)
    cell["note"] = col.description
    cell["userEnteredFormat"] = {"textFormat": {"bold": True}}
    report.add({"updateCells": {
        "range": _column_range(sheet.sheet_id, i, startRowIndex=0, endRowIndex=1),
        "rows": [{"values": [cell]}], "fields": "userEnteredValue,note,userEnteredFormat.textFormat.bold"}})
    report.add({"updateDimensionProperties": {
        "range": {"sheetId": sheet.sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1},
        "properties": {"pixelSize": col.width}, "fields": "pixelSize"}})
    if col.type in ("datetime", "date"):
        pattern = DATETIME_PATTERN if col.type == "datetime" else DATE_PATTERN
        report.add({"repeatCell": {
            "range": _column_range(sheet.sheet_id, i, startRowIndex=1),
            "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME", "pattern": pattern}}},
            "fields": "userEnteredFormat.numberFormat"}})
    report.actions.append(f"{sheet.title}: column {col.header!r} added at {column_letter(i)}")


def _plan_note(report: InitReport, sheet: _Sheet, col: Column, i: int, notes_row: list[dict[str, Any]]) -> None:
    """Set an existing header's note to the schema's description when it differs."""
    note_now = notes_row[i].get("note", "") if i < len(notes_row) else ""
    if note_now != col.description:
        report.add({"updateCells": {
            "range": _column_range(sheet.sheet_id, i, startRowIndex=0, endRowIndex=1),
            "rows": [{"values": [{"note": col.description}]}], "fields": "note"}},
            f"{sheet.title}: note on {col.header!r} updated")


def _plan_validation(report: InitReport, sheet: _Sheet, col: Column, i: int, is_new: bool,
                     row2_values: list[dict[str, Any]]) -> None:
    """The column's dropdown or checkbox, on a new column or when row 2 has another one (or none)."""
    wanted = _validation_for(sheet.tab, col.header)
    current = row2_values[i].get("dataValidation") if i < len(row2_values) else None
    if wanted and (is_new or not _same_validation(current, wanted)):
        report.add({"setDataValidation": {
            "range": _column_range(sheet.sheet_id, i, startRowIndex=1, endRowIndex=sheet.grid.get("rowCount", 1000)),
            "rule": wanted}}, f"{sheet.title}: dropdown/checkbox on {col.header!r}")


def _plan_protection(report: InitReport, sheet: _Sheet, positions: dict[str, int]) -> None:
    """A warning-only protected range on each column the tool writes (every column of ``_state``)."""
    existing_protected = {p.get("description") for p in (sheet.existing or {}).get("protectedRanges", [])}
    for col in sheet.tab.columns:
        if col.owner != "job" and not (sheet.tab.title == STATE_TAB):
            continue
        description = f"sheets-sync: {sheet.title} / {col.header} (written by the tool)"
        if description in existing_protected:
            continue
        i = positions[col.header]
        report.add({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": sheet.sheet_id, "startColumnIndex": i, "endColumnIndex": i + 1},
            "description": description, "warningOnly": True}}},
            f"{sheet.title}: {col.header!r} protected (warning only)")


def _plan_seed(report: InitReport, sheet: _Sheet, seeds: list[Any], tz: ZoneInfo) -> None:
    """Default rows for an empty tab (a seed row is a list of values or a mapping header → value)."""
    rows = [[row.get(h, "") for h in sheet.tab.headers] if isinstance(row, dict) else row for row in seeds]
    report.add({"appendCells": {"sheetId": sheet.sheet_id, "fields": "userEnteredValue",
                                "rows": [{"values": [to_cell_data(v, tz) for v in r]} for r in rows]}},
               f"{sheet.title}: seeded with {len(rows)} default rows")


def _plan_urgent_rules(report: InitReport, sheet: _Sheet, positions: dict[str, int], seeds: list[Any],
                       tz: ZoneInfo) -> None:
    """A Routing tab from before Priority existed gets the default urgent cues appended below the cell's own
    rules (each value in its column, wherever people moved the columns); the rules people wrote are untouched."""
    urgent = [row for row in seeds if isinstance(row, dict) and row.get("Priority") == URGENT]
    if not urgent:
        return
    width = max(positions.values()) + 1
    rows = []
    for row in urgent:
        values: list[Any] = [""] * width
        for header, i in positions.items():
            values[i] = row.get(header, "")
        rows.append({"values": [to_cell_data(v, tz) for v in values]})
    report.add({"appendCells": {"sheetId": sheet.sheet_id, "fields": "userEnteredValue", "rows": rows}},
               f"{sheet.title}: {len(rows)} default urgent rules added after the existing rules")


def previous_marathi_names() -> dict[tuple[str, str], str]:
    """(Department, a Marathi Name an earlier release seeded) → the Marathi Name departments.yaml seeds now.

    The old texts live in departments.yaml's ``previous_marathi_names``, next to the defaults, so a rename and
    the text it replaces are one edit; ``init`` uses them to bring sheets seeded by an earlier release up to
    date without touching a name a person typed.
    """
    text = resources.files("sheets_sync.routing.defaults").joinpath("departments.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    current = {str(row["Department"]): str(row["Marathi Name"]) for row in data["departments"]}
    renames: dict[tuple[str, str], str] = {}
    for department, olds in (data.get("previous_marathi_names") or {}).items():
        new = current.get(str(department))
        for old in olds if new is not None else ():  # a department no longer shipped: nothing to rename to
            if str(old) != new:
                renames[(str(department), str(old))] = new
    return renames


def _plan_marathi_names(report: InitReport, sheet: _Sheet, header: list[str], rows: list[list[str]],
                        renames: dict[tuple[str, str], str], tz: ZoneInfo) -> None:
    """Set each Marathi Name that still reads exactly its Department's old default to the current default."""
    if "Department" not in header or "Marathi Name" not in header:
        return
    dept_col, name_col = header.index("Department"), header.index("Marathi Name")
    for offset, row in enumerate(rows, start=1):
        department = row[dept_col].strip() if len(row) > dept_col else ""
        name = row[name_col] if len(row) > name_col else ""
        new = renames.get((department, name))
        if new is None:
            continue
        report.add({"updateCells": {
            "range": _column_range(sheet.sheet_id, name_col, startRowIndex=offset, endRowIndex=offset + 1),
            "rows": [{"values": [to_cell_data(new, tz)]}], "fields": "userEnteredValue"}},
            f"Departments: Marathi Name of {department} {name!r} → {new!r} (the corporation's name)")


def _formula_rules(positions: dict[str, int]) -> list[tuple[str, dict[str, float]]]:
    due, status, overdue = (column_letter(positions[h]) for h in ("Due By", "Status", "Overdue"))
    not_finished = ",".join(f'${status}2<>"{s}"' for s in FINISHED_STATUSES)
    urgent = []
    if "Priority" in positions:  # first: the first matching rule's colour is the one shown
        priority = column_letter(positions["Priority"])
        urgent = [(f'=AND(${priority}2="{URGENT}",{not_finished})', URGENT_ORANGE)]
    return [
        *urgent,
        (f'=${overdue}2<>""', RED),
        (f'=AND(${due}2<>"",{not_finished},${due}2>=NOW(),${due}2-NOW()<=2/24)', AMBER),
        (f'=${status}2="{Status.REPLIED}"', GREEN),
    ]


def _existing_formulas(sheet: dict[str, Any] | None) -> set[str]:
    found = set()
    for rule in (sheet or {}).get("conditionalFormats", []):
        values = rule.get("booleanRule", {}).get("condition", {}).get("values", [])
        if values:
            found.add(values[0].get("userEnteredValue", ""))
    return found


def _plan_tracker_views(report: InitReport, sheet: dict[str, Any] | None, sheet_id: int, positions: dict[str, int],
                        departments: list[str]) -> None:
    existing = _existing_formulas(sheet)
    whole = {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": 0,
             "endColumnIndex": max(positions.values()) + 1}
    for index, (formula, colour) in enumerate(_formula_rules(positions)):
        if formula in existing:
            continue
        report.requests.append({"addConditionalFormatRule": {"index": index, "rule": {
            "ranges": [whole],
            "booleanRule": {"condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]},
                            "format": {"backgroundColor": colour}}}}})
        report.actions.append(f"Tracker: conditional format {formula}")
    existing_views = {v.get("title"): v for v in (sheet or {}).get("filterViews", [])}
    titles = set(existing_views)
    dept, status, overdue = positions["Department"], positions["Status"], positions["Overdue"]
    for name in departments:
        views = {
            f"Open — {name}": [
                {"columnIndex": dept, "filterCriteria": {"condition": {"type": "TEXT_EQ",
                                                                       "values": [{"userEnteredValue": name}]}}},
                {"columnIndex": status, "filterCriteria": {"hiddenValues": list(FINISHED_STATUSES)}},
            ],
            f"Overdue — {name}": [
                {"columnIndex": dept, "filterCriteria": {"condition": {"type": "TEXT_EQ",
                                                                       "values": [{"userEnteredValue": name}]}}},
                {"columnIndex": overdue, "filterCriteria": {"condition": {"type": "NOT_BLANK"}}},
            ],
        }
        for title, specs in views.items():
            if title in titles:
                _plan_view_sort(report, existing_views[title], positions)
                continue
            report.requests.append({"addFilterView": {"filter": {
                "title": title, "range": {"sheetId": sheet_id},
                "filterSpecs": specs,
                "sortSpecs": _view_sort(positions)}}})
            report.actions.append(f"Tracker: filter view {title!r}")


def _view_sort(positions: dict[str, int]) -> list[dict[str, Any]]:
    """Urgent rows first (Sheets puts empty cells last, so ascending on Priority does it), then by deadline."""
    urgent = ([{"dimensionIndex": positions["Priority"], "sortOrder": "ASCENDING"}]
              if "Priority" in positions else [])
    return [*urgent, {"dimensionIndex": positions["Due By"], "sortOrder": "ASCENDING"}]


def _plan_view_sort(report: InitReport, view: dict[str, Any], positions: dict[str, int]) -> None:
    """A department's filter view made by an older version: sorted as this one sorts (urgent rows first)."""
    wanted = _view_sort(positions)
    if [(s.get("dimensionIndex"), s.get("sortOrder")) for s in view.get("sortSpecs") or []] == \
            [(s["dimensionIndex"], s["sortOrder"]) for s in wanted]:
        return
    report.requests.append({"updateFilterView": {"filter": {"filterViewId": view["filterViewId"],
                                                            "sortSpecs": wanted}, "fields": "sortSpecs"}})
    report.actions.append(f"Tracker: filter view {view.get('title')!r} sorted urgent first")


def _plan_content_format(report: InitReport, sheet: dict[str, Any] | None, sheet_id: int,
                         positions: dict[str, int]) -> None:
    formula = f'=${column_letter(positions["Flags"])}2<>""'
    if formula in _existing_formulas(sheet):
        return
    report.requests.append({"addConditionalFormatRule": {"index": 0, "rule": {
        "ranges": [{"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": 0,
                    "endColumnIndex": max(positions.values()) + 1}],
        "booleanRule": {"condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]},
                        "format": {"backgroundColor": AMBER}}}}})
    report.actions.append(f"Content: conditional format {formula}")


def default_seeds(schema: Schema) -> dict[str, list[list[Any]]]:
    """Rows for empty tabs: the default departments, routing rules and the _state keys."""
    from ..reply_templates import default_template_rows
    from ..routing import load_default_departments, load_default_rules

    departments = load_default_departments()
    rules = load_default_rules()
    return {
        "Departments": [[d.get(h, "") for h in schema["Departments"].headers] for d in departments],
        # By header, so a schema without a column (an older one, in tests) gets rows without it.
        "Routing": [{"Keyword": r.keyword, "Department": r.department, "Category": r.category or "",
                     "Weight": r.weight, "Active": r.active, "Priority": r.priority}
                    for r in rules if r.routes or "Priority" in schema["Routing"].headers],
        "Templates": default_template_rows(),
        STATE_TAB: [[SCHEMA_VERSION_KEY, str(schema.version), ""], ["lease", "", ""],
                    # The Dashboard chart init draws covers this many department rows (jobs/dashboard.py).
                    ["dashboard_chart_departments", str(len(departments)), ""]],
    }


def run_init(store: TrackerStore) -> InitReport:
    """Read what the sheet has (3 reads), then send what is missing in one ``batchUpdate`` (none if nothing).

    Raises ``InitRefused`` (a ``SchemaError``), after writing the other tabs, when a tab's header row is not row 1.
    """
    schema = store.schema
    http, sid, tz = store.http, store.spreadsheet_id, store.tz
    meta = http.fetch_sheet_metadata(sid, params={"fields": META_FIELDS})
    existing = [s["properties"]["title"] for s in meta.get("sheets", []) if s["properties"]["title"] in schema.tabs]
    headers: dict[str, list[str]] = {}
    tab_rows: dict[str, int] = {}
    grids: dict[str, dict[str, Any]] = {}
    sheet_departments: list[str] | None = None
    top_rows: dict[str, list[list[str]]] = {}
    department_rows: list[list[str]] = []
    if existing:
        headers, tab_rows, sheet_departments, top_rows, department_rows = _read_values(http, sid, existing, schema)
        grids = _read_grids(http, sid, [t for t in existing if schema[t].columns])
    seeds = default_seeds(schema)
    departments = sheet_departments or [row[0] for row in seeds["Departments"]]
    report = plan_init(schema, meta, headers, grids, tab_rows, departments, seeds, tz, top_rows,
                       department_rows, previous_marathi_names())
    if report.requests:
        http.batch_update(sid, {"requests": report.requests})
    report.spreadsheet_id = sid
    _record_version(store, report)
    log.info("init: %s", json.dumps(report.actions, ensure_ascii=False) if report.actions else "nothing to do")
    if report.problems:
        # The other tabs are laid out (above); the refused ones must be fixed by a person, so the command fails.
        raise InitRefused(report)
    return report


def _record_version(store: TrackerStore, report: InitReport) -> None:
    """Write the schema's version to ``_state`` once the sheet is laid out for it (an upgraded sheet still holds
    the version it was made with); the runner upgrades a sheet whose version is older (``needs_upgrade``)."""
    wanted = str(store.schema.version)
    if store.read([]).state.get(SCHEMA_VERSION_KEY) != wanted:
        store.write_state({SCHEMA_VERSION_KEY: wanted})
        report.actions.append(f"{STATE_TAB}: schema_version {wanted}")


def needs_upgrade(store: TrackerStore, state: Mapping[str, str]) -> bool:
    """Whether the sheet was laid out by an older version of the schema (``_state``'s ``schema_version``), so
    ``init`` must add the new columns and tabs before the jobs can use them. A sheet with no version recorded
    (made before versions were kept, or ``_state`` cleared) is left to a person's ``sheets-sync init``."""
    recorded = str(state.get(SCHEMA_VERSION_KEY) or "").strip()
    return recorded.isdigit() and int(recorded) < store.schema.version


def _read_values(http: Any, sid: str, titles: list[str], schema: Schema
                 ) -> tuple[dict[str, list[str]], dict[str, int], list[str] | None, dict[str, list[list[str]]],
                            list[list[str]]]:
    """Each tab's row 1, count of non-empty rows and first HEADER_SEARCH_ROWS rows, the department names in
    the Departments tab (None when there is no Departments tab), and that tab's rows as text: one read."""
    body = http.values_batch_get(sid, [quote_title(t) for t in titles],
                                 params={"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "ROWS"})
    headers: dict[str, list[str]] = {}
    tab_rows: dict[str, int] = {}
    top_rows: dict[str, list[list[str]]] = {}
    departments: list[str] | None = None
    department_rows: list[list[str]] = []
    for title, vr in zip(titles, body.get("valueRanges", []), strict=False):
        values = vr.get("values") or []
        headers[title] = [as_text(v) for v in (values[0] if values else [])]
        tab_rows[title] = sum(1 for row in values[1:] if any(c not in ("", None) for c in row))
        top_rows[title] = [[as_text(v) for v in row] for row in values[:HEADER_SEARCH_ROWS]]
        if title == "Departments":
            # Below the header row wherever it is, so a title row above it is not taken for a department.
            at = find_header_row(schema[title], top_rows[title]) or 0
            departments = _department_names(trim_header(top_rows[title][at]) if values else [], values[at + 1:])
            department_rows = [[as_text(v) for v in row] for row in values]
    return headers, tab_rows, departments, top_rows, department_rows


def _department_names(header: list[str], rows: list[list[Any]]) -> list[str]:
    """The non-blank names in the Department column (the first column when there is no such header)."""
    col = header.index("Department") if "Department" in header else 0
    return [as_text(r[col]).strip() for r in rows if len(r) > col and as_text(r[col]).strip()]


def _read_grids(http: Any, sid: str, titles: list[str]) -> dict[str, dict[str, Any]]:
    """The GridData of rows 1–2 (notes, validation) of each tab in ``titles``: one read, none without titles."""
    if not titles:
        return {}
    grid_body = http.fetch_sheet_metadata(sid, params={
        "ranges": [f"{quote_title(t)}!1:2" for t in titles], "includeGridData": "true", "fields": GRID_FIELDS})
    grids: dict[str, dict[str, Any]] = {}
    for sheet in grid_body.get("sheets", []):
        data = sheet.get("data") or [{}]
        grids[sheet["properties"]["title"]] = data[0]
    return grids


DEFAULT_TAB = "Sheet1"


def drop_default_tab(store: TrackerStore) -> bool:
    """Delete the empty ``Sheet1`` a spreadsheet is created with, once the Tracker Sheet's tabs exist.

    Only for a spreadsheet the tool itself just created (the embedded emulator's, the demo's), whose Sheet1
    is known to be blank; ``init`` never deletes a tab of a sheet a person made. One read, one write.
    """
    meta = store.http.fetch_sheet_metadata(store.spreadsheet_id, params={"fields": "sheets.properties(sheetId,title)"})
    titles = {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta.get("sheets", [])}
    if DEFAULT_TAB not in titles or DEFAULT_TAB in store.schema.tabs or not set(store.schema.tabs) & set(titles):
        return False
    store.http.batch_update(store.spreadsheet_id, {"requests": [{"deleteSheet": {"sheetId": titles[DEFAULT_TAB]}}]})
    return True
