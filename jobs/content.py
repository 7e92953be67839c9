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
    # Posts that ingest queued this cycle (a first comment on the post): fill those rows, never add a second.
    queued = {as_text(row.values.get("Post ID")).strip(): row for row in ctx.changes.appends if row.tab == "Posts"}
    owners: dict[str, str] = {}
    for key, department, title in published_posts(records):
        platform, post_id = split_post_id(key)
        if not department:
            continue
        if post_id in queued:
            if not as_text(queued[post_id].values.get("Department")).strip():
                queued[post_id].values["Department"] = department
            owners[post_id] = department
            continue
        if posts is None:
            owners[post_id] = department
            continue
        if post_id in posts.key_rows:
            current = as_text(posts.raw(posts.key_rows[post_id], "Department")).strip()
            if not current:
                ctx.changes.set("Posts", post_id, "Department", "", department, JOB)
                owners[post_id] = department
            # else: the register's Department (a person's choice) stands; route reads it from the register.
        elif post_id not in posts.duplicate_keys:
            row = {"Platform": platform, "Post ID": post_id, "Title": title, "Department": department}
            ctx.changes.append("Posts", row, JOB)
            queued[post_id] = ctx.changes.appends[-1]
            owners[post_id] = department
            ctx.count(JOB, "posts registered")
    # Route runs later in this cycle, before the register's new cells are written: it reads these.
    ctx.extras["content_posts"] = owners
