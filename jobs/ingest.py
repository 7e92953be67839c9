"""``ingest``: new comments from every configured platform become new Tracker rows (Status New).

Each source's cursor lives in ``_state`` and advances in the same atomic write as the rows it covers, so a
crash loses nothing; a comment fetched twice (overlap window, retried fetch) maps to the same Ticket ID and is
added once. A platform that fails (expired token, quota) is reported and skipped; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

from sheets_sync.connectors.base import Comment, Connector, FetchResult
from sheets_sync.conversations import REOPENED, Parent, find_parent
from sheets_sync.errors import AuthError, SheetsSyncError
from sheets_sync.tracker.cells import as_text
from sheets_sync.tracker.unit_of_work import TabRows
from sheets_sync.vocabulary import PlatformStatus, Status, is_finished, ticket_id

from .cycle import CycleContext, log

JOB = "ingest"
UNLISTED_POSTS_KEY = "posts_unlisted"


def run(ctx: CycleContext) -> None:
    """Fetch from every platform; new comments become Tracker rows, their unknown posts Posts rows."""
    _register_unlisted_posts(ctx)
    replies = cache(lambda: _reply_index(ctx))  # scanned once per cycle, only if a follow-up needs it
    for connector in ctx.connectors:
        result = _fetch(ctx, connector)
        if result is None:
            continue
        added = sum(_add_safely(ctx, comment, replies) for comment in result.comments)
        ctx.work.set_state(connector.cursor_key, result.cursor)
        ctx.count(JOB, f"{connector.platform} new", added)


def _fetch(ctx: CycleContext, connector: Connector) -> FetchResult | None:
    """What is new on one platform since its cursor; None (noted) when the platform failed this cycle."""
    try:
        return connector.fetch_new(ctx.work.state.get(connector.cursor_key) or None)
    except AuthError as exc:
        ctx.fail(_named(connector.platform, str(exc)))
        log.error("ingest %s: %s", connector.platform, exc)
    except SheetsSyncError as exc:
        ctx.note(_named(connector.platform, str(exc)))
        log.error("ingest %s: %s", connector.platform, exc)
    except Exception as exc:  # noqa: BLE001 - JSON of an unexpected shape must not stop the other platforms
        ctx.note(f"{connector.platform}: unexpected answer from the platform ({type(exc).__name__}: {exc}); "
                 "skipped this cycle, its cursor kept, so nothing is lost. If it repeats, report it with the log.")
        log.exception("ingest %s: unexpected failure", connector.platform)
    ctx.count(JOB, f"{connector.platform} failed")
    return None


def _add_safely(ctx: CycleContext, comment: Comment, replies: Callable[[], Mapping[str, str]]) -> bool:
    """``_add``, with one comment that cannot be turned into a row isolated: it still gets a row (its ids,
    link and a Sync Notes entry saying what was wrong), so the cursor can move on and nothing is lost."""
    try:
        return _add(ctx, comment, replies)
    except Exception as exc:  # noqa: BLE001 - one odd comment must not stop the others
        log.exception("ingest: comment %s on %s could not be read", comment.comment_id, comment.platform)
        ticket = ticket_id(comment.platform, comment.comment_id)
        if ctx.tracker.known(ticket):
            return False
        ctx.tracker.append({
            "Ticket ID": ticket, "Platform": comment.platform, "Comment ID": comment.comment_id,
            "Post ID": str(comment.post_id or ""), "Link": str(comment.permalink or ""),
            "Status": Status.NEW.value, "Platform Status": PlatformStatus.VISIBLE.value, "Last Synced": ctx.now,
            "Sync Notes": f"The platform sent this comment in a form the tool could not read ({type(exc).__name__}: "
                          f"{exc}); open the Link to read it.",
        }, JOB)
        ctx.note(f"{comment.platform}: comment {comment.comment_id} could not be read ({exc}); its row says so")
        return True


def _add(ctx: CycleContext, comment: Comment, replies: Callable[[], Mapping[str, str]]) -> bool:
    """Queue one comment as a Tracker row unless it is in the Tracker or the archive already."""
    ticket = ticket_id(comment.platform, comment.comment_id)
    archive = ctx.work.tab("Archive")
    if ctx.tracker.known(ticket) or (archive is not None and archive.known(ticket)):
        return False
    tracker = ctx.tracker
    parent = find_parent(comment.platform, comment.parent_id, in_tracker=tracker.known,
                         in_archive=archive.known if archive is not None else lambda _t: False,
                         root_of=lambda t: tracker.text(t, "Parent Ticket"), reply_index=replies)
    ctx.tracker.append({
        **(_follow_up(ctx, ticket, parent) if parent is not None else {}),
        "Ticket ID": ticket,
        "Platform": comment.platform,
        "Comment ID": comment.comment_id,
        "Post ID": comment.post_id,
        "Received At": comment.created_at,
        "Author": comment.author_name or comment.author_id,
        "Comment": comment.text,
        "Link": comment.permalink,
        "Status": Status.NEW.value,
        "Platform Status": PlatformStatus.VISIBLE.value,
        "Send": False,
        "Last Synced": ctx.now,
    }, JOB)
    posts = ctx.work.tab("Posts")
    if not comment.post_id or posts is None or posts.known(comment.post_id):
        return True
    if "Posts" in ctx.work.blocked:
        ctx.work.set_state(UNLISTED_POSTS_KEY, "1")  # registered from the Tracker once the tab is back
    else:
        _register_post(ctx, posts, comment)
    return True


def _follow_up(ctx: CycleContext, ticket: str, parent: Parent) -> dict[str, str]:
    """A follow-up's own cells (Parent Ticket; Assigned By when it reopens a finished conversation), and on the
    row it answers a Sync Notes line saying the citizen wrote again."""
    ctx.count(JOB, "follow-ups")
    cells = {"Parent Ticket": parent.root}
    tracker = ctx.tracker
    if not parent.in_tracker or is_finished(tracker.text(parent.ticket, "Status")):
        cells["Assigned By"] = REOPENED
        ctx.count(JOB, "conversations reopened")
        if parent.in_tracker:
            tracker.set(parent.ticket, "Sync Notes", f"Conversation reopened: the citizen wrote again in {ticket} "
                        f"({ctx.now:%Y-%m-%d %H:%M}); see that row.", JOB)
    return cells


def _reply_index(ctx: CycleContext) -> dict[str, str]:
    """The Reply IDs recorded in the Tracker → their tickets: a citizen answering our reply continues that
    ticket's conversation."""
    tracker = ctx.tracker
    reply_ids = tracker.column("Reply ID")
    index: dict[str, str] = {}
    for ticket, n in tracker.read_keys().items():
        reply_id = as_text(reply_ids[n - 2]).strip() if n - 2 < len(reply_ids) else ""
        if reply_id:
            index[reply_id] = ticket
    return index


