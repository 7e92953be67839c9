"""X (Twitter) connector (API v2): mentions of the account, replies, states.

X ids grow with arrival time, so ``since_id`` = the newest mention id already delivered is an exact
watermark: a late tweet gets a new, larger id and is found; nothing is returned twice. The cursor advances
only when every page was read. X access is paid and optional: nothing else depends on this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from tenacity import Retrying

from ..errors import AuthError, SheetsSyncError
from ..retry import REQUEST_TIMEOUT_S
from .base import (
    APIRefused,
    CheckWarning,
    Comment,
    CommentState,
    Engagement,
    FetchResult,
    HttpConnector,
    ReplyRefused,
    SeenCursor,
    TransientHTTPError,
    paginate,
    parse_time,
)

X_URL = "https://api.x.com"
_TWEET_FIELDS = "created_at,conversation_id,in_reply_to_user_id,author_id,referenced_tweets"


class XConnector(HttpConnector):
    """An X account: mentions and replies to its posts, replies, state checks."""

    platform = "x"

    def __init__(self, session: requests.Session, user_id: str, token: str, *, token_env: str = "X_USER_TOKEN",
                 endpoint: str | None = None, retry: Retrying | None = None, timeout: float = REQUEST_TIMEOUT_S,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(session, retry=retry, timeout=timeout, clock=clock)
        self.user_id = str(user_id)
        self.account_id = self.user_id
        self._token = token
        self.token_env = token_env
        self.base = f"{(endpoint or X_URL).rstrip('/')}/2"

    def _x(self, method: str, path: str, params: dict[str, Any] | None = None, json_body: Any = None,
           retry: bool = True) -> Any:
        return self._call(method, f"{self.base}/{path}", params=params, json_body=json_body,
                          headers={"Authorization": f"Bearer {self._token}"}, retry=retry)

    def _classify(self, response: requests.Response, method: str, url: str) -> Exception:
        try:
            body = response.json() or {}
        except ValueError:
            body = {}
        detail = body.get("detail") or body.get("title") or f"HTTP {response.status_code}"
        status = response.status_code
        if status == 401:
            return AuthError(
                f"x: the access token is expired or revoked (HTTP 401). Re-authorise the X app for the account "
                f"(OAuth 2.0 user context with tweet.read, tweet.write, users.read) and put the new token in the "
                f"environment variable {self.token_env}.")
        if status == 429:
            reset = response.headers.get("x-rate-limit-reset")
            wait = max(0.0, float(reset) - self.clock()) if reset and reset.isdigit() else None
            return self._throttled("x: rate limit reached (HTTP 429)", wait, 429)
        if status >= 500:
            return TransientHTTPError(f"x: HTTP {status} ({detail})", status)
        if status == 403 and method == "GET" and "Application-Only" not in detail:
            return AuthError(f"x: access refused ({detail}). Check the app's access tier and permissions, then "
                             f"update {self.token_env}.")
        return APIRefused(f"x: the API refused {method} (HTTP {status}: {detail})", detail)

    def fetch_new(self, cursor: str | None) -> FetchResult:
        """Mentions (and replies to the account's posts) newer than ``cursor``'s ``since_id``."""
        state = SeenCursor.load(cursor, self.platform)
        since_id = state.extra.get("since_id")
        params: dict[str, Any] = {"max_results": 100, "tweet.fields": _TWEET_FIELDS, "expansions": "author_id"}
        if since_id:
            params["since_id"] = since_id
        users: dict[str, str] = {}

        def fetch_page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
            body = self._x("GET", f"users/{self.user_id}/mentions",
                           {**params, **({"pagination_token": token} if token else {})})
            for user in (body.get("includes") or {}).get("users") or []:
                users[str(user["id"])] = user.get("username") or user.get("name") or ""
            return body.get("data") or [], (body.get("meta") or {}).get("next_token")

        found: dict[str, Comment] = {}
        newest = int(since_id) if since_id else 0
        for tweet in paginate(self.platform, "mentions", fetch_page):
            tid = str(tweet["id"])
            newest = max(newest, int(tid))
            if tid in found or str(tweet.get("author_id")) == self.user_id:
                continue
            found[tid] = self._comment(tweet, users)
        if newest:
            state.extra["since_id"] = str(newest)
        return FetchResult(list(found.values()), state.dump(self.platform, None))

    def check(self) -> str:
        """A cheap call proving the token is accepted (for ``sheets-sync doctor``)."""
        self._x("GET", f"users/{self.user_id}/mentions", {"max_results": 5})
        try:
            self._x("GET", "users/me", retry=False)
        except SheetsSyncError as exc:
            if "Application-Only" not in str(exc):
                raise
            raise CheckWarning(
                f"X user {self.user_id}: the token in {self.token_env} is an app-only Bearer token: mentions can "
                "be read, but X refuses replies made with it. Put a user-context token there instead: an OAuth 2.0 "
                "user access token of the account (scopes tweet.read, tweet.write, users.read).") from None
        return f"X user {self.user_id}: user-context token accepted: mentions readable, replies can be posted"

    def _comment(self, tweet: dict[str, Any], users: dict[str, str]) -> Comment:
        author_id = str(tweet.get("author_id") or "")
        username = users.get(author_id, "")
        replied_to = next((r["id"] for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"),
                          None)
        conversation = str(tweet.get("conversation_id") or tweet["id"])
        if replied_to is not None and str(replied_to) == conversation:
            replied_to = None  # a direct reply to the conversation's first tweet is top-level, as on the others
        return Comment(
            platform=self.platform, comment_id=str(tweet["id"]), post_id=conversation, author_id=author_id,
            author_name=username, text=tweet.get("text") or "", created_at=_created(tweet),
            parent_id=str(replied_to) if replied_to else None,
            permalink=f"https://x.com/{username or 'i'}/status/{tweet['id']}",
            post_link=f"https://x.com/i/status/{conversation}",
        )

    def _send_reply(self, comment_id: str, text: str) -> tuple[str, datetime]:
        try:
            body = self._x("POST", "tweets", json_body={"text": text, "reply": {"in_reply_to_tweet_id": comment_id}},
                           retry=False)
        except APIRefused as exc:
            raise ReplyRefused(self.platform, exc.detail) from exc
        return str(body["data"]["id"]), self._now()

    def _own_replies_to(self, comment_id: str) -> list[tuple[str, datetime, str]]:
        """The account's replies to the tweet (recent search: the last 7 days only), oldest first."""
        body = self._x("GET", "tweets/search/recent", {
            "query": f"in_reply_to_tweet_id:{comment_id} from:{self.user_id}", "tweet.fields": "created_at",
            "max_results": 10})
        tweets = sorted(body.get("data") or [], key=lambda t: int(t["id"]))
        return [(str(t["id"]), _created(t), t.get("text") or "") for t in tweets]

    def comment_states(self, comment_ids: list[str]) -> dict[str, CommentState]:
        """Visible / deleted and the account's own reply. (X does not report whether a reply is hidden.)

        One lookup per 100 tweets, and the account's own replies of the last 7 days listed once (100 a page)
        instead of one search per comment: a search per row would spend the 15-minute search limit on a few
        hundred rows.
        """
        existing: set[str] = set()
        for start in range(0, len(comment_ids), 100):
            body = self._x("GET", "tweets", {"ids": ",".join(comment_ids[start:start + 100])})
            existing.update(str(t["id"]) for t in body.get("data") or [])
        own = self._own_replies_by_target() if existing else {}
        states: dict[str, CommentState] = {}
        for cid in comment_ids:
            if cid not in existing:
                states[cid] = CommentState(cid, "deleted", None, None, None)
                continue
            first = own.get(cid)
            states[cid] = CommentState(cid, "visible", first[0] if first else None, first[1] if first else None,
                                       first[2] if first else None)
        return states

    def _own_replies_by_target(self) -> dict[str, tuple[str, datetime, str]]:
        """The account's first reply to each tweet it answered in the last 7 days (recent search)."""
        params = {"query": f"from:{self.user_id} is:reply", "max_results": 100,
                  "tweet.fields": "created_at,referenced_tweets"}

        def fetch_page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
            body = self._x("GET", "tweets/search/recent", {**params, **({"next_token": token} if token else {})})
            return body.get("data") or [], (body.get("meta") or {}).get("next_token")

        replies: dict[str, tuple[str, datetime, str]] = {}
        for tweet in sorted(paginate(self.platform, "own replies", fetch_page), key=lambda t: int(t["id"])):
            target = next((str(r["id"]) for r in tweet.get("referenced_tweets") or []
                           if r.get("type") == "replied_to"), None)
            if target is not None and target not in replies:
                replies[target] = (str(tweet["id"]), _created(tweet), tweet.get("text") or "")
        return replies


    def post_engagement(self, post_ids: list[str]) -> dict[str, Engagement]:
        """Likes, reposts + quotes, impressions and replies: ``GET /2/tweets?ids=`` with ``public_metrics``,
        100 tweets a request. A deleted tweet comes back under ``errors`` and is left out."""
        ids = list(dict.fromkeys(post_ids))
        found: dict[str, Engagement] = {}
        for start in range(0, len(ids), 100):
            body = self._x("GET", "tweets", {"ids": ",".join(ids[start:start + 100]), "tweet.fields": "public_metrics"})
            for tweet in body.get("data") or []:
                metrics = tweet.get("public_metrics") or {}
                shares = [metrics.get(k) for k in ("retweet_count", "quote_count") if isinstance(metrics.get(k), int)]
                found[str(tweet["id"])] = Engagement(
                    str(tweet["id"]), reactions=_metric(metrics, "like_count"),
                    shares=sum(shares) if shares else None, views=_metric(metrics, "impression_count"),
                    comments=_metric(metrics, "reply_count"))
        return found


def _metric(metrics: dict[str, Any], name: str) -> int | None:
    """One ``public_metrics`` count (None when X left it out, e.g. impressions of older tweets)."""
    value = metrics.get(name)
    return value if isinstance(value, int) else None


_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657


def _created(tweet: dict[str, Any]) -> datetime:
    """When a tweet was posted: ``created_at``, or (when ``tweet.fields`` did not bring it) the time its
    snowflake id encodes, to the millisecond."""
    if tweet.get("created_at"):
        return parse_time(tweet["created_at"])
    return datetime.fromtimestamp(((int(tweet["id"]) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, UTC)
