"""The digest e-mails as built (pure): who gets one, what it says, how it is escaped, linked and capped."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from test_reports_data import DEPARTMENTS, GID, IST, NOW, SHEET_ID, HtmlProbe, h, make_row, parts, scenario

from sheets_sync.reports.digest import (
    DIGEST_HEADER,
    H_ALL_CLEAR,
    H_CONTENT,
    H_OPEN,
    H_OVERDUE,
    MAX_ITEMS,
    build_digests,
    digest_key,
    format_age,
    parse_addresses,
    row_link,
    slug,
    truncate,
)

SENDER = "PMC sheets-sync <sheets-sync@pmc.example>"
CELL = "smcell@pmc.example"


def build(rows: list[dict[str, Any]] | None = None, content: list[dict[str, Any]] | None = None,
          cell: str = CELL, now: datetime = NOW) -> list[EmailMessage]:
    return build_digests(scenario() if rows is None else rows, DEPARTMENTS, content or [], now, IST, SHEET_ID,
                         GID, cell, SENDER)


def by_key(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {m[DIGEST_HEADER]: m for m in messages}


def test_who_gets_an_email() -> None:
    messages = by_key(build())
    # Roads has open items; Solid Waste nothing open but a reply today (all-clear); the cell its summary.
    # Water Supply (no activity), Gardens (no address), Old Octroi (inactive), Traffic (not in the tab): none.
    assert list(messages) == ["2026-11-26/Roads", "2026-11-26/Solid Waste", "2026-11-26/_cell"]
    assert messages["2026-11-26/Roads"]["To"] == "roads.head@pmc.example, roads.nodal@pmc.example"
    assert messages["2026-11-26/_cell"]["To"] == CELL
    assert H_ALL_CLEAR in parts(messages["2026-11-26/Solid Waste"])[0]


def test_headers_and_subject() -> None:
    roads = by_key(build())["2026-11-26/Roads"]
    assert roads["Subject"] == "[PMC sheets-sync] Roads (पथ विभाग) - 3 open, 2 overdue - 2026-11-26"
    assert roads["From"] == SENDER and roads["Reply-To"] == CELL
    assert roads["Date"] == "Thu, 26 Nov 2026 13:30:00 +0530"
    assert re.fullmatch(r"<digest\.2026-11-26\.roads\.[0-9a-f]{16}@pmc\.example>", roads["Message-ID"])
    assert roads["Auto-Submitted"] == "auto-generated"
    # Stable across rebuilds (a re-send carries the same Message-ID), different the next day.
    assert build()[0]["Message-ID"] == roads["Message-ID"]
    assert build(now=NOW + timedelta(days=1))[0]["Message-ID"] != roads["Message-ID"]
    # It survives serialisation with the Marathi subject encoded.
    assert b"=?utf-8?" in bytes(roads)


def test_counts_order_links_and_escaping() -> None:
    text, markup = parts(by_key(build())["2026-11-26/Roads"])
    counts = dict(re.findall(r"/ (New|Open|Overdue|Escalated|Replied in the last 24 hours): (\d+)", text))
    assert counts == {"New": "1", "Open": "3", "Overdue": "1", "Escalated": "1",
                      "Replied in the last 24 hours": "2"}
    assert "Median reply time (7 days): 8.0 h" in text
    assert text.index(H_OVERDUE) < text.index(H_OPEN)
    # Escalated (row 3) before overdue (row 2) before the rest (row 4); the Closed row 13 is not listed.
    assert re.findall(r"range=A(\d+)", text) == ["3", "2", "4"]

    probe = HtmlProbe(markup)
    assert probe.links == [row_link(SHEET_ID, GID, n) for n in (3, 2, 4)]
    assert "script" not in probe.tags
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert any("<script>alert('x')</script> still no repair & nobody answers" in t for t in probe.text)
    assert "प्रलंबित प्रतिक्रिया / Open items" in markup and "मुदतबाह्य प्रतिक्रिया / Overdue items" in markup
    long_comment = next(t for t in probe.text if t.startswith("रस्त्यावर"))
    assert len(long_comment) == 140 and long_comment.endswith("…")
    assert "2 d 2 h" in text and "4 d 4 h" in text and "2026-11-25 11:30" in text


def test_marathi_terms_and_bilingual_headers() -> None:
    """Issue 19: मध्यगा (median, not मध्य), मुदतबाह्य, प्रतिक्रिया (items of every category, not तक्रारी), Marathi
    table headers, and सूचना only ever for the Suggestion category — never for a heading or a flag."""
    content = [{"Title": "Road closure", "Department": "Roads", "Publish On": date(2026, 11, 27),
                "Submitted At": NOW - timedelta(days=2), "Approved By": "", "Status": "Requested",
                "Post IDs": "", "_row": 4}]
    messages = by_key(build(content=content))
    roads_text, roads_markup = parts(messages["2026-11-26/Roads"])
    assert "उत्तराचा मध्यगा वेळ" in roads_text and "मुदतबाह्य" in roads_text and "प्रतिक्रिया" in roads_text
    for old in ("मध्य वेळ", "मुदत संपलेल्या", "तक्रारी", "Send निवडा", "आशय दिनदर्शिका"):
        assert old not in roads_text, old
    assert "Send ची खूण करावी" in roads_text
    assert "routed to your department" in H_ALL_CLEAR and "आपल्या विभागाकडे" in H_ALL_CLEAR

    for key in ("2026-11-26/Roads", "2026-11-26/_cell"):
        _, markup = parts(messages[key])
        headings = re.findall(r"<h[23][^>]*>(.*?)</h[23]>", markup)
        headers = re.findall(r"<th[^>]*>(.*?)</th>", markup)
        assert headings and headers, key
        # Every heading and table header is "Marathi / English", Marathi first.
        for label in headings[1:] + headers:
            marathi, sep, english = label.partition(" / ")
            assert sep and english and re.search(r"[\u0900-\u097F]", marathi), (key, label)
        assert not any("सूचना" in label for label in headings + headers), key
    # The item table's flag cells are bilingual too.
    assert "वरिष्ठांकडे वर्ग / Escalated" in roads_markup and "मुदतबाह्य / Overdue" in roads_markup
    # The content flag is bilingual, and the cell's notes heading is not सूचना.
    assert "उशिरा सादर" in roads_text and "the order asks for at least 7 days" in roads_text
    assert "सूचना" not in parts(messages["2026-11-26/_cell"])[0]


def test_cell_summary_lists_every_department_and_problem() -> None:
    text, _ = parts(by_key(build())["2026-11-26/_cell"])
    for name in ("Roads", "Water Supply", "Solid Waste", "Gardens", "Old Octroi", "Traffic", "(not routed)"):
        assert f"  {name} | " in text
    assert "Gardens: no e-mail address" in text and "Traffic: not in the Departments tab" in text
    assert "Old Octroi: inactive, has open items" in text
    assert "  Total | 2 | 7 | 2 | 2 | 3 |" in text


def test_no_cell_address_no_summary() -> None:
    assert "2026-11-26/_cell" not in by_key(build(cell=""))


def test_long_lists_are_capped() -> None:
    rows = [make_row(n, dept="Roads", Status="Assigned", received=h(n)) for n in range(2, MAX_ITEMS + 52)]
    text, markup = parts(build(rows)[0])
    assert len(HtmlProbe(markup).links) == MAX_ITEMS + 1  # the items, and the link to the sheet
    assert f"and {250 - MAX_ITEMS} more" in text
    # Oldest first: the first listed is the highest row (received longest ago).
    assert re.findall(r"range=A(\d+)", text)[0] == str(MAX_ITEMS + 51)


def test_content_flags_go_to_their_department_and_the_cell() -> None:
    content = [{"Title": "Road closure <notice>", "Department": "roads", "Publish On": date(2026, 11, 27),
                "Submitted At": NOW - timedelta(days=2), "Approved By": "", "Status": "Requested",
                "Post IDs": "", "_row": 4}]
    messages = by_key(build(content=content))
    text, markup = parts(messages["2026-11-26/Roads"])
    assert H_CONTENT in text and "Road closure <notice>" in text and "&lt;notice&gt;" in markup
    assert "Content row 4" in parts(messages["2026-11-26/_cell"])[0]
    # A department with nothing open but a flag still hears about it.
    quiet = [make_row(2, dept="Water Supply", Status="Closed", received=h(200))]
    content[0]["Department"] = "Water Supply"
    assert "2026-11-26/Water Supply" in by_key(build(quiet, content))


@pytest.mark.parametrize(("cell", "addresses"), [
    ("a@x.in, b@x.in", ["a@x.in", "b@x.in"]),
    ("a@x.in;b@x.in  c@x.in", ["a@x.in", "b@x.in", "c@x.in"]),
    ("<a@x.in>, A@X.in", ["a@x.in"]),
    ("not an address", []),
    ("", []),
])
def test_parse_addresses(cell: str, addresses: list[str]) -> None:
    assert parse_addresses(cell) == addresses


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(minutes=12), "12 min"), (timedelta(hours=5, minutes=59), "5 h"),
    (timedelta(days=3, hours=4, minutes=1), "3 d 4 h"), (timedelta(days=1), "1 d 0 h"),
    (timedelta(minutes=-5), "0 min"),
])
def test_format_age(delta: timedelta, text: str) -> None:
    assert format_age(delta) == text


def test_small_helpers() -> None:
    assert digest_key(date(2026, 11, 26), "Roads") == "2026-11-26/Roads"
    assert slug("Water Supply") == "water-supply" and slug("घनकचरा").startswith("d-")
    assert truncate("a  b\n c") == "a b c" and len(truncate("x" * 500)) == 140
    assert row_link("ID", 7, 12) == "https://docs.google.com/spreadsheets/d/ID/edit#gid=7&range=A12"


def test_subjects_survive_encoding_with_long_marathi_names() -> None:
    from email import message_from_bytes
    from email import policy as email_policy
    departments = [{**d, "Marathi Name": d["Marathi Name"] + " व अनधिकृत बांधकाम नियंत्रण" * k}
                   for k in range(4) for d in DEPARTMENTS[:1]]
    for dept in departments:
        rows = [make_row(2, dept="Roads", Status="Assigned", received=h(3))]
        for message in build_digests(rows, [dept], [], NOW, IST, SHEET_ID, GID, CELL, SENDER):
            parsed = message_from_bytes(bytes(message), policy=email_policy.default)
            assert parsed["Subject"] == message["Subject"]
