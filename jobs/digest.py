"""``digest``: the morning e-mail to each department (head and nodal officer) and a summary to the cell.

Sent once a day, and retried the same day until sent. Each message has a key (``YYYY-MM-DD/Department``, the
cell's ``YYYY-MM-DD/_cell``) and a mark in ``_state`` under ``digest:<key>``: a JSON object with ``status``,
``at`` (when the status was set), ``tries`` (how many runs took it up), ``retry`` (on outcomes) and, once the
server answered, ``recipients`` (each address's ``sent`` / ``failed: 550 ...`` / ``pending: 452 ...`` /
``ambiguous: ...``).

=================================  ============================================  ==============================
status                             meaning                                       the next run today
=================================  ============================================  ==============================
(no mark)                          not sent yet                                  sends it
``sending``                        queued by a run (in its atomic write), not    leaves it while fresh (a live
                                   yet handed to the server                      run refreshes ``at`` at each
                                                                                 hand-off); after
                                                                                 ``STALE_SENDING`` the run
                                                                                 died: sends it
``transferring``                   handed to the server, outcome not recorded    leaves it: maybe delivered
                                   (the process died, or the sheet could not     (at-most-once)
                                   be written)
``sent``                           the server accepted it (250 after DATA)       never sends it again; only an
                                                                                 address added to the cell
                                                                                 since gets it
``partly sent: ...``               accepted for some recipients, deferred (4xx)  sends it to the pending ones
                                   for others                                    only
``failed: ...`` ``retry: true``    not delivered: login refused, server          sends it again
                                   unreachable or gone before DATA, 4xx through
                                   every retry, TLS trouble
``failed: ...`` ``retry: false``   refused for good: 5xx for the message or for  leaves it (it would be refused
                                   every recipient                               again); a corrected address
                                                                                 gets it
``ambiguous: ...``                 the connection broke during DATA: the server  leaves it (at-most-once)
                                   may have accepted it
=================================  ============================================  ==============================

So a refused login, an unreachable server or a crash before the hand-off costs nothing: the next digest run
the same day (``sheets-sync job digest``, or the daily job retrying) sends what is still waiting, and the
cycle counts it (``digest: to retry N``). Only a message the server accepted, or may have accepted, is never
sent again: the digest is a snapshot, so tomorrow's repeats whatever is still open, while a duplicate costs the
heads' trust (see ``reports.mailer``). Each hand-off is recorded (``transferring``) in the sheet *before* the
message goes to the server, together with the previous message's outcome (one small write per message): a
crash after it is treated as ambiguous, a crash before it leaves a ``sending`` mark that goes stale. If that
write fails, the message is not sent (it stays queued, so a later run sends it).

The queue marks ride in the cycle's write, which holds the lease, so two runners never both take up a key; a
second run while a first is still sending finds fresh ``sending`` marks and leaves them. The day's e-mails are
built again at each run (a retry carries the figures of its hour) with the same Message-ID.

One bad item never stops the line: a cell that breaks one department's e-mail (an Email cell that is not an
address, a value that cannot be written) is noted naming the cell or department (``ctx.note``), and the others
are built and sent; failures are noted by cause.

Row links carry the Tracker tab's sheetId and each row's number as this cycle read it: they open the rows where
they are when the digest is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sheets_sync.access import LOG_STATE as ACCESS_LOG
from sheets_sync.access import digest_section as access_section
from sheets_sync.reports.conversations import reopened_sections
from sheets_sync.reports.digest import CELL_KEY, build_digests, header_text
from sheets_sync.reports.mailer import SendResult, build_mailer, message_key, recipients_of
from sheets_sync.retry import policy
from sheets_sync.tracker.store import TrackerStore
from sheets_sync.tracker.table import column_letter

from .cycle import CycleContext, log
from .posts import digest_sections

JOB = "digest"
DEFAULT_SENDER = "sheets-sync@localhost"
# A ``sending`` mark older than this was left by a run that died before handing the message over, so it is
# sent again. A live run rewrites its queued marks at every hand-off, and one message takes at most the retry
# policy's bounds (about 2 min of backoff plus the connect timeouts: a few minutes), so 30 min is well past
# anything a live run leaves; and it is short enough that a retry 30 min later sends it the same morning.
STALE_SENDING = timedelta(minutes=30)

SENDING, TRANSFERRING, SENT = "sending", "transferring", "sent"
# What a run does with one day's key (``_plan``).
SEND, DONE, REFUSED, IN_PROGRESS, MAYBE_DELIVERED, UNREADABLE = (
    "send", "already sent today", "refused for good", "in progress", "maybe delivered, not resent",
    "unreadable mark")


def state_key(key: str) -> str:
    """The ``_state`` key for one digest key (``YYYY-MM-DD/Department``)."""
    return f"digest:{key}"


def make_mailer(ctx: CycleContext) -> Any:
    """The injected mailer, else SMTP when configured, else .eml files in the digest folder."""
    if ctx.mailer is not None:
        return ctx.mailer
    # The runner's sleep: a simulated clock in tests and the demo, real time in production.
    return build_mailer(ctx.config, **({"retry": policy(sleep=ctx.sleep)} if ctx.sleep and ctx.config.smtp else {}))


@dataclass
class _Item:
    """One message taken up by this run: its key, the envelope, and its mark as written in the cycle."""

    message: EmailMessage
    key: str
    envelope: list[str]
    mark: dict[str, Any]
    department: str
    email_cell: str = ""


def run(ctx: CycleContext) -> None:
    """Build today's digests, mark those to send ``sending`` in this cycle's write, send after it lands."""
    messages, email_cells = _build_messages(ctx)
    queue_and_send(ctx, messages, email_cells)


def queue_and_send(ctx: CycleContext, messages: list[EmailMessage], email_cells: Mapping[str, str],
                   job: str = JOB) -> None:
    """Mark each message that is due ``sending`` in this cycle's write and send them once it has landed, each at
    most once per key (``X-Sheets-Sync-Digest``), with the outcomes in ``_state``: the digest's bookkeeping,
    used as it is by every e-mail the tool must send exactly once (``job`` names it in counts and notes)."""
    outbox, tally = _queue(ctx, messages, email_cells)
    _count_queue(ctx, outbox, tally, job)
    if outbox:
        ctx.work.after_write(job, lambda store: _send(ctx, store, outbox, job))


def _build_messages(ctx: CycleContext) -> tuple[list[EmailMessage], dict[str, str]]:
    """Today's messages (build notes go to ``ctx.note``), and each department's Email cell (``Departments!E5``)
    by department name, so a refusal note can name the cell to correct."""
    work = ctx.work
    tracker = ctx.tracker
    rows = [tracker.table.record(n) for n in tracker.read_keys().values()]
    departments, content = (work.tab(t) for t in ("Departments", "Content"))
    dept_records = departments.table.records() if departments else []
    columns = {h: column_letter(i) for h, i in departments.table.col.items()} if departments else {}
    gid = work.tabs_meta().get("Tracker", (0, set()))[0]
    sender = (ctx.config.smtp.sender if ctx.config.smtp else "") or DEFAULT_SENDER
    notes: list[str] = []
    sections = digest_sections(ctx)
    access = access_section(work.state.get(ACCESS_LOG), ctx.now)  # the day's grants and removals, for the cell
    if access is not None:
        sections.setdefault(CELL_KEY, []).append(access)
    for name, extra in reopened_sections(rows, work.store.spreadsheet_id, gid).items():
        sections.setdefault(name, [])[:0] = extra  # first among the extras: a citizen is not satisfied
    messages = build_digests(rows, dept_records, content.table.records() if content else [], ctx.now,
                             ctx.config.tz, work.store.spreadsheet_id, gid, ctx.config.digest.cell_email, sender,
                             notes=notes, columns=columns, sections=sections)
    for note in notes:
        ctx.note(f"digest: {note}")
    email_cells = {header_text(d.get("Department", "")): f"Departments!{columns['Email']}{d['_row']}"
                   for d in dept_records if "Email" in columns and d.get("_row")}
    return messages, email_cells


def _queue(ctx: CycleContext, messages: list[EmailMessage],
           email_cells: Mapping[str, str]) -> tuple[list[_Item], dict[str, int]]:
    """Mark each message this run sends ``sending`` (in the cycle's write, which holds the lease, so no other
    runner takes it up too): (the outbox, how many keys were left alone by verdict)."""
    work = ctx.work
    outbox: list[_Item] = []
    tally: dict[str, int] = {}
    for message in messages:
        key = message_key(message)
        if not key:
            continue
        mark = _read_mark(work.state.get(state_key(key)))
        verdict, envelope = _plan(mark, recipients_of(message), ctx.now)
        if verdict != SEND:
            tally[verdict] = tally.get(verdict, 0) + 1
            if verdict == UNREADABLE:
                ctx.note(f"digest: the _state mark of {key} is not readable; left alone (today's digest for it "
                         "is not sent). Clear its value in the _state tab to send it.")
            continue
        marked = {"status": SENDING, "at": ctx.now.isoformat(), "tries": int((mark or {}).get("tries", 0)) + 1,
                  "recipients": dict((mark or {}).get("recipients") or {})}
        work.set_state(state_key(key), json.dumps(marked, ensure_ascii=False))
        department = key.partition("/")[2]
        outbox.append(_Item(message, key, envelope, marked, department, email_cells.get(department, "")))
    return outbox, tally


def _count_queue(ctx: CycleContext, outbox: list[_Item], tally: dict[str, int], job: str) -> None:
    """The cycle's counts for the queueing: what goes now and, by verdict, what was left alone."""
    ctx.count(job, "to send", len(outbox))
    ctx.count(job, "already sent" + (" today" if job == JOB else ""), tally.pop(DONE, 0))
    for verdict, n in tally.items():
        ctx.count(job, verdict, n)
    # Waiting for a later run: those another run is sending now (if it dies, a later run sends them), plus what
    # this run's sending leaves to retry (counted after it).
    ctx.count(job, "to retry", tally.get(IN_PROGRESS, 0))


