"""Typed cell parsing and writing: table-driven."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sheets_sync.tracker.cells import (
    CELL_LIMIT,
    CellValueError,
    as_text,
    datetime_to_serial,
    fit_text,
    parse_cell,
    parse_checkbox,
    parse_datetime,
    serial_to_datetime,
    ticket_id,
    to_cell_data,
)

IST = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize("raw, expected", [
    (46300.4375, datetime(2026, 10, 5, 10, 30, tzinfo=IST)),
    ("2026-10-05 10:30", datetime(2026, 10, 5, 10, 30, tzinfo=IST)),
    ("2026-10-05T05:00:00+00:00", datetime(2026, 10, 5, 10, 30, tzinfo=IST)),
    ("05/10/2026 10:30", datetime(2026, 10, 5, 10, 30, tzinfo=IST)),
    ("", None),
    (None, None),
])
def test_parse_datetime(raw, expected):
    assert parse_datetime(raw, IST) == expected


@pytest.mark.parametrize("raw", ["tomorrow", "31/31/2026", True, -5, float("nan")])
def test_parse_datetime_garbage_names_the_fix(raw):
    with pytest.raises(CellValueError, match="2026-10-05 10:30"):
        parse_datetime(raw, IST)


def test_serial_round_trip():
    when = datetime(2026, 11, 26, 18, 5, 7, tzinfo=IST)
    assert serial_to_datetime(datetime_to_serial(when, IST), IST) == when


@pytest.mark.parametrize("raw, expected", [
    (True, True), (False, False), ("TRUE", True), ("false", False), ("", False), (None, False), ("✓", True),
    ("yes", True), (1, True), (0, False),
])
def test_parse_checkbox(raw, expected):
    assert parse_checkbox(raw) is expected


def test_parse_checkbox_garbage():
    with pytest.raises(CellValueError, match="tick"):
        parse_checkbox("maybe")


@pytest.mark.parametrize("raw, kind, expected", [
    ("007", "id", "007"),
    (7.0, "id", "7"),
    (12345678901234.0, "id", "12345678901234"),
    (" Roads ", "enum", "Roads"),
    ("  text kept  ", "text", "  text kept  "),
    ("24", "number", 24.0),
])
def test_parse_cell_never_numericises_ids(raw, kind, expected):
    assert parse_cell(raw, kind, IST) == expected


@pytest.mark.parametrize("text", ["=IMPORTXML(\"http://evil\")", "+91 98765", "-5 stars", "@pmc help"])
def test_untrusted_text_goes_as_string_value(text):
    assert to_cell_data(text, IST) == {"userEnteredValue": {"stringValue": text}}


def test_long_text_cut_with_visible_marker():
    text = "क" * 60_000
    out = fit_text(text)
    assert len(out) == CELL_LIMIT
    assert "cut by sheets-sync" in out and out.startswith("क" * 1000)


def test_control_characters_removed_but_newlines_kept():
    assert fit_text("a\x00b\x07c\nd\te") == "abc\nd\te"


def test_ticket_ids_are_stable_and_prefixed():
    assert ticket_id("facebook", "123_456") == "FB-123_456"
    assert ticket_id("x", "1578516295611748353") == "X-1578516295611748353"
    with pytest.raises(ValueError):
        ticket_id("myspace", "1")


def test_as_text():
    assert as_text(None) == "" and as_text(True) == "TRUE" and as_text(3.5) == "3.5"
