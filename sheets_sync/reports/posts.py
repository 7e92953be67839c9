"""Posts monitored — pure: per-post figures from Tracker rows, and the posts' tables for the digests and the
Dashboard (``jobs/posts.py`` reads and writes the sheet).

Definitions (as ``reports.metrics`` makes them for departments):

- **comments received**: Tracker rows whose Post ID is the post;
- **open**: those still waiting (New, Assigned, Escalated); **overdue**: open ones past their deadline, escalated
  ones included (one number for "late", as the digest's subject counts them);
- **replied**: rows with a posted reply (Reply Posted At) or Status Replied;
- **median reply hours**: the median of ``metrics.reply_hours`` over the post's replied rows, one decimal.

A department's "your posts, last 7 days" are the Posts rows with its name in *Department* published in the last 7
days (``(now - 7 d, now]``), newest first.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .metrics import UNROUTED, department_names, department_of, is_escalated, is_open, is_overdue, reply_hours
from .sections import Section

Row = Mapping[str, Any]
Cell = str | int | float

WINDOW = timedelta(days=7)
TITLE_CHARS = 80

H_POSTS = "आपल्या पोस्ट, गेले ७ दिवस / Your posts, last 7 days"
POST_HEADERS = ("पोस्ट / Post", "माध्यम / Platform", "प्रतिक्रिया / Comments", "प्रलंबित / Open",
                "मुदतबाह्य / Overdue", "प्रतिसाद / Engagement")
H_REMARKS = "पोस्टबद्दल विभागांचे शेरे (नवीन किंवा बदललेले) / Departments' remarks on posts (new or changed)"
H_DASHBOARD = "पोस्ट, गेले ७ दिवस / Posts, last 7 days"
DASHBOARD_HEADER = ["विभाग (पोस्ट) / Department (posts)", "पोस्ट / Posts", "प्रतिक्रिया / Comments", "प्रलंबित / Open",
                    "मुदतबाह्य / Overdue", "उत्तर दिले / Replied", "Reactions", "Shares", "Views"]
NO_POSTS = "(गेल्या ७ दिवसांत पोस्ट नाही / no posts in the last 7 days)"

# What each platform's figures are called where people read them (the columns hold the platform's own count).
ENGAGEMENT_WORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "facebook": (("Reactions", "reactions"), ("Shares", "shares")),
    "instagram": (("Reactions", "likes"),),
    "youtube": (("Views", "views"), ("Reactions", "likes")),
    "x": (("Views", "impressions"), ("Reactions", "likes"), ("Shares", "reposts")),
}


@dataclass(frozen=True)
class PostFigures:
    """One post's comment figures."""

    received: int = 0
    open: int = 0
    overdue: int = 0
    replied: int = 0
    median_hours: float | None = None


def post_figures(rows: Iterable[Row]) -> dict[str, PostFigures]:
    """Figures per Post ID over Tracker rows (``Post ID``, ``Status``, ``Overdue``, ``Received At``,
    ``Reply Posted At``); rows without a Post ID are left out."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        post_id = str(row.get("Post ID") or "").strip()
        if post_id:
            groups.setdefault(post_id, []).append(row)
    return {post_id: _figures(group) for post_id, group in groups.items()}


def _figures(rows: list[Row]) -> PostFigures:
    hours = [h for h in (reply_hours(r) for r in rows) if h is not None]
    return PostFigures(
        received=len(rows),
        open=sum(is_open(r) for r in rows),
        overdue=sum(is_overdue(r) or is_escalated(r) for r in rows),
        replied=sum(_replied(r) for r in rows),
        median_hours=round(statistics.median(hours), 1) if hours else None,
    )


def _replied(row: Row) -> bool:
    return isinstance(row.get("Reply Posted At"), datetime) or str(row.get("Status") or "").strip() == "Replied"


def remark_fingerprint(text: str) -> str:
    """A short, stable fingerprint of a remark (spaces normalised), kept in ``_state`` to know what was reported."""
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:12]


def number(value: Any) -> int:
    """A count cell as an int (empty or unreadable: 0)."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def engagement_text(post: Row) -> str:
    """The post's engagement in words of its platform: "1,250 views, 40 likes" ("—" when none was read)."""
    words = ENGAGEMENT_WORDS.get(str(post.get("Platform") or "").strip().lower(), ())
    parts = [f"{number(post.get(column)):,} {word}" for column, word in words
             if isinstance(post.get(column), int | float)]
    return ", ".join(parts) or "—"


