"""``check`` and ``route``.

``check``: what people typed that the tool cannot use, named by cell with the fix — first in every cycle, so
``job reply`` alone also reports it. ``route``: each row without a Department gets one — a follow-up its
conversation's, else keyword rules, else the post's owner, else triage — and Priority Urgent when an urgent cue
matches. A Department, Category or Priority a person set is never changed: only empty cells are filled.
Status New → Assigned.
"""

from __future__ import annotations

import itertools

from sheets_sync.conversations import FOLLOW_UP, REOPENED, is_reopened
from sheets_sync.routing import (
    Route,
    all_departments,
    detect_category,
    detect_language,
    sheet_rules,
)
from sheets_sync.routing.classify import Classifier
from sheets_sync.routing.learned import CombinedRouter, Example, sheet_category_examples, sheet_examples
from sheets_sync.routing.learned_category import CATEGORY_MARK, CategoryExample, mark_category
from sheets_sync.routing.learned_report import STATE_KEY as LEARNED_STATE_KEY
from sheets_sync.routing.model_cache import cache_for
from sheets_sync.routing.priority import URGENT, UrgentCues
from sheets_sync.routing.rules import Rule
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.table import MISS
from sheets_sync.tracker.unit_of_work import TabRows
from sheets_sync.vocabulary import Status, is_finished

from .cycle import CycleContext, log, ticket_mismatch

JOB = "route"
# The tabs read whole each cycle (the Archive is read key column only, so its "missing" columns are not).
CHECKED_TABS = ("Tracker", "Posts", "Departments", "Routing", "Content")
_CONTEXTS: dict[tuple, tuple] = {}
MAX_NOTES = 50  # cell problems listed one by one in a cycle's notes; the rest are counted


def check(ctx: CycleContext) -> None:
    """Report what people typed that the tool cannot use, without touching their cells.

    Tab problems (duplicated headers, a Ticket ID on two rows) and cell problems (a date that is not a date,
    a Send box holding text, a Department or Status outside the allowed values, a Ticket ID that does not match
    the row's Platform and Comment ID — a pasted row) go to the cycle's notes and
    log; a row's cell problems also go to its Sync Notes (job-owned), and are cleared there once fixed.
    Finished rows (Replied, Closed) are not checked: the tool no longer acts on them.
    """
    for title in CHECKED_TABS:
        view = ctx.work.tab(title)
        for problem in view.table.problems if view is not None else []:
            ctx.note(problem)
            log.warning("sheet: %s", problem)
    departments = all_departments(ctx.work.snapshot.tables)
    allowed = {"Department": departments} if departments else None
    tracker = ctx.tracker
    found = 0
    # A row's problems depend on its cells, its place and the header (the cell names), and the departments:
    # rows unchanged since an earlier cycle of this process are not parsed again (``Table.row_results``).
    header, status = tuple(tracker.table.header), tracker.column("Status")
    finished = {value for value in set(status) if is_finished(value)}  # a few distinct values, tested once
    # The same object from cycle to cycle while equal: compared by identity first, not cell by cell.
    if len(_CONTEXTS) > 8:
        _CONTEXTS.clear()  # headers or departments changed many times: start again
    shared = _CONTEXTS.setdefault((header, tuple(departments)), (header, tuple(departments)))
    table, read = tracker.table, tracker.read_keys()
    key_column = table.column(table.tab.key or "")
    results = table.row_results(JOB, shared)  # per row: (its row number then, its problems)
    for i in itertools.compress(range(len(status)), [v not in finished for v in status]):
        raw = key_column[i]
        ticket = raw.strip() if raw.__class__ is str else as_text(raw).strip()
        n = read.get(ticket)
        if n != i + 2:
            continue  # no key, or a key on two rows (reported above)
        held = results[i]
        if held is MISS or held[0] != n:  # new, changed, or moved (the cell names hold the row number)
            held = results[i] = (n, _row_problems(ctx, ticket, n, allowed))
        problems = list(held[1])
        if problems:
            found += len(problems)
            _note_problems(ctx, problems, found)
            tracker.set(ticket, "Sync Notes", " | ".join(problems), JOB)
        elif as_text(tracker.raw(ticket, "Sync Notes")).startswith(f"{tracker.title}!"):
            tracker.set(ticket, "Sync Notes", "", JOB)  # the person fixed the cells this note was about
    if found > MAX_NOTES:
        ctx.note(f"... and {found - MAX_NOTES} more cell problems (see the Sync Notes column)")
    if found:
        ctx.count(JOB, "cell problems", found)


def _row_problems(ctx: CycleContext, ticket: str, n: int, allowed: dict[str, list[str]] | None) -> tuple[str, ...]:
    problems = ctx.tracker.table.cell_problems(n, allowed)
    mismatch = ticket_mismatch(ctx, ticket)
    return (*problems, mismatch) if mismatch else tuple(problems)


def _note_problems(ctx: CycleContext, problems: list[str], found: int) -> None:
    """Log every problem; list the first ``MAX_NOTES`` of the cycle in its notes."""
    for i, problem in enumerate(problems):
        if found - len(problems) + i < MAX_NOTES:
            ctx.note(problem)
        log.warning("sheet: %s", problem)


def post_owners(ctx: CycleContext) -> dict[str, str]:
    """Post ID → Department from the Posts register, as this cycle leaves it (content's additions included)."""
    posts = ctx.work.tab("Posts")
    owners: dict[str, str] = {}
    if posts is None:
        return owners
    # Rows as read first (a Post ID on two rows included: the later row wins), then this cycle's view.
    for pid, dept in zip(posts.column("Post ID"), posts.column("Department"), strict=False):
        pid, dept = as_text(pid).strip(), as_text(dept).strip()
        if pid and dept:
            owners[pid] = dept
    for pid in posts.keys():
        dept = posts.text(pid, "Department")
        if dept:
            owners[pid] = dept
    return owners


