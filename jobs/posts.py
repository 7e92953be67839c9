"""``posts``: the Posts tab's per-post figures, and what the morning digest says about posts.

Every cycle, from the Tracker rows as this cycle leaves them (no request): Comments Received, Open, Overdue,
Replied and Median Reply Hours of each post (``reports.posts``). Comments Received never goes down: rows moved
to the Archive still count.

Once every ``schedule.engagement_every_hours`` (default 24) per platform account, the newest
``schedule.engagement_max_posts`` (200) posts' engagement is read in the platform's batches
(``Connector.post_engagement``): Facebook reactions and shares, Instagram likes, YouTube views and likes, X likes,
reposts and impressions. The time of the last refresh is kept in ``_state`` (``posts_engagement_at:<platform>:
<account>``) and set before asking, so a failing platform is asked again at its next turn, not every cycle.
``sheets-sync job posts`` refreshes now whatever the throttle says.

For the digest (``digest_sections``, called by the digest job): each department's "your posts, last 7 days"
table, and for the cell the Department Remarks that are new or changed since the last delivered summary. The
remarks chosen on a day are kept in ``_state`` (``posts_remarks``: ``day``, ``pending``, ``reported`` — post id →
fingerprint of the text), so a retry of the same day's summary carries the same remarks; they count as reported
once that day's summary to the cell was handed to the mail server, and are never listed again unless changed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sheets_sync.connectors.base import Connector, Engagement
from sheets_sync.errors import AuthError, SheetsSyncError
from sheets_sync.reports.digest import CELL_KEY, digest_key
from sheets_sync.reports.frame import frame_post_figures
from sheets_sync.reports.posts import (
    PostFigures,
    dashboard_block,
    department_sections,
    number,
    remark_fingerprint,
    remarks_section,
)
from sheets_sync.reports.sections import Section
from sheets_sync.tracker.unit_of_work import TabRows

from . import dashboard as dashboard_module
from .cycle import CycleContext, log, unchanged_since_last

JOB = "posts"
REMARKS_KEY = "posts_remarks"
# A summary in one of these states was handed to the mail server (or maybe was): its remarks count as reported.
_HANDED_OVER = ("sent", "partly sent", "transferring", "ambiguous")
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657


def engagement_key(connector: Connector) -> str:
    """The ``_state`` key of when this account's posts' engagement was last read."""
    return f"posts_engagement_at:{connector.platform}:{connector.account_id}"


def run(ctx: CycleContext) -> None:
    """Fill the Posts tab's comment figures (every cycle) and engagement (when due)."""
    posts = ctx.work.tab("Posts")
    if posts is None:
        return
    # The figures come from the rows alone: rows unchanged since the last cycle leave them as they are.
    if not unchanged_since_last(ctx, JOB, ("Tracker",), context=tuple(posts.keys())):
        figures = frame_post_figures(dashboard_module.metric_frame(ctx))
        for post_id in posts.keys():
            _set_figures(ctx, posts, post_id, figures.get(post_id, PostFigures()))
    _engagement(ctx, posts)


