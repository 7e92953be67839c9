"""``content-mail``: departments' content requests, from the cell's mailbox into the Content tab.

Each new message in ``content_mail.folder`` becomes one Content row: Title from the subject, Department from
the sender's address (matched against the Departments tab's Email cells), Submitted At from the message's own
Date (so the 7-day lead flag counts from when the department sent it), Material Link listing the attachments
(uploaded to ``content_mail.drive_folder`` when set, else named), the first body lines in Notes, and the
Message-ID in *Message ID*. A sender no department lists gets a row with an empty Department and a note for
the cell; a message that cannot be read gets a row saying so.

Exactly once per Message-ID, whatever crashes in between: the row and its Message-ID land in the cycle's one
write, and a message whose Message-ID is already in the tab is never added again. The UID cursor in ``_state``
only moves past messages whose rows a *read* of the sheet has shown (the cycle after they were written), so a
write that did not land — killed, refused, or dropped because people moved the columns — is redone, and a
write that did land is never repeated. The mailbox itself is never changed (no message marked read).

Throttle: the mailbox is read every ``content_mail.every_minutes`` (default 15; the last read is in
``_state``); ``sheets-sync job content-mail`` reads it now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sheets_sync.config import ContentMailConfig
from sheets_sync.errors import SheetsSyncError
from sheets_sync.mailbox import Batch, Mailbox, MailItem
from sheets_sync.reports.content_mail import ack_message, material_lines, notes_text, unique_title
from sheets_sync.reports.digest import check_addresses, row_link
from sheets_sync.reports.mailer import build_mailer
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.drive_files import MAX_MULTIPART_BYTES, upload_file
from sheets_sync.tracker.lookup import rows_of
from sheets_sync.tracker.store import TrackerStore
from sheets_sync.tracker.unit_of_work import TabRows

from .cycle import CycleContext

JOB = "content-mail"
CURSOR_KEY = "content_mail.cursor"
LAST_READ_KEY = "content_mail.last_read"


@dataclass
class _Intake:
    """One cycle's reading of the mailbox against the Content tab."""

    ctx: CycleContext
    config: ContentMailConfig
    content: TabRows
    directory: dict[str, str]
    in_sheet: set[str]
    added: dict[str, str] = field(default_factory=dict)  # Message-ID → Title of the rows added this cycle
    acks: list[tuple[str, MailItem]] = field(default_factory=list)


def run(ctx: CycleContext) -> None:
    """Read new messages and add their Content rows (see the module's docstring)."""
    config = ctx.config.content_mail
    content = ctx.work.tab("Content")
    if config is None or content is None or not _due(ctx, config):
        return
    ctx.work.set_state(LAST_READ_KEY, ctx.now.isoformat())
    validity, cursor = _cursor(ctx.work.state.get(CURSOR_KEY))
    try:
        with Mailbox(config) as box:
            batch = box.read_after(cursor, validity)
    except SheetsSyncError as exc:
        ctx.fail(f"{JOB}: {exc}")
        return
    if batch.restarted or validity is None:
        cursor = 0
    if batch.restarted:  # UIDs were renumbered: Message IDs keep it exactly once
        ctx.note(f"{JOB}: the folder's UIDVALIDITY changed; it was read again from its first message")
    intake = _Intake(ctx, config, content, department_directory(ctx), _message_ids(content))
    ctx.work.set_state(CURSOR_KEY, json.dumps({"uidvalidity": batch.uidvalidity,
                                               "uid": _advance(cursor, batch, intake.in_sheet)}))
    for item in batch.items:
        _take(intake, item)
    if config.acknowledge and intake.acks:
        acks = list(intake.acks)
        ctx.work.after_write(f"{JOB} acknowledgements", lambda store: _acknowledge(ctx, content, acks, store))


def _due(ctx: CycleContext, config: ContentMailConfig) -> bool:
    if JOB in ctx.on_demand:
        return True
    try:
        last = datetime.fromisoformat(ctx.work.state.get(LAST_READ_KEY, ""))
    except ValueError:
        return True
    return ctx.now - last >= timedelta(minutes=config.every_minutes)


def _cursor(saved: str | None) -> tuple[int | None, int]:
    """(UIDVALIDITY, last UID confirmed in the sheet) from ``_state``; (None, 0) before the first read."""
    try:
        value = json.loads(saved or "")
        return int(value["uidvalidity"]), int(value["uid"])
    except (ValueError, TypeError, KeyError):
        return None, 0


