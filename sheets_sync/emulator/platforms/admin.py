"""The admin API (``/_emulator/...``): seed posts and comments, moderate, answer natively, inspect.

Also: ``POST /_emulator/faults`` ``{"code", "count"?, "subcode"?}`` makes the next Graph requests answer Graph's
real error with that code; ``POST /_emulator/videos/{id}/comments`` ``{"disabled": bool}`` turns a YouTube
video's comments off; ``POST /_emulator/comments/{id}/moderation`` ``{"status"}`` sets a YouTube comment's
moderation status (published, heldForReview, likelySpam, rejected); ``POST /_emulator/posts/{id}/metrics``
``{"likes": 12, "views": 340, ...}`` sets a post's engagement (``PlatformEmulator.set_post_metrics``).

Never faulted (the shared FaultInjector skips ``/_emulator/`` paths): a test must always be able to steer
and inspect the emulator. Every body is JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..http import EmuRequest, EmuResponse, json_response
from .common import graph_time
from .state import PLATFORMS

if TYPE_CHECKING:
    from .core import PlatformEmulator


def _error(status: int, message: str) -> EmuResponse:
    return json_response(status, {"error": {"code": status, "message": message}})


# An admin handler gets the comment id from the path ("" when the route has none), the JSON body and the
# request itself.
Action = Callable[[str, Any, EmuRequest], EmuResponse]


def _route_key(parts: list[str]) -> tuple[str, ...]:
    """The path parts with the comment id replaced by ``{id}``, so one table entry serves every comment."""
    if len(parts) > 1 and parts[0] in ("comments", "videos", "posts"):
        return (parts[0], "{id}", *parts[2:])
    return tuple(parts)


class AdminRoutes:
    """Answers the admin API from the emulator's state."""

    def __init__(self, emu: PlatformEmulator) -> None:
        self.emu = emu
        self._routes: dict[tuple[str, tuple[str, ...]], Action] = {
            ("POST", ("posts",)): self._add_post,
            ("POST", ("posts", "{id}", "metrics")): self._post_metrics,
            ("POST", ("comments",)): self._add_comment,
            ("POST", ("comments", "{id}", "hide")): self._hide_comment,
            ("DELETE", ("comments", "{id}")): self._delete_comment,
            ("POST", ("comments", "{id}", "owner-reply")): self._owner_reply,
            ("GET", ("replies",)): self._replies,
            ("GET", ("stats",)): self._stats,
            ("POST", ("stats", "reset")): self._reset_stats,
            ("POST", ("tokens",)): self._tokens,
            ("POST", ("comments", "{id}", "moderation")): self._moderation,
            ("POST", ("videos", "{id}", "comments")): self._video_comments,
            ("POST", ("faults",)): self._faults,
            ("DELETE", ("faults",)): self._clear_faults,
        }

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Route one admin request."""
        parts = [unquote(p) for p in request.path.strip("/").split("/")[1:]]
        method = request.method
        try:
            body: Any = request.json() if method in ("POST", "PUT") else {}
        except ValueError:
            return _error(400, "The body is not valid JSON.")
        action = self._routes.get((method, _route_key(parts)))
        if action is None:
            return _error(404, f"No admin route {method} {request.path}")
        comment_id = parts[1] if len(parts) > 1 else ""
        try:
            return action(comment_id, body, request)
        except KeyError as exc:
            # A KeyError on a comment's own route is an unknown comment; elsewhere a missing body field.
            return _error(404 if parts and parts[0] in ("comments", "posts") and len(parts) > 1 else 400,
                          f"Missing or unknown: {exc}")
        except ValueError as exc:
            return _error(400, str(exc))

    # ---- seeding and moderation -----------------------------------------------------------------------

    def _add_post(self, _id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        post = self.emu.add_post(body["platform"], str(body["account_id"]), body.get("text", ""),
                                 body.get("created_time"))
        return json_response(200, {"id": post.id})

    def _post_metrics(self, post_id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object such as {\"likes\": 12, \"views\": 340}")
        post = self.emu.set_post_metrics(post_id, **body)
        return json_response(200, {"id": post.id, "metrics": post.metrics})

    def _add_comment(self, _id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        comment = self.emu.add_comment(body["platform"], body.get("post_id"), body.get("text", ""),
                                       body.get("author") or {}, body.get("parent_id"),
                                       body.get("created_time"), body.get("account_id"))
        return json_response(200, {"id": comment.id})

    def _hide_comment(self, comment_id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        self.emu.hide_comment(comment_id, bool(body.get("hidden", True)))
        return json_response(200, {"success": True})

    def _delete_comment(self, comment_id: str, _body: Any, _request: EmuRequest) -> EmuResponse:
        self.emu.delete_comment(comment_id)
        return json_response(200, {"success": True})

    def _owner_reply(self, comment_id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        reply = self.emu.owner_reply(comment_id, body.get("text", ""))
        return json_response(200, {"id": reply.id})

    def _moderation(self, comment_id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        # YouTube: {"status": "published" | "heldForReview" | "likelySpam" | "rejected"}, as YouTube's own
        # moderation (or its spam filter) would set it.
        status = body.get("status")
        comment = self.emu.state.comments[comment_id]
        if comment.platform != "youtube":
            raise ValueError("moderation statuses are YouTube's; hide a comment elsewhere with .../hide")
        if status not in ("published", "heldForReview", "likelySpam", "rejected"):
            raise ValueError("status must be published, heldForReview, likelySpam or rejected")
        youtube = self.emu._routes["youtube"]
        self.emu.hide_comment(comment_id, status != "published")
        if status in ("likelySpam", "rejected"):
            youtube.moderation[comment_id] = status
        else:
            youtube.moderation.pop(comment_id, None)
        return json_response(200, {"success": True})

    def _video_comments(self, video_id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        # {"disabled": true|false}: the owner turns a video's comments off (threads answer 403 commentsDisabled).
        post = self.emu.state.posts.get(video_id)
        if post is None or post.platform != "youtube":
            return _error(404, f"No YouTube video {video_id!r}")
        self.emu.set_comments_disabled(video_id, bool(body.get("disabled", True)))
        return json_response(200, {"success": True})

    def _faults(self, _id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        # {"platform": "graph", "code": 17, "count": 2, "subcode"?}: the next ``count`` Graph requests answer
        # Graph's real error with that code (rate limits, permissions, token, blocked, object gone...).
        if body.get("platform", "graph") != "graph":
            raise ValueError("coded faults are Graph's; use the fault rate for the other platforms")
        subcode = body.get("subcode")
        self.emu.inject_graph_error(int(body["code"]), int(body.get("count", 1)),
                                    int(subcode) if subcode is not None else None)
        return json_response(200, {"success": True, "queued": len(self.emu._routes["graph"].queued_errors)})

    def _clear_faults(self, _id: str, _body: Any, _request: EmuRequest) -> EmuResponse:
        self.emu._routes["graph"].queued_errors.clear()
        return json_response(200, {"success": True})

    def _tokens(self, _id: str, body: Any, _request: EmuRequest) -> EmuResponse:
        # {"platform", "token", "expired"?}: register a valid token, or expire one / all.
        if body.get("expired"):
            self.emu.expire_token(body["platform"], body.get("token"))
        else:
            self.emu.register_token(body["platform"], body["token"])
        return json_response(200, {"success": True})

    # ---- inspection -----------------------------------------------------------------------------------

    def _replies(self, _id: str, _body: Any, request: EmuRequest) -> EmuResponse:
        platform = request.arg("platform") or ""
        if platform not in PLATFORMS:
            return _error(400, f"platform must be one of {', '.join(PLATFORMS)}")
        return json_response(200, {"replies": [
            {"id": c.id, "parent_id": c.parent_id, "text": c.text, "via": c.via,
             "created_time": graph_time(c.created)} for c in self.emu.replies(platform)]})

    def _stats(self, _id: str, _body: Any, _request: EmuRequest) -> EmuResponse:
        with self.emu._lock:
            requests_by_endpoint = dict(self.emu.stats)
        return json_response(200, {"requests": requests_by_endpoint,
                                   "total": sum(requests_by_endpoint.values()),
                                   "faults": dict(self.emu.faults.injected)})

    def _reset_stats(self, _id: str, _body: Any, _request: EmuRequest) -> EmuResponse:
        with self.emu._lock:
            self.emu.stats.clear()
        return json_response(200, {"success": True})
