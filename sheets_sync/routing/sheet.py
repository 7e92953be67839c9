"""The routing tables as the sheet holds them: the Routing tab's rules and the Departments tab's names.

Pure: reads tables already fetched (``sheets_sync.tracker.table.Table``), sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..tracker.cells import as_text
from ..tracker.table import Table
from ..vocabulary import is_active
from .rules import Rule, load_default_rules, rules_from_rows


def sheet_rules(tables: Mapping[str, Table], notes: list[str]) -> tuple[list[Rule], list[str]]:
    """The Routing tab's rules (the defaults when the tab is empty) and the active departments' names;
    problems with rule rows go to ``notes``."""
    routing = tables.get("Routing")
    rules: list[Rule] = []
    if routing is not None and any(True for _ in routing.row_numbers()):
        rows = [{h: as_text(routing.raw(n, h)) for h in routing.tab.headers} for n in routing.row_numbers()]
        rules, problems = rules_from_rows(rows)
        notes.extend(problems)
    return rules or load_default_rules(), active_departments(tables)


def active_departments(tables: Mapping[str, Table]) -> list[str]:
    """Departments whose *Active* box is ticked, empty or unreadable (an unreadable cell is reported as a cell
    problem; meanwhile the department keeps its rows and digests)."""
    table = tables.get("Departments")
    if table is None:
        return []
    return [name for n in table.row_numbers()
            if (name := as_text(table.raw(n, "Department")).strip()) and is_active(table.raw(n, "Active"))]


def all_departments(tables: Mapping[str, Table]) -> list[str]:
    """Every department named in the Departments tab, active or not: the values a Department cell may hold."""
    table = tables.get("Departments")
    if table is None:
        return []
    names = (as_text(table.raw(n, "Department")).strip() for n in table.row_numbers())
    return [name for name in names if name]
