"""The Dashboard's layout and its addChart request, checked against the Sheets API v4 discovery document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_reports_data import DEPARTMENTS, IST, NOW, scenario

from sheets_sync.reports.dashboard import (
    DEPARTMENT_HEADER,
    HEADER_ROW,
    OVERDUE_COLUMN,
    PLATFORM_HEADER,
    dashboard_chart_spec,
    dashboard_grid,
)


def _discovery() -> dict[str, Any]:
    googleapiclient = pytest.importorskip("googleapiclient")
    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "sheets.v4.json"
    if not path.is_file():
        pytest.skip("no cached sheets.v4 discovery document")
    return json.loads(path.read_text(encoding="utf-8"))


def _validate(value: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str) -> None:
    """Every key exists in the API's schema, every enum value is allowed, every type fits."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        assert isinstance(value, dict), where
        for key, item in value.items():
            assert key in schema["properties"], f"{where}.{key} is not a field of the API"
            _validate(item, schema["properties"][key], schemas, f"{where}.{key}")
    elif kind == "array":
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            _validate(item, schema["items"], schemas, f"{where}[{i}]")
    elif kind == "string":
        assert isinstance(value, str), where
        if "enum" in schema:
            assert value in schema["enum"], f"{where}={value!r} not in {schema['enum']}"
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind == "boolean":
        assert isinstance(value, bool), where


def test_chart_request_fits_the_api_schema() -> None:
    discovery = _discovery()
    request = dashboard_chart_spec(987, HEADER_ROW, 7, chart_id=42)
    _validate(request, {"$ref": "Request"}, discovery["schemas"], "request")


def test_chart_ranges_cover_header_and_departments_only() -> None:
    n = len(DEPARTMENTS)
    request = dashboard_chart_spec(987, HEADER_ROW, n)
    chart = request["addChart"]["chart"]
    basic = chart["spec"]["basicChart"]
    assert basic["chartType"] in ("BAR", "COLUMN") and basic["headerCount"] == 1
    domain = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    series = basic["series"][0]["series"]["sourceRange"]["sources"][0]
    assert domain == {"sheetId": 987, "startRowIndex": HEADER_ROW, "endRowIndex": HEADER_ROW + 1 + n,
                      "startColumnIndex": 0, "endColumnIndex": 1}
    assert series["startColumnIndex"] == OVERDUE_COLUMN and series["endColumnIndex"] == OVERDUE_COLUMN + 1
    assert (series["startRowIndex"], series["endRowIndex"]) == (domain["startRowIndex"], domain["endRowIndex"])
    assert chart["position"]["overlayPosition"]["anchorCell"]["sheetId"] == 987
    assert "chartId" not in chart

    # The ranges land on the grid's own header and department rows, not on Total.
    grid = dashboard_grid(scenario(), DEPARTMENTS, NOW, IST)
    n_departments = next(i for i, r in enumerate(grid[HEADER_ROW + 1:]) if r[0] == "Total")
    request = dashboard_chart_spec(987, HEADER_ROW, n_departments)
    source = request["addChart"]["chart"]["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"][0]
    covered = grid[source["startRowIndex"]:source["endRowIndex"]]
    assert covered[0][OVERDUE_COLUMN] == "मुदतबाह्य / Overdue" and covered[-1][0] == "(not routed)"
    assert grid[source["endRowIndex"]][0] == "Total"


def test_grid_layout() -> None:
    grid = dashboard_grid(scenario(), DEPARTMENTS, NOW, IST)
    assert grid[0][0].startswith("Dashboard — Updated 2026-11-26 13:30")
    assert grid[HEADER_ROW] == DEPARTMENT_HEADER
    blank = grid.index([""] * len(DEPARTMENT_HEADER), 1)
    assert grid[blank - 1][0] == "Total" and grid[blank + 1] == PLATFORM_HEADER
    assert grid[-1][0] == "Total" and grid[-1] == grid[blank - 1]
    roads = next(r for r in grid if r[0] == "Roads")
    assert roads == ["Roads", 3, 1, 1, 2, 8.0, 9.6, 8.0, 9.6]
    gardens = next(r for r in grid if r[0] == "Gardens")
    assert gardens[5:] == ["—"] * 4


def test_negative_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        dashboard_chart_spec(1, -1, 3)