def _read_mark(value: str | None) -> dict[str, Any] | None:
    """A key's mark: None when there is none (or it was cleared); ``{}`` when it cannot be read."""
    if not value or not value.strip():
        return None
    try:
        mark = json.loads(value)
    except ValueError:
        return {}
    return mark if isinstance(mark, dict) and isinstance(mark.get("status"), str) else {}


def _when(mark: Mapping[str, Any]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(mark.get("at", "")))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _plan(mark: dict[str, Any] | None, recipients: list[str], now: datetime) -> tuple[str, list[str]]:
    """What this run does with a key whose mark is ``mark``: (verdict, the recipients to send to)."""
    if mark is None:
        return SEND, recipients
    status = mark.get("status")
    if not isinstance(status, str):
        return UNREADABLE, []
    held = _held(status, mark, now)
    if held is not None:
        return held, []
    return _plan_recipients(status, mark, recipients)


def _held(status: str, mark: Mapping[str, Any], now: datetime) -> str | None:
    """The verdict when ``status`` alone keeps the key from being sent (in flight, maybe delivered, unknown);
    None when the recipients still waiting decide (``_plan_recipients``)."""
    if status == SENDING:
        at = _when(mark)
        if at is not None and now - at < STALE_SENDING:
            return IN_PROGRESS
        # Stale: the run that queued it died before handing it over (a hand-off is marked ``transferring``).
        return None
    if status == TRANSFERRING or status.startswith("ambiguous"):
        return MAYBE_DELIVERED
    if not status.startswith(("sent", "partly sent", "failed")):
        return UNREADABLE
    return None


