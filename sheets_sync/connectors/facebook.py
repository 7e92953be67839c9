"""Facebook Page connector (Graph API), and the Graph plumbing Instagram shares.

How nothing is missed: the Page's posts are listed newest first back to the recheck window; a post whose
``updated_time`` (moved by every new comment) is past the cursor's watermark minus an overlap is re-read whole
with ``filter=stream`` (all levels), so replies to old threads and late arrivals whose ``created_time`` is
older than the cursor are found. Ids already delivered (kept in the cursor) are skipped.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from tenacity import Retrying

from ..errors import AuthError
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
    TemporarilyBlocked,
    TransientHTTPError,
    epoch,
    error_object,
    paginate,
    parse_time,
)

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v19.0"
OVERLAP_S = 15 * 60  # re-read this much before the watermark: clocks and indexing lag by minutes
RECHECK_DAYS = 60  # posts older than this are no longer re-listed
BATCH_IDS = 50  # Graph answers at most 50 ids in one ``?ids=`` request

# Graph error codes (platform-apis.md, Meta's "Handling errors" page), by what to do about them.
# Retry later: unknown/service errors (the write may have happened, so they count as a 5xx) ...
_TRANSIENT_CODES = {1, 2, 341}
# ... and throttling (wait for the time X-Business-Use-Case-Usage names).
_THROTTLE_CODES = {4, 17, 32, 613, *range(80001, 80015)}
# Fix the token: expired, revoked, invalidated; the subcode names why and so the fix.
_TOKEN_CODES = {102, 104, 190}
_TOKEN_SUBCODE_FIX = {
    458: "the app was removed from the account: the Page admin must authorise the app again",
    459: "the account is checkpointed: the Page admin must log in at www.facebook.com and follow the steps, then",
    460: "the account password was changed: the Page admin must log in again and",
    463: "the token has expired:",
    464: "the account is not confirmed: the Page admin must confirm it at www.facebook.com, then",
    467: "the token was invalidated (logged out or revoked):",
    492: "the session is invalid (the user is no longer an admin of the Page): a current admin must",
}
# Temporarily blocked from this action (spam or policy): not within a cycle; a later cycle tries again.
_BLOCKED_CODES = {368}
# Object gone: deleted, or no longer visible to this token.
_GONE_CODES = {803}
_ALIASES = re.compile(r"Some of the aliases you requested do not exist:\s*(.+)$")


class GraphConnector(HttpConnector):
    """The Graph API parts Facebook and Instagram share: URLs, auth header, error classification."""

    platform = "graph"
    # Words for the "how to fix it" part of auth errors; each platform overrides them.
    token_kind = "access token"
    token_hint = "Generate a new access token"
    permissions = "pages_manage_engagement, pages_read_user_content and pages_read_engagement"

    def __init__(self, session: requests.Session, account_id: str, token: str, *, token_env: str,
                 endpoint: str | None = None, api_version: str = DEFAULT_API_VERSION,
                 retry: Retrying | None = None, timeout: float = REQUEST_TIMEOUT_S,
                 clock: Callable[[], float] = time.time, recheck_days: int = RECHECK_DAYS,
                 page_size: int = 100) -> None:
        super().__init__(session, retry=retry, timeout=timeout, clock=clock)
        self.account_id = str(account_id)
        self._token = token
        self.token_env = token_env
        self.base = f"{(endpoint or GRAPH_URL).rstrip('/')}/{api_version}"
        self.recheck_s = recheck_days * 86400
        self.page_size = page_size

    def _graph(self, method: str, path: str, params: dict[str, Any] | None = None,
               data: dict[str, Any] | None = None, retry: bool = True) -> Any:
        # The token goes in a header, not the URL, so it never lands in a log line or an error message.
        return self._call(method, f"{self.base}/{path}", params=params, data=data,
                          headers={"Authorization": f"Bearer {self._token}"}, retry=retry)

    def _list(self, path: str, params: dict[str, Any], what: str) -> Iterator[dict[str, Any]]:
        """Every item of a paged edge; finished when ``paging.next`` is absent.

        Cursor-paged edges (comments, media) are followed by ``after``; time-paged ones (a Page's ``/feed`` and
        ``/posts`` answer with ``paging.next`` holding ``until`` and ``__paging_token`` and no cursors) by the
        query of ``paging.next`` itself, minus any token in it.
        """

        def fetch_page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
            extra = json.loads(token) if token else {}
            body = self._graph("GET", path, params={**params, **extra})
            if not isinstance(body, dict):
                return [], None
            return body.get("data") or [], _next_page(body.get("paging") or {})

        return paginate(self.platform, what, fetch_page)

    def _objects(self, ids: list[str], fields: str) -> dict[str, dict[str, Any] | None]:
        """Several objects by id, 50 a request (``GET /?ids=a,b&fields=``); None for each one that is gone.

        An id that no longer exists fails the whole request (code 100 or 803, "Some of the aliases you requested
        do not exist: a,b"): those ids are gone, and the request is repeated without them. A "gone" answer that
        names no ids is narrowed down by halves, down to single ids asked on their own path.
        """
        found: dict[str, dict[str, Any] | None] = {}
        for start in range(0, len(ids), BATCH_IDS):
            found.update(self._objects_batch(ids[start:start + BATCH_IDS], fields))
        return found

    def _objects_batch(self, ids: list[str], fields: str) -> dict[str, dict[str, Any] | None]:
        if not ids:
            return {}
        if len(ids) == 1:
            # One id: the object's own path, whose "gone" answer is about that object and nothing else.
            try:
                return {ids[0]: self._graph("GET", ids[0], params={"fields": fields})}
            except ObjectMissing:
                return {ids[0]: None}
        try:
            body = self._graph("GET", "", params={"ids": ",".join(ids), "fields": fields})
        except ObjectMissing as exc:
            gone = [cid for cid in ids if cid in set(exc.ids)]
            if gone:
                rest = [cid for cid in ids if cid not in set(gone)]
                return {**dict.fromkeys(gone), **self._objects_batch(rest, fields)}
            half = len(ids) // 2
            return {**self._objects_batch(ids[:half], fields), **self._objects_batch(ids[half:], fields)}
        body = body if isinstance(body, dict) else {}
        return {cid: body.get(cid) if isinstance(body.get(cid), dict) else None for cid in ids}

    def _classify(self, response: requests.Response, method: str, url: str) -> Exception:
        """Every Graph error class: retry later, fix the token or permissions, blocked for now, object gone."""
        error = error_object(response)
        code, subcode = error.get("code"), error.get("error_subcode")
        message = error.get("message") or f"HTTP {response.status_code}"
        where = f"{method} {url.split('?', 1)[0].rsplit('/', 2)[-1] or 'objects by id'}"
        return (self._access_error(response, code, subcode, message)
                or self._outcome_error(response, error, where, code, subcode, message))

    def _access_error(self, response: requests.Response, code: Any, subcode: Any, message: str) -> Exception | None:
        """The token or its permissions (fix them), throttling (later), a temporary block; None otherwise."""
        if code in _TOKEN_CODES or subcode in _TOKEN_SUBCODE_FIX:
            return AuthError(self._token_fix(code, subcode))
        if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
            return AuthError(f"{self.platform}: the access token lacks a permission (code {code}: {message}). "
                             f"Grant {self.permissions} to the app (the message above names the one missing), "
                             f"then put the new token in the environment variable {self.token_env}.")
        if code in _THROTTLE_CODES:
            return self._throttled(f"{self.platform}: throttled by Graph (code {code})",
                                   _regain_seconds(response), 429)
        if code in _BLOCKED_CODES:
            return TemporarilyBlocked(f"{self.platform}: the account is temporarily blocked from this action "
                                      f"(code {code}: {message}); the next cycle tries again.")
        return None

    def _outcome_error(self, response: requests.Response, error: dict[str, Any], where: str, code: Any,
                       subcode: Any, message: str) -> Exception:
        """The object is gone, a transient failure (retry), or a refusal that names what Graph said."""
        aliases = _ALIASES.search(message)
        if aliases or code in _GONE_CODES or (code == 100 and (subcode == 33 or "does not exist" in message)):
            ids = [part.strip() for part in aliases.group(1).split(",")] if aliases else []
            return ObjectMissing(f"{self.platform}: object deleted or not visible to this token ({where}: "
                                 f"code {code}: {message})", ids)
        if code in _TRANSIENT_CODES or error.get("is_transient"):
            # Graph's "unknown"/"temporary" errors: the write may have happened, so treat like a 5xx.
            return TransientHTTPError(f"{self.platform}: transient Graph error (code {code}: {message})", 500)
        if response.status_code == 429 or response.status_code >= 500:
            return TransientHTTPError(f"{self.platform}: HTTP {response.status_code} ({message})",
                                      response.status_code, retry_after=_retry_after(response))
        return APIRefused(f"{self.platform}: Graph refused {where} (code {code}: {message})",
                          re.sub(r"^\(#\d+\)\s*", "", message))

    def _token_fix(self, code: Any, subcode: Any = None) -> str:
        why = _TOKEN_SUBCODE_FIX.get(subcode)
        if why:
            return (f"{self.platform}: the {self.token_kind} no longer works (code {code or 190}, subcode "
                    f"{subcode}): {why} {self.token_hint[0].lower()}{self.token_hint[1:]} and put it in the "
                    f"environment variable {self.token_env}.")
        return (f"{self.platform}: the {self.token_kind} is expired or revoked (code {code or 190}). "
                f"{self.token_hint} and put it in the environment variable {self.token_env}.")

    def _send_reply_to(self, path: str, comment_id: str, text: str) -> tuple[str, datetime]:
        try:
            body = self._graph("POST", path, data={"message": text}, retry=False)
        except ObjectMissing as exc:
            raise ReplyRefused(self.platform, "the comment was deleted or is no longer visible") from exc
        except APIRefused as exc:
            raise ReplyRefused(self.platform, exc.detail) from exc
        return str(body["id"]), self._now()


class FacebookConnector(GraphConnector):
    """A Facebook Page: comments on its posts (all levels), replies, state checks."""

    platform = "facebook"
    token_kind = "Page access token"
    token_hint = "Generate a new Page token with pages_manage_engagement"

    def __init__(self, session: requests.Session, page_id: str, token: str, *, token_env: str = "FB_PAGE_TOKEN",
                 **options: Any) -> None:
        super().__init__(session, page_id, token, token_env=token_env, **options)

    def fetch_new(self, cursor: str | None) -> FetchResult:
        """New comments on the Page's posts since ``cursor``, each delivered once."""
        state = SeenCursor.load(cursor, self.platform)
        watermark = state.watermark
        newest = watermark or 0
        found: dict[str, Comment] = {}
        posts = self._list(f"{self.account_id}/feed",
                           {"fields": "id,message,created_time,updated_time,permalink_url", "limit": self.page_size},
                           "Page posts")
        # A first run reads the recheck window back from the newest post, not the Page's whole history: a
        # bounded backfill finishes within the hourly call budget instead of being throttled and restarted
        # forever. (Platform time, not the local clock, so a skewed or simulated clock cannot hide posts.)
        oldest = watermark - self.recheck_s if watermark is not None else None
        for post in posts:
            created = epoch(parse_time(post["created_time"]))
            if oldest is None:
                oldest = created - self.recheck_s
            if created < oldest:
                break  # newest first: the rest are older than the recheck window
            updated = epoch(parse_time(post.get("updated_time") or post["created_time"]))
            newest = max(newest, updated)
            if watermark is not None and updated < watermark - OVERLAP_S:
                continue  # no comment activity on this post since last time
            for raw in self._list(f"{post['id']}/comments",
                                  {"filter": "stream", "order": "reverse_chronological", "limit": self.page_size,
                                   "fields": "id,message,from{id,name},created_time,parent{id},permalink_url"},
                                  f"comments of post {post['id']}"):
                raw = _with_id(raw)
                if raw is None:
                    continue  # no id and no permalink to read it from: cannot be delivered exactly once
                cid = str(raw["id"])
                author = raw.get("from") or {}
                if cid in state.seen or cid in found or str(author.get("id")) == self.account_id:
                    continue
                found[cid] = self._comment(raw, post)
        for comment in found.values():
            state.seen[comment.comment_id] = epoch(comment.created_at)
        state.watermark = newest or None
        horizon = newest - self.recheck_s if newest else None
        return FetchResult(list(found.values()), state.dump(self.platform, horizon))

    def _comment(self, raw: dict[str, Any], post: dict[str, Any]) -> Comment:
        author = raw.get("from") or {}
        message = post.get("message") or ""
        return Comment(
            platform=self.platform, comment_id=str(raw["id"]), post_id=str(post["id"]),
            author_id=str(author.get("id") or ""), author_name=author.get("name") or "",
            text=raw.get("message") or "", created_at=parse_time(raw["created_time"]),
            parent_id=str((raw.get("parent") or {}).get("id")) if raw.get("parent") else None,
            permalink=raw.get("permalink_url") or f"https://www.facebook.com/{raw['id']}",
            post_title=message.split("\n", 1)[0][:100] or None, post_link=post.get("permalink_url"),
            post_published_at=parse_time(post["created_time"]),
        )

    def check(self) -> str:
        """A cheap call proving the token is accepted for the Page (for ``sheets-sync doctor``)."""
        self._graph("GET", f"{self.account_id}/feed", params={"fields": "id", "limit": 1})
        return f"Page {self.account_id}: token accepted, posts readable"

    def _send_reply(self, comment_id: str, text: str) -> tuple[str, datetime]:
        return self._send_reply_to(f"{comment_id}/comments", comment_id, text)

    def _own_replies_to(self, comment_id: str) -> list[tuple[str, datetime, str]]:
        try:
            return [(str(raw["id"]), parse_time(raw["created_time"]), raw.get("message") or "")
                    for raw in self._list(f"{comment_id}/comments",
                                          {"fields": "id,from{id},created_time,message", "limit": 100},
                                          f"replies to {comment_id}")
                    if str((raw.get("from") or {}).get("id")) == self.account_id]
        except ObjectMissing:
            return []

    def comment_states(self, comment_ids: list[str]) -> dict[str, CommentState]:
        """Visible / hidden / deleted and the Page's own reply: one request per 50 comments."""
        bodies = self._objects(list(dict.fromkeys(comment_ids)),
                               "id,is_hidden,comments.limit(100){id,from{id},message,created_time}")
        states: dict[str, CommentState] = {}
        for cid in comment_ids:
            body = bodies.get(cid)
            if body is None:
                states[cid] = CommentState(cid, "deleted", None, None, None)
                continue
            own = next((r for r in (body.get("comments") or {}).get("data", [])
                        if str((r.get("from") or {}).get("id")) == self.account_id), None)
            states[cid] = CommentState(
                cid, "hidden" if body.get("is_hidden") else "visible",
                str(own["id"]) if own else None, parse_time(own["created_time"]) if own else None,
                own.get("message") if own else None)
        return states

    def post_engagement(self, post_ids: list[str]) -> dict[str, Engagement]:
        """Reactions, shares and comments of each post: one ``?ids=`` request per 50 posts (``limit(0)``: the
        totals only, no reactor or comment is listed). Graph leaves ``shares`` out of a post nobody shared."""
        bodies = self._objects(list(dict.fromkeys(post_ids)),
                               "id,reactions.limit(0).summary(total_count),shares,"
                               "comments.limit(0).summary(total_count)")
        return {pid: Engagement(pid, reactions=_total(body.get("reactions")),
                                shares=int((body.get("shares") or {}).get("count") or 0),
                                comments=_total(body.get("comments")))
                for pid, body in bodies.items() if body is not None}


def _total(edge: Any) -> int | None:
    """``summary.total_count`` of an edge asked with ``.summary(total_count)`` (None when Graph left it out)."""
    count = ((edge or {}).get("summary") or {}).get("total_count") if isinstance(edge, dict) else None
    return int(count) if isinstance(count, int) else None


def _with_id(raw: dict[str, Any]) -> dict[str, Any] | None:
    """A comment with its ``id`` (and ``parent`` for a reply), read from ``permalink_url`` when Graph left it out.

    Graph omits ``id`` when a request's ``fields`` do not name it; the permalink still holds it
    (``.../posts/<post>/?comment_id=<c>[&reply_comment_id=<r>]``), and a comment's id is ``<post>_<c>``.
    """
    if raw.get("id"):
        return raw
    query = parse_qs(urlsplit(raw.get("permalink_url") or "").query)
    post = re.search(r"/posts/([^/?]+)", raw.get("permalink_url") or "")
    if not post or "comment_id" not in query:
        return None
    top = f"{post.group(1)}_{query['comment_id'][0]}"
    if "reply_comment_id" in query:
        return {**raw, "id": f"{post.group(1)}_{query['reply_comment_id'][0]}", "parent": raw.get("parent") or {"id": top}}
    return {**raw, "id": top}


def _next_page(paging: dict[str, Any]) -> str | None:
    """The page token (the extra query, as JSON) for the page after this one, or None when it is the last."""
    next_url = paging.get("next")
    if not next_url:
        return None
    after = (paging.get("cursors") or {}).get("after")
    if after:
        return json.dumps({"after": after})
    query = {key: values[-1] for key, values in parse_qs(urlsplit(next_url).query, keep_blank_values=True).items()
             if key != "access_token"}
    return json.dumps(query, sort_keys=True) if query else None


def _regain_seconds(response: requests.Response) -> float | None:
    """Seconds until Graph lets the account call again, from ``X-Business-Use-Case-Usage``."""
    header = response.headers.get("X-Business-Use-Case-Usage")
    if not header:
        return _retry_after(response)
    try:
        usage = json.loads(header)
        minutes = max(entry.get("estimated_time_to_regain_access", 0) or 0
                      for entries in usage.values() for entry in entries)
    except (ValueError, AttributeError, TypeError):
        return None
    return float(minutes) * 60


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None
