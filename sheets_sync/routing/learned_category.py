"""Category corrections as examples: what the tool set, read back cheaply, and the rows people confirmed.

A person's change of *Category* is an example only if we know what the tool had set. The Audit tab says so
(``Job route, Column Category, New``), but a cycle does not read the Audit whole (it grows without end). So the
route job **records its category in Assigned By** when it fills the Category: ``keyword: garbage; category:
Complaint`` (``…; category: Question learned 0.81`` when the learned model chose it). A cycle then finds the
corrections by whole columns, as it does for departments: for each *distinct* Assigned By the tool's category,
compared with the Category column — no per-row classification, no extra request. Rows routed before this mark
existed have none: their corrections are seen only where the Audit is read (``classify --from-sheet``, the
accuracy report).

Examples (:class:`CategoryExample`): a row whose Category differs from the tool's (``corrected``), and a row
answered by its department (``answered``: a person handled it with its Category in view; its Category stands).
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from ..tracker.cells import as_text, moment_of
from ..tracker.table import Table
from ..vocabulary import is_finished
from .rules import CATEGORIES, Rule

__all__ = [
    "CATEGORY_MARK",
    "CategoryExample",
    "category_examples_from_rows",
    "category_examples_from_table",
    "category_keyword_examples",
    "mark_category",
    "route_writes_from_audit",
    "tool_categories_from_audit",
    "tool_category",
]

CATEGORY_MARK = "; category: "
ON_PLATFORM = "on platform"
# The columns a category example is judged by, in the order _CategoryScan.source takes them.
SCANNED_HEADERS = ("Ticket ID", "Comment", "Category", "Assigned By", "Status", "Replied By")
E = TypeVar("E")


@dataclass(frozen=True)
class CategoryExample:
    """One comment and the Category a person left on it."""

    text: str
    category: str
    source: str  # "answered", "corrected" or "keyword"
    received_at: datetime | None = None


def mark_category(assigned_by: str, category: str) -> str:
    """``assigned_by`` with the tool's category recorded (unchanged when it already records one)."""
    return assigned_by if CATEGORY_MARK in assigned_by else f"{assigned_by}{CATEGORY_MARK}{category}"


def tool_category(assigned_by: str) -> str | None:
    """The category the tool set, as recorded in an Assigned By cell; None when it records none (a row routed
    before the mark existed, or whose Category a person had set first)."""
    _, mark, rest = assigned_by.rpartition(CATEGORY_MARK)
    if not mark:
        return None
    words = rest.split(";")[0].split()
    return words[0] if words and words[0] in CATEGORIES else None


def route_writes_from_audit(rows: Iterable[Mapping[str, Any]], column: str) -> dict[str, str]:
    """Ticket ID → what the route job last wrote under ``column``, from the Audit tab's rows (Job, Ticket ID,
    Column, New); later rows win."""
    found: dict[str, str] = {}
    for row in rows:
        if as_text(row.get("Column")).strip() == column and as_text(row.get("Job")).strip() == "route":
            ticket = as_text(row.get("Ticket ID")).strip()
            if ticket:
                found[ticket] = as_text(row.get("New")).strip()
    return found


def tool_categories_from_audit(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Ticket ID → the Category the route job last wrote, from the Audit tab's rows; later rows win."""
    return route_writes_from_audit(rows, "Category")


def category_keyword_examples(rules: Iterable[Rule]) -> list[CategoryExample]:
    """Each active category cue (weight 1 or more) as a one-phrase example: the model starts from the rules'
    vocabulary, as the department model does."""
    return [CategoryExample(rule.keyword, rule.category, "keyword") for rule in rules
            if rule.active and rule.category in CATEGORIES and rule.weight >= 1]


class _CategoryScan:
    """Whether one row is a category example: "answered", "corrected" or None."""

    def __init__(self, tool_categories: Mapping[str, str] | None) -> None:
        self._audit = tool_categories or {}

    def candidates(self, tickets: list[str], texts: list[str], categories: list[str], assigned: list[str],
                   statuses: list[str], replied: list[str]) -> list[int]:
        """Offsets of the rows that may be examples (a superset), by whole columns: one parse per distinct
        Assigned By and per distinct Status, not one per row."""
        finished = {status for status in set(statuses) if is_finished(status)}
        marked = {a: tool_category(a) for a in set(assigned)}
        audited = self._audit
        return [i for i, (ticket, category, assigned_by, status, by) in
                enumerate(zip(tickets, categories, assigned, statuses, replied, strict=True))
                if (status in finished and by) or (marked[assigned_by] not in (None, category))
                or (audited and ticket.strip() in audited)]

    def source(self, ticket: str, text: str, category: str, assigned_by: str, status: str,
               replied_by: str) -> str | None:
        """Why the row (cells in :data:`SCANNED_HEADERS` order) is a category example, or None."""
        category = category.strip()
        if category not in CATEGORIES or not text.strip():
            return None
        audited = self._audit.get(ticket.strip())
        tool_set = audited if audited is not None else tool_category(assigned_by)
        if tool_set and tool_set != category:
            return "corrected"
        replied_by = replied_by.strip()
        return "answered" if is_finished(status) and replied_by and replied_by.lower() != ON_PLATFORM else None


def category_examples_from_rows(rows: Iterable[Mapping[str, Any]],
                                tool_categories: Mapping[str, str] | None = None) -> list[CategoryExample]:
    """:func:`category_examples_from_table` for rows as mappings (header → value): benchmarks, tests."""
    return scan_rows(rows, _CategoryScan(tool_categories), SCANNED_HEADERS, CategoryExample)


def scan_rows(rows: Iterable[Mapping[str, Any]], scan: Any, headers: Sequence[str], make: Callable[..., E]) -> list[E]:
    """:func:`scan_table` for rows as mappings (header → value)."""
    found: list[E] = []
    for row in rows:
        cells = [as_text(row.get(h)) for h in headers]
        source = scan.source(*cells)
        if source:
            when = row.get("Received At")
            found.append(make(cells[1].strip(), cells[2].strip(), source, when if isinstance(when, datetime) else None))
    return found


def category_examples_from_table(table: Table,
                                 tool_categories: Mapping[str, str] | None = None) -> list[CategoryExample]:
    """The category examples in a Tracker or Archive table as read, column by column (see the module's
    docstring); ``tool_categories`` (from the Audit) take precedence over the Assigned By mark."""
    if "Category" not in table.col or "Comment" not in table.col:
        return []
    return scan_table(table, _CategoryScan(tool_categories), SCANNED_HEADERS, CategoryExample)


def scan_table(table: Table, scan: Any, headers: Sequence[str], make: Callable[..., E]) -> list[E]:
    """The examples ``scan`` picks in a table as read, column by column: ``scan.candidates`` narrows the rows
    by whole columns (``headers``, Comment second and the label third), ``scan.source`` says why a row is an
    example; ``make(text, label, source, received_at)`` builds it. Only an example's Received At is parsed."""
    # Cells come back from the API as text already; as_text only for the odd number or boolean.
    columns = [[v if type(v) is str else as_text(v) for v in table.column(h)] if h in table.col
               else [""] * len(table.rows) for h in headers]
    # The times as the Dashboard keeps them (int64), not 100,000 parsed datetimes kept on the table.
    received = table.micros("Received At") if "Received At" in table.col else None
    found: list[E] = []
    for offset in scan.candidates(*columns):
        cells = [column[offset] for column in columns]
        source = scan.source(*cells)
        if source:
            when = moment_of(int(received[offset]), table.tz) if received is not None else None
            found.append(make(cells[1].strip(), cells[2].strip(), source, when))
    return found