def _register_unlisted_posts(ctx: CycleContext) -> None:
    """Posts of Tracker rows that the register lacks (their comments came while the Posts tab could not be
    written) are registered with what the Tracker knows — platform and id; the cell fills the rest. The Tracker
    is scanned only after such a cycle (a mark in ``_state``), not every cycle."""
    posts = ctx.work.tab("Posts")
    if posts is None or "Posts" in ctx.work.blocked or not ctx.work.state.get(UNLISTED_POSTS_KEY):
        return
    ctx.work.set_state(UNLISTED_POSTS_KEY, "")
    tracker = ctx.tracker
    seen: set[str] = set()
    for platform, post_id in zip(tracker.column("Platform"), tracker.column("Post ID"), strict=False):
        post_id = as_text(post_id).strip()
        if post_id and post_id not in seen and not posts.known(post_id):
            seen.add(post_id)
            posts.append({"Platform": as_text(platform).strip(), "Post ID": post_id}, JOB)
            ctx.count(JOB, "posts registered from the Tracker")


def _register_post(ctx: CycleContext, posts: TabRows, comment: Comment) -> None:
    """A post first seen through a comment goes into the Posts register (the cell fills its Department)."""
    posts.append({
        "Platform": comment.platform,
        "Post ID": comment.post_id,
        "Link": comment.post_link or "",
        "Title": (comment.post_title or "")[:500],
        "Published At": comment.post_published_at,
    }, JOB)
    ctx.count(JOB, "posts registered")


def _named(platform: str, message: str) -> str:
    """A note that starts with the platform's name exactly once (connector errors usually name it already)."""
    return message if message.startswith(f"{platform}:") else f"{platform}: {message}"
