"""Graph API routes (``/vNN.N/...``) for Facebook Pages and Instagram business accounts.

Shapes follow /work/shared/reference/platform-apis.md: cursor paging with ``paging.next`` absent at the end,
``filter=stream`` for all comment levels on Facebook, top-level-only newest-first comments on Instagram with
replies as a nested edge, Graph error bodies with code/subcode, and page-level throttling (code 32 / 80002)
reported in ``X-Business-Use-Case-Usage``. Also as Graph does: only the ``fields`` named are sent (a small
default set without ``fields``), ``since``/``until`` on edges, ``summary=true``, ``paging.previous`` and
``before`` cursors, ``GET /?ids=a,b`` (at most 50; one unknown id fails the request with #803), read-after-write
``fields`` on a reply, and errors by code on demand (``inject``) with Graph's own bodies.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..http import EmuRequest, EmuResponse, json_response
from .common import (
    bearer,
    encode_token,
    graph_time,
    page_after,
    page_before,
    parse_fields,
    parse_iso,
    request_params,
    select,
)
from .state import Comment, Post

if TYPE_CHECKING:
    from .core import PlatformEmulator

FB_MAX_MESSAGE = 8000
IG_MAX_TEXT = 2200
MAX_IDS = 50

# What Graph answers when a request names no ``fields``: a small default set per object kind.
DEFAULT_FIELDS = {"comment": "created_time,message,id", "igcomment": "timestamp,text,id",
                  "post": "created_time,message,id", "media": "id"}

# Graph's errors by code, for fault injection: (HTTP status, type, message, is_transient or None).
_RATE = "There have been too many calls from this account. Wait a bit and try again."
GRAPH_ERRORS: dict[int, tuple[int, str, str, bool | None]] = {
    1: (500, "OAuthException", "An unknown error occurred", True),
    2: (503, "OAuthException", "An unexpected error has occurred. Please retry your request later.", True),
    4: (400, "OAuthException", "(#4) Application request limit reached", True),
    10: (400, "OAuthException", "(#10) Application does not have permission for this action", False),
    17: (400, "OAuthException", "(#17) User request limit reached", True),
    32: (400, "OAuthException", "(#32) Page request limit reached", True),
    33: (400, "GraphMethodException", "(#33) This object does not exist or does not support this action", False),
    100: (400, "GraphMethodException", "Unsupported get request. Object with ID '{id}' does not exist, cannot be "
          "loaded due to missing permissions, or does not support this operation.", False),
    190: (400, "OAuthException", "Error validating access token: Session has expired.", False),
    368: (400, "OAuthException", "(#368) The action attempted has been deemed abusive or is otherwise "
          "disallowed", False),
    613: (400, "OAuthException", "(#613) Calls to this api have exceeded the rate limit.", True),
    803: (400, "OAuthException", "(#803) Some of the aliases you requested do not exist: {id}", False),
}
_DEFAULT_SUBCODES = {100: 33, 190: 463}


def graph_error(status: int, code: int, message: str, subcode: int | None = None,
                err_type: str = "OAuthException", headers: dict[str, str] | None = None,
                is_transient: bool | None = None) -> EmuResponse:
    """A Graph error body as Meta sends it."""
    error: dict[str, Any] = {"message": message, "type": err_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    error["fbtrace_id"] = uuid.uuid4().hex[:11]
    return json_response(status, {"error": error}, headers)


def coded_error(code: int, subcode: int | None = None, obj_id: str = "") -> EmuResponse:
    """Graph's own answer carrying error ``code``: 1, 2, 4, 10, 17, 32, 33, 100, 190, 200-299, 368, 613, 803 and the
    80001-80014 rate limits (with their real type, message, subcode and ``is_transient`` where Graph sends it)."""
    if code in GRAPH_ERRORS:
        status, err_type, message, transient = GRAPH_ERRORS[code]
    elif 200 <= code <= 299:
        status, err_type, message, transient = (400, "OAuthException", f"(#{code}) Permissions error", False)
    elif 80001 <= code <= 80014:
        status, err_type, message, transient = (400, "OAuthException", f"(#{code}) {_RATE}", True)
    else:
        raise ValueError(f"no Graph error with code {code} is emulated")
    if subcode is None:
        subcode = _DEFAULT_SUBCODES.get(code)
    return graph_error(status, code, message.replace("{id}", obj_id or "0"), subcode, err_type,
                       is_transient=transient)


def missing_object(obj_id: str, method: str) -> EmuResponse:
    """What Graph answers for a deleted or unknown object (also for missing permission)."""
    verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(method, method.lower())
    return graph_error(
        400, 100,
        f"Unsupported {verb} request. Object with ID '{obj_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation.",
        subcode=33, err_type="GraphMethodException",
    )


# A route handler gets the request context and the object the path names (an account id for page/iguser).
Action = Callable[["_Ctx", Any], EmuResponse]


class GraphRoutes:
    """Answers Graph API requests from the emulator's state."""

    def __init__(self, emu: PlatformEmulator) -> None:
        self.emu = emu
        # Errors the next requests answer (admin: POST /_emulator/faults), each [code, subcode, times left].
        self.queued_errors: list[list[Any]] = []
        # (method, object kind, edge) -> handler; edge None is the object itself.
        self._routes: dict[tuple[str, str, str | None], Action] = {
            ("GET", "page", "feed"): self._list_facebook_posts,
            ("GET", "page", "posts"): self._list_facebook_posts,
            ("GET", "iguser", "media"): self._list_instagram_media,
            ("GET", "post", "comments"): self._list_comments,
            ("GET", "media", "comments"): self._list_comments,
            ("GET", "comment", "comments"): self._list_children,
            ("GET", "igcomment", "replies"): self._list_children,
            ("GET", "comment", None): self._get_object,
            ("GET", "igcomment", None): self._get_object,
            ("GET", "post", None): self._get_object,
            ("GET", "media", None): self._get_object,
            ("POST", "comment", "comments"): self._reply_facebook,
            ("POST", "igcomment", "replies"): self._reply_instagram,
            ("POST", "comment", None): self._hide,
            ("POST", "igcomment", None): self._hide,
            ("DELETE", "comment", None): self._delete,
            ("DELETE", "igcomment", None): self._delete,
        }

    # ---- dispatch -------------------------------------------------------------------------------------

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Route one Graph request."""
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        version, obj_id = parts[0], (parts[1] if len(parts) > 1 else "")
        edge = parts[2] if len(parts) > 2 else None
        params = request_params(request)
        if self.queued_errors:
            entry = self.queued_errors[0]
            entry[2] -= 1
            if entry[2] <= 0:
                self.queued_errors.pop(0)
            return coded_error(entry[0], entry[1], obj_id)
        if not obj_id and params.get("ids") is not None and request.method == "GET":
            return self._by_ids(request, version, params)
        platform, kind, obj = self._resolve(obj_id)
        refused = self._authorise(request, params, platform, kind, obj, obj_id)
        if refused is not None:
            return refused
        ctx = _Ctx(request, version, params, parse_fields(params.get("fields")))
        action = self._routes.get((request.method, kind, edge))
        if action is not None and ctx.fields == {} and request.method == "GET":
            target = kind if edge is None else {"post": "comment", "media": "igcomment", "comment": "comment",
                                                "igcomment": "igcomment", "page": "post",
                                                "iguser": "media"}.get(kind, kind)
            ctx.fields = parse_fields(DEFAULT_FIELDS.get(target, "id"))
        if action is None:
            return graph_error(400, 100, f"(#100) Unknown path or method: {request.method} {request.path}",
                               err_type="GraphMethodException")
        return action(ctx, obj)

    def _authorise(self, request: EmuRequest, params: dict[str, str], platform: str, kind: str, obj: Any,
                   obj_id: str) -> EmuResponse | None:
        """The error answering a request before routing (token, unknown object, throttling), or None."""
        token = bearer(request) or params.get("access_token")
        if not token:
            return graph_error(400, 104, "An access token is required to request this resource.")
        if obj is None:
            return missing_object(obj_id, request.method)
        verdict = self.emu.tokens.check(platform, token)
        if verdict == "expired":
            return graph_error(400, 190, "Error validating access token: Session has expired.", subcode=463)
        if verdict == "invalid":
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        account = obj if kind in ("page", "iguser") else obj.account_id
        return self._throttle(platform, account)

    def _resolve(self, obj_id: str) -> tuple[str, str, Any]:
        state = self.emu.state
        if obj_id in state.accounts.get("facebook", []):
            return "facebook", "page", obj_id
        if obj_id in state.accounts.get("instagram", []):
            return "instagram", "iguser", obj_id
        post = state.posts.get(obj_id)
        if post and post.platform in ("facebook", "instagram"):
            return post.platform, ("post" if post.platform == "facebook" else "media"), post
        comment = state.comments.get(obj_id)
        if comment and comment.platform in ("facebook", "instagram") and not comment.deleted:
            return comment.platform, ("comment" if comment.platform == "facebook" else "igcomment"), comment
        return "facebook", "", None

    def inject(self, code: int, count: int = 1, subcode: int | None = None) -> None:
        """Make the next ``count`` Graph requests answer Graph's error ``code`` (and nothing else happens)."""
        coded_error(code, subcode)  # refuse an unknown code now, not on the next request
        self.queued_errors.append([code, subcode, max(1, count)])

    def _by_ids(self, request: EmuRequest, version: str, params: dict[str, str]) -> EmuResponse:
        """``GET /?ids=a,b,c``: ``{id: object}``; one unknown id fails the whole request (#803)."""
        ids = list(dict.fromkeys(i for i in params["ids"].split(",") if i))
        if not ids:
            return graph_error(400, 100, "(#100) The parameter ids is required", err_type="GraphMethodException")
        if len(ids) > MAX_IDS:
            return graph_error(400, 100, f"(#100) Too many IDs. Maximum: {MAX_IDS}. Please reduce the number of ids "
                               "requested.", err_type="OAuthException")
        resolved = {i: self._resolve(i) for i in ids}
        missing = [i for i, (_, _, obj) in resolved.items() if obj is None]
        if missing:
            return graph_error(400, 803, f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}")
        body: dict[str, Any] = {}
        for obj_id, (platform, kind, obj) in resolved.items():
            refused = self._authorise(request, params, platform, kind, obj, obj_id)
            if refused is not None:
                return refused
            spec = params.get("fields") or DEFAULT_FIELDS.get(kind, "id")
            ctx = _Ctx(request, version, params, parse_fields(spec))
            body[obj_id] = self._render(ctx, obj, ctx.fields) if kind not in ("page", "iguser") else {"id": obj_id}
        return json_response(200, body)

    def _throttle(self, platform: str, account: str) -> EmuResponse | None:
        limiter = self.emu.graph_limiter
        if limiter.spend(f"{platform}:{account}"):
            return None
        minutes = max(1, math.ceil((limiter.reset_at() - self.emu.clock()) / 60))
        usage = {account: [{"type": "pages" if platform == "facebook" else "instagram", "call_count": 100,
                            "total_cputime": 100, "total_time": 100,
                            "estimated_time_to_regain_access": minutes}]}
        headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
        if platform == "facebook":
            return graph_error(400, 32, "(#32) Page request limit reached", headers=headers)
        return graph_error(400, 80002, "There have been too many calls to this Instagram account.",
                           headers=headers)

    # ---- reads ----------------------------------------------------------------------------------------

    def _list_facebook_posts(self, ctx: _Ctx, page: str) -> EmuResponse:
        return self._list_posts(ctx, "facebook", page)

    def _list_instagram_media(self, ctx: _Ctx, account: str) -> EmuResponse:
        return self._list_posts(ctx, "instagram", account)

    def _list_posts(self, ctx: _Ctx, platform: str, account: str) -> EmuResponse:
        posts = [p for p in self.emu.state.posts.values() if p.platform == platform and p.account_id == account]
        try:
            posts = _time_window(ctx.params, posts)
        except ValueError as exc:
            return graph_error(400, 100, f"(#100) {exc}", err_type="OAuthException")
        posts.sort(key=lambda p: (-p.created, -p.seq))
        response = self._page(ctx, posts, lambda p: [-p.created, -p.seq], 25, 100)
        body = response.json()
        if platform == "facebook" and body.get("data") and "previous" not in body["paging"]:
            # A Page's feed pages by time: its first page links ``previous`` to poll for newer posts.
            newest = max(p.created for p in posts)
            body["paging"]["previous"] = _with_params(ctx.request.url, since=str(newest), after=None, before=None)
            return json_response(200, body, response.headers)
        return response

    def _list_comments(self, ctx: _Ctx, post: Post) -> EmuResponse:
        comments = [c for c in self.emu.state.comments.values() if c.post_id == post.id and not c.deleted]
        try:
            comments = _time_window(ctx.params, comments)
        except ValueError as exc:
            return graph_error(400, 100, f"(#100) {exc}", err_type="OAuthException")
        if post.platform == "instagram":
            # Instagram: top-level only, newest first; replies come through the nested edge.
            comments = [c for c in comments if c.parent_id is None]
            comments.sort(key=lambda c: (-c.created, -c.seq))
            return self._page(ctx, comments, lambda c: [-c.created, -c.seq], 25, 50)
        if ctx.params.get("filter", "toplevel") != "stream":
            comments = [c for c in comments if c.parent_id is None]
        if ctx.params.get("order", "chronological") == "reverse_chronological":
            comments.sort(key=lambda c: (-c.created, -c.seq))
            return self._page(ctx, comments, lambda c: [-c.created, -c.seq], 25, 100)
        comments.sort(key=lambda c: (c.created, c.seq))
        return self._page(ctx, comments, lambda c: [c.created, c.seq], 25, 100)

    def _list_children(self, ctx: _Ctx, parent: Comment) -> EmuResponse:
        try:
            children = _time_window(ctx.params, self._children(parent))
        except ValueError as exc:
            return graph_error(400, 100, f"(#100) {exc}", err_type="OAuthException")
        return self._page(ctx, children, lambda c: [c.created, c.seq], 25, 100)

    def _children(self, parent: Comment) -> list[Comment]:
        children = [c for c in self.emu.state.comments.values() if c.parent_id == parent.id and not c.deleted]
        children.sort(key=lambda c: (c.created, c.seq))
        return children

    def _page(self, ctx: _Ctx, items: list, key, default_limit: int, max_limit: int) -> EmuResponse:
        try:
            limit = min(max(int(ctx.params.get("limit", default_limit)), 1), max_limit)
            if ctx.params.get("before"):
                page, has_previous = page_before(items, key, ctx.params["before"], limit)
                has_next = bool(page) and page[-1] is not items[-1]
            else:
                page, next_key = page_after(items, key, ctx.params.get("after"), limit)
                has_next = next_key is not None
                has_previous = bool(page) and page[0] is not items[0]
        except ValueError as exc:
            return graph_error(400, 100, f"(#100) {exc}", err_type="GraphMethodException")
        body: dict[str, Any] = {"data": [self._render(ctx, item, ctx.fields) for item in page]}
        if page:
            paging: dict[str, Any] = {"cursors": {"before": encode_token(key(page[0])),
                                                  "after": encode_token(key(page[-1]))}}
            if has_previous:
                paging["previous"] = _with_params(ctx.request.url, before=paging["cursors"]["before"], after=None)
            if has_next:
                paging["next"] = _with_params(ctx.request.url, after=paging["cursors"]["after"], before=None)
            body["paging"] = paging
        if ctx.params.get("summary", "").lower() in ("true", "1", "total_count"):
            body["summary"] = {"order": ctx.params.get("order", "chronological"), "total_count": len(items),
                               "can_comment": True}
        return json_response(200, body)

    def _get_object(self, ctx: _Ctx, obj: Post | Comment) -> EmuResponse:
        return json_response(200, self._render(ctx, obj, ctx.fields))

    def _render(self, ctx: _Ctx, obj: Any, fields: dict[str, dict]) -> dict[str, Any]:
        if isinstance(obj, Post):
            return select({**self._post_dict(obj), **self._post_edges(ctx, obj, fields)}, fields)
        full = self._comment_dict(obj)
        nested_name = "comments" if obj.platform == "facebook" else "replies"
        if nested_name in fields:
            spec = fields[nested_name]
            children = self._children(obj)
            limit = spec["limit"] or (25 if obj.platform == "facebook" else 50)
            nested: dict[str, Any] = {"data": [select(self._comment_dict(c), spec["fields"])
                                               for c in children[:limit]]}
            if len(children) > limit:
                after = encode_token([children[limit - 1].created, children[limit - 1].seq])
                base = ctx.request.url.split(f"/{ctx.version}/")[0]
                nested["paging"] = {"cursors": {"after": after},
                                    "next": f"{base}/{ctx.version}/{obj.id}/{nested_name}?after={after}"}
            full[nested_name] = nested
        return select(full, fields)

    def _post_edges(self, ctx: _Ctx, post: Post, fields: dict[str, dict]) -> dict[str, Any]:
        """A Facebook post's ``reactions`` and ``comments`` edges when asked, as Graph nests them: ``data`` (at most
        ``.limit(n)`` items; reactors are not modelled, so reactions list none) and, with ``.summary(...)``, the
        totals — ``{"total_count", "viewer_reaction"}`` for reactions, ``{"order", "total_count", "can_comment"}``
        for comments (the shapes of the recordings)."""
        if post.platform != "facebook":
            return {}
        edges: dict[str, Any] = {}
        if "reactions" in fields:
            edge: dict[str, Any] = {"data": []}
            if fields["reactions"]["summary"] is not None:
                edge["summary"] = {"total_count": post.metrics.get("reactions", 0), "viewer_reaction": "NONE"}
            edges["reactions"] = edge
        if "comments" in fields:
            spec = fields["comments"]
            top = sorted((c for c in self.emu.state.comments.values()
                          if c.post_id == post.id and not c.deleted and c.parent_id is None),
                         key=lambda c: (c.created, c.seq))
            limit = 25 if spec["limit"] is None else spec["limit"]
            edge = {"data": [select(self._comment_dict(c), spec["fields"]) for c in top[:limit]]}
            if spec["summary"] is not None:
                edge["summary"] = {"order": "chronological", "total_count": len(top), "can_comment": True}
            edges["comments"] = edge
        return edges

    def _comment_permalink(self, c: Comment) -> str:
        """As Graph writes it: ``.../<page>/posts/<post>/?comment_id=<top>[&reply_comment_id=<reply>]``."""
        page, _, post_number = c.post_id.rpartition("_")
        own = c.id.rpartition("_")[2]
        url = f"https://www.facebook.com/{page or c.account_id}/posts/{post_number}/?comment_id="
        if c.parent_id:
            return f"{url}{c.parent_id.rpartition('_')[2]}&reply_comment_id={own}"
        return url + own

    def _post_dict(self, post: Post) -> dict[str, Any]:
        live = [c for c in self.emu.state.comments.values() if c.post_id == post.id and not c.deleted]
        if post.platform == "facebook":
            out = {"id": post.id, "message": post.text, "created_time": graph_time(post.created),
                   "updated_time": graph_time(post.updated),
                   "permalink_url": f"https://www.facebook.com/{post.account_id}/posts/{post.id.split('_')[-1]}"}
            if post.metrics.get("shares"):
                out["shares"] = {"count": post.metrics["shares"]}  # Graph leaves it out of a post nobody shared
            return out
        return {"id": post.id, "caption": post.text, "timestamp": graph_time(post.created),
                "permalink": f"https://www.instagram.com/p/{post.id[-11:]}/", "comments_count": len(live),
                "like_count": post.metrics.get("likes", 0), "media_type": "IMAGE", "media_product_type": "FEED",
                "media_url": f"https://scontent.cdninstagram.com/v/{post.id}.jpg"}

    def _comment_dict(self, c: Comment) -> dict[str, Any]:
        if c.platform == "facebook":
            out: dict[str, Any] = {
                "id": c.id, "message": c.text, "from": {"id": c.author_id, "name": c.author_name},
                "created_time": graph_time(c.created), "is_hidden": c.hidden, "can_hide": not c.own,
                "comment_count": len(self._children(c)), "like_count": 0,
                "permalink_url": self._comment_permalink(c),
            }
            if c.parent_id and c.parent_id in self.emu.state.comments:
                parent = self.emu.state.comments[c.parent_id]
                out["parent"] = {"id": parent.id, "message": parent.text, "created_time": graph_time(parent.created),
                                 "from": {"id": parent.author_id, "name": parent.author_name}}
            return out
        out = {"id": c.id, "text": c.text, "username": c.author_name,
               "from": {"id": c.author_id, "username": c.author_name}, "timestamp": graph_time(c.created),
               "like_count": 0, "hidden": c.hidden, "media": {"id": c.post_id}}
        if c.parent_id:
            out["parent_id"] = c.parent_id
        return out

    # ---- writes ---------------------------------------------------------------------------------------

    def _reply_facebook(self, ctx: _Ctx, target: Comment) -> EmuResponse:
        return self._reply(ctx, target, FB_MAX_MESSAGE)

    def _reply_instagram(self, ctx: _Ctx, target: Comment) -> EmuResponse:
        return self._reply(ctx, target, IG_MAX_TEXT)

    def _reply(self, ctx: _Ctx, target: Comment, max_len: int) -> EmuResponse:
        message = ctx.params.get("message")
        if not message:
            return graph_error(400, 100, "(#100) The parameter message is required", err_type="GraphMethodException")
        if len(message) > max_len:
            return graph_error(400, 100, f"(#100) The message is too long (at most {max_len} characters).",
                               err_type="GraphMethodException")
        if target.platform == "instagram":
            if target.parent_id:
                return graph_error(400, 100, "(#100) Only top-level comments can be replied to.",
                                   err_type="GraphMethodException")
            if target.hidden:
                return graph_error(400, 100, "(#100) Hidden comments cannot be replied to.",
                                   err_type="GraphMethodException")
        reply = self.emu.add_own_reply(target, message, via="api")
        # Read-after-write: with ``fields`` the answer holds those fields of the new comment, not only its id.
        answer = self._render(ctx, reply, ctx.fields) if ctx.fields else {"id": reply.id}
        return self.emu.after_reply_applied(json_response(200, answer))

    def _hide(self, ctx: _Ctx, target: Comment) -> EmuResponse:
        flag = ctx.params.get("is_hidden" if target.platform == "facebook" else "hide")
        if flag is None:
            return graph_error(400, 100, "(#100) Nothing to update", err_type="GraphMethodException")
        if target.own:
            return graph_error(400, 100, "(#100) Comments made by the account itself cannot be hidden.",
                               err_type="GraphMethodException")
        target.hidden = flag.lower() == "true"
        return json_response(200, {"success": True})


    def _delete(self, ctx: _Ctx, target: Comment) -> EmuResponse:
        target.deleted = True
        return json_response(200, {"success": True})


class _Ctx:
    """What a route needs to know about the request it answers."""

    def __init__(self, request: EmuRequest, version: str, params: dict[str, str],
                 fields: dict[str, dict]) -> None:
        self.request = request
        self.version = version
        self.params = params
        self.fields = fields


def _time_window(params: dict[str, str], items: list) -> list:
    """Items created at or after ``since`` and at or before ``until`` (unix time, or an ISO 8601 time)."""
    for name, keep in (("since", lambda c, t: c.created >= t), ("until", lambda c, t: c.created <= t)):
        raw = params.get(name)
        if not raw:
            continue
        try:
            bound = int(raw) if raw.lstrip("-").isdigit() else parse_iso(raw)
        except ValueError:
            raise ValueError(f"The parameter {name} is not a valid time: {raw}") from None
        items = [c for c in items if keep(c, bound)]
    return items


def _with_params(url: str, **changes: str | None) -> str:
    """``url`` with query parameters set (or removed when None)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in changes]
    query += [(k, v) for k, v in changes.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
