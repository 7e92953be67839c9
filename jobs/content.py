"""``content``: the content calendar. Flags requests sent less than 7 days before publication or still
unapproved 2 days before it; registers published posts with their department so comments route there."""

from __future__ import annotations

from sheets_sync.reports.content import content_flags, flags_by_row, published_posts, split_post_id
from sheets_sync.tracker.cells import as_text

from .cycle import CycleContext

JOB = "content"


def run(ctx: CycleContext) -> None:
    """Refresh the Flags column and feed published posts into the Posts register."""
    content = ctx.snapshot.tables.get("Content")
    if content is None:
        return
    records = content.records()
    flags = content_flags(records, ctx.now, ctx.config.tz)
    ctx.extras["content_flags"] = flags
    text_by_row = flags_by_row(flags)
    for record in records:
        title = as_text(record.get("Title")).strip()
        if not title or title not in content.key_rows:
            continue  # untitled or duplicated titles: reported by the table, not written
        wanted = text_by_row.get(record["_row"], "")
        if as_text(record.get("Flags")) != wanted:
            ctx.changes.set("Content", title, "Flags", record.get("Flags", ""), wanted, JOB)
            ctx.count(JOB, "flagged" if wanted else "cleared")

    posts = ctx.snapshot.tables.get("Posts")
    owners: dict[str, str] = {}
    for key, department, title in published_posts(records):
        platform, post_id = split_post_id(key)
        if not department:
            continue
        owners[post_id] = department
        if posts is None:
            continue
        if post_id in posts.key_rows:
            current = as_text(posts.raw(posts.key_rows[post_id], "Department")).strip()
            if not current:
                ctx.changes.set("Posts", post_id, "Department", "", department, JOB)
        elif post_id not in posts.duplicate_keys:
            ctx.changes.append("Posts", {"Platform": platform, "Post ID": post_id, "Title": title,
                                         "Department": department}, JOB)
            ctx.count(JOB, "posts registered")
    ctx.extras["content_posts"] = owners
