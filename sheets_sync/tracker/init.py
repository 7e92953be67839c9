"""``sheets-sync init``: create or upgrade the Tracker Sheet's tabs, idempotently.

It compares what the sheet has with ``sheet_schema.yaml`` and sends one ``batchUpdate`` with only what is
missing: a second run sends no write at all. Extra columns, reordered columns and existing data are kept; a
missing required column is added after the last one; a person's column widths are left alone (widths are set
only on columns ``init`` creates).
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..schema import Schema, Tab, load_schema
from .cells import as_text, to_cell_data
from .changes import STATE_TAB
from .table import column_letter, quote_title, trim_header

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
META_FIELDS = ("properties(title,timeZone),sheets(properties,protectedRanges(protectedRangeId,description),"
               "conditionalFormats,filterViews(filterViewId,title),charts(chartId))")
GRID_FIELDS = "sheets(properties(title),data(rowData(values(note,dataValidation))))"


@dataclass
class InitReport:
    """What ``init`` found and did."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    spreadsheet_id: str | None = None

    @property
    def changed(self) -> bool:
        """Whether ``init`` had anything to write."""
        return bool(self.requests)


def stable_sheet_id(title: str) -> int:
    """A sheetId for a tab ``init`` creates: derived from the title, so requests in the same batch can name it."""
    return zlib.crc32(title.encode("utf-8")) % 2_000_000_000 + 1


def _value_of(cell: dict[str, Any]) -> Any:
    value = cell.get("userEnteredValue") or cell.get("effectiveValue") or {}
    return next(iter(value.values()), "") if value else ""


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


