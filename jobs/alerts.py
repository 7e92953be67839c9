"""``alerts``: an urgent row (Priority Urgent) e-mails its department and the cell in the cycle that finds it.

Once per ticket: the alert has the key ``urgent/<ticket>`` and the digest's exactly-once bookkeeping in
``_state`` (``jobs.digest.queue_and_send``): marked ``sending`` in the cycle's write, sent once that write
landed, the outcome recorded; a server that refused or could not be reached is tried again by the next cycle;
a message the server accepted (or may have accepted) is never sent again. With no SMTP configured the alert is
written as an ``.eml`` file in the digest folder, like the digest. A row made urgent by a person later (the
Priority column is shared) is alerted in the next cycle.
"""

from __future__ import annotations

from email.message import EmailMessage

from sheets_sync.reports.alerts import build_alert
from sheets_sync.reports.digest import check_addresses, parse_addresses
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.table import column_letter
from sheets_sync.vocabulary import URGENT, is_finished

from .cycle import CycleContext
from .digest import DEFAULT_SENDER, queue_and_send

JOB = "alerts"
ROW_HEADERS = ("Ticket ID", "Platform", "Author", "Comment", "Link", "Received At", "Due By", "Department",
               "Assigned By")


def urgent_open(ctx: CycleContext) -> list[str]:
    """Tickets whose Priority is Urgent and whose Status is open, as this cycle leaves them (rows routed or
    marked urgent in this cycle included). Read by column: a 100,000-row Tracker costs little."""
    tracker = ctx.tracker
    if "Priority" not in tracker.table.col:
        return []
    priority = tracker.column("Priority")
    urgent = {v for v in set(priority) if as_text(v).strip() == URGENT}  # a few distinct values, tested once
    found = [t for t, n in tracker.read_keys().items() if priority[n - 2] in urgent]
    found += tracker.new_keys() + [t for t, _ in tracker.changed("Priority")]
    return [t for t in dict.fromkeys(found)
            if tracker.text(t, "Priority") == URGENT and not is_finished(tracker.text(t, "Status"))]


def run(ctx: CycleContext) -> None:
    """Queue one alert per urgent open ticket not alerted yet; send them after the cycle's write."""
    tickets = urgent_open(ctx)
    if not tickets:
        return
    departments = _department_rows(ctx)
    messages: list[EmailMessage] = []
    email_cells: dict[str, str] = {}
    for ticket in tickets:
        message = _alert(ctx, ticket, departments, email_cells)
        if message is not None:
            messages.append(message)
    queue_and_send(ctx, messages, email_cells, JOB)


def _department_rows(ctx: CycleContext) -> dict[str, tuple[str, str, str]]:
    """Department → (its Email cell, the cell's address ``Departments!E5``, its Marathi name)."""
    view = ctx.work.tab("Departments")
    if view is None:
        return {}
    table = view.table
    letter = column_letter(table.col.get("Email", 0))
    return {as_text(table.raw(n, "Department")).strip(): (as_text(table.raw(n, "Email")), f"Departments!{letter}{n}",
                                                          as_text(table.raw(n, "Marathi Name")).strip())
            for n in table.row_numbers()}


def _alert(ctx: CycleContext, ticket: str, departments: dict[str, tuple[str, str, str]],
           email_cells: dict[str, str]) -> EmailMessage | None:
    tracker = ctx.tracker
    department = tracker.text(ticket, "Department")
    email, cell, marathi = departments.get(department, ("", "", ""))
    addresses, bad = check_addresses(email)
    if bad:
        ctx.note(f"{cell or 'Departments'} (Email of {department}): {', '.join(map(repr, bad))} cannot get the "
                 f"urgent alert for {ticket}; write e-mail addresses separated by commas.")
    cell_addresses = parse_addresses(ctx.config.digest.cell_email)
    to = list(dict.fromkeys([*addresses, *cell_addresses]))
    if not to:
        ctx.note(f"alerts: {ticket} is urgent but nobody can be told: set the Email of {department or 'its department'} "
                 "in the Departments tab, or `digest.cell_email` in sheets-sync.yaml.")
        ctx.count(JOB, "no address")
        return None
    email_cells[ticket] = cell
    row = {h: tracker.get(ticket, h) for h in ROW_HEADERS}
    row["_row"] = tracker.read_keys().get(ticket)
    sender = (ctx.config.smtp.sender if ctx.config.smtp else "") or DEFAULT_SENDER
    meta = ctx.work.tabs_meta().get("Tracker", (0, set()))
    return build_alert(row, to, department_mr=marathi, now=ctx.now, tz=ctx.config.tz,
                       spreadsheet_id=ctx.work.store.spreadsheet_id, tracker_gid=meta[0], sender=sender,
                       reply_to=", ".join(cell_addresses))
