"""``ingest``: new comments from every configured platform become new Tracker rows (Status New).

Each source's cursor lives in ``_state`` and advances in the same atomic write as the rows it covers, so a
crash loses nothing; a comment fetched twice (overlap window, retried fetch) maps to the same Ticket ID and is
added once. A platform that fails (expired token, quota) is reported and skipped; the others go on.
"""

from __future__ import annotations

from typing import Any

from sheets_sync.errors import SheetsSyncError
from sheets_sync.tracker.cells import as_text, ticket_id

from .cycle import CycleContext, log

JOB = "ingest"


def account_of(connector: Any) -> str:
    """The account a connector reads (Page, IG user, channel or X user id)."""
    for name in ("account_id", "page_id", "ig_user_id", "channel_id", "user_id"):
        value = getattr(connector, name, None)
        if value:
            return str(value)
    return ""


def cursor_key(connector: Any) -> str:
    """The ``_state`` key of a connector's cursor: platform and account."""
    return f"cursor:{connector.platform}:{account_of(connector)}"


def run(ctx: CycleContext) -> None:
    """Fetch from every platform and queue the new rows and new posts."""
    known = set(ctx.tracker.key_rows) | set(ctx.tracker.duplicate_keys)
    archive = ctx.snapshot.tables.get("Archive")
    if archive is not None:
        known |= set(archive.key_rows) | set(archive.duplicate_keys)
    posts = ctx.snapshot.tables.get("Posts")
    known_posts = {as_text(p).strip() for p in posts.column("Post ID")} if posts is not None else set()
    for connector in ctx.connectors:
        key = cursor_key(connector)
        try:
            result = connector.fetch_new(ctx.snapshot.state.get(key) or None)
        except SheetsSyncError as exc:
            ctx.notes.append(_named(connector.platform, str(exc)))
            ctx.count(JOB, f"{connector.platform} failed")
            log.error("ingest %s: %s", connector.platform, exc)
            continue
        except Exception as exc:  # noqa: BLE001 - JSON of an unexpected shape must not stop the other platforms
            ctx.notes.append(f"{connector.platform}: unexpected answer from the platform ({type(exc).__name__}: "
                             f"{exc}); skipped this cycle, its cursor kept, so nothing is lost. If it repeats, "
                             "report it with the log.")
            ctx.count(JOB, f"{connector.platform} failed")
            log.exception("ingest %s: unexpected failure", connector.platform)
            continue
        added = 0
        for comment in result.comments:
            ticket = ticket_id(comment.platform, comment.comment_id)
            if ticket in known:
                continue
            known.add(ticket)
            ctx.pending[ticket] = {
                "Ticket ID": ticket,
                "Platform": comment.platform,
                "Comment ID": comment.comment_id,
                "Post ID": comment.post_id,
                "Received At": comment.created_at,
                "Author": comment.author_name or comment.author_id,
                "Comment": comment.text,
                "Link": comment.permalink,
                "Status": "New",
                "Platform Status": "visible",
                "Send": False,
                "Last Synced": ctx.now,
            }
            added += 1
            if comment.post_id and comment.post_id not in known_posts:
                known_posts.add(comment.post_id)
                ctx.changes.append("Posts", {
                    "Platform": comment.platform,
                    "Post ID": comment.post_id,
                    "Link": comment.post_link or "",
                    "Title": (comment.post_title or "")[:500],
                    "Published At": comment.post_published_at,
                }, JOB)
                ctx.count(JOB, "posts registered")
        ctx.changes.set_state(key, result.cursor)
        ctx.count(JOB, f"{connector.platform} new", added)


def _named(platform: str, message: str) -> str:
    """A note that starts with the platform's name exactly once (connector errors usually name it already)."""
    return message if message.startswith(f"{platform}:") else f"{platform}: {message}"


def flush(ctx: CycleContext) -> None:
    """Queue the pending rows (filled by route and sla meanwhile) as appended Tracker rows."""
    for values in ctx.pending.values():
        ctx.changes.append("Tracker", values, JOB)