def _plan_recipients(status: str, mark: Mapping[str, Any], recipients: list[str]) -> tuple[str, list[str]]:
    """For a settled (or stale) mark: send to the recipients with no final outcome yet, else done or refused."""
    done = {address.casefold() for address, state in (mark.get("recipients") or {}).items()
            if state == SENT or str(state).startswith(("failed", "ambiguous"))}
    if status == SENT and not mark.get("recipients"):
        return DONE, []  # written as a file, or by an earlier version: nothing per recipient to go on
    if status.startswith("failed") and mark.get("retry") is False and not mark.get("recipients"):
        return REFUSED, []
    remaining = [address for address in recipients if address.casefold() not in done]
    if remaining:
        return SEND, remaining
    return (REFUSED if status.startswith("failed") else DONE), []


@dataclass
class _Progress:
    """Records each hand-off and outcome in ``_state`` as the mailer goes: one write per message."""

    store: TrackerStore
    items: dict[str, _Item]
    clock: Callable[[], datetime]
    queued: set[str] = field(default_factory=set)
    unwritten: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queued = set(self.items)

    def start(self, message: EmailMessage) -> None:
        """Before ``message`` goes to the server: mark it ``transferring`` (with the outcomes known so far, and
        the queued marks refreshed so no other run takes them for stale). Raising stops the hand-off."""
        key = message_key(message)
        now = self.clock().isoformat()
        values = dict(self.unwritten)
        if key in self.items:
            self.queued.discard(key)
            values[state_key(key)] = _dump({**self.items[key].mark, "status": TRANSFERRING, "at": now})
        for other in self.queued:
            values[state_key(other)] = _dump({**self.items[other].mark, "at": now})
        self.store.write_state(values)
        self.unwritten.clear()

    def result(self, result: SendResult) -> None:
        """One outcome, written with the next hand-off (or at the end)."""
        if result.key in self.items:
            self.queued.discard(result.key)
            self.unwritten[state_key(result.key)] = _dump(_outcome(result, self.items[result.key], self.clock()))