def recent_posts(posts: Iterable[Row], now: datetime, window: timedelta = WINDOW) -> list[Row]:
    """Posts published in ``(now - window, now]``, newest first."""
    recent = [p for p in posts if isinstance(p.get("Published At"), datetime)
              and now - window < p["Published At"] <= now]
    return sorted(recent, key=lambda p: p["Published At"], reverse=True)


def _canonical(departments: Iterable[Row]) -> dict[str, str]:
    return {name.casefold(): name for name in department_names(departments)}


def _title(post: Row) -> str:
    title = " ".join(str(post.get("Title") or "").split()) or str(post.get("Post ID") or "")
    return title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1].rstrip() + "…"


def department_sections(posts: Iterable[Row], departments: Iterable[Row], now: datetime) -> dict[str, list[Section]]:
    """Each department's "your posts, last 7 days" table, keyed by its name as the Departments tab spells it."""
    canonical = _canonical(departments)
    by_department: dict[str, list[Row]] = {}
    for post in recent_posts(posts, now):
        name = department_of(post, canonical)
        if name != UNROUTED:
            by_department.setdefault(name, []).append(post)
    return {name: [Section(
        heading=f"{H_POSTS} ({len(group)})", headers=POST_HEADERS,
        rows=[[_title(p), str(p.get("Platform") or ""), number(p.get("Comments Received")), number(p.get("Open")),
               number(p.get("Overdue")), engagement_text(p)] for p in group],
        links=[str(p.get("Link") or "") or None for p in group])]
        for name, group in by_department.items()}


def remarks_section(posts: Iterable[Row], post_ids: Sequence[str]) -> Section | None:
    """The cell's list of remarks for ``post_ids`` (their current text), or None when there is none."""
    wanted = set(post_ids)
    bullets = []
    for post in posts:
        post_id = str(post.get("Post ID") or "").strip()
        remark = " ".join(str(post.get("Department Remarks") or "").split())
        if post_id in wanted and remark:
            department = str(post.get("Department") or "").strip() or "(विभाग नाही / no department)"
            link = str(post.get("Link") or "").strip()
            bullets.append(f"{department} — {_title(post)} ({post.get('Platform') or ''}"
                           f"{', ' + link if link else ''}): {remark}")
    return Section(heading=f"{H_REMARKS} ({len(bullets)})", bullets=bullets) if bullets else None


def dashboard_block(posts: Iterable[Row], departments: Iterable[Row], now: datetime) -> list[list[Cell]]:
    """The Dashboard's posts section: a title, the header, and per department its posts of the last 7 days
    with their comments, open, overdue and replied counts and summed engagement (Departments tab order, then
    others, then posts without a department)."""
    departments = list(departments)
    canonical = _canonical(departments)
    groups: dict[str, list[Row]] = {}
    for post in recent_posts(posts, now):
        groups.setdefault(department_of(post, canonical), []).append(post)
    order = [n for n in department_names(departments) if n in groups]
    order += sorted(n for n in groups if n not in order and n != UNROUTED)
    order += [UNROUTED] if UNROUTED in groups else []
    block: list[list[Cell]] = [[H_DASHBOARD], list(DASHBOARD_HEADER)]
    for name in order:
        group = groups[name]
        block.append([name, len(group), *(sum(number(p.get(c)) for p in group) for c in
                                          ("Comments Received", "Open", "Overdue", "Replied", "Reactions", "Shares",
                                           "Views"))])
    if not order:
        block.append([NO_POSTS])
    return block
