"""The daily digest e-mails — pure: rows in, ``EmailMessage`` objects out; ``mailer`` sends them.

Who gets what:

- every **active** department with an address in its Email cell gets one e-mail (To: those addresses — the
  head and the nodal officer), with its counts, its open items (escalated and overdue first, then oldest
  first, at most ``MAX_ITEMS``), its content-calendar flags, a link to each row in the Tracker Sheet, in
  Marathi and English, as text and HTML;
- a department with **nothing open** gets a short all-clear only when something happened in the last 24 h
  (a reply posted, a comment received) or it has content flags: a head wants to hear "all answered" on a day
  with work, not a daily empty e-mail that trains people to ignore the digest;
- every header value is one line whatever the cells hold (``header_text``: line breaks typed with Alt+Enter,
  tabs and other control characters, runs of spaces → one space), so a cell cannot break the message;
- subjects use ASCII " - " separators, not "—": with a Marathi name *and* a dash, the subject holds two
  encoded words, and CPython's header folding (3.11) drops the space between them when it folds the line
  there ("(पथ विभाग)— 3 open"); with one non-ASCII run the round trip is exact (tested);
- the subject's "overdue" counts every open item past its deadline (overdue + escalated, see ``metrics``);
- an Email cell is read address by address (``check_addresses``): one that is not an address (``roads@``, two
  glued together) is set aside with a note naming the cell (``Departments!E5 (Email of Roads): ...``), and the
  department's other addresses still get the e-mail;
- one bad item never stops the line: a department whose e-mail cannot be built is noted by name and the
  others are built (``build_digests``'s ``notes``);
- the **cell** (``cell_email``) gets one summary: the table for every department (including inactive ones
  with open rows, ones missing from the Departments tab, and ones without an address — so the cell can fix
  the tab), the platform table, every content flag, and the notes (cells to fix).

Each message carries ``X-Sheets-Sync-Digest: <YYYY-MM-DD>/<department>`` (``digest_key``; the cell's is
``<day>/_cell``) for the caller's once-a-day bookkeeping, and a Message-ID derived from the same key, so that
a copy re-sent after a crash has the same Message-ID and mail systems that deduplicate on it show it once.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from ..vocabulary import URGENT
from .content import ContentFlag, content_flags
from .metrics import (
    DASH,
    UNROUTED,
    GroupMetrics,
    by_department,
    by_platform,
    department_names,
    department_of,
    format_hours,
    is_active,
    is_escalated,
    is_open,
    is_overdue,
    summarize,
)
from .sections import Section

Row = Mapping[str, Any]

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "[PMC sheets-sync]"
DIGEST_HEADER = "X-Sheets-Sync-Digest"
CELL_KEY = "_cell"
MAX_ITEMS = 200
COMMENT_CHARS = 140

# Headings, labels and table headers: "Marathi / English" — Marathi first (the department's working language).
# Terms (README glossary): प्रतिक्रिया = item/comment of any category (not तक्रार, which is the Complaint
# category); मुदतबाह्य = overdue; मध्यगा = median; पोस्ट नियोजन = content calendar; नोंद/नोंदी = a note or flag
# the tool raises. सूचना is kept for the Suggestion category only, and शेरा for Remark (the corporation's order).
H_SUMMARY = "सारांश / Summary"
H_URGENT = "तातडीच्या प्रतिक्रिया / Urgent items"
H_OVERDUE = "मुदतबाह्य प्रतिक्रिया / Overdue items"
H_OPEN = "प्रलंबित प्रतिक्रिया / Open items"
H_CONTENT = "पोस्ट नियोजन / Content calendar"
H_ALL_CLEAR = "आपल्या विभागाकडे पाठवलेली कोणतीही प्रतिक्रिया प्रलंबित नाही / Nothing routed to your department is waiting"
H_DEPARTMENTS = "विभागनिहाय / By department"
H_PLATFORMS = "माध्यमनिहाय / By platform"
H_NOTES = "दुरुस्तीसाठी नोंदी / Notes (cells to fix)"
L_OVERDUE = "मुदतबाह्य / Overdue"
L_URGENT = "तातडीचे / Urgent"
L_ESCALATED = "वरिष्ठांकडे वर्ग / Escalated"
COUNT_LABELS = (
    ("new", "नवीन / New"),
    ("open", "प्रलंबित / Open"),
    ("overdue", L_OVERDUE),
    ("escalated", L_ESCALATED),
    ("replied_24h", "गेल्या २४ तासांत दिलेली उत्तरे / Replied in the last 24 hours"),
)
MEDIAN_LABEL = "उत्तराचा मध्यगा वेळ (७ दिवस) / Median reply time (7 days)"
ITEM_HEADERS = ("तिकीट / Ticket", "माध्यम / Platform", "प्रतिक्रिया / Comment", "प्रलंबित कालावधी / Age",
                "उत्तराची मुदत / Due by", "नोंद / Flag")
CELL_HEADERS = ("विभाग / Department", "नवीन / New", "प्रलंबित / Open", L_OVERDUE, L_ESCALATED,
                "उत्तरे (२४ तास) / Replied (24 h)", "मध्यगा तास (७ दिवस) / Median h (7 d)",
                "P90 तास (७ दिवस) / P90 h (7 d)", "दैनिक ई-मेल / Digest")
PLATFORM_LABEL = "माध्यम / Platform"
UNTITLED = "(शीर्षक नाही / untitled)"
NO_DEPARTMENT = "(विभाग नाही / no department)"
DEPARTMENTS_TAB = "Departments"
# Where one address ends and the next begins in an Email cell: commas, semicolons, line breaks (Alt+Enter).
_ADDRESS_PIECES = re.compile(r"[,;\r\n\v\f\x85\u2028\u2029]+")
_DISPLAY_NAME = re.compile(r"^(?P<name>[^<>]*)<(?P<address>[^<>]*)>$")
# A plain address as mail servers take it without SMTPUTF8: local@domain.tld, ASCII, one "@", a dotted domain.
_ADDRESS = re.compile(r"(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(?<!\.)"
                      r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
ADDRESS_HINT = "write name@example.gov.in, separate several with commas"


def digest_key(day: date, department: str) -> str:
    """The once-a-day key of a department's digest: ``2026-11-26/Roads``; also the X-Sheets-Sync-Digest value."""
    return f"{day.isoformat()}/{department}"


