"""``sla``: Due By from the department's Reply Hours; Overdue and Escalated flags; cleared once replied."""

from __future__ import annotations

from sheets_sync.sla import SlaPolicy, due_by, overdue_state, reply_hours
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.table import column_letter

from .cycle import CycleContext

JOB = "sla"


def department_hours(ctx: CycleContext, policy: SlaPolicy) -> dict[str, str]:
    """Department → its Reply Hours cell (may be empty). A cell that is not a number of hours is reported with
    its address and left out, so that department's rows get the category default instead of no deadline."""
    table = ctx.snapshot.tables.get("Departments")
    if table is None:
        return {}
    hours: dict[str, str] = {}
    column = column_letter(table.col.get("Reply Hours", 0))
    for n in table.row_numbers():
        name = as_text(table.raw(n, "Department")).strip()
        cell = as_text(table.raw(n, "Reply Hours")).strip()
        try:
            reply_hours(None, cell or None, policy)
        except ValueError as exc:
            ctx.notes.append(f"Departments!{column}{n} (Reply Hours of {name}): {exc}; the category default "
                             "is used until then.")
            continue
        hours[name] = cell
    return hours


def unparsable(ctx: CycleContext, ticket: str, header: str) -> bool:
    """Whether the sheet's cell holds something its column's type cannot read (text in a date cell)."""
    row = ctx.tracker.key_rows.get(ticket)
    if row is None:
        return False
    return bool(as_text(ctx.tracker.raw(row, header)).strip()) and ctx.tracker.typed(row, header) is None


def run(ctx: CycleContext) -> None:
    """Set Due By where missing and refresh Overdue on every row that is not finished."""
    policy = ctx.extras.get("sla_policy") or SlaPolicy.from_config(ctx.config.sla, ctx.config.timezone)
    hours_by_dept = department_hours(ctx, policy)
    tracker = ctx.tracker
    statuses = tracker.column("Status")
    overdue_col = tracker.column("Overdue")
    due_col = tracker.column("Due By")
    tickets = []
    for ticket, n in tracker.key_rows.items():
        status = as_text(statuses[n - 2]).strip()
        # Finished rows only need their flag cleared, and only if one is set.
        if status in ("Replied", "Closed") and not as_text(overdue_col[n - 2]).strip() and due_col[n - 2] != "":
            continue
        tickets.append(ticket)
    tickets += list(ctx.pending)
    for ticket in tickets:
        received = ctx.value(ticket, "Received At")
        if received is None or received == "":
            continue
        status = as_text(ctx.value(ticket, "Status")).strip()
        hours = reply_hours(as_text(ctx.value(ticket, "Category")) or None,
                            hours_by_dept.get(as_text(ctx.value(ticket, "Department")).strip()), policy)
        due = due_by(received, hours, policy)
        # A Due By a person typed over with text ("tomorrow") is theirs to fix (route notes it): not replaced.
        if ctx.value(ticket, "Due By") in (None, "") and not unparsable(ctx, ticket, "Due By"):
            ctx.set(ticket, "Due By", due, JOB)
        flag, new_status = overdue_state(ctx.now, received, hours, status, policy)
        if as_text(ctx.value(ticket, "Overdue")) != flag:
            ctx.set(ticket, "Overdue", flag, JOB)
            ctx.count(JOB, flag or "cleared")
        if new_status and new_status != status:
            ctx.set(ticket, "Status", new_status, JOB)
