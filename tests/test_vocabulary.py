"""One vocabulary: the same cell text means the same thing to every job and report that reads it.

Each row of the tables below is one thing a person may type; each test feeds it to every reader of that kind of
cell (route, digest, the Routing rules, the reply job's Send box, the SLA, the cell check) and asks that they
agree with ``sheets_sync.vocabulary``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from sheets_sync import vocabulary
from sheets_sync.reports.metrics import is_active as digest_is_active
from sheets_sync.routing import active_departments, rules_from_rows
from sheets_sync.schema import load_schema
from sheets_sync.sla import SlaPolicy, overdue_state, reply_hours
from sheets_sync.tracker.table import Table

IST = ZoneInfo("Asia/Kolkata")
SCHEMA = load_schema()

# What a person types in a checkbox cell → what it means (None: unreadable, reported as a cell problem).
CHECKBOX = [
    (True, True), (False, False), ("TRUE", True), ("false", False), ("yes", True), ("No", False),
    ("on", True), ("off", False), ("1", True), ("0", False), ("x", True), ("✓", True), ("✗", False),
    ("होय", True), ("नाही", False), ("हाँ", True), ("नहीं", False), ("maybe", None), ("2", None),
]


def departments_table(active: object, **cells: object) -> Table:
    header = SCHEMA["Departments"].headers
    row = ["Roads", "पथ विभाग", "", "", "roads@pmc.example", "", active]
    for name, value in cells.items():
        row[header.index(name.replace("_", " "))] = value
    return Table(SCHEMA["Departments"], header, [row], IST)


@pytest.mark.parametrize(("typed", "meaning"), CHECKBOX)
def test_a_department_active_cell_means_the_same_to_routing_and_to_the_digest(typed: object, meaning: object) -> None:
    table = departments_table(typed)
    routed_to = "Roads" in active_departments({"Departments": table})
    gets_digest = digest_is_active(table.record(2))
    # Unreadable is reported as a cell problem and, meanwhile, keeps the department working.
    assert routed_to == gets_digest == (True if meaning is None else meaning)


@pytest.mark.parametrize(("typed", "meaning"), CHECKBOX)
def test_a_checkbox_word_means_the_same_in_routing_rules_cells_and_send(typed: object, meaning: object) -> None:
    rules, problems = rules_from_rows([{"Keyword": "kachra", "Department": "Roads", "Active": typed}])
    if meaning is None:
        assert rules == [] and "Active" in problems[0]
        with pytest.raises(vocabulary.CellValueError):
            vocabulary.parse_checkbox(typed)
        assert not vocabulary.checkbox(typed, empty=False, unreadable=False)  # an unreadable Send does not send
    else:
        assert rules[0].active is meaning
        assert vocabulary.parse_checkbox(typed) is meaning


# What a person types in a number cell → the number, or None when it must be refused (ambiguous or not one).
NUMBERS = [("24", 24.0), (36.5, 36.5), ("36.5", 36.5), ("1,000", 1000.0), ("1,00,000", 100000.0),
           ("2,5", None), ("12,50", None), ("abc", None), ("nan", None), ("inf", None), ("24h", None)]


@pytest.mark.parametrize(("typed", "meaning"), NUMBERS)
def test_a_number_cell_means_the_same_to_the_sla_the_rules_and_the_cell_check(typed: object, meaning: object) -> None:
    policy = SlaPolicy.from_config({})
    rules, problems = rules_from_rows([{"Keyword": "kachra", "Department": "Roads", "Weight": typed}])
    table = departments_table(True, Reply_Hours=typed)
    cell_problems = table.cell_problems(2)
    if meaning is None:
        with pytest.raises(ValueError, match="Reply Hours"):
            reply_hours("Complaint", typed, policy)
        assert rules == [] and "Weight" in problems[0]
        assert cell_problems and "Reply Hours" in cell_problems[0]
    else:
        assert reply_hours("Complaint", typed, policy) == meaning
        assert rules[0].weight == meaning
        assert cell_problems == []


def test_an_ambiguous_number_is_refused_with_both_readings() -> None:
    with pytest.raises(vocabulary.CellValueError, match=r"write 2\.5 or 25"):
        vocabulary.parse_number("2,5")


@pytest.mark.parametrize("status", SCHEMA["Tracker"].column("Status").values)
def test_every_status_is_open_or_finished_and_the_sla_agrees(status: str) -> None:
    from datetime import datetime, timedelta

    policy = SlaPolicy.from_config({})
    received = datetime(2026, 11, 1, 10, 0, tzinfo=IST)
    flag, _ = overdue_state(received + timedelta(days=10), received, 24, status, policy)
    assert vocabulary.is_open(status) != vocabulary.is_finished(status)
    # Finished rows are never flagged; open rows ten days late always are — whatever the case people type.
    assert (flag == "") is vocabulary.is_finished(status)
    assert (overdue_state(received + timedelta(days=10), received, 24, status.upper(), policy)[0] == "") \
        is vocabulary.is_finished(status)


def test_the_vocabulary_refuses_a_schema_that_drifted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocabulary, "PLATFORM_PREFIX", {**vocabulary.PLATFORM_PREFIX, "threads": "TH"})
    with pytest.raises(Exception, match="disagree on platform prefixes"):
        vocabulary._check_against_schema()
