"""The admin API (``/_emulator/...``): seed posts and comments, moderate, answer natively, inspect.

Never faulted (the shared FaultInjector skips ``/_emulator/`` paths): a test must always be able to steer
and inspect the emulator. Every body is JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..http import EmuRequest, EmuResponse, json_response
from .common import graph_time
from .state import PLATFORMS

if TYPE_CHECKING:
    from .core import PlatformEmulator


def _error(status: int, message: str) -> EmuResponse:
    return json_response(status, {"error": {"code": status, "message": message}})


class AdminRoutes:
    """Answers the admin API from the emulator's state."""

    def __init__(self, emu: PlatformEmulator) -> None:
        self.emu = emu

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Route one admin request."""
        parts = [unquote(p) for p in request.path.strip("/").split("/")[1:]]
        method = request.method
        try:
            body: Any = request.json() if method in ("POST", "PUT") else {}
        except ValueError:
            return _error(400, "The body is not valid JSON.")
        try:
            if method == "POST" and parts == ["posts"]:
                post = self.emu.add_post(body["platform"], str(body["account_id"]), body.get("text", ""),
                                         body.get("created_time"))
                return json_response(200, {"id": post.id})
            if method == "POST" and parts == ["comments"]:
                comment = self.emu.add_comment(body["platform"], body.get("post_id"), body.get("text", ""),
                                               body.get("author") or {}, body.get("parent_id"),
                                               body.get("created_time"), body.get("account_id"))
                return json_response(200, {"id": comment.id})
            if method == "POST" and len(parts) == 3 and parts[0] == "comments" and parts[2] == "hide":
                self.emu.hide_comment(parts[1], bool(body.get("hidden", True)))
                return json_response(200, {"success": True})
            if method == "DELETE" and len(parts) == 2 and parts[0] == "comments":
                self.emu.delete_comment(parts[1])
                return json_response(200, {"success": True})
            if method == "POST" and len(parts) == 3 and parts[0] == "comments" and parts[2] == "owner-reply":
                reply = self.emu.owner_reply(parts[1], body.get("text", ""))
                return json_response(200, {"id": reply.id})
            if method == "GET" and parts == ["replies"]:
                platform = request.arg("platform") or ""
                if platform not in PLATFORMS:
                    return _error(400, f"platform must be one of {', '.join(PLATFORMS)}")
                return json_response(200, {"replies": [
                    {"id": c.id, "parent_id": c.parent_id, "text": c.text, "via": c.via,
                     "created_time": graph_time(c.created)} for c in self.emu.replies(platform)]})
            if method == "GET" and parts == ["stats"]:
                with self.emu._lock:
                    requests_by_endpoint = dict(self.emu.stats)
                return json_response(200, {"requests": requests_by_endpoint,
                                           "total": sum(requests_by_endpoint.values()),
                                           "faults": dict(self.emu.faults.injected)})
            if method == "POST" and parts == ["stats", "reset"]:
                with self.emu._lock:
                    self.emu.stats.clear()
                return json_response(200, {"success": True})
            if method == "POST" and parts == ["tokens"]:
                # {"platform", "token", "expired"?}: register a valid token, or expire one / all.
                if body.get("expired"):
                    self.emu.expire_token(body["platform"], body.get("token"))
                else:
                    self.emu.register_token(body["platform"], body["token"])
                return json_response(200, {"success": True})
        except KeyError as exc:
            return _error(404 if parts and parts[0] == "comments" and len(parts) > 1 else 400,
                          f"Missing or unknown: {exc}")
        except ValueError as exc:
            return _error(400, str(exc))
        return _error(404, f"No admin route {method} {request.path}")