def plan_init(schema: Schema, meta: dict[str, Any], headers: dict[str, list[str]], grids: dict[str, dict[str, Any]],
              tab_rows: dict[str, int], departments: list[str], seeds: dict[str, list[list[Any]]],
              tz: ZoneInfo, service_account: str | None = None) -> InitReport:
    """What ``init`` must send, from what the sheet has. Pure.

    ``meta``: spreadsheets.get with META_FIELDS. ``headers``: each existing tab's header row. ``grids``: title →
    the GridData of rows 1–2 (notes, validation). ``tab_rows``: non-empty row count per tab (for seeding).
    ``departments``: names for the filter views. ``seeds``: rows to add to an empty tab.
    """
    report = InitReport()
    req = report.requests
    sheets = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
    if meta.get("properties", {}).get("timeZone") != tz.key:
        req.append({"updateSpreadsheetProperties": {"properties": {"timeZone": tz.key}, "fields": "timeZone"}})
        report.actions.append(f"time zone set to {tz.key}")

    for index, (title, tab) in enumerate(schema.tabs.items()):
        sheet = sheets.get(title)
        created = sheet is None
        if created:
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
            req.append({"addSheet": {"properties": props}})
            report.actions.append(f"tab {title} created")
            grid_props = props["gridProperties"]
        else:
            props = sheet["properties"]
            sheet_id = props["sheetId"]
            grid_props = props.get("gridProperties", {})
            wanted_frozen = 1 if tab.columns else 0
            if tab.columns and grid_props.get("frozenRowCount", 0) != wanted_frozen:
                req.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": {
                    "frozenRowCount": wanted_frozen}}, "fields": "gridProperties.frozenRowCount"}})
                report.actions.append(f"{title}: header row frozen")
            if tab.hidden and not props.get("hidden"):
                req.append({"updateSheetProperties": {"properties": {"sheetId": sheet_id, "hidden": True},
                                                      "fields": "hidden"}})
                report.actions.append(f"{title}: hidden")
        if title == "Dashboard" and not (sheet or {}).get("charts"):
            from ..reports.dashboard import HEADER_ROW, dashboard_chart_spec

            req.append(dashboard_chart_spec(sheet_id, HEADER_ROW, len(departments), chart_id=DASHBOARD_CHART_ID))
            report.actions.append("Dashboard: chart of overdue items by department")
        if not tab.columns:
            continue

        # Header cells: keep what is there, add the missing required ones after the last header.
        header = trim_header(headers.get(title, []))
        present = set(header)
        positions: dict[str, int] = {h: i for i, h in enumerate(header) if h}
        new_cols = [c for c in tab.columns if c.header not in present]
        width_needed = len(header) + len(new_cols)
        if width_needed > grid_props.get("columnCount", 26):
            req.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                            "length": width_needed - grid_props.get("columnCount", 26)}})
        for offset, col in enumerate(new_cols):
            positions[col.header] = len(header) + offset
        notes_row = ((grids.get(title) or {}).get("rowData") or [{}])[0].get("values", []) if not created else []
        row2 = ((grids.get(title) or {}).get("rowData") or [{}, {}])
        row2_values = row2[1].get("values", []) if len(row2) > 1 and not created else []
        for col in tab.columns:
            i = positions[col.header]
            is_new = col.header not in present
            note_now = notes_row[i].get("note", "") if i < len(notes_row) else ""
            if is_new:
                cell = to_cell_data(col.header, tz)
                cell["note"] = col.description
                cell["userEnteredFormat"] = {"textFormat": {"bold": True}}
                req.append({"updateCells": {
                    "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
                              "startColumnIndex": i, "endColumnIndex": i + 1},
                    "rows": [{"values": [cell]}], "fields": "userEnteredValue,note,userEnteredFormat.textFormat.bold"}})
                req.append({"updateDimensionProperties": {
                    "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1},
                    "properties": {"pixelSize": col.width}, "fields": "pixelSize"}})
                if col.type in ("datetime", "date"):
                    pattern = DATETIME_PATTERN if col.type == "datetime" else DATE_PATTERN
                    req.append({"repeatCell": {
                        "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": i,
                                  "endColumnIndex": i + 1},
                        "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME", "pattern": pattern}}},
                        "fields": "userEnteredFormat.numberFormat"}})
                report.actions.append(f"{title}: column {col.header!r} added at {column_letter(i)}")
            elif note_now != col.description:
                req.append({"updateCells": {
                    "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1,
                              "startColumnIndex": i, "endColumnIndex": i + 1},
                    "rows": [{"values": [{"note": col.description}]}], "fields": "note"}})
                report.actions.append(f"{title}: note on {col.header!r} updated")
            wanted = _validation_for(tab, col.header)
            current = row2_values[i].get("dataValidation") if i < len(row2_values) else None
            if wanted and (is_new or not _same_validation(current, wanted)):
                req.append({"setDataValidation": {
                    "range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": grid_props.get("rowCount", 1000),
                              "startColumnIndex": i, "endColumnIndex": i + 1},
                    "rule": wanted}})
                report.actions.append(f"{title}: dropdown/checkbox on {col.header!r}")

        existing_protected = {p.get("description") for p in (sheet or {}).get("protectedRanges", [])}
        for col in tab.columns:
            if col.owner != "job" and not (tab.title == STATE_TAB):
                continue
            description = f"sheets-sync: {title} / {col.header} (written by the tool)"
            if description in existing_protected:
                continue
            i = positions[col.header]
            req.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sheet_id, "startColumnIndex": i, "endColumnIndex": i + 1},
                "description": description, "warningOnly": True}}})
            report.actions.append(f"{title}: {col.header!r} protected (warning only)")

        if title == "Tracker":
            _plan_tracker_views(report, sheet, sheet_id, positions, departments, grid_props)
        if title == "Content":
            _plan_content_format(report, sheet, sheet_id, positions, grid_props)

        if tab_rows.get(title, 0) == 0 and seeds.get(title):
            rows = [[row.get(h, "") if isinstance(row, dict) else row for h in tab.headers] if isinstance(row, dict)
                    else row for row in seeds[title]]
            req.append({"appendCells": {"sheetId": sheet_id, "fields": "userEnteredValue",
                                        "rows": [{"values": [to_cell_data(v, tz) for v in r]} for r in rows]}})
            report.actions.append(f"{title}: seeded with {len(rows)} default rows")
    return report


def _formula_rules(positions: dict[str, int]) -> list[tuple[str, dict[str, float]]]:
    due, status, overdue = (column_letter(positions[h]) for h in ("Due By", "Status", "Overdue"))
    return [
        (f'=${overdue}2<>""', RED),
        (f'=AND(${due}2<>"",${status}2<>"Replied",${status}2<>"Closed",${due}2>=NOW(),${due}2-NOW()<=2/24)', AMBER),
        (f'=${status}2="Replied"', GREEN),
    ]


def _existing_formulas(sheet: dict[str, Any] | None) -> set[str]:
    found = set()
    for rule in (sheet or {}).get("conditionalFormats", []):
        values = rule.get("booleanRule", {}).get("condition", {}).get("values", [])
        if values:
            found.add(values[0].get("userEnteredValue", ""))
    return found


