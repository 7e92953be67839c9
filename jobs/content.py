"""``content``: the content calendar. Flags requests sent less than 7 days before publication or still
unapproved 2 days before it; registers published posts with their department, so comments on them route there
(``route`` reads the Posts register, this cycle's additions included)."""

from __future__ import annotations

from typing import Any

from sheets_sync.reports.content import content_flags, flags_by_row, published_posts, split_post_id
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.unit_of_work import TabRows

from .cycle import CycleContext

JOB = "content"


def run(ctx: CycleContext) -> None:
    """Refresh the Flags column and feed published posts into the Posts register."""
    content = ctx.work.tab("Content")
    if content is None:
        return
    records = content.table.records()
    _refresh_flags(ctx, content, records)
    posts = ctx.work.tab("Posts")
    if posts is not None:
        _register_published(ctx, posts, records)


def _refresh_flags(ctx: CycleContext, content: TabRows, records: list[dict[str, Any]]) -> None:
    """Write each request's Flags cell where it differs from what the calendar's rules say now."""
    text_by_row = flags_by_row(content_flags(records, ctx.now, ctx.config.tz))
    for record in records:
        title = as_text(record.get("Title")).strip()
        if not title or title not in content.read_keys():
            continue  # untitled or duplicated titles: reported by the table, not written
        wanted = text_by_row.get(record["_row"], "")
        if as_text(record.get("Flags")) != wanted:
            content.set(title, "Flags", wanted, JOB)
            ctx.count(JOB, "flagged" if wanted else "cleared")


def _register_published(ctx: CycleContext, posts: TabRows, records: list[dict[str, Any]]) -> None:
    """A published request's posts get its Department in the register (never over a person's choice); a post
    the register lacks is added."""
    for key, department, title in published_posts(records):
        platform, post_id = split_post_id(key)
        if not department:
            continue
        if post_id in posts:
            if not posts.text(post_id, "Department"):
                posts.set(post_id, "Department", department, JOB)
        elif not posts.known(post_id):  # a Post ID on several rows is the table's to report, not ours to add
            posts.append({"Platform": platform, "Post ID": post_id, "Title": title, "Department": department}, JOB)
            ctx.count(JOB, "posts registered")
