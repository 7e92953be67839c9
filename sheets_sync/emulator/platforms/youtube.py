"""YouTube Data API v3 routes (``/youtube/v3/...``): comment threads, comments, moderation, videos, quota.

Every call is charged against a daily unit quota (list 1, insert / setModerationStatus 50) that resets at
midnight Pacific time; past it the API answers 403 ``quotaExceeded``, as the real one does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..http import EmuRequest, EmuResponse, json_response
from .common import bearer, encode_token, page_after, youtube_time
from .state import Comment, Post

if TYPE_CHECKING:
    from .core import PlatformEmulator

MAX_TEXT = 10_000
COSTS = {("GET", "commentThreads"): 1, ("GET", "comments"): 1, ("GET", "videos"): 1,
         ("POST", "comments"): 50, ("POST", "comments/setModerationStatus"): 50}


def youtube_error(status: int, reason: str, message: str, domain: str = "youtube.comment") -> EmuResponse:
    """An error body in Google's v3 format, with the reason the client acts on."""
    return json_response(status, {"error": {"code": status, "message": message,
                                            "errors": [{"domain": domain, "reason": reason, "message": message}]}})


class YouTubeRoutes:
    """Answers YouTube Data API requests from the emulator's state."""

    def __init__(self, emu: PlatformEmulator) -> None:
        self.emu = emu

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Route one YouTube request."""
        resource = request.path.split("/youtube/v3/", 1)[1].strip("/")
        params = {k: v[0] for k, v in request.query.items() if v}
        token = bearer(request) or params.get("key")
        verdict = self.emu.tokens.check("youtube", token)
        if verdict == "missing":
            return youtube_error(401, "required", "Login Required.", domain="global")
        if verdict in ("expired", "invalid"):
            return youtube_error(401, "authError", "Request had invalid authentication credentials.",
                                 domain="global")
        cost = COSTS.get((request.method, resource))
        if cost is None:
            return youtube_error(404, "notFound", f"Unknown method {request.method} {resource}", domain="global")
        if not self.emu.youtube_quota.spend(token or "", cost):
            return youtube_error(403, "quotaExceeded",
                                 "The request cannot be completed because you have exceeded your quota.",
                                 domain="youtube.quota")
        if resource == "commentThreads":
            return self._threads(params)
        if resource == "comments" and request.method == "GET":
            return self._comments(params)
        if resource == "videos":
            return self._videos(params)
        if resource == "comments":
            return self._insert(request)
        return self._moderate(params)

    # ---- reads ----------------------------------------------------------------------------------------

    def _threads(self, params: dict[str, str]) -> EmuResponse:
        channel = params.get("allThreadsRelatedToChannelId")
        video = params.get("videoId")
        if not channel and not video:
            return youtube_error(400, "missingRequiredParameter", "No filter selected.", domain="youtube.parameter")
        tops = [c for c in self.emu.state.comments.values()
                if c.platform == "youtube" and c.parent_id is None and not c.deleted and not c.hidden
                and ((channel and c.account_id == channel) or (video and c.post_id == video))]
        tops.sort(key=lambda c: (-c.created, -c.seq))
        try:
            page, next_key = page_after(tops, lambda c: [-c.created, -c.seq], params.get("pageToken"),
                                        _max_results(params))
        except ValueError:
            return youtube_error(400, "invalidPageToken", "The page token is not valid.", domain="youtube.parameter")
        items = []
        for top in page:
            replies = self._replies(top)
            thread: dict[str, Any] = {
                "kind": "youtube#commentThread", "id": top.id,
                "snippet": {"channelId": top.account_id, "videoId": top.post_id, "topLevelComment": self._resource(top),
                            "canReply": True, "totalReplyCount": len(replies), "isPublic": True},
            }
            if "replies" in params.get("part", "") and replies:
                # The thread carries only a few replies; clients list the rest with comments?parentId=.
                thread["replies"] = {"comments": [self._resource(r) for r in replies[:5]]}
            items.append(thread)
        body: dict[str, Any] = {"kind": "youtube#commentThreadListResponse",
                                "pageInfo": {"totalResults": len(tops), "resultsPerPage": len(items)},
                                "items": items}
        if next_key is not None:
            body["nextPageToken"] = encode_token(next_key)
        return json_response(200, body)

    def _comments(self, params: dict[str, str]) -> EmuResponse:
        state = self.emu.state
        if params.get("id"):
            wanted = params["id"].split(",")
            found = [state.comments[i] for i in wanted
                     if i in state.comments and state.comments[i].platform == "youtube" and not state.comments[i].deleted]
            return json_response(200, {"kind": "youtube#commentListResponse",
                                       "items": [self._resource(c) for c in found]})
        parent_id = params.get("parentId")
        if not parent_id:
            return youtube_error(400, "missingRequiredParameter", "No filter selected.", domain="youtube.parameter")
        parent = state.comments.get(parent_id)
        if parent is None or parent.deleted:
            return youtube_error(404, "commentNotFound", "The comment could not be found.")
        replies = self._replies(parent)
        try:
            page, next_key = page_after(replies, lambda c: [c.created, c.seq], params.get("pageToken"),
                                        _max_results(params))
        except ValueError:
            return youtube_error(400, "invalidPageToken", "The page token is not valid.", domain="youtube.parameter")
        body: dict[str, Any] = {"kind": "youtube#commentListResponse", "items": [self._resource(c) for c in page]}
        if next_key is not None:
            body["nextPageToken"] = encode_token(next_key)
        return json_response(200, body)

    def _videos(self, params: dict[str, str]) -> EmuResponse:
        items = []
        for video_id in (params.get("id") or "").split(","):
            post = self.emu.state.posts.get(video_id)
            if post and post.platform == "youtube":
                items.append(self._video(post))
        return json_response(200, {"kind": "youtube#videoListResponse", "items": items})

    def _replies(self, parent: Comment) -> list[Comment]:
        replies = [c for c in self.emu.state.comments.values()
                   if c.parent_id == parent.id and not c.deleted and not c.hidden]
        replies.sort(key=lambda c: (c.created, c.seq))
        return replies

    @staticmethod
    def _video(post: Post) -> dict[str, Any]:
        return {"kind": "youtube#video", "id": post.id,
                "snippet": {"channelId": post.account_id, "title": post.text.split("\n")[0][:100],
                            "description": post.text, "publishedAt": youtube_time(post.created)}}

    @staticmethod
    def _resource(c: Comment) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "channelId": c.account_id, "videoId": c.post_id, "textDisplay": c.text, "textOriginal": c.text,
            "authorDisplayName": c.author_name, "authorChannelId": {"value": c.author_id},
            "authorChannelUrl": f"http://www.youtube.com/channel/{c.author_id}",
            "canRate": True, "viewerRating": "none", "likeCount": 0,
            "publishedAt": youtube_time(c.created), "updatedAt": youtube_time(c.created),
        }
        if c.parent_id:
            snippet["parentId"] = c.parent_id
        if c.hidden:
            snippet["moderationStatus"] = "heldForReview"
        return {"kind": "youtube#comment", "id": c.id, "snippet": snippet}

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
        if parent.hidden:
            return youtube_error(403, "forbidden", "The comment is held for review and cannot be replied to.")
        if not text:
            return youtube_error(400, "commentTextRequired", "The comment text is required.")
        if len(text) > MAX_TEXT:
            return youtube_error(400, "commentTextTooLong", f"The comment text is longer than {MAX_TEXT} characters.")
        reply = self.emu.add_own_reply(parent, text, via="api")
        return self.emu.after_reply_applied(json_response(200, self._resource(reply)))

    def _moderate(self, params: dict[str, str]) -> EmuResponse:
        status = params.get("moderationStatus")
        if status not in ("heldForReview", "published", "rejected"):
            return youtube_error(400, "invalidModerationStatus", "The moderation status is not valid.")
        for comment_id in (params.get("id") or "").split(","):
            comment = self.emu.state.comments.get(comment_id)
            if comment is None or comment.platform != "youtube" or comment.deleted:
                return youtube_error(404, "commentNotFound", "The comment could not be found.")
            comment.hidden = status != "published"
        return EmuResponse(status=204)


def _max_results(params: dict[str, str]) -> int:
    return min(max(int(params.get("maxResults", "20")), 1), 100)
