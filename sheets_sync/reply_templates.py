"""Reply templates: the Templates tab's rows, the one a Tracker row picked, and its text with the row's values.

The cell keeps the Templates tab (Name, Department — empty for every department —, Language, Text, Active). A
person picks a template by name in the Tracker's *Template* column; when *Reply* is empty the ``templates`` job
fills it with the template in the comment's language (else English), placeholders filled, for the person to read
and edit before ticking *Send*. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import yaml

from . import vocabulary

__all__ = ["PLACEHOLDERS", "Template", "templates_from_rows", "default_template_rows", "choose", "render"]

PLACEHOLDERS = ("ticket", "department", "department_mr", "author", "due_by")
LANGUAGES = ("mr", "hi", "en")
FALLBACK_LANGUAGE = "en"
_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")


@dataclass(frozen=True)
class Template:
    """One Templates-tab row."""

    name: str
    department: str
    language: str
    text: str


def templates_from_rows(rows: list[dict[str, str]]) -> tuple[list[Template], list[str]]:
    """The active templates of the Templates tab (rows as header → text, sheet row 2 first), and each problem
    with a row (named by row, with the fix); a bad row is skipped, the others kept."""
    templates: list[Template] = []
    problems: list[str] = []
    for index, row in enumerate(rows):
        where = f"Templates row {index + 2}"
        name, text = (row.get("Name") or "").strip(), (row.get("Text") or "").strip()
        if not name and not text:
            continue
        try:
            if vocabulary.parse_checkbox(row.get("Active", "")) is False:
                continue
        except vocabulary.CellValueError:
            problems.append(f"{where}: Active {row.get('Active')!r} is not TRUE or FALSE — tick or untick it")
            continue
        language = (row.get("Language") or "").strip().lower() or FALLBACK_LANGUAGE
        if not name or not text or language not in LANGUAGES:
            problems.append(f"{where}: a template needs a Name, a Text and a Language of mr, hi or en "
                            f"(got Name {name!r}, Language {language!r}) — complete the row or untick Active")
            continue
        templates.append(Template(name, (row.get("Department") or "").strip(), language, text))
    return templates, problems


def default_template_rows() -> list[list[object]]:
    """The shipped templates as Templates-tab rows (Name, Department, Language, Text, Active)."""
    data = yaml.safe_load(resources.files("sheets_sync").joinpath("reply_templates.yaml").read_text("utf-8"))
    return [[entry["name"], "", language, text, True]
            for entry in data["templates"] for language, text in entry["texts"].items()]


def choose(templates: list[Template], name: str, department: str, language: str) -> Template | None:
    """The template called ``name`` for this department (its own before the one for every department) in the
    comment's language, else in English, else in any language; None when no active template has that name."""
    wanted = name.strip().casefold()
    named = [t for t in templates if t.name.casefold() == wanted
             and (not t.department or t.department.casefold() == department.strip().casefold())]
    if not named:
        return None
    language = language.strip().lower()

    def rank(t: Template) -> tuple[int, int]:
        lang = 0 if t.language == language else 1 if t.language == FALLBACK_LANGUAGE else 2
        return lang, 0 if t.department else 1

    return min(named, key=rank)


def render(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with its placeholders filled from ``values``; a placeholder it does not know (``{ward}``) stays as
    written, and is returned so a person can correct the template."""
    unknown: list[str] = []

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values:
            return values[key]
        unknown.append(match.group(0))
        return match.group(0)

    return _PLACEHOLDER.sub(fill, text), unknown
