"""Routing: which department a citizen's comment goes to, its category and language.

Pure functions, no I/O.  The route job hands the Routing and Departments tabs as read to
:func:`sheet_rules` (rows → rules with :func:`rules_from_rows`), and calls :func:`classify` for each
Tracker row that has no Department yet.
"""

from .classify import TRIAGE_DEPARTMENT, Classifier, Route, classify, classify_jsonl, detect_category
from .language import detect_language
from .rules import (
    CATEGORIES,
    DEPARTMENT_HEADERS,
    ROUTING_HEADERS,
    Rule,
    load_default_departments,
    load_default_rules,
    rules_from_rows,
    rules_to_rows,
)
from .sheet import active_departments, all_departments, sheet_rules

__all__ = [
    "CATEGORIES",
    "DEPARTMENT_HEADERS",
    "ROUTING_HEADERS",
    "TRIAGE_DEPARTMENT",
    "Classifier",
    "Route",
    "Rule",
    "classify",
    "classify_jsonl",
    "detect_category",
    "detect_language",
    "load_default_departments",
    "load_default_rules",
    "rules_from_rows",
    "rules_to_rows",
    "active_departments",
    "all_departments",
    "sheet_rules",
]