def _send(ctx: CycleContext, store: TrackerStore, outbox: list[_Item], job: str = JOB) -> None:
    """Send what this cycle's write marked ``sending``; record each hand-off and outcome in ``_state``."""
    items = {item.key: item for item in outbox}
    progress = _Progress(store, items, store.clock)
    try:
        results = make_mailer(ctx).deliver([item.message for item in outbox],
                                           envelopes={item.key: item.envelope for item in outbox},
                                           on_start=progress.start, on_result=progress.result)
    except Exception:
        if progress.unwritten:  # what is known; the rest stays queued and goes stale, to be sent again
            store.write_state(progress.unwritten)
        raise
    final = {state_key(r.key): _dump(_outcome(r, items[r.key], progress.clock()))
             for r in results if r.key in items}
    if final:
        store.write_state(final)
    _report(ctx, results, items, job)


def _dump(mark: Mapping[str, Any]) -> str:
    return json.dumps(mark, ensure_ascii=False)


def _outcome(result: SendResult, item: _Item, now: datetime) -> dict[str, Any]:
    """A key's mark after sending: its status, whether a later run retries it, and each recipient's outcome."""
    recipients = dict(item.mark.get("recipients") or {})
    recipients.update(dict(result.recipients))
    if result.ambiguous:
        recipients.update({address: f"ambiguous: {result.error[:120]}" for address in item.envelope})
    delivered = result.ok or any(state == SENT for state in recipients.values())
    if delivered:
        if result.retry:
            pending = result.pending or tuple(item.envelope)
            reason = result.error if not result.ok else ", ".join(
                f"{a} ({dict(result.recipients)[a]})" for a in pending)
            status = "partly sent: waiting for " + reason[:200]
        else:
            status = SENT
    elif result.ambiguous:
        status = "ambiguous: " + result.error[:200]
    else:
        status = "failed: " + result.error[:200]
    mark: dict[str, Any] = {"status": status, "at": now.isoformat(), "tries": item.mark.get("tries", 1),
                            "retry": result.retry}
    if recipients:
        mark["recipients"] = recipients
    return mark


def _report(ctx: CycleContext, results: list[SendResult], items: dict[str, _Item], job: str) -> None:
    """Counts and notes: what went, what waits for a later run, what needs a person."""
    sent = sum(1 for r in results if r.ok)
    retry = [r for r in results if r.retry]
    missing = [k for k in items if k not in {r.key for r in results}]  # no result: still queued, goes stale
    log.info("%s: %d sent, %d not sent", job, sent, len(results) - sent)
    ctx.count(job, "sent", sent)
    ctx.count(job, "to retry", len(retry) + len(missing))
    _waiting_note(ctx, [r for r in retry if not r.ok], job)
    for r in results:
        item = items.get(r.key or "")
        if item is not None:
            _result_notes(ctx, r, item, job)


def _waiting_note(ctx: CycleContext, waiting: list[SendResult], job: str) -> None:
    """One note (or failure) for the messages not delivered to anyone that a later run sends again."""
    if waiting:
        again = ("The next digest run today sends them again (`sheets-sync job digest`)." if job == JOB else
                 f"The next cycle sends them again (`sheets-sync job {job}` at once).")
        message = (f"{job}: {len(waiting)} e-mail(s) not sent yet ({', '.join(str(r.key) for r in waiting)}): "
                   f"{waiting[0].error}. {again}")
        # A refused login or wrong SMTP settings need a person (the cycle is not ok); an unreachable server or
        # a busy one is only noted: the retries deal with it.
        (ctx.fail if any(r.blocked for r in waiting) else ctx.note)(message)


def _where(item: _Item) -> str:
    """Where the item's address is set, for a note asking a person to correct it."""
    if item.department == CELL_KEY:
        return "sheets-sync.yaml (key `digest.cell_email`)"
    if item.email_cell:
        return f"{item.email_cell} (Email of {item.department})"
    return f"the Email of {item.department} in the Departments tab"


def _result_notes(ctx: CycleContext, r: SendResult, item: _Item, job: str = JOB) -> None:
    """The notes for one message's outcome: maybe delivered, refused for good, or refused for some addresses."""
    where = _where(item)
    if r.ambiguous:
        ctx.note(f"{job}: {r.key} may or may not have been delivered ({r.error}); not sent again, to avoid a "
                 "duplicate.")
    elif not r.ok and not r.retry:
        ctx.note(f"{job}: {r.key} refused for good ({r.error}); not retried. Check {where}: a corrected "
                 "address gets today's digest on the next run.")
    for address, state in r.recipients:
        if r.ok and state.startswith("failed"):
            ctx.note(f"{job}: {where}: the mail server refused {address} for good ({state[8:]}); the others "
                     "got it. Correct the address: the next digest run sends today's digest to it.")
