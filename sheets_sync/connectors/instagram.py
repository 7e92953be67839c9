"""Instagram business account connector (Graph API).

Instagram media carry no activity time, so the cursor keeps each recent media's ``comments_count``: a media
whose count changed (or that is new) is re-read whole, top-level comments with their ``replies`` edge, which
finds replies to old threads and late arrivals. Ids already delivered (kept in the cursor) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import requests

from .base import Comment, CommentState, Engagement, FetchResult, ObjectMissing, SeenCursor, epoch, parse_time
from .facebook import GraphConnector

_COMMENT_FIELDS = "id,text,from{id,username},username,timestamp,hidden"
HOT_DAYS = 7  # media this recent are re-read every cycle, whatever their comments_count says
DEEP_SCAN_MINUTES = 60  # every media of the recheck window is re-read at least this often


class InstagramConnector(GraphConnector):
    """An Instagram professional account: comments on its media, replies, state checks."""

    platform = "instagram"
    token_kind = "Instagram access token (the Page token of the linked Page)"
    token_hint = ("Generate a new Page token with instagram_basic, instagram_manage_comments and "
                  "pages_read_engagement")
    permissions = "instagram_basic, instagram_manage_comments and pages_read_engagement"

    def __init__(self, session: requests.Session, ig_user_id: str, token: str, *,
                 token_env: str = "IG_ACCESS_TOKEN", hot_days: float = HOT_DAYS,
                 deep_scan_minutes: int = DEEP_SCAN_MINUTES, **options: Any) -> None:
        options.setdefault("page_size", 50)  # Instagram serves at most 50 comments a page
        super().__init__(session, ig_user_id, token, token_env=token_env, **options)
        self.hot_s = int(hot_days * 86400)
        self.deep_scan_s = deep_scan_minutes * 60

    def fetch_new(self, cursor: str | None) -> FetchResult:
        """New comments and replies on the account's media since ``cursor``, each delivered once.

        Which media are re-read whole (``comments_count`` is a hint, not proof: a comment deleted and another
        added between two cycles leave it equal):
          - every media published within ``hot_days`` of the newest activity, every cycle: that is where
            comments arrive, and no count is trusted there;
          - every media of the recheck window on a deep scan (a first run, then every ``deep_scan_minutes``);
          - in between, an older media only when it is new to the cursor or its count changed.
        So the count shortcut only ever delays a comment on an older media, by at most the deep-scan interval;
        it never loses one (the delivered ids in the cursor keep the re-reads from repeating anything).
        """
        state = SeenCursor.load(cursor, self.platform)
        now = int(self.clock())
        deep = state.watermark is None or now - int(state.extra.get("deep_at") or 0) >= self.deep_scan_s
        to_read, counts, newest = self._media_to_read(state, deep)
        found: dict[str, Comment] = {}
        for media in to_read:
            for raw in self._comments_of(str(media["id"])):
                cid = str(raw["id"])
                if cid in state.seen or cid in found or self._own(raw):
                    continue
                comment = self._comment(raw, media)
                found[cid] = comment
                newest = max(newest, epoch(comment.created_at))
        for comment in found.values():
            state.seen[comment.comment_id] = epoch(comment.created_at)
        state.watermark = newest or None
        state.extra["counts"] = counts
        if deep:
            state.extra["deep_at"] = now
        horizon = newest - self.recheck_s if newest else None
        return FetchResult(list(found.values()), state.dump(self.platform, horizon))

    def _media_to_read(self, state: SeenCursor, deep: bool) -> tuple[list[dict[str, Any]], dict[str, int], int]:
        """The media of the recheck window whose comments must be re-read now (see ``fetch_new``), every media's
        comment count, and the newest publication time seen."""
        watermark = state.watermark
        old_counts: dict[str, int] = dict(state.extra.get("counts") or {})
        counts: dict[str, int] = {}
        newest = watermark or 0
        to_read: list[dict[str, Any]] = []
        media_list = self._list(f"{self.account_id}/media",
                                {"fields": "id,caption,timestamp,permalink,comments_count", "limit": self.page_size},
                                "media")
        # Bounded backfill on a first run: the recheck window back from the newest media (platform time).
        oldest = watermark - self.recheck_s if watermark is not None else None
        hot_since: int | None = watermark - self.hot_s if watermark is not None else None
        for media in media_list:
            published = epoch(parse_time(media["timestamp"]))
            if oldest is None:
                oldest = published - self.recheck_s
            if hot_since is None:
                hot_since = published - self.hot_s
            if published < oldest:
                break  # newest first: the rest are older than the recheck window
            newest = max(newest, published)
            media_id = str(media["id"])
            count = counts[media_id] = int(media.get("comments_count") or 0)
            if deep or published >= hot_since or old_counts.get(media_id) != count:
                to_read.append(media)  # else: an older media, count unchanged: its next deep scan re-reads it
        return to_read, counts, newest

    def _comments_of(self, media_id: str) -> Iterator[dict[str, Any]]:
        """Top-level comments of a media and all their replies (replies carry ``parent_id``)."""
        nested = f"replies.limit(50){{{_COMMENT_FIELDS}}}"
        for top in self._list(f"{media_id}/comments", {"fields": f"{_COMMENT_FIELDS},{nested}",
                                                       "limit": self.page_size}, f"comments of media {media_id}"):
            yield top
            replies = top.get("replies") or {}
            items = list(replies.get("data") or [])
            if (replies.get("paging") or {}).get("next"):
                # More replies than the nested edge holds: list them all from the comment itself.
                items = list(self._list(f"{top['id']}/replies", {"fields": _COMMENT_FIELDS, "limit": 50},
                                        f"replies to {top['id']}"))
            for reply in items:
                yield {**reply, "parent_id": str(top["id"])}

    def _own(self, raw: dict[str, Any]) -> bool:
        return str((raw.get("from") or {}).get("id")) == self.account_id

    def _comment(self, raw: dict[str, Any], media: dict[str, Any]) -> Comment:
        author = raw.get("from") or {}
        caption = media.get("caption") or ""
        return Comment(
            platform=self.platform, comment_id=str(raw["id"]), post_id=str(media["id"]),
            author_id=str(author.get("id") or ""), author_name=author.get("username") or raw.get("username") or "",
            text=raw.get("text") or "", created_at=parse_time(raw["timestamp"]),
            parent_id=raw.get("parent_id"),
            # Instagram has no per-comment link: the media's permalink is the closest a person can open.
            permalink=media.get("permalink") or "",
            post_title=caption.split("\n", 1)[0][:100] or None, post_link=media.get("permalink"),
            post_published_at=parse_time(media["timestamp"]),
        )

    def check(self) -> str:
        """A cheap call proving the token is accepted for the account (for ``sheets-sync doctor``)."""
        self._graph("GET", f"{self.account_id}/media", params={"fields": "id", "limit": 1})
        return f"Instagram account {self.account_id}: token accepted, media readable"

    def reply_target(self, comment_id: str, thread_id: str | None) -> str:
        """Instagram takes replies to top-level comments only: a follow-up's reply goes to its thread's."""
        return thread_id or comment_id

    def _send_reply(self, comment_id: str, text: str) -> tuple[str, datetime]:
        return self._send_reply_to(f"{comment_id}/replies", comment_id, text)

    def _own_replies_to(self, comment_id: str) -> list[tuple[str, datetime, str]]:
        try:
            return [(str(raw["id"]), parse_time(raw["timestamp"]), raw.get("text") or "")
                    for raw in self._list(f"{comment_id}/replies", {"fields": "id,from{id},timestamp,text", "limit": 50},
                                          f"replies to {comment_id}")
                    if self._own(raw)]
        except ObjectMissing:
            return []

    def comment_states(self, comment_ids: list[str]) -> dict[str, CommentState]:
        """Visible / hidden / deleted and the account's own reply: one request per 50 comments."""
        bodies = self._objects(list(dict.fromkeys(comment_ids)),
                               "id,hidden,replies.limit(50){id,from{id},text,timestamp}")
        states: dict[str, CommentState] = {}
        for cid in comment_ids:
            body = bodies.get(cid)
            if body is None:
                states[cid] = CommentState(cid, "deleted", None, None, None)
                continue
            own = next((r for r in (body.get("replies") or {}).get("data", []) if self._own(r)), None)
            states[cid] = CommentState(
                cid, "hidden" if body.get("hidden") else "visible",
                str(own["id"]) if own else None, parse_time(own["timestamp"]) if own else None,
                own.get("text") if own else None)
        return states

    def post_engagement(self, post_ids: list[str]) -> dict[str, Engagement]:
        """Likes and comment counts of each media: one ``?ids=`` request per 50 media. Instagram gives no share
        or view count to the account through these fields."""
        bodies = self._objects(list(dict.fromkeys(post_ids)), "id,like_count,comments_count")
        return {pid: Engagement(pid, reactions=_count(body.get("like_count")),
                                comments=_count(body.get("comments_count")))
                for pid, body in bodies.items() if body is not None}


def _count(value: Any) -> int | None:
    """A Graph count field (None when absent, e.g. likes the owner chose to hide)."""
    return int(value) if isinstance(value, int) else None