def department_key(day: date, department: str) -> str:
    """``digest_key`` of a department as it appears in messages and ``_state``: its name on one line."""
    return digest_key(day, header_text(department))


def slug(text: str) -> str:
    """A file-name-safe ASCII form of a department name: "Water Supply" → "water-supply"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    # A name in Devanagari only has no ASCII left: a short hash keeps file names distinct and stable.
    return cleaned or "d-" + hashlib.sha1(text.encode()).hexdigest()[:8]


def header_text(value: Any) -> str:
    """``value`` as one header line: line breaks (a cell's Alt+Enter), tabs and other control characters and
    runs of white space become one space; the ends are trimmed. Joiners (ZWJ/ZWNJ, used in Devanagari) stay."""
    text = "" if value is None else str(value)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())


def is_address(text: str) -> bool:
    """Whether ``text`` is one plain e-mail address (``name@example.gov.in``)."""
    return bool(_ADDRESS.fullmatch(text))


def check_addresses(cell: Any) -> tuple[list[str], list[str]]:
    """An Email cell read: (the addresses, without repeats; what is there but is not an address).

    Addresses are separated by commas, semicolons, line breaks or spaces; ``Name <address>`` is accepted. A word
    without "@" next to an address is taken as a name and ignored; a piece with "@" that is not one address
    (``roads@``, ``a@x.inb@y.in``) or a piece with no address at all is returned as a problem.
    """
    found: list[str] = []
    bad: list[str] = []
    seen: set[str] = set()
    for piece in _ADDRESS_PIECES.split(header_text(cell) if cell else ""):
        piece = piece.strip()
        if not piece:
            continue
        named = _DISPLAY_NAME.match(piece)
        tokens = [named.group("address")] if named else piece.split()
        candidates = [t.strip("\"'()[]").rstrip(".") for t in tokens if "@" in t or named]
        if not candidates:
            bad.append(piece)
            continue
        for candidate in candidates:
            if not is_address(candidate):
                bad.append(candidate or piece)
            elif candidate.casefold() not in seen:
                seen.add(candidate.casefold())
                found.append(candidate)
    return found, bad


def parse_addresses(cell: Any) -> list[str]:
    """The addresses in an Email cell (separated by commas, semicolons or spaces), without repeats; what is not
    an address is left out (``check_addresses`` says what)."""
    return check_addresses(cell)[0]


def address_note(where: str, bad: Sequence[str]) -> str:
    """The note for an address cell holding things that are not addresses."""
    shown = ", ".join(repr(b) for b in bad)
    verb = "is not an e-mail address" if len(bad) == 1 else "are not e-mail addresses"
    return f"{where}: {shown} {verb}; {ADDRESS_HINT}"


def row_link(spreadsheet_id: str, gid: int | str, row: int) -> str:
    """A link that opens the Tracker Sheet at the row."""
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit#gid={gid}&range=A{row}"


def format_age(delta: timedelta) -> str:
    """How long a citizen has waited: "3 d 4 h", "5 h", "12 min"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h" if hours else f"{mins} min"


def truncate(text: str, limit: int = COMMENT_CHARS) -> str:
    """One line of at most ``limit`` characters (whitespace collapsed, "…" when cut)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _text(row: Row, key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def _when(moment: Any, tz: tzinfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}" if isinstance(moment, datetime) else DASH


def _is_urgent(row: Row) -> bool:
    return _text(row, "Priority") == URGENT


def _flag(row: Row) -> str:
    if _is_urgent(row):
        return L_URGENT + (f", {L_OVERDUE}" if is_overdue(row) or is_escalated(row) else "")
    if is_escalated(row):
        return L_ESCALATED
    return L_OVERDUE if is_overdue(row) else ""


def _urgency(row: Row) -> tuple[int, float, int]:
    # Urgent, then escalated, then overdue, then the rest; oldest first within each; rows without a date last.
    received = row.get("Received At")
    rank = -1 if _is_urgent(row) else 0 if is_escalated(row) else 1 if is_overdue(row) else 2
    stamp = received.timestamp() if isinstance(received, datetime) else float("inf")
    return rank, stamp, int(row.get("_row") or 0)


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] if "@" in address else "sheets-sync.invalid"


def _message_id(key: str, spreadsheet_id: str, sender: str) -> str:
    # Derived from the key (not random) so a re-send after a crash carries the same Message-ID.
    digest = hashlib.sha1(f"{spreadsheet_id}|{key}".encode()).hexdigest()[:16]
    day, _, name = key.partition("/")
    return f"<digest.{day}.{slug(name)}.{digest}@{_domain(sender)}>"


class _Doc:
    """The text and HTML bodies of one e-mail, built side by side so they always say the same thing."""

    def __init__(self, title: str) -> None:
        self.text: list[str] = [title, "=" * min(len(title), 72), ""]
        self.html: list[str] = [
            '<!doctype html><html lang="mr"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title></head>",
            '<body style="font-family:Arial,\'Noto Sans Devanagari\',sans-serif;font-size:14px;color:#222">',
            f'<h2 style="margin:0 0 12px">{html.escape(title)}</h2>',
        ]

    def heading(self, text: str) -> None:
        self.text += ["", text, "-" * min(len(text), 72)]
        self.html.append(f'<h3 style="margin:18px 0 6px">{html.escape(text)}</h3>')

    def paragraph(self, text: str, link: str | None = None, link_text: str = "") -> None:
        self.text.append(text + (f" {link}" if link else ""))
        anchor = f' <a href="{html.escape(link)}">{html.escape(link_text or link)}</a>' if link else ""
        self.html.append(f"<p>{html.escape(text)}{anchor}</p>")

    def pairs(self, pairs: Sequence[tuple[str, str | int]]) -> None:
        for label, value in pairs:
            self.text.append(f"  {label}: {value}")
        self.html.append('<table style="border-collapse:collapse">' + "".join(
            f'<tr><td style="padding:2px 12px 2px 0">{html.escape(label)}</td>'
            f'<td style="padding:2px 0;font-weight:bold;text-align:right">{html.escape(str(value))}</td></tr>'
            for label, value in pairs) + "</table>")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              links: Sequence[str | None] | None = None) -> None:
        """A table; ``links[i]`` (if any) is put on row i's first cell in HTML and after the row in text."""
        links = links or [None] * len(rows)
        for row, link in zip(rows, links, strict=True):
            self.text.append("  " + " | ".join(str(c) for c in row))
            if link:
                self.text.append(f"    {link}")
        cells = "".join(f'<th style="text-align:left;padding:4px 8px;border-bottom:2px solid #999">'
                        f"{html.escape(h)}</th>" for h in headers)
        body = []
        for row, link in zip(rows, links, strict=True):
            tds = []
            for i, cell in enumerate(row):
                value = html.escape(str(cell))
                if i == 0 and link:
                    value = f'<a href="{html.escape(link)}">{value}</a>'
                tds.append(f'<td style="padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top">{value}</td>')
            body.append("<tr>" + "".join(tds) + "</tr>")
        self.html.append('<table style="border-collapse:collapse">'
                         f"<thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>")

    def bullets(self, items: Sequence[str]) -> None:
        self.text.extend(f"  - {item}" for item in items)
        self.html.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>")

    def sections(self, sections: Sequence[Section]) -> None:
        """Sections other report modules add (``reports.sections``): heading, table, bullets."""
        for section in sections:
            self.heading(section.heading)
            if section.rows:
                self.table(section.headers, section.rows, section.links)
            if section.bullets:
                self.bullets(section.bullets)

    def bodies(self, footer: str) -> tuple[str, str]:
        self.text += ["", "-- ", footer, ""]
        self.html.append(f'<p style="color:#777;font-size:12px;margin-top:24px">{html.escape(footer)}</p>'
                         "</body></html>")
        return "\n".join(self.text), "\n".join(self.html)


def _message(*, sender: str, to: Sequence[str], subject: str, now: datetime, tz: tzinfo, key: str,
             spreadsheet_id: str, reply_to: str, text: str, html_body: str) -> EmailMessage:
    msg = EmailMessage()
    # Every value through header_text: a line break from a cell would make the header raise (or, worse, inject
    # a header of its own).
    msg["From"] = header_text(sender)
    msg["To"] = header_text(", ".join(to))
    if header_text(reply_to):
        msg["Reply-To"] = header_text(reply_to)
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(now.astimezone(tz))
    msg["Message-ID"] = _message_id(key, spreadsheet_id, sender)
    msg[DIGEST_HEADER] = header_text(key)
    # Out-of-office robots must not answer a robot (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html_body, subtype="html")
    return msg


def _item_rows(rows: Sequence[Row], now: datetime, tz: tzinfo, spreadsheet_id: str,
               gid: int | str) -> tuple[list[list[str]], list[str | None]]:
    table, links = [], []
    for row in rows:
        number = int(row.get("_row") or 0)
        received = row.get("Received At")
        age = format_age(now - received) if isinstance(received, datetime) else DASH
        table.append([_text(row, "Ticket ID") or f"Row {number}", _text(row, "Platform"),
                      truncate(_text(row, "Comment")), age, _when(row.get("Due By"), tz), _flag(row)])
        links.append(row_link(spreadsheet_id, gid, number) if number else None)
    return table, links


def _department_email(name: str, dept: Row, rows: list[Row], flags: list[ContentFlag], m: GroupMetrics,
                      addresses: list[str], *, now: datetime, tz: tzinfo, day: date, spreadsheet_id: str,
                      gid: int | str, cell_email: str, sender: str, extra: Sequence[Section] = ()) -> EmailMessage:
    marathi = header_text(_text(dept, "Marathi Name"))
    title_name = f"{header_text(name)} ({marathi})" if marathi else header_text(name)
    subject = f"{SUBJECT_PREFIX} {title_name} - {m.open} open, {m.overdue + m.escalated} overdue - {day.isoformat()}"
    doc = _Doc(f"{title_name} — {day.isoformat()}")
    people = ", ".join(p for p in (header_text(_text(dept, k)) for k in ("Head", "Nodal Officer")) if p)
    doc.paragraph(f"नमस्कार / Dear {people or name},")
    _summary_section(doc, m)
    _items_sections(doc, rows, now=now, tz=tz, spreadsheet_id=spreadsheet_id, gid=gid)
    doc.sections(extra)
    if flags:
        doc.heading(H_CONTENT)
        doc.bullets([f"{f.title or UNTITLED}: {f.message}" for f in flags])

    doc.paragraph("उत्तर Tracker Sheet मधील Reply स्तंभात लिहावे आणि Send ची खूण करावी. / "
                  "Write replies in the Reply column of the Tracker Sheet and tick Send.")
    text, html_body = doc.bodies(f"sheets-sync दैनिक ई-मेल / daily digest for {name}, {_when(now, tz)} "
                                 f"({now.astimezone(tz).tzname()}).")
    return _message(sender=sender, to=addresses, subject=subject, now=now, tz=tz, key=department_key(day, name),
                    spreadsheet_id=spreadsheet_id, reply_to=cell_email, text=text, html_body=html_body)


def _summary_section(doc: _Doc, m: GroupMetrics) -> None:
    """A department's counts and median reply time."""
    doc.heading(H_SUMMARY)
    doc.pairs([*((label, getattr(m, field)) for field, label in COUNT_LABELS),
               (MEDIAN_LABEL, DASH if m.median_7d is None else f"{format_hours(m.median_7d)} h")])


def _items_sections(doc: _Doc, rows: list[Row], *, now: datetime, tz: tzinfo, spreadsheet_id: str,
                    gid: int | str) -> None:
    """The open items, late ones (escalated, overdue) first, at most ``MAX_ITEMS``; or the all-clear."""
    waiting = sorted((r for r in rows if is_open(r)), key=_urgency)
    shown = waiting[:MAX_ITEMS]
    urgent = [r for r in shown if _is_urgent(r)]
    late = [r for r in shown if _is_late(r) and not _is_urgent(r)]
    others = [r for r in shown if not _is_late(r) and not _is_urgent(r)]
    if not waiting:
        doc.heading(H_ALL_CLEAR)
        doc.paragraph("आपल्या विभागाकडे पाठवलेल्या सर्व प्रतिक्रियांना उत्तर दिले आहे. / "
                      "Every comment routed to your department has been answered.")
    for heading, group in ((H_URGENT, urgent), (H_OVERDUE, late), (H_OPEN, others)):
        if group:
            doc.heading(f"{heading} ({len(group)})")
            table, links = _item_rows(group, now, tz, spreadsheet_id, gid)
            doc.table(ITEM_HEADERS, table, links)
    if len(waiting) > len(shown):
        more = len(waiting) - len(shown)
        doc.paragraph(f"… आणखी {more} प्रतिक्रिया Tracker Sheet मध्ये आहेत (Department स्तंभावर फिल्टर लावावा) / "
                      f"… and {more} more in the Tracker Sheet (filter by Department):",
                      row_link(spreadsheet_id, gid, 1), "Tracker Sheet")


def _is_late(row: Row) -> bool:
    return is_escalated(row) or is_overdue(row)


def _cell_email(metrics: list[GroupMetrics], total: GroupMetrics, platforms: list[GroupMetrics],
                flags: list[ContentFlag], outcome: dict[str, str], notes: Sequence[str], *, now: datetime,
                tz: tzinfo, day: date, spreadsheet_id: str, gid: int | str, cell_email: str,
                sender: str, extra: Sequence[Section] = ()) -> EmailMessage:
    subject = (f"{SUBJECT_PREFIX} Daily summary - {total.open} open, {total.overdue + total.escalated} overdue "
               f"- {day.isoformat()}")
    doc = _Doc(f"दैनिक सारांश / Daily summary — {day.isoformat()}")
    doc.paragraph("Tracker Sheet:", row_link(spreadsheet_id, gid, 1), "open")
    headers = CELL_HEADERS

    def line(m: GroupMetrics, note: str) -> list[Any]:
        return [m.name, m.new, m.open, m.overdue, m.escalated, m.replied_24h,
                format_hours(m.median_7d), format_hours(m.p90_7d), note]

    doc.heading(H_DEPARTMENTS)
    doc.table(headers, [line(m, outcome.get(m.name, "")) for m in metrics] + [line(total, "")])
    doc.heading(H_PLATFORMS)
    doc.table((PLATFORM_LABEL, *headers[1:-1]), [line(m, "")[:-1] for m in platforms])
    if flags:
        doc.heading(H_CONTENT)
        doc.bullets([f"{f.department or NO_DEPARTMENT} — {f.title or UNTITLED} (Content row {f.row}): "
                     f"{f.message}" for f in flags])
    doc.sections(extra)
    problems = [f"{name}: {note}" for name, note in outcome.items()
                if note.startswith(("no e-mail", "no valid", "not in", "inactive", "not built"))]
    problems += notes
    if problems:
        doc.heading(H_NOTES)
        doc.bullets(problems)
    text, html_body = doc.bodies(f"sheets-sync दैनिक सारांश / daily summary, {_when(now, tz)} "
                                 f"({now.astimezone(tz).tzname()}).")
    return _message(sender=sender, to=parse_addresses(cell_email), subject=subject, now=now, tz=tz,
                    key=digest_key(day, CELL_KEY), spreadsheet_id=spreadsheet_id, reply_to="", text=text,
                    html_body=html_body)


def build_digests(rows: Iterable[Row], departments: Iterable[Row], content_rows: Iterable[Row],
                  now: datetime, tz: tzinfo, spreadsheet_id: str, tracker_gid: int | str, cell_email: str,
                  sender: str, *, notes: list[str] | None = None,
                  columns: Mapping[str, str] | None = None,
                  sections: Mapping[str, Sequence[Section]] | None = None) -> list[EmailMessage]:
    """The day's digests: one per department that should hear from us (Departments tab order), then the
    cell's summary (when ``cell_email`` is set). ``now`` is tz-aware; dates and times are shown in ``tz``.

    One bad item never stops the line: what is wrong with one department (an Email cell holding something that
    is not an address, an e-mail that cannot be built) is appended to ``notes`` — each naming the cell or the
    department — and shown in the cell's summary, and the other departments' e-mails are built. ``columns``
    maps the Departments tab's headers to their column letters (``{"Email": "E"}``) so notes name the cell
    (``Departments!E5``); records carry their row number as ``_row``. ``sections`` adds other modules' sections
    (``reports.sections``) to a department's e-mail by its name, and to the cell's summary under ``CELL_KEY``.
    """
    notes = [] if notes is None else notes
    rows, departments = list(rows), list(departments)
    day = now.astimezone(tz).date()
    names = department_names(departments)
    canonical = {n.casefold(): n for n in names}
    dept_rows = _first_record_by_department(departments)
    flags = content_flags(content_rows, now, tz)
    flags_for = _flags_by_department(flags, canonical)
    rows_for = _rows_by_department(rows, canonical)

    metrics = by_department(rows, departments, now)
    messages: list[EmailMessage] = []
    outcome: dict[str, str] = {}
    for m in metrics:
        dept = dept_rows.get(m.name)
        own_flags = flags_for.get(m.name, [])
        addresses, why_not = _department_addresses(m, dept, own_flags, notes, columns)
        if dept is None or not addresses:
            outcome[m.name] = why_not
            continue
        message, outcome[m.name] = _department_digest(
            m, dept, rows_for.get(m.name, []), own_flags, addresses, notes, columns, now=now, tz=tz, day=day,
            spreadsheet_id=spreadsheet_id, gid=tracker_gid, cell_email=cell_email, sender=sender,
            extra=(sections or {}).get(m.name, ()))
        if message is not None:
            messages.append(message)

    summary = _cell_summary(rows, metrics, flags, outcome, notes, now=now, tz=tz, day=day,
                            spreadsheet_id=spreadsheet_id, gid=tracker_gid, cell_email=cell_email, sender=sender,
                            extra=(sections or {}).get(CELL_KEY, ()))
    if summary is not None:
        messages.append(summary)
    return messages


def _first_record_by_department(departments: list[Row]) -> dict[str, Row]:
    """Each department's record by name; the first wins when the tab names a department twice."""
    dept_rows: dict[str, Row] = {}
    for dept in departments:
        dept_rows.setdefault(_text(dept, "Department"), dept)
    return dept_rows


def _flags_by_department(flags: list[ContentFlag], canonical: Mapping[str, str]) -> dict[str, list[ContentFlag]]:
    """The content flags by department, under the Departments tab's spelling when the name matches one."""
    flags_for: dict[str, list[ContentFlag]] = {}
    for flag in flags:
        flags_for.setdefault(canonical.get(flag.department.casefold(), flag.department), []).append(flag)
    return flags_for


def _rows_by_department(rows: list[Row], canonical: Mapping[str, str]) -> dict[str, list[Row]]:
    """The Tracker rows by department (``department_of``), in their order."""
    rows_for: dict[str, list[Row]] = {}
    for row in rows:
        rows_for.setdefault(department_of(row, canonical), []).append(row)
    return rows_for


def _department_addresses(m: GroupMetrics, dept: Row | None, own_flags: list[ContentFlag], notes: list[str],
                          columns: Mapping[str, str] | None) -> tuple[list[str], str]:
    """Whether ``m``'s department hears from us today: (its addresses, "") when it does, else ([], why not —
    its Digest note in the cell's summary). An Email cell holding non-addresses is noted in ``notes`` whatever
    else is decided, so the cell can fix it."""
    if dept is None:
        return [], "not routed yet" if m.name == UNROUTED else "not in the Departments tab"
    if not is_active(dept):
        return [], "inactive, has open items" if m.open else "inactive"
    addresses, bad = check_addresses(dept.get("Email"))
    if bad:
        notes.append(address_note(f"{_cell_ref(dept, 'Email', columns)} (Email of {header_text(m.name)})", bad))
    if not addresses:
        return [], ("no valid e-mail address in the Departments tab (see the notes)" if bad
                    else "no e-mail address in the Departments tab")
    # Nothing open and a quiet day: no daily empty e-mail that trains heads to ignore the digest.
    if not m.open and not (m.replied_24h or m.received_24h or own_flags):
        return [], "skipped: nothing waiting, no activity"
    return addresses, ""


def _department_digest(m: GroupMetrics, dept: Row, rows: list[Row], own_flags: list[ContentFlag],
                       addresses: list[str], notes: list[str], columns: Mapping[str, str] | None, *,
                       now: datetime, tz: tzinfo, day: date, spreadsheet_id: str, gid: int | str,
                       cell_email: str, sender: str, extra: Sequence[Section] = ()) -> tuple[EmailMessage | None, str]:
    """One department's e-mail and its Digest note; (None, "not built: ...") with a note in ``notes`` when it
    cannot be built."""
    try:
        message = _checked(_department_email(
            m.name, dept, rows, own_flags, m, addresses, now=now, tz=tz, day=day,
            spreadsheet_id=spreadsheet_id, gid=gid, cell_email=cell_email, sender=sender, extra=extra))
    except Exception as exc:  # noqa: BLE001 - one department's e-mail must not stop the others'
        log.exception("digest for %s not built", m.name)
        notes.append(f"Digest for {header_text(m.name)} not built ({type(exc).__name__}: "
                     f"{header_text(exc)[:300]}); the other departments' digests go out. Check its row in "
                     f"the Departments tab ({_cell_ref(dept, 'Department', columns)}) and its Tracker rows.")
        return None, f"not built: {type(exc).__name__}"
    return message, "digest" if m.open else "all-clear"


def _cell_summary(rows: list[Row], metrics: list[GroupMetrics], flags: list[ContentFlag],
                  outcome: dict[str, str], notes: list[str], *, now: datetime, tz: tzinfo, day: date,
                  spreadsheet_id: str, gid: int | str, cell_email: str, sender: str,
                  extra: Sequence[Section] = ()) -> EmailMessage | None:
    """The cell's summary, or None when ``cell_email`` holds no address or it cannot be built (noted in
    ``notes``)."""
    cell_addresses, cell_bad = check_addresses(cell_email)
    if cell_bad:
        notes.append(address_note("sheets-sync.yaml (key `digest.cell_email`)", cell_bad))
    if not cell_addresses:
        return None
    try:
        return _checked(_cell_email(
            metrics, summarize(rows, now), by_platform(rows, now), flags, outcome, list(notes), now=now,
            tz=tz, day=day, spreadsheet_id=spreadsheet_id, gid=gid,
            cell_email=", ".join(cell_addresses), sender=sender, extra=extra))
    except Exception as exc:  # noqa: BLE001 - the departments' digests still go out
        log.exception("the cell's summary not built")
        notes.append(f"The cell's daily summary not built ({type(exc).__name__}: {header_text(exc)[:300]}); "
                     "the departments' digests go out.")
        return None


def _cell_ref(dept: Row, header: str, columns: Mapping[str, str] | None) -> str:
    """``Departments!E5`` for the record's cell under ``header`` (``Departments row 5`` without the letters)."""
    row = dept.get("_row")
    letter = (columns or {}).get(header, "")
    if row and letter:
        return f"{DEPARTMENTS_TAB}!{letter}{row}"
    return f"{DEPARTMENTS_TAB} row {row}" if row else f"{DEPARTMENTS_TAB} tab"


def _checked(message: EmailMessage) -> EmailMessage:
    """``message``, once it is known to serialise: a value the generator cannot write fails here, naming the
    department, not later in the mailer."""
    message.as_bytes()
    return message
