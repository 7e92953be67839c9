"""``templates``: a template picked in the Tracker's *Template* column fills an empty *Reply*.

The text is the Templates tab's row of that name for the row's department (or for every department), in the
comment's language, else English, with ``{ticket}``, ``{department}``, ``{department_mr}``, ``{author}`` and
``{due_by}`` filled. *Reply* is the person's column: the tool writes it only when it is empty at the cycle's read
and still empty just before the write (``fill_if_empty`` in sheet_schema.yaml), so a reply being typed is never
overwritten. Nothing is posted until a person ticks *Send* (the ``reply`` job sends what the sheet held when the
cycle read it, so a reply filled now goes out at the earliest in the next cycle).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sheets_sync.reply_templates import Template, choose, default_template_rows, render, templates_from_rows
from sheets_sync.tracker.cells import as_text

from .cycle import CycleContext, log

JOB = "templates"
DUE_FORMAT = "%d-%m-%Y %H:%M"


def sheet_templates(ctx: CycleContext) -> list[Template]:
    """The Templates tab's active templates (the defaults when the tab is absent); its bad rows are noted."""
    view = ctx.work.tab("Templates")
    if view is None:
        rows = [dict(zip(("Name", "Department", "Language", "Text", "Active"), map(str, r), strict=True))
                for r in default_template_rows()]
    else:
        table = view.table
        rows = [{h: as_text(table.raw(n, h)) for h in table.tab.headers} for n in table.row_numbers()]
    templates, problems = templates_from_rows(rows)
    for problem in problems:
        ctx.note(problem)
    return templates


def run(ctx: CycleContext) -> None:
    """Fill *Reply* from the picked template on every row with a Template, an empty Reply and no reply posted."""
    tracker = ctx.tracker
    if "Template" not in tracker.table.col:
        return
    picked, chosen = tracker.column("Template"), tracker.filled("Template")
    due = [(ticket, as_text(picked[n - 2]).strip()) for ticket, n in tracker.read_keys().items() if chosen[n - 2]]
    due = [(t, name) for t, name in due
           if not as_text(tracker.raw(t, "Reply")).strip() and not tracker.text(t, "Reply ID")]
    if not due:
        return
    templates = sheet_templates(ctx)
    names = _marathi_names(ctx)
    for ticket, name in due:
        department = tracker.text(ticket, "Department")
        template = choose(templates, name, department, tracker.text(ticket, "Language"))
        if template is None:
            _explain(ctx, ticket, f"Template {name!r} is not an active template for {department or 'this row'} in "
                                  "the Templates tab: pick one from the Template dropdown, or add it there.")
            continue
        text, unknown = render(template.text, {
            "ticket": ticket, "department": department, "department_mr": names.get(department) or department,
            "author": tracker.text(ticket, "Author"), "due_by": _due(ctx, tracker.get(ticket, "Due By"))})
        tracker.set(ticket, "Reply", text, JOB)
        if tracker.text(ticket, "Sync Notes").startswith("Template "):
            tracker.set(ticket, "Sync Notes", "", JOB)  # the person picked a template that exists now
        ctx.count(JOB, f"filled ({template.language})")
        if unknown:
            ctx.note(f"Templates: {template.name!r} ({template.language}) has placeholders the tool does not know: "
                     f"{', '.join(unknown)} — use {{ticket}} {{department}} {{department_mr}} {{author}} {{due_by}}; "
                     f"{ticket}'s Reply shows them as written, edit it before sending.")
    log.debug("templates: %d rows", len(due))


def _marathi_names(ctx: CycleContext) -> dict[str, str]:
    view = ctx.work.tab("Departments")
    if view is None or "Marathi Name" not in view.table.col:
        return {}
    table = view.table
    return {as_text(table.raw(n, "Department")).strip(): as_text(table.raw(n, "Marathi Name")).strip()
            for n in table.row_numbers()}


def _due(ctx: CycleContext, value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(ctx.config.tz).strftime(DUE_FORMAT)
    return as_text(value)


def _explain(ctx: CycleContext, ticket: str, message: str) -> None:
    if ctx.tracker.text(ticket, "Sync Notes") != message:
        ctx.tracker.set(ticket, "Sync Notes", message, JOB)
