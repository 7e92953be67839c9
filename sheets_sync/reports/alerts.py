"""The urgent-matter alert: one e-mail per urgent ticket, to its department (the Departments tab's *Email*: head
and nodal officer) and to the cell (``digest.cell_email``), sent in the cycle that found it.

Pure: builds the message. ``jobs/alerts.py`` decides which tickets need one and sends them with the digest's
exactly-once bookkeeping (key ``urgent/<ticket>`` in ``X-Sheets-Sync-Digest`` and ``_state``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from email.message import EmailMessage
from typing import Any

from .digest import _Doc, _message, header_text, row_link

__all__ = ["alert_key", "build_alert"]

COMMENT_CHARS = 400


def alert_key(ticket: str) -> str:
    """The once-per-ticket key of an urgent alert: ``urgent/FB-123_456``."""
    return f"urgent/{ticket}"


def _when(value: Any, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%d-%m-%Y %H:%M") if isinstance(value, datetime) else str(value or "")


def build_alert(row: Mapping[str, Any], to: Sequence[str], *, department_mr: str, now: datetime, tz: tzinfo,
                spreadsheet_id: str, tracker_gid: int | str, sender: str, reply_to: str) -> EmailMessage:
    """The alert for one urgent Tracker row (its cells by header, ``_row`` its row number as read)."""
    ticket = str(row.get("Ticket ID", ""))
    department = header_text(row.get("Department", "")) or "Social Media Cell"
    comment = header_text(row.get("Comment", ""))
    short = comment[:70] + ("…" if len(comment) > 70 else "")
    doc = _Doc(f"तातडीचे / URGENT — {department_mr or department}: {ticket}")
    doc.paragraph("नागरिकाने तातडीची बाब कळवली आहे; कृपया लगेच कार्यवाही करून Tracker Sheet मध्ये उत्तर द्या. / A citizen "
                  "reported an urgent matter: please act now and answer in the Tracker Sheet.")
    doc.pairs([
        ("Department / विभाग", department), ("Ticket", ticket), ("Platform", str(row.get("Platform", ""))),
        ("Author", header_text(row.get("Author", ""))), ("Received At", _when(row.get("Received At"), tz)),
        ("Due By / मुदत", _when(row.get("Due By"), tz)), ("Why urgent", header_text(row.get("Assigned By", ""))),
    ])
    doc.heading("Comment / प्रतिक्रिया")
    doc.paragraph(comment[:COMMENT_CHARS] + ("…" if len(comment) > COMMENT_CHARS else ""))
    if row.get("Link"):
        doc.paragraph("Open on the platform:", str(row["Link"]))
    if row.get("_row"):
        doc.paragraph("Open the row in the Tracker Sheet:", row_link(spreadsheet_id, tracker_gid, int(row["_row"])))
    text, html_body = doc.bodies("sheets-sync: one alert per urgent ticket. Reply in the Tracker Sheet, not to this "
                                 "e-mail.")
    return _message(sender=sender, to=to, subject=f"तातडीचे / URGENT: {department} — {short} ({ticket})", now=now,
                    tz=tz, key=alert_key(ticket), spreadsheet_id=spreadsheet_id, reply_to=reply_to, text=text,
                    html_body=html_body)