def rows_without(tracker: TabRows, header: str) -> list[str]:
    """Keys of the rows whose ``header`` is empty as this cycle leaves them, read by column (a 100,000-row
    Tracker costs a scan, not 100,000 typed lookups): rows as read, then the rows appended this cycle."""
    filled = tracker.filled(header)
    read = [t for t, n in tracker.read_keys().items() if not filled[n - 2]]
    changed = {t for t, v in tracker.changed(header) if as_text(v).strip()}
    return [t for t in read if t not in changed] + [t for t in tracker.new_keys() if not tracker.text(t, header)]


def run(ctx: CycleContext) -> None:
    """Route every row that has no Department yet (and fill Category and Language when empty); a follow-up
    takes its conversation's Department and Category; an urgent cue sets Priority Urgent."""
    notes: list[str] = []
    rules, departments = sheet_rules(ctx.work.snapshot.tables, notes)
    for note in notes:
        ctx.note(note)
    owners = post_owners(ctx)
    known = set(departments) or None
    urgent = UrgentCues(rules)
    tracker = ctx.tracker
    candidates = rows_without(tracker, "Department")
    # The rules and a model learned from the rows people confirmed (none while they are few); `job route`
    # retrains it even with nothing to route, so a person can refresh it (and the Dashboard's figure) at will.
    router = learned_router(ctx, rules, known, owners) if candidates or JOB in ctx.on_demand else None
    for ticket in candidates:
        text = as_text(tracker.get(ticket, "Comment"))
        route = _follow_up_route(ctx, ticket, text)
        if route is None:
            post_dept = owners.get(tracker.text(ticket, "Post ID"))
            if known and post_dept and post_dept not in known:
                post_dept = None
            route = router.classify(text, post_department=post_dept)
        assigned_by = route.assigned_by
        cue = urgent.match(text) if not tracker.text(ticket, "Priority") else None
        if cue is not None:
            tracker.set(ticket, "Priority", URGENT, JOB)
            assigned_by = f"{assigned_by}; urgent: {cue}"
            ctx.count(JOB, "urgent")
        if not tracker.text(ticket, "Category"):
            tracker.set(ticket, "Category", route.category, JOB)
            # What the tool set, where a cycle can read it back: a person's change of Category is an example
            # (a follow-up's is its conversation's, as people left it: not the tool's guess, not marked).
            if route.assigned_by not in (FOLLOW_UP, REOPENED):
                assigned_by = mark_category(assigned_by, route.category)
        tracker.set(ticket, "Department", route.department, JOB)
        tracker.set(ticket, "Assigned By", assigned_by, JOB)
        if not tracker.text(ticket, "Language"):
            tracker.set(ticket, "Language", route.language, JOB)
        if as_text(tracker.get(ticket, "Status")) in ("", Status.NEW):
            tracker.set(ticket, "Status", Status.ASSIGNED.value, JOB)
        reason = route.assigned_by.split(";")[0]
        ctx.count(JOB, "learned" if reason.startswith("learned") else reason.split(":")[0])
        if CATEGORY_MARK in route.assigned_by:
            ctx.count(JOB, "learned category")
    log.debug("route: %d rows", len(candidates))


def _follow_up_route(ctx: CycleContext, ticket: str, text: str) -> Route | None:
    """A follow-up's route: its conversation's Department and Category, as people left them (the rules are not
    asked again); Assigned By ``follow-up`` (``follow-up: reopened`` as ingest marked it). None when the row
    starts a conversation, or its conversation's row is archived or has no Department yet: then the rules."""
    tracker = ctx.tracker
    root = tracker.text(ticket, "Parent Ticket")
    if not root or root == ticket or not tracker.known(root):
        return None
    department = tracker.text(root, "Department")
    if not department:
        return None
    marked = tracker.text(ticket, "Assigned By")
    return Route(department, tracker.text(root, "Category") or detect_category(text), detect_language(text),
                 REOPENED if is_reopened(marked) else FOLLOW_UP)


def learned_router(ctx: CycleContext, rules: list[Rule], known: set[str] | None,
                   owners: dict[str, str]) -> CombinedRouter:
    """The rules and the learned model — kept in this process between cycles and retrained only as
    ``sheets_sync.routing.model_cache`` says (daily, on 10 % more examples, now for ``job route``); the
    Dashboard's figures for it go to ``_state`` when they change."""
    routing = ctx.config.routing
    classifier = Classifier(rules, known_departments=known, threshold=routing.threshold)
    tables = ctx.work.snapshot.tables

    def scan() -> tuple[list[Example], list[CategoryExample]]:
        return (sheet_examples(tables, rules, known_departments=known, post_owners=owners),
                sheet_category_examples(tables))

    # The rows are scanned for examples only when a training could follow (model_cache.ModelCache.current).
    trained = cache_for(f"{ctx.config.spreadsheet_id}|{ctx.config.data_dir}").current(
        scan, len(ctx.tracker.table.rows), rules, classifier, now=ctx.now, retrain_hours=routing.retrain_hours,
        force=JOB in ctx.on_demand, model_threshold=routing.model_threshold)
    figures = trained.figures.to_state()
    if ctx.work.state.get(LEARNED_STATE_KEY) != figures:
        ctx.work.set_state(LEARNED_STATE_KEY, figures)
    return CombinedRouter(classifier, trained.model, routing.model_threshold)
