"""``route``: each row without a Department gets one — keyword rules, else the post's owner, else triage.

A Department or Category a person set is never changed: only empty cells are filled. Status New → Assigned.
"""

from __future__ import annotations

from typing import Any

from sheets_sync.routing import classify, load_default_rules, rules_from_rows
from sheets_sync.tracker.cells import as_text, parse_checkbox
from sheets_sync.tracker.store import Snapshot

from .cycle import CycleContext, log

JOB = "route"
FINISHED = ("Replied", "Closed")
# The tabs read whole each cycle (the Archive is read key column only, so its "missing" columns are not).
CHECKED_TABS = ("Tracker", "Posts", "Departments", "Routing", "Content")


def sheet_rules(snapshot: Snapshot, notes: list[str]) -> tuple[list[Any], list[str]]:
    """The Routing tab's rules (the defaults when the tab is empty), and the active departments; problems
    with rule rows go to ``notes``."""
    routing = snapshot.tables.get("Routing")
    rules: list[Any] = []
    if routing is not None and any(True for _ in routing.row_numbers()):
        rows = [{h: as_text(routing.raw(n, h)) for h in routing.tab.headers} for n in routing.row_numbers()]
        rules, problems = rules_from_rows(rows)
        notes.extend(problems)
    if not rules:
        rules = load_default_rules()
    departments: list[str] = []
    table = snapshot.tables.get("Departments")
    if table is not None:
        for n in table.row_numbers():
            name = as_text(table.raw(n, "Department")).strip()
            active = table.raw(n, "Active")
            try:
                is_active = active in ("", None) or parse_checkbox(active)
            except ValueError:
                is_active = True
            if name and is_active:
                departments.append(name)
    return rules, departments


def all_departments(snapshot: Snapshot) -> list[str]:
    """Every department named in the Departments tab, active or not: the values a Department cell may hold."""
    table = snapshot.tables.get("Departments")
    if table is None:
        return []
    names = (as_text(table.raw(n, "Department")).strip() for n in table.row_numbers())
    return [name for name in names if name]


def post_owners(ctx: CycleContext) -> dict[str, str]:
    """Post ID → Department from the Posts register."""
    posts = ctx.snapshot.tables.get("Posts")
    owners: dict[str, str] = {}
    if posts is None:
        return owners
    for pid, dept in zip(posts.column("Post ID"), posts.column("Department"), strict=False):
        pid, dept = as_text(pid).strip(), as_text(dept).strip()
        if pid and dept:
            owners[pid] = dept
    owners.update(ctx.extras.get("content_posts", {}))
    return owners


MAX_NOTES = 50  # cell problems listed one by one in a cycle's notes; the rest are counted


def flag_sheet_problems(ctx: CycleContext, departments: list[str]) -> None:
    """Report what people typed that the tool cannot use, without touching their cells.

    Tab problems (duplicated headers, a Ticket ID on two rows) and cell problems (a date that is not a date,
    a Send box holding text, a Department or Status outside the allowed values) go to the cycle's notes and
    log; a row's cell problems also go to its Sync Notes (job-owned), and are cleared there once fixed.
    Finished rows (Replied, Closed) are not checked: the tool no longer acts on them.
    """
    for title in CHECKED_TABS:
        table = ctx.snapshot.tables.get(title)
        for problem in table.problems if table is not None else []:
            ctx.notes.append(problem)
            log.warning("sheet: %s", problem)
    tracker = ctx.tracker
    allowed = {"Department": departments} if departments else None
    found = 0
    for ticket, n in tracker.key_rows.items():
        if as_text(tracker.raw(n, "Status")).strip() in FINISHED:
            continue
        problems = tracker.cell_problems(n, allowed)
        current = as_text(tracker.raw(n, "Sync Notes"))
        if problems:
            found += len(problems)
            for problem in problems:
                if found <= MAX_NOTES:
                    ctx.notes.append(problem)
                log.warning("sheet: %s", problem)
            ctx.set(ticket, "Sync Notes", " | ".join(problems), JOB)
        elif current.startswith(f"{tracker.tab.title}!"):
            ctx.set(ticket, "Sync Notes", "", JOB)  # the person fixed the cells this note was about
    if found > MAX_NOTES:
        ctx.notes.append(f"... and {found - MAX_NOTES} more cell problems (see the Sync Notes column)")
    if found:
        ctx.count(JOB, "cell problems", found)


def check(ctx: CycleContext) -> None:
    """The cycle's first step: what people typed that the tool cannot use, named by cell, with the fix."""
    flag_sheet_problems(ctx, all_departments(ctx.snapshot))


def run(ctx: CycleContext) -> None:
    """Route every row that has no Department yet (and fill Category and Language when empty)."""
    rules, departments = sheet_rules(ctx.snapshot, ctx.notes)
    owners = post_owners(ctx)
    known = set(departments) or None
    tracker = ctx.tracker
    candidates = [t for t, n in tracker.key_rows.items() if not as_text(tracker.raw(n, "Department")).strip()]
    candidates += [t for t, v in ctx.pending.items() if not v.get("Department")]
    for ticket in candidates:
        text = as_text(ctx.value(ticket, "Comment"))
        post_dept = owners.get(as_text(ctx.value(ticket, "Post ID")).strip())
        if known and post_dept and post_dept not in known:
            post_dept = None
        route = classify(text, rules, post_department=post_dept, known_departments=known)
        ctx.set(ticket, "Department", route.department, JOB)
        ctx.set(ticket, "Assigned By", route.assigned_by, JOB)
        if not as_text(ctx.value(ticket, "Category")).strip():
            ctx.set(ticket, "Category", route.category, JOB)
        if not as_text(ctx.value(ticket, "Language")).strip():
            ctx.set(ticket, "Language", route.language, JOB)
        if as_text(ctx.value(ticket, "Status")) in ("", "New"):
            ctx.set(ticket, "Status", "Assigned", JOB)
        ctx.count(JOB, route.assigned_by.split(":")[0])
    log.debug("route: %d rows", len(candidates))
