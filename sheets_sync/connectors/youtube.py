"""YouTube channel connector (Data API v3), with quota accounting.

Threads of the whole channel are listed newest first (1 unit a page): back to the recheck window on a deep
scan (first run, then at most every ``deep_scan_minutes``), else back to the watermark minus an overlap. A thread
carries only a few replies, so when its ``totalReplyCount`` differs from what the cursor remembers, all its
replies are listed (``comments?parentId=``). Every call is charged against the daily quota before it is
sent (list 1, insert 50); a call that would pass the configured cap raises ``BudgetExhausted`` instead, so
the channel never hits the hard ``quotaExceeded`` wall mid-reply.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import requests
from tenacity import Retrying

from ..errors import AuthError, BudgetExhausted
from ..retry import REQUEST_TIMEOUT_S
from .base import (
    APIRefused,
    Comment,
    CommentState,
    Engagement,
    FetchResult,
    HttpConnector,
    ObjectMissing,
    ReplyRefused,
    SeenCursor,
    TransientHTTPError,
    epoch,
    error_object,
    paginate,
    parse_time,
)

GOOGLEAPIS_URL = "https://www.googleapis.com"
DEFAULT_DAILY_QUOTA = 10_000
RECHECK_DAYS = 60
DEEP_SCAN_MINUTES = 60  # ~24 deep scans a day: a few hundred units, leaving most of the quota for replies
OVERLAP_S = 15 * 60
LIST_COST, WRITE_COST = 1, 50
_PACIFIC_OFFSET_S = 8 * 3600  # the quota resets at midnight Pacific (daylight saving ignored: errs early)


class YouTubeConnector(HttpConnector):
    """A YouTube channel: comment threads on its videos, replies, state checks."""

    platform = "youtube"

    def __init__(self, session: requests.Session, channel_id: str, *, token: str | None = None,
                 api_key: str | None = None, token_env: str = "YOUTUBE_TOKEN", endpoint: str | None = None,
                 daily_quota: int = DEFAULT_DAILY_QUOTA, units_used: int = 0, retry: Retrying | None = None,
                 timeout: float = REQUEST_TIMEOUT_S, clock: Callable[[], float] = time.time,
                 recheck_days: int = RECHECK_DAYS, deep_scan_minutes: int = DEEP_SCAN_MINUTES) -> None:
        super().__init__(session, retry=retry, timeout=timeout, clock=clock)
        self.channel_id = channel_id
        self.account_id = str(channel_id)
        self.deep_scan_s = deep_scan_minutes * 60
        self._token = token
        self._api_key = api_key
        self.token_env = token_env
        self.base = f"{(endpoint or GOOGLEAPIS_URL).rstrip('/')}/youtube/v3"
        self.daily_quota = daily_quota
        self.units_used = units_used  # today's units; the jobs may persist and pass it back
        self._quota_day = self._day()
        self.recheck_s = recheck_days * 86400

    # ---- quota ----------------------------------------------------------------------------------------

    def _day(self) -> int:
        return int((self.clock() - _PACIFIC_OFFSET_S) // 86400)

    def _spend(self, units: int) -> None:
        if self._day() != self._quota_day:
            self._quota_day, self.units_used = self._day(), 0
        if self.units_used + units > self.daily_quota:
            raise BudgetExhausted(
                f"youtube: today's quota budget is spent ({self.units_used} of {self.daily_quota} units used, "
                f"the next call needs {units}); YouTube calls resume after midnight Pacific time.")
        self.units_used += units

    @property
    def units_left(self) -> int:
        """Units still available today under the configured cap."""
        if self._day() != self._quota_day:
            return self.daily_quota
        return self.daily_quota - self.units_used

    def quota_state(self) -> str:
        """Today's spend as text for the sheet's ``_state`` tab: every run (a new process each) adds to it."""
        return json.dumps({"day": self._quota_day if self._day() == self._quota_day else self._day(),
                           "units": self.units_used if self._day() == self._quota_day else 0})

    def restore_quota(self, saved: str | None) -> None:
        """Continue counting from a spend saved by ``quota_state`` (ignored when it is another day's)."""
        try:
            record = json.loads(saved) if saved else {}
            if int(record.get("day", -1)) == self._day():
                self._quota_day, self.units_used = self._day(), max(self.units_used, int(record.get("units", 0)))
        except (ValueError, TypeError, AttributeError):
            pass  # an unreadable record only loses today's count; the hard cap still answers quotaExceeded

    # ---- HTTP -----------------------------------------------------------------------------------------

    def _yt(self, method: str, resource: str, params: dict[str, Any], cost: int, json_body: Any = None,
            retry: bool = True) -> Any:
        params = dict(params)
        headers = {}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        elif self._api_key:
            params["key"] = self._api_key
        return self._call(method, f"{self.base}/{resource}", params=params, json_body=json_body, headers=headers,
                          retry=retry, cost=cost)

    def _list(self, resource: str, params: dict[str, Any], what: str) -> Iterator[dict[str, Any]]:
        def fetch_page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
            body = self._yt("GET", resource, {**params, **({"pageToken": token} if token else {})}, LIST_COST)
            return body.get("items") or [], body.get("nextPageToken")

        return paginate(self.platform, what, fetch_page)

    def _classify(self, response: requests.Response, method: str, url: str) -> Exception:
        error = error_object(response)
        reasons = {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
        message = error.get("message") or f"HTTP {response.status_code}"
        status = response.status_code
        if reasons & {"quotaExceeded", "dailyLimitExceeded"}:
            return BudgetExhausted(f"youtube: the API quota is exhausted ({message}); YouTube calls resume after "
                                   "midnight Pacific time.")
        if reasons & {"keyInvalid", "keyExpired"}:
            return AuthError(f"youtube: the API key is not valid ({message}). Use OAuth credentials for channel "
                             f"{self.channel_id} (youtube.force-ssl scope) in the environment variable "
                             f"{self.token_env}.")
        if status == 401 or reasons & {"authError", "required", "invalidCredentials"}:
            return AuthError(
                f"youtube: the OAuth token for channel {self.channel_id} is expired or revoked (HTTP {status}). "
                "Re-authorise the channel with the youtube.force-ssl scope and put the new credentials in "
                f"the environment variable {self.token_env}.")
        if (reasons & {"insufficientPermissions", "forbidden"} and method == "GET") or \
                error.get("status") == "PERMISSION_DENIED":
            return AuthError(f"youtube: the credentials lack a permission ({message}). Re-authorise the channel "
                             f"with the youtube.force-ssl scope and update {self.token_env}.")
        if status == 429 or status >= 500 or reasons & {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}:
            return TransientHTTPError(f"youtube: HTTP {status} ({message})", max(status, 429))
        if status == 404 or reasons & {"commentNotFound", "parentCommentNotFound"}:
            return ObjectMissing(f"youtube: comment not found or deleted ({message})")
        return APIRefused(f"youtube: the API refused {method} ({', '.join(sorted(r for r in reasons if r))}: "
                          f"{message})", message)

    # ---- Connector ------------------------------------------------------------------------------------

    def fetch_new(self, cursor: str | None) -> FetchResult:
        """New comments and replies on the channel's videos since ``cursor``, each delivered once."""
        state = SeenCursor.load(cursor, self.platform)
        old_counts: dict[str, int] = dict(state.extra.get("replies") or {})
        counts: dict[str, int] = {}
        newest = state.watermark or 0
        found: dict[str, Comment] = {}
        threads = self._list("commentThreads", {
            "part": "id,snippet,replies", "allThreadsRelatedToChannelId": self.channel_id, "order": "time",
            "maxResults": 100, "textFormat": "plainText"}, "comment threads")
        now = int(self.clock())
        deep = self._deep_scan_due(state, now)
        done: set[str] = set()
        for thread, published in self._threads_in_reach(threads, state.watermark, deep):
            newest = max(newest, published)
            if str(thread["id"]) in done:
                continue  # listed again on a later page (new threads shift the pages): read once
            done.add(str(thread["id"]))
            video_id = thread["snippet"].get("videoId") or thread["snippet"]["topLevelComment"]["snippet"].get("videoId")
            self._take(thread["snippet"]["topLevelComment"], state.seen, found, video_id)
            for reply in self._replies_of(thread, old_counts, counts):
                # comments.list?parentId= answers replies without videoId: the thread has it.
                self._take(reply, state.seen, found, video_id)
        for comment in found.values():
            state.seen[comment.comment_id] = epoch(comment.created_at)
            newest = max(newest, epoch(comment.created_at))
        self._add_video_details(found)
        state.watermark = newest or None
        # A shallow scan saw only the newest threads: keep what it did not see.
        state.extra["replies"] = counts if deep else {**old_counts, **counts}
        if deep:
            state.extra["deep_at"] = now
        horizon = newest - self.recheck_s if newest else None
        return FetchResult(list(found.values()), state.dump(self.platform, horizon))

    def _deep_scan_due(self, state: SeenCursor, now: int) -> bool:
        """Whether this fetch lists every thread of the recheck window (a first run, or the interval passed).

        Listing every thread of the recheck window costs a unit per 100 threads: done at most once per
        deep-scan interval (and on a first run); in between only the newest threads are read. Replies to
        old threads and late arrivals are therefore found within ``deep_scan_minutes``.
        """
        return state.watermark is None or now - int(state.extra.get("deep_at") or 0) >= self.deep_scan_s

    def _threads_in_reach(self, threads: Iterator[dict[str, Any]], watermark: int | None, deep: bool
                          ) -> Iterator[tuple[dict[str, Any], int]]:
        """The threads (newest first) this scan reads, with their publish time; stops at the first older one.

        A deep scan reaches back the recheck window from the watermark, a shallow one the overlap; a first run
        (no watermark) the recheck window back from the newest thread (platform time).
        """
        oldest = None if watermark is None else watermark - (self.recheck_s if deep else OVERLAP_S)
        for thread in threads:
            published = epoch(parse_time(thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"]))
            if oldest is None:
                oldest = published - self.recheck_s
            if published < oldest:
                return  # newest first: the rest are older than this scan reaches
            yield thread, published

    def _replies_of(self, thread: dict[str, Any], old_counts: dict[str, int], counts: dict[str, int]
                    ) -> Iterable[dict[str, Any]]:
        """A thread's replies: the few it carries when they are all there or its count has not changed since
        the cursor, else all of them listed. Records the thread's reply count in ``counts``."""
        total = int(thread["snippet"].get("totalReplyCount") or 0)
        if not total:
            return []
        tid = str(thread["id"])
        counts[tid] = total
        included = (thread.get("replies") or {}).get("comments") or []
        if len(included) >= total or old_counts.get(tid) == total:
            return included
        return self._list("comments", {"part": "snippet", "parentId": tid, "maxResults": 100,
                                       "textFormat": "plainText"}, f"replies to {tid}")

    def _take(self, raw: dict[str, Any], seen: dict[str, int], found: dict[str, Comment],
              video_id: str | None = None) -> None:
        """Add a citizen's comment to ``found`` unless already delivered, already found, or the channel's own."""
        snippet = raw["snippet"]
        cid = str(raw["id"])
        if cid in seen or cid in found or (snippet.get("authorChannelId") or {}).get("value") == self.channel_id:
            return
        found[cid] = self._comment(raw, video_id)

    def check(self) -> str:
        """A cheap call (1 unit) proving the credentials are accepted (for ``sheets-sync doctor``)."""
        self._yt("GET", "commentThreads", {"part": "id", "allThreadsRelatedToChannelId": self.channel_id,
                                           "maxResults": 1}, LIST_COST)
        return f"channel {self.channel_id}: credentials accepted, {self.units_left} quota units left today"

    def _add_video_details(self, found: dict[str, Comment]) -> None:
        """Fill the video title and publish time (for the Posts register): 1 unit per 50 videos."""
        video_ids = sorted({c.post_id for c in found.values() if c.post_id})
        details: dict[str, dict[str, Any]] = {}
        for start in range(0, len(video_ids), 50):
            body = self._yt("GET", "videos", {"part": "snippet", "id": ",".join(video_ids[start:start + 50])},
                            LIST_COST)
            for item in body.get("items") or []:
                details[str(item["id"])] = item.get("snippet") or {}
        for cid, comment in found.items():
            snippet = details.get(comment.post_id)
            if snippet:
                found[cid] = replace(comment, post_title=snippet.get("title"),
                                      post_published_at=parse_time(snippet["publishedAt"]))

    def _comment(self, raw: dict[str, Any], video_id: str | None = None) -> Comment:
        snippet = raw["snippet"]
        video_id = str(snippet.get("videoId") or video_id or "")
        cid = str(raw["id"])
        return Comment(
            platform=self.platform, comment_id=cid, post_id=video_id,
            author_id=str((snippet.get("authorChannelId") or {}).get("value") or ""),
            author_name=snippet.get("authorDisplayName") or "",
            text=snippet.get("textOriginal") if snippet.get("textOriginal") is not None else snippet.get("textDisplay", ""),
            created_at=parse_time(snippet["publishedAt"]), parent_id=snippet.get("parentId"),
            permalink=f"https://www.youtube.com/watch?v={video_id}&lc={cid}",
            post_link=f"https://www.youtube.com/watch?v={video_id}",
        )

    def _send_reply(self, comment_id: str, text: str) -> tuple[str, datetime]:
        # YouTube threads are two levels deep: a reply to a reply goes under the top-level comment.
        parent_id = comment_id.split(".", 1)[0]
        if parent_id != comment_id:
            # The API only checks the thread's top-level comment; the reply itself may be gone (1 unit).
            target = self._lookup([comment_id]).get(comment_id)
            if target is None:
                raise ReplyRefused(self.platform, "the comment was deleted or is no longer visible")
            # Address the person, as YouTube's own UI does: it is also how the answer to one reply is told
            # apart from the channel's other answers in the same thread.
            mention = _mention(target["snippet"].get("authorDisplayName") or "")
            if not text.startswith("@"):
                text = f"{mention} {text}"
        try:
            body = self._yt("POST", "comments", {"part": "snippet"}, WRITE_COST,
                            json_body={"snippet": {"parentId": parent_id, "textOriginal": text}}, retry=False)
        except ObjectMissing as exc:
            raise ReplyRefused(self.platform, "the comment was deleted or is no longer visible") from exc
        except APIRefused as exc:
            raise ReplyRefused(self.platform, exc.detail) from exc
        return str(body["id"]), parse_time(body["snippet"]["publishedAt"])

    def find_own_reply(self, comment_id: str, exclude: Collection[str] = ()) -> tuple[str, datetime] | None:
        """The channel's first reply in the comment's thread posted at or after the comment (and not in
        ``exclude``), or None."""
        items = self._lookup([comment_id])
        reply = self._own_replies(items, exclude=exclude).get(comment_id)
        return (reply[0], reply[1]) if reply else None

    def _find_sent_reply(self, comment_id: str, text: str) -> tuple[str, datetime] | None:
        # Replies to several comments of one thread all live under the top-level comment, so after an
        # ambiguous send look for this very text, not just any later reply by the channel.
        items = self._lookup([comment_id])
        reply = self._own_replies(items, text=text).get(comment_id)
        return (reply[0], reply[1]) if reply else None

    def _lookup(self, comment_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The comments that still exist, by id (1 unit per 50 ids)."""
        items: dict[str, dict[str, Any]] = {}
        for start in range(0, len(comment_ids), 50):
            body = self._yt("GET", "comments", {"part": "snippet", "id": ",".join(comment_ids[start:start + 50]),
                                                "textFormat": "plainText"}, LIST_COST)
            for item in body.get("items") or []:
                items[str(item["id"])] = item
        return items

    def _own_replies(self, items: dict[str, dict[str, Any]], text: str | None = None,
                     exclude: Collection[str] = ()) -> dict[str, tuple[str, datetime, str]]:
        """For each comment, the channel's reply to it: ``(id, published, text)``.

        Threads are two levels deep, so every answer in a thread sits under the top-level comment. The
        channel's answer to a comment is its first reply published at or after the comment that addresses
        the author (``@name ...``, as YouTube's UI writes it), or, for the top-level comment, that addresses
        no one. With ``text``, only a reply with exactly that text (possibly after the ``@name``) counts.
        """
        thread_replies = self._thread_replies(list(dict.fromkeys(cid.split(".", 1)[0] for cid in items)))
        result: dict[str, tuple[str, datetime, str]] = {}
        for cid, item in items.items():
            snippet = item["snippet"]
            when = parse_time(snippet["publishedAt"])
            mention = _mention(snippet.get("authorDisplayName") or "")
            top_level = not snippet.get("parentId")
            thread = cid.split(".", 1)[0]
            for reply in thread_replies.get(thread) or []:
                rs = reply["snippet"]
                body = rs.get("textOriginal") or ""
                if (rs.get("authorChannelId") or {}).get("value") != self.channel_id or reply["id"] == cid \
                        or reply["id"] in exclude:
                    continue
                if parse_time(rs["publishedAt"]) < when:
                    continue
                if not (body.startswith(mention) or (top_level and not body.startswith("@"))):
                    continue
                if text is not None and body not in (text, f"{mention} {text}"):
                    continue
                result[cid] = (str(reply["id"]), parse_time(rs["publishedAt"]), body)
                break
        return result

    def _thread_replies(self, thread_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """All replies of each thread, oldest first.

        ``commentThreads.list?id=`` (1 unit per 50 threads) carries each thread's reply count and its first few
        replies: a thread whose replies are all there costs nothing more; only the others are listed with
        ``comments?parentId=``. A server that refuses ``id`` on commentThreads gets every thread listed.
        """
        threads: dict[str, dict[str, Any]] | None = {}
        try:
            for start in range(0, len(thread_ids), 50):
                body = self._yt("GET", "commentThreads", {"part": "id,snippet,replies",
                                                          "id": ",".join(thread_ids[start:start + 50]),
                                                          "maxResults": 50, "textFormat": "plainText"}, LIST_COST)
                threads.update({str(t["id"]): t for t in body.get("items") or []})
        except APIRefused:
            threads = None
        replies: dict[str, list[dict[str, Any]]] = {}
        for tid in thread_ids:
            thread = threads.get(tid) if threads is not None else None
            included = ((thread or {}).get("replies") or {}).get("comments") or []
            if threads is not None and (thread is None or len(included) >= int(
                    thread["snippet"].get("totalReplyCount") or 0)):
                found = list(included)  # the thread is gone, or carries all its replies
            else:
                try:
                    found = list(self._list("comments", {"part": "snippet", "parentId": tid, "maxResults": 100,
                                                         "textFormat": "plainText"}, f"replies to {tid}"))
                except ObjectMissing:
                    found = []
            replies[tid] = sorted(found, key=lambda r: r["snippet"]["publishedAt"])
        return replies

    def comment_states(self, comment_ids: list[str]) -> dict[str, CommentState]:
        """Visible / hidden (held for review or likely spam) / deleted, and the channel's own reply.

        ``comments.list?id=`` (1 unit per 50 ids) answers only comments that exist and are published or held;
        it does not say which are held (``moderationStatus`` is only set when listing threads with a
        ``moderationStatus`` filter), so the channel's held threads are listed too (1 unit per 100 held
        threads, owner OAuth). A comment absent from ``comments.list?id=`` is deleted or rejected: gone either way.
        """
        items = self._lookup(list(dict.fromkeys(comment_ids)))
        held = self._held_ids() if items else set()
        own = self._own_replies(items)
        states: dict[str, CommentState] = {}
        for cid in comment_ids:
            if cid not in items:
                states[cid] = CommentState(cid, "deleted", None, None, None)
                continue
            moderation = items[cid]["snippet"].get("moderationStatus") or "published"
            hidden = cid in held or moderation != "published"
            reply = own.get(cid)
            states[cid] = CommentState(cid, "hidden" if hidden else "visible",
                                       reply[0] if reply else None, reply[1] if reply else None,
                                       reply[2] if reply else None)
        return states

    def _held_ids(self) -> set[str]:
        """Ids of the channel's comments held for review or as likely spam (top-level and the replies listed)."""
        held: set[str] = set()
        for status in ("heldForReview", "likelySpam"):
            for thread in self._list("commentThreads", {
                    "part": "id,snippet,replies", "allThreadsRelatedToChannelId": self.channel_id,
                    "moderationStatus": status, "maxResults": 100, "textFormat": "plainText"},
                    f"{status} comment threads"):
                # The owner's listing states each comment's moderationStatus: count only what it says is held
                # (a thread listed for its held reply has a published top-level comment).
                for comment in [thread["snippet"]["topLevelComment"],
                                *((thread.get("replies") or {}).get("comments") or [])]:
                    if (comment.get("snippet") or {}).get("moderationStatus") == status:
                        held.add(str(comment["id"]))
        return held


    def post_engagement(self, post_ids: list[str]) -> dict[str, Engagement]:
        """Views, likes and comment counts: ``videos.list?part=statistics``, 50 videos a call, 1 unit each. A
        deleted or private video is simply not in the answer."""
        ids = list(dict.fromkeys(post_ids))
        found: dict[str, Engagement] = {}
        for start in range(0, len(ids), 50):
            body = self._yt("GET", "videos", {"part": "statistics", "id": ",".join(ids[start:start + 50])},
                              LIST_COST)
            for item in body.get("items") or []:
                stats = item.get("statistics") or {}
                # The API sends these counts as strings; likeCount is absent when the owner hides likes.
                found[str(item["id"])] = Engagement(str(item["id"]), reactions=_number(stats.get("likeCount")),
                                                    views=_number(stats.get("viewCount")),
                                                    comments=_number(stats.get("commentCount")))
        return found


def _number(value: Any) -> int | None:
    """A YouTube count (a decimal string) as an int; None when absent or unreadable."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _mention(author: str) -> str:
    """How a reply addresses ``author`` (display names are ``@handle`` nowadays)."""
    return author if author.startswith("@") else f"@{author}"
