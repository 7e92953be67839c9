"""Pure pieces of the content-mail job: a message's Content row texts and the acknowledgement e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from ..mailbox import MailItem
from .digest import header_text

LARGE_BYTES = 5 * 1024 * 1024


class _Keys(Protocol):
    def known(self, key: str) -> bool: ...


def unique_title(item: MailItem, content: _Keys) -> str:
    """The row's Title: the subject (or "(no subject) — sender"), numbered " (2)", " (3)"... when the tab
    already has that Title — Title is the Content tab's key, so two requests must not share one."""
    base = header_text(item.subject) or f"(no subject) — {item.sender or 'unknown sender'}"
    title, number = base, 1
    while content.known(title):
        number += 1
        title = f"{base} ({number})"
    return title


def material_lines(item: MailItem, links: Mapping[str, str], drive_configured: bool) -> list[str]:
    """One line per attachment for Material Link: ``name: link`` when saved to Drive, else the name and why."""
    lines = []
    for attachment in item.attachments:
        name = header_text(attachment.filename)
        if attachment.filename in links:
            lines.append(f"{name}: {links[attachment.filename]}")
        elif len(attachment.payload) > LARGE_BYTES:
            lines.append(f"{name} ({len(attachment.payload) / 1e6:.1f} MB, too large to upload: in the e-mail)")
        elif drive_configured:
            lines.append(f"{name} (not saved to Drive: in the e-mail)")
        else:
            lines.append(f"{name} (attached to the e-mail)")
    return lines


def notes_text(item: MailItem, department: str) -> str:
    """Notes for a row made from an e-mail: the sender, what the cell must do, then the body's first lines."""
    sender = f"{header_text(item.sender_name)} <{item.sender}>" if item.sender_name else item.sender
    lines = [f"ई-मेलने आले / By e-mail from {sender or 'an unknown sender'}"]
    if not department:
        lines.append("कक्षासाठी: हा पत्ता कोणत्याही विभागाच्या Email मध्ये नाही — Department भरावा. / For the cell: "
                     "no department's Email (Departments tab) lists this address — fill Department, and add the "
                     "address to that department's Email so its next e-mails are placed.")
    if item.problem:
        lines.append(f"ई-मेल वाचताना अडचण / Could not read all of it: {item.problem} — open the e-mail "
                     f"(Message-ID {item.message_id}) and complete this row.")
    lines.extend(item.body_lines)
    return "\n".join(lines)


def ack_message(item: MailItem, title: str, link: str, sender: str, now: datetime, tz: tzinfo) -> EmailMessage:
    """The short reply to a department whose e-mail became a Content row, with the row's link."""
    msg = EmailMessage()
    msg["From"] = header_text(sender)
    msg["To"] = header_text(item.sender)
    msg["Subject"] = header_text(f"Re: {item.subject}" if item.subject else f"Re: {title}")
    msg["Date"] = format_datetime(now.astimezone(tz))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if item.message_id.startswith("<"):
        msg["In-Reply-To"] = item.message_id
        msg["References"] = item.message_id
    # An automatic answer: out-of-office robots must not answer it (RFC 3834).
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content("\n".join([
        "नमस्कार,",
        "",
        f"आपली मागणी \"{title}\" समाज माध्यम कक्षाच्या पोस्ट नियोजनात नोंदवली आहे:",
        f"Your request \"{title}\" is recorded in the social media cell's content calendar:",
        "",
        link,
        "",
        "आदेशानुसार साहित्य प्रकाशनाच्या किमान ७ दिवस आधी पाठवावे. / The order asks for material at least 7 days "
        "before publication.",
        "",
        "-- ",
        "sheets-sync (automatic reply / स्वयंचलित उत्तर)",
    ]))
    return msg
