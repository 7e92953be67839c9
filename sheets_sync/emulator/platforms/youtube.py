"""YouTube Data API v3 routes (``/youtube/v3/...``): comment threads, comments, moderation, videos, quota.

Every call is charged against a daily unit quota (list 1, insert / setModerationStatus 50) that resets at
midnight Pacific time; past it the API answers 403 ``quotaExceeded``, as the real one does. Writes need an OAuth
token (an API key alone is refused), ``commentThreads.list`` honours ``moderationStatus`` (owner only),
``snippet.moderationStatus`` is never set with the ``id`` filter, lists carry ``etag`` and ``pageInfo``, and a video
with comments disabled answers 403 ``commentsDisabled``. Error bodies carry Google's ``status`` name.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from ..http import EmuRequest, EmuResponse, json_response
from .common import bearer, encode_token, page_after, youtube_time
from .state import Comment, Post

if TYPE_CHECKING:
    from .core import PlatformEmulator

MAX_TEXT = 10_000
COSTS = {("GET", "commentThreads"): 1, ("GET", "comments"): 1, ("GET", "videos"): 1,
         ("POST", "comments"): 50, ("POST", "commentThreads"): 50, ("POST", "comments/setModerationStatus"): 50}
MODERATION_STATUSES = ("published", "heldForReview", "likelySpam")

# Google's canonical status names, sent in every v3 error body next to ``code``.
_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def youtube_error(status: int, reason: str, message: str, domain: str = "youtube.comment",
                  **extra: str) -> EmuResponse:
    """An error body in Google's v3 format, with the reason the client acts on."""
    item = {"message": message, "domain": domain, "reason": reason, **extra}
    error: dict[str, Any] = {"code": status, "message": message, "errors": [item]}
    if status in _STATUS_NAMES:
        error["status"] = _STATUS_NAMES[status]
    return json_response(status, {"error": error})


def etag(value: Any) -> str:
    """An opaque, content-derived etag (Google's are 27 characters of base64)."""
    digest = hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


