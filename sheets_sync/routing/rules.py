"""Keyword rules: the rows of the Routing tab, checked and turned into :class:`Rule` objects.

The Routing tab is edited by people in the corporation, so a bad row is reported in words
they can act on and skipped; it never stops routing of the other comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from .. import vocabulary
from .normalize import fold_phrase

__all__ = [
    "CATEGORIES",
    "ROUTING_HEADERS",
    "URGENT",
    "DEPARTMENT_HEADERS",
    "Rule",
    "rules_from_rows",
    "rules_to_rows",
    "load_default_rules",
    "load_default_departments",
    "load_keyword_notes",
]

CATEGORIES = ("Complaint", "Question", "Suggestion", "Remark")
ROUTING_HEADERS = ("Keyword", "Department", "Category", "Weight", "Active", "Priority")
URGENT = vocabulary.URGENT
DEPARTMENT_HEADERS = ("Department", "Marathi Name", "Head", "Nodal Officer", "Email", "Reply Hours", "Active")

_CATEGORY_BY_LOWER = {name.lower(): name for name in CATEGORIES}


@dataclass(frozen=True)
class Rule:
    """One Routing-tab row.

    ``department`` is empty for a category cue (a word such as "तक्रार" that only says the
    comment is a Complaint).  ``category`` is an optional hint that a match implies.
    ``priority`` is ``Urgent`` for an urgent cue ("झाड पडले", "live wire"): a comment it matches gets
    Priority Urgent; such a rule may have no department and no category.
    """

    keyword: str
    department: str
    category: str | None
    weight: float
    active: bool = True
    priority: str = ""

    @property
    def routes(self) -> bool:
        """Whether the rule says anything about department or category (an urgent-only cue does not)."""
        return bool(self.department or self.category)


def _parse_weight(text: str) -> float:
    """A Weight cell: empty is 1; ``CellValueError`` for text that is not one number (``2,5`` is ambiguous)."""
    number = vocabulary.parse_number(text)
    return 1.0 if number is None else number


def rules_from_rows(rows: list[dict[str, str]]) -> tuple[list[Rule], list[str]]:
    """Turn Routing-tab rows (header -> cell text) into rules, plus problems found.

    Row numbers in the problems are sheet row numbers (the header is row 1).  Headers are
    matched without regard to case or surrounding spaces.  Empty rows are skipped silently;
    a row with a problem is skipped and named, the others are kept.  Weight defaults to 1
    and Active to TRUE when the cell is empty.
    """
    rules: list[Rule] = []
    problems: list[str] = []
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    if rows:
        present = {str(key).strip().lower() for row in rows for key in row}
        if "keyword" not in present:
            problems.append(
                "Routing tab has no 'Keyword' column — the header row must read: "
                + ", ".join(ROUTING_HEADERS)
            )
            return rules, problems
    for index, raw in enumerate(rows):
        row_number = index + 2
        row = {
            str(key).strip().lower(): ("" if value is None else str(value)).strip()
            for key, value in raw.items()
        }
        if not any(row.values()):
            continue
        where = f"Routing row {row_number}"
        try:
            rule = _rule_of(row)
        except _RowProblem as exc:
            problems.append(f"{where}: {exc}")
            continue
        key = (fold_phrase(rule.keyword), rule.department.lower() or rule.priority.lower())
        if key in seen:
            problems.append(
                f"{where}: '{rule.keyword}' for {rule.department or rule.category or rule.priority} repeats row "
                f"{seen[key]} — delete one of the two rows (only the first is used)"
            )
            continue
        seen[key] = row_number
        rules.append(rule)
    return rules, problems


class _RowProblem(ValueError):
    """What is wrong with one Routing row, and the fix."""


def _rule_of(row: dict[str, str]) -> Rule:
    """One Routing row (lower-cased headers → text) as a rule; ``_RowProblem`` naming the cell and the fix."""
    keyword, department = row.get("keyword", ""), row.get("department", "")
    if not keyword:
        raise _RowProblem("Keyword is empty — write the word or phrase to look for, or delete the row")
    if not fold_phrase(keyword):
        raise _RowProblem(f"Keyword '{keyword}' has no letters to match — use a word in Marathi, Hindi or English")
    category, priority = _category_of(row.get("category", "")), _priority_of(row.get("priority", ""))
    if not department and category is None and not priority:
        raise _RowProblem(f"'{keyword}' has neither a Department nor a Category nor Priority Urgent — "
                          "write the department it should go to (or a Category for a cue word, or Urgent)")
    try:
        weight = _parse_weight(row.get("weight", ""))
    except vocabulary.CellValueError as exc:
        raise _RowProblem(f"Weight {exc}") from None
    if weight <= 0:
        raise _RowProblem(f"Weight {row.get('weight', '')} must be more than 0 — "
                          "to switch the rule off set Active to FALSE instead")
    try:
        active = vocabulary.parse_checkbox(row.get("active", ""))
    except vocabulary.CellValueError:
        raise _RowProblem(f"Active '{row.get('active', '')}' is not TRUE or FALSE — write TRUE or FALSE") from None
    return Rule(keyword=keyword, department=department, category=category, weight=weight,
                active=active is not False, priority=priority)


def _category_of(text: str) -> str | None:
    if not text:
        return None
    category = _CATEGORY_BY_LOWER.get(text.lower())
    if category is None:
        raise _RowProblem(f"Category '{text}' is not one of {', '.join(CATEGORIES)} — "
                          "pick one of these or leave the cell empty")
    return category


def _priority_of(text: str) -> str:
    if text and text.lower() != URGENT.lower():
        raise _RowProblem(f"Priority '{text}' is not Urgent — write Urgent or leave the cell empty")
    return URGENT if text else ""


def rules_to_rows(rules: list[Rule]) -> list[dict[str, str]]:
    """Rules as Routing-tab rows (the inverse of :func:`rules_from_rows`), e.g. to seed a new sheet."""
    return [
        {
            "Keyword": rule.keyword,
            "Department": rule.department,
            "Category": rule.category or "",
            "Weight": f"{rule.weight:g}",
            "Active": "TRUE" if rule.active else "FALSE",
            "Priority": rule.priority,
        }
        for rule in rules
    ]


def _read_default(name: str) -> Any:
    text = resources.files("sheets_sync.routing.defaults").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _word(word: object) -> str:
    # YAML 1.1 reads bare no/yes/on/off as booleans; a keyword must be quoted text.
    if not isinstance(word, str):
        raise ValueError(f"routing_rules.yaml: keyword {word!r} is not text — put it in quotes")
    return word


def load_default_rules() -> list[Rule]:
    """The shipped default keyword rules and category cues, in Routing-tab order."""
    data = _read_default("routing_rules.yaml")
    rules: list[Rule] = []
    for department, groups in data["departments"].items():
        for group in groups:
            for word in group["words"]:
                rules.append(Rule(_word(word), department, group.get("category"), float(group["weight"])))
    for category, groups in data["category_cues"].items():
        for group in groups:
            for word in group["words"]:
                rules.append(Rule(_word(word), "", category, float(group["weight"])))
    for group in data.get("urgent") or []:
        for word in group["words"]:
            rules.append(Rule(_word(word), "", None, float(group["weight"]), priority=URGENT))
    return rules


def load_keyword_notes() -> dict[tuple[tuple[str, ...], str], str]:
    """Notes of the default rules, by (folded keyword, department): what Assigned By adds.

    A group in routing_rules.yaml may carry ``note`` (the power cuts' "MSEDCL (महावितरण), not
    PMC"); it is not a Routing-tab column, so a keyword moved to another department loses it.
    """
    data = _read_default("routing_rules.yaml")
    notes: dict[tuple[tuple[str, ...], str], str] = {}
    for department, groups in data["departments"].items():
        for group in groups:
            if group.get("note"):
                for word in group["words"]:
                    notes[(fold_phrase(_word(word)), department)] = str(group["note"])
    return notes


def load_default_departments() -> list[dict[str, str]]:
    """The shipped default Departments-tab rows, keyed by the tab's headers (all values strings)."""
    data = _read_default("departments.yaml")
    return [
        {header: str(row.get(header, "")) for header in DEPARTMENT_HEADERS} for row in data["departments"]
    ]