def _set_figures(ctx: CycleContext, posts: TabRows, post_id: str, f: PostFigures) -> None:
    received = max(f.received, number(posts.get(post_id, "Comments Received")))
    changed = [posts.set(post_id, header, value, JOB) for header, value in (
        ("Comments Received", received), ("Open", f.open), ("Overdue", f.overdue), ("Replied", f.replied),
        ("Median Reply Hours", "" if f.median_hours is None else f.median_hours))]
    if not posts.get(post_id, "Published At") and posts.text(post_id, "Platform") == "x" and post_id.isdigit():
        # X gives a conversation no publish time through mentions; its snowflake id holds it, to the millisecond.
        stamp = ((int(post_id) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000
        changed.append(posts.set(post_id, "Published At", datetime.fromtimestamp(stamp, ctx.now.tzinfo), JOB))
    if any(changed):
        ctx.count(JOB, "posts updated")


# ---- engagement ------------------------------------------------------------------------------------------


def _engagement(ctx: CycleContext, posts: TabRows) -> None:
    """Each platform account whose turn it is: its newest posts' engagement into the row."""
    schedule = ctx.config.schedule
    every = timedelta(hours=schedule.engagement_every_hours)
    by_platform = _newest_posts(posts, schedule.engagement_max_posts)
    for connector in ctx.connectors:
        ids = by_platform.get(connector.platform, [])
        if connector.platform == "facebook":
            ids = [i for i in ids if i.startswith(f"{connector.account_id}_")]  # a Page's posts carry its id
        if not ids or (JOB not in ctx.on_demand and not _due(ctx, engagement_key(connector), every)):
            continue
        ctx.work.set_state(engagement_key(connector), ctx.now.isoformat())
        try:
            found = connector.post_engagement(ids) or {}
        except SheetsSyncError as exc:
            (ctx.fail if isinstance(exc, AuthError) else ctx.note)(f"posts {connector.platform}: engagement not "
                                                                   f"read this time ({exc})")
            log.error("posts %s: %s", connector.platform, exc)
            continue
        for post_id, engagement in found.items():
            if post_id in posts:
                _set_engagement(ctx, posts, engagement)
        ctx.count(JOB, f"{connector.platform} engagement read", len(found))
        if len(found) < len(ids):
            ctx.count(JOB, f"{connector.platform} posts gone", len(ids) - len(found))


def _set_engagement(ctx: CycleContext, posts: TabRows, e: Engagement) -> None:
    for header, value in (("Reactions", e.reactions), ("Shares", e.shares), ("Views", e.views)):
        posts.set(e.post_id, header, "" if value is None else value, JOB)
    posts.set(e.post_id, "Engagement Updated", ctx.now, JOB)


def _newest_posts(posts: TabRows, limit: int) -> dict[str, list[str]]:
    """Post ids per platform, newest published first (no date last), at most ``limit`` each."""
    dated: dict[str, list[tuple[float, str]]] = {}
    for post_id in posts.keys():
        published = posts.get(post_id, "Published At")
        stamp = published.timestamp() if isinstance(published, datetime) else float("-inf")
        dated.setdefault(posts.text(post_id, "Platform").lower(), []).append((stamp, post_id))
    return {platform: [pid for _, pid in sorted(items, reverse=True)[:limit]] for platform, items in dated.items()}


def _due(ctx: CycleContext, key: str, every: timedelta) -> bool:
    last = _when(ctx.work.state.get(key))
    return last is None or ctx.now - last >= every


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


# ---- the digest and the Dashboard -------------------------------------------------------------------------


def post_records(ctx: CycleContext) -> list[dict[str, Any]]:
    """The Posts tab's rows as this cycle leaves them (this cycle's figures included), as typed records."""
    posts = ctx.work.tab("Posts")
    if posts is None:
        return []
    headers = posts.table.tab.headers
    return [{h: posts.get(key, h) for h in headers} for key in posts.keys()]


def dashboard_rows(ctx: CycleContext) -> list[list[Any]]:
    """The Dashboard's posts section (``reports.posts.dashboard_block``); none when the Posts tab was not read."""
    if ctx.work.tab("Posts") is None:
        return []
    departments = ctx.work.tab("Departments")
    return dashboard_block(post_records(ctx), departments.table.records() if departments else [], ctx.now)


def digest_sections(ctx: CycleContext) -> dict[str, list[Section]]:
    """What the morning digest says about posts: per department its recent posts; for the cell (``CELL_KEY``)
    the remarks new or changed since the last delivered summary (recorded in this cycle's write)."""
    posts = ctx.work.tab("Posts")
    if posts is None:
        return {}
    records = post_records(ctx)
    departments = ctx.work.tab("Departments")
    sections = department_sections(records, departments.table.records() if departments else [], ctx.now)
    remarks = remarks_section(records, _remarks_to_report(ctx, records))
    if remarks is not None:
        sections.setdefault(CELL_KEY, []).append(remarks)
    return sections


def _remarks_to_report(ctx: CycleContext, records: list[dict[str, Any]]) -> list[str]:
    """The post ids whose remark today's summary lists: chosen at the day's first digest run, kept for its
    retries; the previous day's count as reported once its summary was handed over."""
    day = ctx.now.astimezone(ctx.config.tz).date()
    record = _read(ctx.work.state.get(REMARKS_KEY))
    if record.get("day") == day.isoformat():
        return list(record.get("pending") or {})
    reported: dict[str, str] = dict(record.get("reported") or {})
    if record.get("pending") and _handed_over(ctx, str(record.get("day") or "")):
        reported.update(record["pending"])
    current = {str(r.get("Post ID") or "").strip(): remark_fingerprint(str(r.get("Department Remarks") or ""))
               for r in records if str(r.get("Department Remarks") or "").strip() and r.get("Post ID")}
    # A remark cleared is forgotten: typed again later, it is new again.
    reported = {pid: mark for pid, mark in reported.items() if pid in current}
    pending = {pid: mark for pid, mark in current.items() if reported.get(pid) != mark}
    ctx.work.set_state(REMARKS_KEY, json.dumps({"day": day.isoformat(), "pending": pending, "reported": reported},
                                               ensure_ascii=False, separators=(",", ":")))
    if pending:
        ctx.count(JOB, "remarks for the cell", len(pending))
    return list(pending)


def _handed_over(ctx: CycleContext, day: str) -> bool:
    """Whether ``day``'s summary to the cell reached (or may have reached) the mail server."""
    if not day:
        return False
    try:
        mark = json.loads(ctx.work.state.get(f"digest:{digest_key(datetime.fromisoformat(day).date(), CELL_KEY)}")
                          or "{}")
    except ValueError:
        return False
    return isinstance(mark, dict) and str(mark.get("status") or "").startswith(_HANDED_OVER)


def _read(value: str | None) -> dict[str, Any]:
    try:
        record = json.loads(value) if value else {}
    except ValueError:
        return {}  # unreadable: start again (at worst a remark is listed once more)
    return record if isinstance(record, dict) else {}