class YouTubeRoutes:
    """Answers YouTube Data API requests from the emulator's state."""

    def __init__(self, emu: PlatformEmulator) -> None:
        self.emu = emu
        # Videos whose owner turned comments off (admin: POST /_emulator/videos/{id}/comments).
        self.comments_disabled: set[str] = set()
        # Finer moderation than the shared ``hidden`` flag: "likelySpam" / "rejected" by comment id (memory only;
        # a hidden comment without an entry is "heldForReview").
        self.moderation: dict[str, str] = {}

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Route one YouTube request."""
        resource = request.path.split("/youtube/v3/", 1)[1].strip("/")
        params = {k: v[0] for k, v in request.query.items() if v}
        oauth = bearer(request)
        token = oauth or params.get("key")
        verdict = self.emu.tokens.check("youtube", token)
        if verdict == "missing":
            return youtube_error(401, "required", "Login Required.", domain="global",
                                 location="Authorization", locationType="header")
        if verdict in ("expired", "invalid"):
            if not oauth:
                return youtube_error(400, "keyInvalid", "API key not valid. Please pass a valid API key.",
                                     domain="usageLimits")
            return youtube_error(401, "authError", "Request had invalid authentication credentials.",
                                 domain="global", location="Authorization", locationType="header")
        cost = COSTS.get((request.method, resource))
        if cost is None:
            return youtube_error(404, "notFound", f"Unknown method {request.method} {resource}", domain="global")
        if request.method != "GET" and not oauth:
            # Writes need the channel owner's OAuth token: an API key identifies a project, not a user.
            return youtube_error(401, "required", "API keys are not supported by this API. Expected OAuth2 access "
                                 "token or other authentication credentials that assert a principal.",
                                 domain="global", location="Authorization", locationType="header")
        if not self.emu.youtube_quota.spend(token or "", cost):
            return youtube_error(403, "quotaExceeded",
                                 "The request cannot be completed because you have exceeded your quota.",
                                 domain="youtube.quota")
        if resource == "commentThreads" and request.method == "GET":
            return self._threads(params, owner=oauth is not None)
        if resource == "commentThreads":
            return self._insert_thread(request)
        if resource == "comments" and request.method == "GET":
            return self._comments(params, owner=oauth is not None)
        if resource == "videos":
            return self._videos(params)
        if resource == "comments":
            return self._insert(request)
        return self._moderate(params)

    # ---- reads ----------------------------------------------------------------------------------------

    def status_of(self, c: Comment) -> str:
        """A comment's moderation status: published, heldForReview, likelySpam or rejected."""
        if not c.hidden:
            return "published"
        return self.moderation.get(c.id, "heldForReview")

    def _threads(self, params: dict[str, str], owner: bool) -> EmuResponse:
        # ``channelId`` (threads about the channel itself, deprecated) is answered like the channel's threads.
        channel = params.get("allThreadsRelatedToChannelId") or params.get("channelId")
        video = params.get("videoId")
        ids = [i for i in (params.get("id") or "").split(",") if i]
        refused = self._threads_refused(params, channel, video, ids, owner)
        if refused is not None:
            return refused
        status = params.get("moderationStatus") or "published"
        tops = self._thread_tops(channel, video, ids, status)
        terms = (params.get("searchTerms") or "").lower().split()
        if terms:
            tops = [c for c in tops if all(t in c.text.lower() for t in terms)]
        tops.sort(key=lambda c: (-c.created, -c.seq))
        per_page = _max_results(params)
        try:
            page, next_key = page_after(tops, lambda c: [-c.created, -c.seq], params.get("pageToken"), per_page)
        except ValueError:
            return youtube_error(400, "invalidPageToken", "The page token is not valid.", domain="youtube.parameter")
        items = [self._thread(top, status, "replies" in params.get("part", ""), owner and not ids) for top in page]
        body: dict[str, Any] = {"kind": "youtube#commentThreadListResponse",
                                "pageInfo": {"totalResults": len(items), "resultsPerPage": per_page},
                                "items": items}
        if next_key is not None:
            body["nextPageToken"] = encode_token(next_key)
        body["etag"] = etag(body)
        return json_response(200, body)

    def _threads_refused(self, params: dict[str, str], channel: str | None, video: str | None, ids: list[str],
                         owner: bool) -> EmuResponse | None:
        """Google's answer to a commentThreads.list it refuses (filters, moderationStatus, authorisation,
        comments disabled); None when the request is acceptable."""
        filters = sum(bool(f) for f in (channel, video, ids))
        if filters == 0:
            return youtube_error(400, "missingRequiredParameter", "No filter selected. Expected one of: id, "
                                 "videoId, allThreadsRelatedToChannelId, channelId", domain="youtube.parameter")
        if filters > 1:
            return youtube_error(400, "incompatibleParameters", "Incompatible parameters specified in the request: "
                                 "use only one of id, videoId, allThreadsRelatedToChannelId, channelId",
                                 domain="youtube.parameter")
        status = params.get("moderationStatus")
        if status is not None and ids:
            return youtube_error(400, "incompatibleParameters", "The moderationStatus parameter cannot be used with "
                                 "the id parameter.", domain="youtube.parameter")
        status = status or "published"
        if status not in MODERATION_STATUSES:
            return youtube_error(400, "invalidValue", f"Invalid value '{status}'. Values must match one of: "
                                 "heldForReview, likelySpam, published.", domain="youtube.parameter")
        if status != "published" and not owner:
            return youtube_error(403, "forbidden", "The request is not properly authorized to retrieve the "
                                 "specified comment threads' moderation status.", domain="youtube.commentThread")
        if video and video in self.comments_disabled:
            return _comments_disabled()
        return None

    def _thread_tops(self, channel: str | None, video: str | None, ids: list[str], status: str) -> list[Any]:
        """The top-level comments of the threads asked for: by id (published only), or on a channel or video
        under a moderation status (a thread is listed under a status when its top comment or a reply has it)."""
        state = self.emu.state
        if ids:
            tops = [state.comments[i] for i in ids if i in state.comments]
            return [c for c in tops if c.platform == "youtube" and c.parent_id is None and not c.deleted
                    and self.status_of(c) == "published"]
        candidates = [c for c in state.comments.values()
                      if c.platform == "youtube" and c.parent_id is None and not c.deleted
                      and ((channel and c.account_id == channel) or (video and c.post_id == video))]
        if status == "published":
            return [c for c in candidates if self.status_of(c) == "published"]
        return [c for c in candidates if self.status_of(c) == status
                or any(self.status_of(r) == status for r in self._replies(c, None))]

    def _thread(self, top: Any, status: str, with_replies: bool, moderation: bool) -> dict[str, Any]:
        """One commentThread resource (with up to five replies when asked)."""
        replies = [r for r in self._replies(top, None) if self.status_of(r) in ("published", status)]
        thread: dict[str, Any] = {
            "kind": "youtube#commentThread", "id": top.id,
            "snippet": {"channelId": top.account_id, "videoId": top.post_id,
                        "topLevelComment": self._resource(top, moderation),
                        "canReply": True, "totalReplyCount": len(self._replies(top, "published")),
                        "isPublic": True},
        }
        if with_replies and replies:
            # The thread carries only a few replies; clients list the rest with comments?parentId=.
            thread["replies"] = {"comments": [self._resource(r, moderation) for r in replies[:5]]}
        thread["etag"] = etag(thread)
        return thread

    def _comments(self, params: dict[str, str], owner: bool) -> EmuResponse:
        state = self.emu.state
        per_page = _max_results(params)
        if params.get("id"):
            wanted = params["id"].split(",")
            # Published and held comments are answered (rejected ones are gone); moderationStatus is never set
            # with the id filter, as Google's reference says.
            found = [state.comments[i] for i in wanted
                     if i in state.comments and state.comments[i].platform == "youtube"
                     and not state.comments[i].deleted and self.status_of(state.comments[i]) != "rejected"]
            body: dict[str, Any] = {"kind": "youtube#commentListResponse",
                                    "pageInfo": {"totalResults": len(found), "resultsPerPage": per_page},
                                    "items": [self._resource(c, False) for c in found]}
            body["etag"] = etag(body)
            return json_response(200, body)
        parent_id = params.get("parentId")
        if not parent_id:
            return youtube_error(400, "missingRequiredParameter", "No filter selected. Expected one of: id, parentId",
                                 domain="youtube.parameter")
        parent = state.comments.get(parent_id)
        if parent is None or parent.deleted or parent.platform != "youtube":
            return youtube_error(404, "commentNotFound", "The comment could not be found.")
        replies = self._replies(parent, "published")
        try:
            page, next_key = page_after(replies, lambda c: [c.created, c.seq], params.get("pageToken"), per_page)
        except ValueError:
            return youtube_error(400, "invalidPageToken", "The page token is not valid.", domain="youtube.parameter")
        body = {"kind": "youtube#commentListResponse", "pageInfo": {"resultsPerPage": per_page},
                "items": [self._resource(c, owner) for c in page]}
        if next_key is not None:
            body["nextPageToken"] = encode_token(next_key)
        body["etag"] = etag(body)
        return json_response(200, body)

    def _videos(self, params: dict[str, str]) -> EmuResponse:
        """``videos.list?id=``: the videos that exist, with the parts asked (``snippet``, ``statistics``); at
        most 50 ids, as the API allows."""
        ids = [i for i in (params.get("id") or "").split(",") if i]
        if len(ids) > 50:
            return youtube_error(400, "invalidFilters", "The request specifies too many video IDs (at most 50).",
                                 domain="youtube.parameter")
        parts = {p.strip() for p in (params.get("part") or "").split(",")}
        items = []
        for video_id in ids:
            post = self.emu.state.posts.get(video_id)
            if post and post.platform == "youtube":
                items.append(self._video(post, parts))
        return json_response(200, {"kind": "youtube#videoListResponse", "etag": etag(ids),
                                   "items": items, "pageInfo": {"totalResults": len(items),
                                                                "resultsPerPage": len(items)}})

    def _replies(self, parent: Comment, status: str | None) -> list[Comment]:
        """Live replies of ``parent`` with moderation ``status`` (any status when None), oldest first."""
        replies = [c for c in self.emu.state.comments.values()
                   if c.parent_id == parent.id and not c.deleted and (status is None or self.status_of(c) == status)]
        replies.sort(key=lambda c: (c.created, c.seq))
        return replies

    def _video(self, post: Post, parts: set[str]) -> dict[str, Any]:
        """A video resource with the parts asked. ``statistics`` counts are decimal strings, as the API sends
        them; ``commentCount`` is left out when the owner turned comments off."""
        video: dict[str, Any] = {"kind": "youtube#video", "id": post.id}
        if "snippet" in parts:
            video["snippet"] = {"channelId": post.account_id, "title": post.text.split("\n")[0][:100],
                                "description": post.text, "publishedAt": youtube_time(post.created)}
        if "statistics" in parts:
            stats = {"viewCount": str(post.metrics.get("views", 0)), "likeCount": str(post.metrics.get("likes", 0)),
                     "favoriteCount": "0"}
            if post.id not in self.comments_disabled:
                stats["commentCount"] = str(sum(1 for c in self.emu.state.comments.values()
                                                if c.post_id == post.id and not c.deleted))
            video["statistics"] = stats
        video["etag"] = etag(video)
        return video

    def _resource(self, c: Comment, with_status: bool) -> dict[str, Any]:
        """A comment resource. ``snippet.moderationStatus`` only for the owner's listings (never with ``id``)."""
        snippet: dict[str, Any] = {
            "channelId": c.account_id, "videoId": c.post_id, "textDisplay": c.text, "textOriginal": c.text,
            "authorDisplayName": c.author_name,
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{etag(c.author_id)}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/channel/{c.author_id}",
            "authorChannelId": {"value": c.author_id},
            "canRate": True, "viewerRating": "none", "likeCount": 0,
            "publishedAt": youtube_time(c.created), "updatedAt": youtube_time(c.created),
        }
        if c.parent_id:
            snippet["parentId"] = c.parent_id
        if with_status:
            snippet["moderationStatus"] = self.status_of(c)
        resource = {"kind": "youtube#comment", "id": c.id, "snippet": snippet}
        resource["etag"] = etag(resource)
        return resource

    # ---- writes ---------------------------------------------------------------------------------------

    def _insert(self, request: EmuRequest) -> EmuResponse:
        try:
            snippet = (request.json() or {}).get("snippet") or {}
        except ValueError:
            return youtube_error(400, "parseError", "Parse Error", domain="global")
        parent = self.emu.state.comments.get(snippet.get("parentId") or "")
        text = snippet.get("textOriginal") or ""
        if parent is None or parent.platform != "youtube" or parent.deleted:
            return youtube_error(404, "parentCommentNotFound", "The parent comment could not be found.")
        if parent.parent_id is not None:
            return youtube_error(400, "operationNotSupported", "Replies can only be made to top-level comments.")
        if parent.post_id in self.comments_disabled:
            return _comments_disabled()
        if parent.hidden:
            return youtube_error(403, "forbidden", "The comment is held for review and cannot be replied to.")
        if not text:
            return youtube_error(400, "commentTextRequired", "The comment text is required.")
        if len(text) > MAX_TEXT:
            return youtube_error(400, "commentTextTooLong", f"The comment text is longer than {MAX_TEXT} characters.")
        reply = self.emu.add_own_reply(parent, text, via="api")
        return self.emu.after_reply_applied(json_response(200, self._resource(reply, False)))

    def _insert_thread(self, request: EmuRequest) -> EmuResponse:
        """``commentThreads.insert``: a new top-level comment by the channel owner on a video."""
        try:
            snippet = (request.json() or {}).get("snippet") or {}
        except ValueError:
            return youtube_error(400, "parseError", "Parse Error", domain="global")
        video = self.emu.state.posts.get(snippet.get("videoId") or "")
        text = ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal") or ""
        if video is None or video.platform != "youtube":
            return youtube_error(404, "videoNotFound", "The video identified by the videoId parameter could not "
                                 "be found.", domain="youtube.commentThread")
        if video.id in self.comments_disabled:
            return _comments_disabled()
        if not text:
            return youtube_error(400, "commentTextRequired", "The comment text is required.")
        if len(text) > MAX_TEXT:
            return youtube_error(400, "commentTextTooLong", f"The comment text is longer than {MAX_TEXT} characters.")
        top = self.emu.add_comment("youtube", video.id, text, {"id": video.account_id,
                                                               "name": "Pune Municipal Corporation"})
        thread: dict[str, Any] = {"kind": "youtube#commentThread", "id": top.id,
                                  "snippet": {"channelId": top.account_id, "videoId": top.post_id,
                                              "topLevelComment": self._resource(top, False), "canReply": True,
                                              "totalReplyCount": 0, "isPublic": True}}
        thread["etag"] = etag(thread)
        return json_response(200, thread)

    def _moderate(self, params: dict[str, str]) -> EmuResponse:
        status = params.get("moderationStatus")
        if status not in ("heldForReview", "published", "rejected"):
            return youtube_error(400, "invalidModerationStatus", "The moderation status is not valid.")
        for comment_id in (params.get("id") or "").split(","):
            comment = self.emu.state.comments.get(comment_id)
            if comment is None or comment.platform != "youtube" or comment.deleted:
                return youtube_error(404, "commentNotFound", "The comment could not be found.")
            comment.hidden = status != "published"
            if status == "rejected":
                self.moderation[comment.id] = "rejected"
            else:
                self.moderation.pop(comment.id, None)
        return EmuResponse(status=204)


def _comments_disabled() -> EmuResponse:
    return youtube_error(403, "commentsDisabled", "The video identified by the videoId parameter has disabled "
                         "comments.", domain="youtube.commentThread")


def _max_results(params: dict[str, str]) -> int:
    return min(max(int(params.get("maxResults", "20")), 1), 100)
