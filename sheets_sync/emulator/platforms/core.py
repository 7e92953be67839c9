"""The platform emulator: one stateful object answering Graph, YouTube and X requests, plus an admin API.

``handle(request) -> response`` is the whole interface; ``session()`` mounts it into a ``requests.Session``
and ``sheets_sync.emulator.server.make_server`` puts it on a port. Faults come from the shared
``FaultInjector`` and are decided before anything is applied, so a faulted request changes nothing. The one
deliberate exception is ``drop_next_reply_after_apply``: the next reply is stored and then the connection is
dropped, the ambiguous failure a client must survive without posting twice.

With a data directory each request is one transaction: the saves it makes are deferred to one at its end, and
when the disk refuses that save the state is put back as last saved and the answer is a 503, so memory never
holds a change the disk did not take.
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests

from ..faults import FaultInjector
from ..http import EmuRequest, EmuResponse, json_response
from ..transport import mount
from .admin import AdminRoutes
from .common import Tokens, WindowCounter, parse_iso
from .graph import GraphRoutes
from .state import (
    METRIC_NAMES,
    PLATFORMS,
    Comment,
    Post,
    SetAside,
    State,
    StateSaveFailed,
    load_or_set_aside,
    save_atomically,
)
from .x import XRoutes
from .youtube import YouTubeRoutes

BASE_URLS = ("https://graph.facebook.com/", "https://www.googleapis.com/youtube/", "https://api.x.com/")

DEFAULT_RATE_LIMITS: dict[str, dict[str, float]] = {
    # Graph: calls per page (or IG account) per hour; Meta's real figure scales with engaged users.
    "graph": {"limit": 4800, "window_s": 3600},
    # X: calls per endpoint per 15-minute window, per token.
    "x": {"limit": 450, "window_s": 900},
    # YouTube: quota units per day, reset at midnight Pacific (UTC-8; daylight saving is ignored).
    "youtube": {"daily_units": 10_000},
}

# Fault bodies in each API's own error format, so a client classifies an injected fault like a real one.
_FAULT_BODIES: dict[str, dict[str, Any]] = {
    "graph": {"error": {"message": "An unexpected error has occurred. Please retry your request later.",
                        "type": "OAuthException", "is_transient": True, "code": 2, "fbtrace_id": "EmuFault"}},
    "youtube": {"error": {"code": 503, "message": "The service is currently unavailable.",
                          "errors": [{"domain": "global", "reason": "backendError",
                                      "message": "The service is currently unavailable."}]}},
    "x": {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503},
}

_ROUTE_WORDS = {"feed", "posts", "media", "comments", "replies", "commentThreads", "videos", "setModerationStatus",
                "users", "mentions", "tweets", "search", "recent", "hidden", "youtube", "v3", "2", "_emulator",
                "stats", "reset", "hide", "owner-reply", "tokens", "me", "faults", "moderation"}


class PlatformEmulator:
    """Facebook, Instagram, YouTube and X as one offline, stateful, thread-safe fake."""

    def __init__(
        self,
        data_dir: str | None = None,
        fault_rate: float = 0.0,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        rate_limits: dict[str, dict[str, float]] | None = None,
    ) -> None:
        self.clock = clock
        self.faults = FaultInjector(rate=fault_rate, seed=seed)
        self.tokens = Tokens()
        self.data_path = os.path.join(data_dir, "platforms.json") if data_dir else None
        aside: SetAside | None = None
        if self.data_path:
            # A state file the emulator did not write is set aside (a warning names it); the state starts empty.
            self.state, aside = load_or_set_aside(self.data_path)
        else:
            self.state = State()
        self.set_aside: list[SetAside] = [aside] if aside else []
        self._saved = json.dumps(self.state.to_json(), ensure_ascii=False) if self.data_path else ""
        self._deferring = False  # inside a request: saves wait for its end
        self._dirty = False
        self.drop_next_reply_after_apply = False
        self.stats: Counter[str] = Counter()
        self._lock = threading.RLock()
        limits = {name: {**values, **((rate_limits or {}).get(name) or {})}
                  for name, values in DEFAULT_RATE_LIMITS.items()}
        self.graph_limiter = WindowCounter(int(limits["graph"]["limit"]), limits["graph"]["window_s"], clock)
        self.x_limiter = WindowCounter(int(limits["x"]["limit"]), limits["x"]["window_s"], clock)
        self.youtube_quota = WindowCounter(int(limits["youtube"]["daily_units"]), 86400, clock,
                                           offset_s=-8 * 3600)
        self._routes = {"graph": GraphRoutes(self), "youtube": YouTubeRoutes(self), "x": XRoutes(self),
                        "admin": AdminRoutes(self)}

    # ---- the core interface ---------------------------------------------------------------------------

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Answer one request (fault, platform route or admin)."""
        api = _api_of(request.path)
        if api is None:
            return json_response(404, {"error": {"code": 404, "message":
                                                 f"No platform emulator route for {request.method} {request.path}"}})
        if api != "admin":
            # Only platform calls are counted: the statistics describe what a client costs the platform.
            with self._lock:
                self.stats[f"{request.method} {api} {_template(request.path)}"] += 1
            fault = self.faults.maybe_fault(request, error_body=_FAULT_BODIES[api])
            if fault is not None:
                return fault
        with self._lock:
            return self._apply(api, request)

    def _apply(self, api: str, request: EmuRequest) -> EmuResponse:
        """Route one request as a transaction: its saves become one save at its end; a failed save (or an
        unexpected error) puts the state back as last saved."""
        self._deferring, self._dirty = True, False
        try:
            response = self._routes[api].handle(request)
        except BaseException:
            self._deferring = False
            if self._dirty and self.data_path:
                self._restore()
            raise
        self._deferring = False
        # A dropped answer after apply still changed the state (that is its point).
        if self._dirty or (request.method != "GET" and (response.status < 300 or response.drop)):
            try:
                self.save()
            except StateSaveFailed as exc:
                return _save_failed(api, str(exc))
        return response

    def session(self) -> requests.Session:
        """A ``requests.Session`` whose platform URLs are answered by this emulator."""
        return mount(requests.Session(), self, list(BASE_URLS))

    # ---- state changes, shared by the platform routes and the admin API -------------------------------

    def add_account(self, platform: str, account_id: str) -> None:
        """Make a Page / IG user / channel / X user known (posting creates it too)."""
        _check_platform(platform)
        with self._lock:
            self.state.add_account(platform, account_id)
            self.save()

    def add_post(self, platform: str, account_id: str, text: str, created_time: str | None = None) -> Post:
        """A new post of ``account_id`` (a video on YouTube, a tweet on X)."""
        _check_platform(platform)
        with self._lock:
            now = int(self.clock())
            created = parse_iso(created_time) if created_time else now
            self.state.add_account(platform, account_id)
            seq = self.state.next_seq()
            post = Post(id=self.state.mint_post_id(platform, account_id, seq, now), platform=platform,
                        account_id=account_id, text=text, created=created, updated=max(created, now), seq=seq)
            self.state.posts[post.id] = post
            self.save()
            return post

    def set_post_metrics(self, post_id: str, **figures: int) -> Post:
        """Set a post's engagement as its platform counts it (admin: ``POST /_emulator/posts/{id}/metrics``):
        ``reactions``, ``shares`` (Facebook), ``likes`` (Instagram, YouTube, X), ``views`` (YouTube),
        ``reposts``, ``quotes``, ``impressions``, ``bookmarks`` (X). Names not given keep their value."""
        with self._lock:
            post = self.state.posts[post_id]
            for name, value in figures.items():
                if name not in METRIC_NAMES:
                    raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRIC_NAMES)}")
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"metric {name!r} must be a whole number ≥ 0, got {value!r}")
            post.metrics = {**post.metrics, **figures}
            self.save()
            return post

    def add_comment(self, platform: str, post_id: str | None, text: str, author: dict[str, str],
                    parent_id: str | None = None, created_time: str | None = None,
                    account_id: str | None = None) -> Comment:
        """A citizen's comment (on X: a reply, or with no post a plain mention of ``account_id``)."""
        _check_platform(platform)
        with self._lock:
            post = self.state.posts.get(post_id or "")
            parent = self.state.comments.get(parent_id or "") if parent_id else None
            if parent_id and (parent is None or parent.platform != platform):
                raise KeyError(f"unknown {platform} parent comment {parent_id!r}")
            if parent is not None:
                post_id = parent.post_id
                post = self.state.posts.get(post_id or "")
                if platform in ("instagram", "youtube") and parent.parent_id:
                    # Two levels only: a reply to a reply joins the top-level comment's thread.
                    parent = self.state.comments[parent.parent_id]
            if post is None and not (platform == "x" and account_id):
                raise KeyError(f"unknown {platform} post {post_id!r}")
            owner = post.account_id if post else str(account_id)
            return self._store_comment(platform, post, owner, author.get("id") or "", author.get("name") or "",
                                       text, parent, parse_iso(created_time) if created_time else None, None)

    def add_own_reply(self, target: Comment, text: str, via: str) -> Comment:
        """The account's reply to ``target``; ``via`` is "api" (through a connector) or "native"."""
        with self._lock:
            parent = target
            if target.platform == "youtube" and target.parent_id:
                parent = self.state.comments[target.parent_id]
            post = self.state.posts.get(target.post_id)
            return self._store_comment(target.platform, post, target.account_id, target.account_id,
                                       _account_name(target.platform), text, parent, None, via)

    def _store_comment(self, platform: str, post: Post | None, owner: str, author_id: str, author_name: str,
                       text: str, parent: Comment | None, created: int | None, via: str | None) -> Comment:
        now = int(self.clock())
        seq = self.state.next_seq()
        post_id = post.id if post else ""
        comment_id = self.state.mint_comment_id(platform, post_id, parent.id if parent else None, seq, now)
        comment = Comment(id=comment_id, platform=platform, post_id=post_id, account_id=owner, author_id=author_id,
                          author_name=author_name, text=text, created=created if created is not None else now,
                          arrived=now, seq=seq, parent_id=parent.id if parent else None, via=via)
        self.state.comments[comment.id] = comment
        if post is not None:
            post.updated = max(post.updated, now)
        self.save()
        return comment

    def after_reply_applied(self, response: EmuResponse) -> EmuResponse:
        """The response to a reply that was stored, or a dropped connection when a test asked for one."""
        if self.drop_next_reply_after_apply:
            self.drop_next_reply_after_apply = False
            return EmuResponse(status=0, drop=True)
        return response

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        """Hide (or unhide) a comment as a moderator would on the platform."""
        with self._lock:
            self.state.comments[comment_id].hidden = hidden
            self.save()

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment (its author or a moderator did)."""
        with self._lock:
            self.state.comments[comment_id].deleted = True
            self.save()

    def owner_reply(self, comment_id: str, text: str) -> Comment:
        """The account answers natively on the platform, not through sheets-sync."""
        return self.add_own_reply(self.state.comments[comment_id], text, via="native")

    def replies(self, platform: str) -> list[Comment]:
        """Every reply the account made on ``platform``, oldest first."""
        with self._lock:
            own = [c for c in self.state.comments.values() if c.platform == platform and c.via is not None]
        return sorted(own, key=lambda c: c.seq)

    def expire_token(self, platform: str, token: str | None = None) -> None:
        """Make a platform's token (or all of its tokens) expired: the next call gets the platform's auth error."""
        self.tokens.expire(platform, token)

    def register_token(self, platform: str, token: str) -> None:
        """Accept only registered tokens on ``platform`` from now on (plus ``token``)."""
        self.tokens.register(platform, token)

    def inject_graph_error(self, code: int, count: int = 1, subcode: int | None = None) -> None:
        """Make the next ``count`` Graph requests answer Graph's real error ``code`` (1, 2, 4, 10, 17, 32, 33, 100,
        190, 200-299, 368, 613, 803, 80001-80014), changing nothing; admin: ``POST /_emulator/faults``."""
        with self._lock:
            self._routes["graph"].inject(code, count, subcode)

    def set_comments_disabled(self, video_id: str, disabled: bool = True) -> None:
        """Turn a YouTube video's comments off (threads answer 403 ``commentsDisabled``) or back on."""
        with self._lock:
            target = self._routes["youtube"].comments_disabled
            (target.add if disabled else target.discard)(video_id)

    def save(self) -> None:
        """Persist the state when a data directory was given (atomic replace). Inside a request the save is
        made once, at its end. When the disk refuses, the state is put back as last saved and
        ``StateSaveFailed`` is raised: memory never holds what the disk did not take."""
        if not self.data_path:
            return
        with self._lock:
            if self._deferring:
                self._dirty = True
                return
            self._dirty = False
            try:
                self._saved = save_atomically(self.data_path, self.state.to_json())
            except StateSaveFailed:
                self._restore()
                raise

    def _restore(self) -> None:
        """The state as last saved (or loaded)."""
        self.state = State.from_json(json.loads(self._saved))
        self._dirty = False