def _plan_tracker_views(report: InitReport, sheet: dict[str, Any] | None, sheet_id: int, positions: dict[str, int],
                        departments: list[str], grid: dict[str, Any]) -> None:
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
    titles = {v.get("title") for v in (sheet or {}).get("filterViews", [])}
    dept, status, overdue = positions["Department"], positions["Status"], positions["Overdue"]
    for name in departments:
        views = {
            f"Open — {name}": [
                {"columnIndex": dept, "filterCriteria": {"condition": {"type": "TEXT_EQ",
                                                                       "values": [{"userEnteredValue": name}]}}},
                {"columnIndex": status, "filterCriteria": {"hiddenValues": ["Replied", "Closed"]}},
            ],
            f"Overdue — {name}": [
                {"columnIndex": dept, "filterCriteria": {"condition": {"type": "TEXT_EQ",
                                                                       "values": [{"userEnteredValue": name}]}}},
                {"columnIndex": overdue, "filterCriteria": {"condition": {"type": "NOT_BLANK"}}},
            ],
        }
        for title, specs in views.items():
            if title in titles:
                continue
            report.requests.append({"addFilterView": {"filter": {
                "title": title, "range": {"sheetId": sheet_id},
                "filterSpecs": specs,
                "sortSpecs": [{"dimensionIndex": positions["Due By"], "sortOrder": "ASCENDING"}]}}})
            report.actions.append(f"Tracker: filter view {title!r}")


def _plan_content_format(report: InitReport, sheet: dict[str, Any] | None, sheet_id: int,
                         positions: dict[str, int], grid: dict[str, Any]) -> None:
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
    from ..routing import load_default_departments, load_default_rules

    departments = load_default_departments()
    rules = load_default_rules()
    return {
        "Departments": [[d.get(h, "") for h in schema["Departments"].headers] for d in departments],
        "Routing": [[r.keyword, r.department, r.category or "", r.weight, r.active] for r in rules],
        STATE_TAB: [["schema_version", str(schema.version), ""], ["lease", "", ""],
                    # The Dashboard chart init draws covers this many department rows (jobs/dashboard.py).
                    ["dashboard_chart_departments", str(len(departments)), ""]],
    }


def run_init(store: Any, schema: Schema | None = None) -> InitReport:
    """Read what the sheet has (3 reads), then send what is missing in one ``batchUpdate`` (none if nothing)."""
    schema = schema or load_schema()
    http, sid, tz = store.http, store.spreadsheet_id, store.tz
    meta = http.fetch_sheet_metadata(sid, params={"fields": META_FIELDS})
    existing = [s["properties"]["title"] for s in meta.get("sheets", []) if s["properties"]["title"] in schema.tabs]
    headers: dict[str, list[str]] = {}
    tab_rows: dict[str, int] = {}
    grids: dict[str, dict[str, Any]] = {}
    if existing:
        body = http.values_batch_get(sid, [quote_title(t) for t in existing],
                                     params={"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "ROWS"})
        for title, vr in zip(existing, body.get("valueRanges", []), strict=False):
            values = vr.get("values") or []
            headers[title] = [as_text(v) for v in (values[0] if values else [])]
            tab_rows[title] = sum(1 for row in values[1:] if any(c not in ("", None) for c in row))
            if title == "Departments":
                col = headers[title].index("Department") if "Department" in headers[title] else 0
                names = [as_text(r[col]).strip() for r in values[1:] if len(r) > col and as_text(r[col]).strip()]
                headers["__departments__"] = names
        with_columns = [t for t in existing if schema[t].columns]
        if with_columns:
            grid_body = http.fetch_sheet_metadata(sid, params={
                "ranges": [f"{quote_title(t)}!1:2" for t in with_columns], "includeGridData": "true",
                "fields": GRID_FIELDS})
            for sheet in grid_body.get("sheets", []):
                data = sheet.get("data") or [{}]
                grids[sheet["properties"]["title"]] = data[0]
    seeds = default_seeds(schema)
    departments = headers.pop("__departments__", None) or [row[0] for row in seeds["Departments"]]
    report = plan_init(schema, meta, headers, grids, tab_rows, departments, seeds, tz)
    if report.requests:
        http.batch_update(sid, {"requests": report.requests})
    report.spreadsheet_id = sid
    log.info("init: %s", json.dumps(report.actions, ensure_ascii=False) if report.actions else "nothing to do")
    return report
