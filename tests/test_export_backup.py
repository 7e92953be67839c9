"""Drive export to .xlsx (the demo's file, ``sheets-sync export``) and the daily backup, against the emulator."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sheets_sync.demo import export_xlsx
from sheets_sync.demo.world import IST, World
from sheets_sync.doctor import check_backup
from sheets_sync.tracker import export_store

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World.create(tmp_path_factory.mktemp("world"), START)
    post = w.post("facebook", "पाणीपुरवठा बंद राहील — water shutdown Thursday")
    w.comment("facebook", post, "कोथरूड मध्ये आज पाणी आले नाही, टँकर पाठवा", "Priya")
    w.comment("facebook", post, '=HYPERLINK("http://evil.example","click")', "Troll")
    w.runner("r1").cycle()
    w.clock.advance(days=2)  # past the deadline: the Overdue column fills and the row turns red
    w.runner("r2").cycle(["sla", "dashboard"], on_demand=True)
    return w


@pytest.fixture(scope="module")
def book(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "demo-tracker.xlsx"
    export_xlsx(world, out)
    return load_workbook(out)


def _column(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def test_only_the_tracker_sheets_tabs_and_state_hidden(book) -> None:
    assert "Sheet1" not in book.sheetnames
    assert {"Tracker", "Dashboard", "Departments", "_state"} <= set(book.sheetnames)
    assert book["_state"].sheet_state == "hidden" and book.active.sheet_state == "visible"


def test_dates_are_dates_and_numbers_numbers(book) -> None:
    tracker = book["Tracker"]
    received = tracker.cell(row=2, column=_column(tracker, "Received At"))
    assert received.is_date and isinstance(received.value, datetime)
    assert received.number_format == "yyyy-mm-dd hh:mm"
    dashboard = book["Dashboard"]
    numbers = [c.value for row in dashboard.iter_rows(min_row=3, max_row=6) for c in row[1:5]]
    assert numbers and all(isinstance(v, int | float) for v in numbers if v is not None)


def test_formula_looking_text_stays_text(book) -> None:
    tracker = book["Tracker"]
    col = _column(tracker, "Comment")
    cells = [tracker.cell(row=r, column=col) for r in range(2, tracker.max_row + 1)]
    troll = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert troll.data_type == "s"


def test_frozen_header_dropdowns_checkbox_and_colours(book) -> None:
    tracker = book["Tracker"]
    assert tracker.freeze_panes == "A2"
    assert tracker["A1"].font.bold
    rules = {dv.formula1: str(dv.sqref) for dv in tracker.data_validations.dataValidation}
    assert '"Complaint,Question,Suggestion,Remark"' in rules
    assert '"TRUE,FALSE"' in rules  # the Send checkbox
    send = get_column_letter_of(tracker, "Send")
    assert rules['"TRUE,FALSE"'].startswith(f"{send}2:{send}")
    fills = [rule.dxf.fill.bgColor.rgb for cf in tracker.conditional_formatting for rule in cf.rules
             if rule.dxf is not None and rule.dxf.fill is not None]
    assert len(fills) >= 3  # red overdue, amber due soon, green replied
    widths = [d.width for d in tracker.column_dimensions.values() if d.width]
    assert widths


def get_column_letter_of(ws, header: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(_column(ws, header))


def test_backup_job_writes_todays_export_and_prunes_old_ones(world, tmp_path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    today = world.clock.now.date()
    old = folder / f"tracker-{(today - timedelta(days=40)).isoformat()}.xlsx"
    kept = folder / f"tracker-{(today - timedelta(days=3)).isoformat()}.xlsx"
    for path in (old, kept):
        path.write_bytes(b"old")
    (folder / "notes.txt").write_text("not a backup")
    runner = world.runner("backup-runner")
    runner.config = dataclasses.replace(runner.config, backup={"folder": str(folder), "keep_days": 30})
    result = runner.cycle(["backup"])
    assert result.ok, result.problems
    written = folder / f"tracker-{today.isoformat()}.xlsx"
    assert load_workbook(written)["Tracker"].freeze_panes == "A2"
    assert not old.exists() and kept.exists() and (folder / "notes.txt").exists()
    # The same day again: nothing to do, unless asked by name.
    again = runner.cycle(["backup"])
    assert again.counts["backup"] == {"already today": 1}
    forced = runner.cycle(["backup"], on_demand=True)
    assert forced.counts["backup"] == {"exported": 1}


def test_doctor_reports_the_last_backups_age(config, tmp_path) -> None:
    folder = tmp_path / "b"
    cfg = dataclasses.replace(config, backup={"folder": str(folder)})
    [check] = check_backup(cfg)
    assert check.status == "warn" and "no backup yet" in check.detail
    folder.mkdir()
    (folder / f"tracker-{(date.today() - timedelta(days=5)).isoformat()}.xlsx").write_bytes(b"x")
    [check] = check_backup(cfg)
    assert check.status == "warn" and "5 days ago" in check.detail
    (folder / f"tracker-{date.today().isoformat()}.xlsx").write_bytes(b"x")
    [check] = check_backup(cfg)
    assert check.status == "ok" and "today" in check.detail


def test_export_command_writes_the_embedded_sheet(tmp_path: Path, monkeypatch) -> None:
    from sheets_sync.cli import main

    (tmp_path / "sheets-sync.yaml").write_text(f"data_dir: {tmp_path / 'data'}\n")
    out = tmp_path / "out.xlsx"
    assert main(["export", "--out", str(out), "--config", str(tmp_path / "sheets-sync.yaml")]) == 0
    book = load_workbook(out)
    assert "Tracker" in book.sheetnames and "Sheet1" not in book.sheetnames


def test_pdf_export_is_refused_by_the_emulator_with_its_reason(world) -> None:
    from gspread.exceptions import APIError
    from gspread.utils import ExportFormat

    from sheets_sync.tracker.store import TrackerStore

    assert export_store.export_xlsx(TrackerStore(world.backend, tz=IST))[:2] == b"PK"
    with pytest.raises(APIError) as err:
        world.backend.client.http_client.export(world.backend.spreadsheet_id, ExportFormat.PDF)
    assert err.value.response.status_code == 400 and "PDF" in str(err.value)