def _save_failed(api: str, message: str) -> EmuResponse:
    """A 503 in the API's own error format for a change the disk refused (nothing was changed)."""
    if api == "admin":
        return json_response(503, {"error": {"code": 503, "message": message}})
    body = copy.deepcopy(_FAULT_BODIES[api])
    if api == "x":
        body["detail"] = message
    else:
        body["error"]["message"] = message
        for item in body["error"].get("errors", []):
            item["message"] = message
    return json_response(503, body)


def _api_of(path: str) -> str | None:
    if path.startswith("/_emulator/"):
        return "admin"
    if re.match(r"^/v\d+\.\d+(/|$)", path):  # /v19.0?ids=a,b is Graph too (no slash: python-facebook)
        return "graph"
    if path.startswith("/youtube/v3/"):
        return "youtube"
    if path.startswith("/2/"):
        return "x"
    return None


def _template(path: str) -> str:
    """The path with ids replaced by ``{id}``: the key of the request statistics."""
    parts = path.strip("/").split("/")
    out = []
    for index, part in enumerate(parts):
        if index == 0 and re.match(r"^v\d+\.\d+$", part):
            out.append("{version}")
        elif part in _ROUTE_WORDS:
            out.append(part)
        else:
            out.append("{id}")
    return "/" + "/".join(out)


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")


def _account_name(platform: str) -> str:
    return {"x": "PMCPune", "instagram": "pmc.pune"}.get(platform, "Pune Municipal Corporation")