def _advance(cursor: int, batch: Batch, in_sheet: set[str]) -> int:
    """The highest UID up to which every message read is already in the sheet (as this cycle read it)."""
    for item in batch.items:
        if item.message_id not in in_sheet:
            break
        cursor = max(cursor, item.uid)
    return cursor


def _message_ids(content: TabRows) -> set[str]:
    return {text for value in content.column("Message ID") if (text := as_text(value).strip())}


def department_directory(ctx: CycleContext) -> dict[str, str]:
    """Sender address (lower case) → department, from the Departments tab's Email cells (an address listed
    by two departments goes to the first)."""
    table = ctx.work.tab("Departments")
    directory: dict[str, str] = {}
    if table is None:
        return directory
    for key in table.keys():
        addresses, _bad = check_addresses(table.get(key, "Email"))  # bad cells: the digest names them
        for address in addresses:
            directory.setdefault(address.casefold(), key)
    return directory


def _take(intake: _Intake, item: MailItem) -> None:
    """One message: skipped when its row exists (or was added this cycle), else a new row."""
    ctx = intake.ctx
    if item.message_id in intake.in_sheet:
        return
    if item.message_id in intake.added:
        ctx.count(JOB, "duplicates skipped")
        return
    department = intake.directory.get(item.sender.casefold(), "") if item.sender else ""
    title = unique_title(item, intake.content)
    links = _save_attachments(intake, item)
    submitted: Any = item.date or ctx.now
    intake.content.append({
        "Title": title, "Department": department, "Status": "Requested", "Submitted At": submitted,
        "Material Link": "\n".join(material_lines(item, links, bool(intake.config.drive_folder))),
        "Notes": notes_text(item, department), "Message ID": item.message_id}, JOB)
    intake.added[item.message_id] = title
    ctx.count(JOB, "rows added" if department else "rows for the cell to place")
    if not department:
        ctx.note(f"{JOB}: Content row {title!r} came from {item.sender or 'an unknown sender'}, which no "
                 "department's Email lists: fill its Department (and add the address to that department's "
                 "Email on the Departments tab)")
    if department and item.sender and not item.problem:
        intake.acks.append((title, item))


def _save_attachments(intake: _Intake, item: MailItem) -> dict[str, str]:
    """Filename → Drive link of each attachment uploaded (none when no Drive folder is configured). One that
    cannot be uploaded is named without a link, with the reason noted."""
    folder = intake.config.drive_folder
    links: dict[str, str] = {}
    if not folder:
        return links
    for attachment in item.attachments:
        if len(attachment.payload) > MAX_MULTIPART_BYTES:
            continue  # named in Material Link as too large to upload
        try:
            links[attachment.filename] = upload_file(intake.ctx.work.store, folder, attachment.filename,
                                                     attachment.content_type, attachment.payload)
            intake.ctx.count(JOB, "attachments saved")
        except Exception as exc:  # noqa: BLE001 - one file Drive refused must not lose the request
            intake.ctx.note(f"{JOB}: {attachment.filename!r} from {item.sender} could not be saved to Drive "
                            f"folder {folder}: {exc}; it stays attached to the e-mail")
    return links


def _acknowledge(ctx: CycleContext, content: TabRows, acks: list[tuple[str, MailItem]], store: TrackerStore) -> None:
    """Once the rows have landed: each department sender gets a short reply with its row's link. At most once
    (sent after the write; a crash before sending leaves the request recorded, unacknowledged)."""
    config = ctx.config
    sender = (config.smtp.sender if config.smtp else "") or config.digest.cell_email
    if not sender:
        ctx.note(f"{JOB}: content_mail.acknowledge is on but there is no sender address: set smtp.from or "
                 "digest.cell_email")
        return
    rows = rows_of(store, content.table, [title for title, _ in acks])
    gid = store.tabs_meta().get(content.title, (0, set()))[0]
    messages = [ack_message(item, title, row_link(store.spreadsheet_id, gid, rows[title]) if title in rows else
                            f"https://docs.google.com/spreadsheets/d/{store.spreadsheet_id}/edit#gid={gid}",
                            sender, ctx.now, config.tz) for title, item in acks]
    mailer = ctx.mailer or build_mailer(config)
    for result in mailer.deliver(messages):
        ctx.count(JOB, "acknowledged" if result.ok else "acknowledgements not sent")
        if not result.ok:
            ctx.note(f"{JOB}: an acknowledgement was not sent: {result.error}")
