"""``sla``: Due By from the department's Reply Hours (an urgent row: ``sla.urgent_hours``, round the clock);
Overdue and Escalated flags; cleared once replied."""

from __future__ import annotations

from datetime import UTC, datetime

from sheets_sync.sla import SlaPolicy, due_by, overdue_state, reply_hours
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.table import MISS, column_letter
from sheets_sync.vocabulary import URGENT, is_finished

from .cycle import CycleContext

JOB = "sla"
# The cells a row's deadline and flags are worked out from (and written to).
INPUTS = ("Received At", "Category", "Department", "Priority", "Status", "Due By", "Overdue")
NEVER = datetime.max.replace(tzinfo=UTC)


def department_hours(ctx: CycleContext, policy: SlaPolicy) -> dict[str, str]:
    """Department → its Reply Hours cell (may be empty). A cell that is not a number of hours is reported with
    its address and left out, so that department's rows get the category default instead of no deadline."""
    view = ctx.work.tab("Departments")
    if view is None:
        return {}
    table = view.table
    hours: dict[str, str] = {}
    column = column_letter(table.col.get("Reply Hours", 0))
    for n in table.row_numbers():
        name = as_text(table.raw(n, "Department")).strip()
        cell = as_text(table.raw(n, "Reply Hours")).strip()
        try:
            reply_hours(None, cell or None, policy)
        except ValueError as exc:
            ctx.note(f"Departments!{column}{n} (Reply Hours of {name}): {exc}; the category default is used until "
                     "then.")
            continue
        hours[name] = cell
    return hours


def _to_check(ctx: CycleContext) -> list[str]:
    """Every row that is not finished, and finished rows whose Overdue flag is still set or whose Due By is
    empty (read by columns: a 100,000-row Tracker costs little), then the rows appended this cycle."""
    tracker = ctx.tracker
    statuses, flagged, due = tracker.column("Status"), tracker.filled("Overdue"), tracker.column("Due By")
    finished = {value for value in set(statuses) if is_finished(value)}  # a few distinct values, tested once
    tickets = [ticket for ticket, n in tracker.read_keys().items()
               if not (statuses[n - 2] in finished and not flagged[n - 2] and due[n - 2] != "")]
    return tickets + tracker.new_keys()


def _set_due(ctx: CycleContext, ticket: str, due: datetime, urgent: bool) -> None:
    """Due By where it is empty; an earlier one when the row became urgent (a person set Priority Urgent after
    the deadline was set). A Due By a person typed over with text ("tomorrow") is theirs to fix (check notes
    it): never replaced."""
    tracker = ctx.tracker
    current = tracker.get(ticket, "Due By")
    if tracker.unreadable(ticket, "Due By"):
        return
    if current in (None, "") or (urgent and isinstance(current, datetime) and due < current):
        tracker.set(ticket, "Due By", due, JOB)


def run(ctx: CycleContext) -> None:
    """Set Due By where missing and refresh Overdue on every row that is not finished."""
    policy = ctx.config.sla
    hours_by_dept = department_hours(ctx, policy)
    tracker = ctx.tracker
    # A row unchanged since an earlier cycle of this process, whose next deadline (Due By, or twice the reply
    # time) has not come, needs nothing: its flags cannot have changed. Only the rest is worked out.
    context = (tuple(sorted(hours_by_dept.items())), id(policy))
    next_changes = tracker.table.row_results(JOB, context)  # per row: when its flags can next change
    touched = {t for h in INPUTS for t, _ in tracker.changed(h)}
    read = tracker.read_keys()
    for ticket in _to_check(ctx):
        n = read.get(ticket) if ticket not in touched else None
        if n is not None:
            next_change = next_changes[n - 2]
            if next_change is not MISS and ctx.now < next_change:
                continue
        next_change = _refresh(ctx, ticket, hours_by_dept)
        if n is not None and next_change is not None:
            next_changes[n - 2] = next_change


def _refresh(ctx: CycleContext, ticket: str, hours_by_dept: dict[str, str]) -> datetime | None:
    """One row's Due By, Overdue and (escalated) Status; when its flags can next change (None: no Received At)."""
    policy, tracker = ctx.config.sla, ctx.tracker
    received = tracker.get(ticket, "Received At")
    if received is None or received == "":
        return None
    status = tracker.text(ticket, "Status")
    rule, hours = policy, reply_hours(as_text(tracker.get(ticket, "Category")) or None,
                                      hours_by_dept.get(tracker.text(ticket, "Department")), policy)
    urgent = tracker.text(ticket, "Priority") == URGENT
    if urgent:
        rule, hours = policy.round_the_clock(), min(hours, policy.urgent_hours)
    due = due_by(received, hours, rule)
    _set_due(ctx, ticket, due, urgent)
    flag, new_status = overdue_state(ctx.now, received, hours, status, rule)
    if as_text(tracker.get(ticket, "Overdue")) != flag:
        tracker.set(ticket, "Overdue", flag, JOB)
        ctx.count(JOB, flag or "cleared")
    if new_status and new_status != status:
        tracker.set(ticket, "Status", new_status, JOB)
    later = [t for t in (due, due_by(received, 2 * hours, rule)) if t >= ctx.now]
    return min(later) if later else NEVER
