"""Shared test data for the reports tests: a Departments tab, a hand-made scenario and a random generator.

Imported by the other test_reports*/test_digest_smtp/test_mailer modules (pytest puts tests/ on sys.path);
the one test here checks the generator itself.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 13:30 IST
SHEET_ID = "1AbCdEfGhIjK_test-sheet"
GID = 123456789

HEADERS = ["Ticket ID", "Platform", "Comment ID", "Post ID", "Received At", "Author", "Comment", "Link",
           "Language", "Category", "Department", "Assigned By", "Due By", "Status", "Overdue", "Reply", "Send",
           "Replied By", "Reply Posted At", "Reply ID", "Platform Status", "Notes", "Last Synced"]

DEPARTMENTS: list[dict[str, Any]] = [
    {"Department": "Roads", "Marathi Name": "पथ विभाग", "Head": "A. Patil", "Nodal Officer": "B. Joshi",
     "Email": "roads.head@pmc.example, roads.nodal@pmc.example", "Reply Hours": "24", "Active": "TRUE"},
    {"Department": "Water Supply", "Marathi Name": "पाणीपुरवठा विभाग", "Head": "C. Kulkarni",
     "Nodal Officer": "", "Email": "water@pmc.example; water.nodal@pmc.example", "Reply Hours": "",
     "Active": True},
    {"Department": "Solid Waste", "Marathi Name": "घनकचरा व्यवस्थापन", "Head": "D. Shinde", "Nodal Officer": "",
     "Email": "waste@pmc.example", "Reply Hours": "", "Active": "TRUE"},
    {"Department": "Gardens", "Marathi Name": "उद्यान विभाग", "Head": "E. More", "Nodal Officer": "",
     "Email": "", "Reply Hours": "", "Active": "TRUE"},
    {"Department": "Old Octroi", "Marathi Name": "जकात", "Head": "", "Nodal Officer": "",
     "Email": "octroi@pmc.example", "Reply Hours": "", "Active": "FALSE"},
]


ALIASES = {"received": "Received At", "due": "Due By", "posted": "Reply Posted At", "dept": "Department",
           "ticket": "Ticket ID"}


def make_row(row: int, **values: Any) -> dict[str, Any]:
    """A Tracker row with every header, defaults for what ``values`` does not give (``received=``,
    ``due=``, ``posted=``, ``dept=``, ``ticket=`` name the headers with spaces)."""
    values = {ALIASES.get(k, k): v for k, v in values.items()}
    base: dict[str, Any] = {h: "" for h in HEADERS}
    base.update({"Ticket ID": f"FB-{row}", "Platform": "facebook", "Received At": None, "Due By": None,
                 "Reply Posted At": None, "Last Synced": None, "Send": False, "Status": "New",
                 "Category": "Complaint", "_row": row})
    base.update(values)
    return base


def h(hours: float) -> datetime:
    """``NOW`` minus ``hours``."""
    return NOW - timedelta(hours=hours)


def scenario() -> list[dict[str, Any]]:
    """A small hand-made Tracker whose figures are known (see test_reports_metrics)."""
    return [
        # Roads: 3 open (1 overdue, 1 escalated via Overdue column, 1 fresh), 2 replied in 24 h.
        make_row(2, dept="Roads", Status="Assigned", Overdue="Overdue", received=h(50), due=h(26),
                 Comment="Pothole on FC Road near the college"),
        make_row(3, dept="Roads", Status="Assigned", Overdue="Escalated", received=h(100), due=h(76),
                 Platform="instagram", Comment="<script>alert('x')</script> still no repair & nobody answers"),
        make_row(4, dept="roads ", Status="New", received=h(2), due=h(-22), Platform="x",
                 Comment="रस्त्यावर खड्डे " * 30),
        make_row(5, dept="Roads", Status="Replied", received=h(10), posted=h(4)),   # 6 h
        make_row(6, dept="Roads", Status="Replied", received=h(30), posted=h(20)),  # 10 h
        # Water Supply: nothing open, a reply 3 days ago (no 24 h activity) → no e-mail.
        make_row(7, dept="Water Supply", Status="Closed", received=h(100), posted=h(72)),
        # Solid Waste: nothing open, a reply today → all-clear e-mail.
        make_row(8, dept="Solid Waste", Status="Replied", Platform="youtube", received=h(20),
                 posted=h(5)),  # 15 h
        # Gardens: open but no address → no e-mail, noted in the cell's summary.
        make_row(9, dept="Gardens", Status="Assigned", received=h(5)),
        # Department missing from the tab, and an unrouted row.
        make_row(10, dept="Traffic", Status="Escalated", received=h(80), Platform="x"),
        make_row(11, dept="", Status="New", received=h(1)),
        # Inactive department with an open row.
        make_row(12, dept="Old Octroi", Status="Assigned", Overdue="Overdue", received=h(300)),
        # Closed row still flagged Overdue: history, not counted.
        make_row(13, dept="Roads", Status="Closed", Overdue="Overdue", received=h(400)),
    ]


def random_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` random Tracker rows spread over 45 days, covering every status, flag and platform."""
    rnd = random.Random(seed)
    names = [d["Department"] for d in DEPARTMENTS] + ["Traffic", "Health", ""]
    rows = []
    for i in range(n):
        received = NOW - timedelta(minutes=rnd.randint(0, 45 * 24 * 60))
        status = rnd.choice(["New", "Assigned", "Replied", "Closed", "Escalated"])
        posted = None
        if status in ("Replied", "Closed") and rnd.random() < 0.9:
            posted = received + timedelta(minutes=rnd.randint(0, 5 * 24 * 60))
            if posted > NOW:
                posted = NOW - timedelta(minutes=rnd.randint(0, 60))
            if rnd.random() < 0.02:
                posted = received - timedelta(hours=1)  # bad data: reply before comment
        rows.append(make_row(
            i + 2, dept=rnd.choice(names), Status=status, Platform=rnd.choice(["facebook", "instagram",
                                                                                     "youtube", "x"]),
            Overdue=rnd.choice(["", "", "Overdue", "Escalated"]), received=received,
            due=received + timedelta(hours=24), posted=posted,
        ))
    return rows


def test_random_rows_cover_every_case() -> None:
    rows = random_rows(3000)
    assert {r["Status"] for r in rows} == {"New", "Assigned", "Replied", "Closed", "Escalated"}
    assert {r["Overdue"] for r in rows} == {"", "Overdue", "Escalated"}
    assert sum(r["Reply Posted At"] is not None and r["Reply Posted At"] > NOW - timedelta(days=1)
               for r in rows) > 10


class HtmlProbe(HTMLParser):
    """Collects the links and the visible text of an HTML part (to check escaping the way a browser reads)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.extend(v for k, v in attrs if k == "href" and v)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a digest."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert text is not None and markup is not None
    return text.get_content(), markup.get_content()
