"""X API v2 routes (``/2/...``): mentions, tweet lookup, recent search, posting replies, hiding replies.

Mentions are served newest first with ``since_id`` / ``pagination_token`` and only the latest 800 are
reachable, as documented. Every answer carries ``x-rate-limit-*`` headers for a 15-minute window per
endpoint; past the limit the answer is 429 until ``x-rate-limit-reset`` (epoch seconds). ``max_results`` outside
the endpoint's bounds is a 400 naming the parameter; ``GET /2/tweets/:id`` answers 200 with ``errors`` for a
deleted tweet; OAuth 1.0a user-context requests are accepted without checking the signature.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..http import EmuRequest, EmuResponse, json_response
from .common import bearer, encode_token, page_after, x_time
from .state import Comment

if TYPE_CHECKING:
    from .core import PlatformEmulator

MAX_TEXT = 280
REACHABLE_MENTIONS = 800
SEARCH_WINDOW_S = 7 * 86400


def problem(status: int, title: str, detail: str, kind: str = "about:blank",
            headers: dict[str, str] | None = None) -> EmuResponse:
    """X's problem JSON."""
    return json_response(status, {"title": title, "detail": detail, "type": kind, "status": status}, headers)


def invalid_parameter(name: str, value: str, message: str) -> EmuResponse:
    """X's 400 for a bad query parameter: an ``errors`` list naming it, under an invalid-request problem."""
    return json_response(400, {"errors": [{"parameters": {name: [value]}, "message": message}],
                               "title": "Invalid Request",
                               "detail": "One or more parameters to your request was invalid.",
                               "type": "https://api.x.com/2/problems/invalid-request"})


def _max_results(params: dict[str, str], low: int, high: int, default: int) -> int | EmuResponse:
    raw = params.get("max_results")
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        return invalid_parameter("max_results", raw, f"The `max_results` query parameter value [{raw}] is not "
                                 f"between {low} and {high}")
    return int(raw)


_OAUTH1_PARAM = re.compile(r'(oauth_[a-z_]+)="([^"]*)"')


def oauth1(request: EmuRequest) -> dict[str, str] | None:
    """The parameters of an ``Authorization: OAuth ...`` (OAuth 1.0a user context) header, or None."""
    value = (request.header("Authorization") or "").strip()
    if not value.lower().startswith("oauth "):
        return None
    params = dict(_OAUTH1_PARAM.findall(value))
    if not params.get("oauth_consumer_key") or not params.get("oauth_signature"):
        return None
    return params


# X's app-only Bearer tokens (from the developer portal's "Bearer Token") start with a run of "A"s; they read
# public data but cannot act as the account: posting and /2/users/me need user context.
APP_ONLY_PREFIX = "AAAAAAAAAAAAAAAAAAAAA"
USER_CONTEXT_GROUPS = {"post", "delete", "me", "hide"}
APP_ONLY_REFUSED = ("Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
                    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].")


class XRoutes:
    """Answers X API v2 requests from the emulator's state."""

    def __init__(self, emu: PlatformEmulator) -> None:
        self.emu = emu

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Route one X request."""
        parts = request.path.strip("/").split("/")[1:]  # drop the "2"
        params = {k: v[0] for k, v in request.query.items() if v}
        signed = oauth1(request)
        if signed is not None:
            # OAuth 1.0a user context: accepted offline without checking the signature; only an expired access
            # token is refused.
            token = signed.get("oauth_token") or signed["oauth_consumer_key"]
            verdict = "expired" if self.emu.tokens.check("x", token) == "expired" else "ok"
        else:
            token = bearer(request) or ""
            verdict = self.emu.tokens.check("x", token)
        if verdict != "ok":
            return problem(401, "Unauthorized", "Unauthorized")
        group = _group(request.method, parts)
        if group is None:
            return problem(404, "Not Found Error", f"No route {request.method} {request.path}",
                           "https://api.x.com/2/problems/resource-not-found")
        if signed is None and group in USER_CONTEXT_GROUPS and token.startswith(APP_ONLY_PREFIX):
            return problem(403, "Unsupported Authentication", APP_ONLY_REFUSED,
                           "https://api.twitter.com/2/problems/unsupported-authentication")
        limiter = self.emu.x_limiter
        key = f"{token}:{group}"
        allowed = limiter.spend(key)
        headers = {"x-rate-limit-limit": str(limiter.limit),
                   "x-rate-limit-remaining": str(max(0, limiter.limit - limiter.used(key))),
                   "x-rate-limit-reset": str(int(limiter.reset_at()))}
        if not allowed:
            return problem(429, "Too Many Requests", "Too Many Requests", headers=headers)
        if group == "mentions":
            response = self._mentions(parts[1], params)
        elif group == "lookup":
            response = self._lookup(params)
        elif group == "tweet":
            response = self._tweet(parts[1], params)
        elif group == "delete":
            response = self._delete(parts[1])
        elif group == "me":
            response = self._me()
        elif group == "search":
            response = self._search(params)
        elif group == "post":
            response = self._post(request)
        else:
            response = self._hide(parts[1], request)
        response.headers.update(headers)
        return response

    # ---- reads ----------------------------------------------------------------------------------------

    def _mentions(self, user_id: str, params: dict[str, str]) -> EmuResponse:
        if user_id not in self.emu.state.accounts.get("x", []):
            return problem(400, "Invalid Request", f"The `id` query parameter value [{user_id}] is not valid",
                           "https://api.x.com/2/problems/invalid-request")
        mentions = [c for c in self.emu.state.comments.values()
                    if c.platform == "x" and c.account_id == user_id and not c.own and not c.deleted]
        mentions.sort(key=lambda c: -int(c.id))
        mentions = mentions[:REACHABLE_MENTIONS]
        if params.get("since_id"):
            mentions = [c for c in mentions if int(c.id) > int(params["since_id"])]
        if params.get("until_id"):
            mentions = [c for c in mentions if int(c.id) < int(params["until_id"])]
        limit = _max_results(params, 5, 100, 10)
        if isinstance(limit, EmuResponse):
            return limit
        try:
            page, next_key = page_after(mentions, lambda c: [-int(c.id)], params.get("pagination_token"), limit)
        except ValueError:
            return problem(400, "Invalid Request", "The `pagination_token` query parameter value is not valid",
                           "https://api.x.com/2/problems/invalid-request")
        return json_response(200, self._tweets_body(page, params, next_key))

    def _lookup(self, params: dict[str, str]) -> EmuResponse:
        """``GET /2/tweets?ids=``: at most 100 ids; the account's own posts are tweets too."""
        found, errors = [], []
        ids = (params.get("ids") or "").split(",")
        if len(ids) > 100:
            return invalid_parameter("ids", params.get("ids") or "", "size must be between 1 and 100")
        for tweet_id in ids:
            tweet = self._find(tweet_id)
            if tweet is None:
                errors.append({"value": tweet_id, "detail": f"Could not find tweet with ids: [{tweet_id}].",
                               "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                               "resource_id": tweet_id, "type": "https://api.x.com/2/problems/resource-not-found"})
            else:
                found.append(tweet)
        body = self._tweets_body(found, params, None)
        body.pop("meta", None)
        if errors:
            body["errors"] = errors
        return json_response(200, body)

    def _tweet(self, tweet_id: str, params: dict[str, str]) -> EmuResponse:
        """``GET /2/tweets/:id``: 200 with ``data``, or 200 with only ``errors`` when it is gone."""
        tweet = self._find(tweet_id)
        if tweet is None:
            return json_response(200, {"errors": [{
                "value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].", "title": "Not Found Error",
                "resource_type": "tweet", "parameter": "id", "resource_id": tweet_id,
                "type": "https://api.x.com/2/problems/resource-not-found"}]})
        body = self._tweets_body([tweet], params, None)
        body.pop("meta", None)
        body["data"] = body["data"][0]
        return json_response(200, body)

    def _find(self, tweet_id: str) -> Comment | None:
        """A live tweet: a reply or mention, or one of the account's own posts (as a Comment-like record)."""
        tweet = self.emu.state.comments.get(tweet_id)
        if tweet is not None and tweet.platform == "x" and not tweet.deleted:
            return tweet
        post = self.emu.state.posts.get(tweet_id)
        if post is not None and post.platform == "x":
            return Comment(id=post.id, platform="x", post_id="", account_id=post.account_id,
                           author_id=post.account_id, author_name="PMCPune", text=post.text, created=post.created,
                           arrived=post.created, seq=post.seq)
        return None

    def _delete(self, tweet_id: str) -> EmuResponse:
        """``DELETE /2/tweets/:id``: only the account's own tweets."""
        post = self.emu.state.posts.get(tweet_id)
        if post is not None and post.platform == "x":
            del self.emu.state.posts[tweet_id]
            self.emu.save()
            return json_response(200, {"data": {"deleted": True}})
        tweet = self.emu.state.comments.get(tweet_id)
        if tweet is not None and tweet.platform == "x" and not tweet.deleted and tweet.own:
            tweet.deleted = True
            self.emu.save()
            return json_response(200, {"data": {"deleted": True}})
        return problem(403, "Forbidden", "You are not allowed to delete a Tweet that is not yours or does not exist.")

    def _me(self) -> EmuResponse:
        accounts = self.emu.state.accounts.get("x", [])
        if not accounts:
            return problem(403, "Forbidden", "No X account is known to the emulator.")
        return json_response(200, {"data": {"id": accounts[0], "name": "Pune Municipal Corporation",
                                            "username": "PMCPune"}})

    def _search(self, params: dict[str, str]) -> EmuResponse:
        words = (params.get("query") or "").split()
        terms = dict(term.split(":", 1) for term in words if ":" in term)
        keywords = [w.lower() for w in words if ":" not in w]
        horizon = self.emu.clock() - SEARCH_WINDOW_S
        matches = []
        for c in self.emu.state.comments.values():
            if c.platform != "x" or c.deleted or c.created < horizon:
                continue
            if "conversation_id" in terms and self.conversation_id(c) != terms["conversation_id"]:
                continue
            if "in_reply_to_tweet_id" in terms and c.parent_id != terms["in_reply_to_tweet_id"]:
                continue
            if "from" in terms and terms["from"] not in (c.author_id, c.author_name):
                continue
            if any(k not in c.text.lower() for k in keywords):
                continue
            matches.append(c)
        matches.sort(key=lambda c: -int(c.id))
        limit = _max_results(params, 10, 100, 10)
        if isinstance(limit, EmuResponse):
            return limit
        try:
            page, next_key = page_after(matches, lambda c: [-int(c.id)], params.get("next_token"), limit)
        except ValueError:
            return problem(400, "Invalid Request", "The `next_token` query parameter value is not valid",
                           "https://api.x.com/2/problems/invalid-request")
        return json_response(200, self._tweets_body(page, params, next_key))

    def conversation_id(self, c: Comment) -> str:
        """The id of the tweet that started ``c``'s conversation."""
        return c.post_id or c.id

    def _tweets_body(self, tweets: list[Comment], params: dict[str, str], next_key: list | None) -> dict[str, Any]:
        fields = set((params.get("tweet.fields") or "").split(","))
        data = []
        for c in tweets:
            tweet: dict[str, Any] = {"id": c.id, "text": c.text, "edit_history_tweet_ids": [c.id]}
            if "created_at" in fields:
                tweet["created_at"] = x_time(c.created)
            if "author_id" in fields:
                tweet["author_id"] = c.author_id
            if "conversation_id" in fields:
                tweet["conversation_id"] = self.conversation_id(c)
            replied_to = c.parent_id or (c.post_id if c.post_id else None)
            if "in_reply_to_user_id" in fields and replied_to:
                tweet["in_reply_to_user_id"] = self._author_of(replied_to)
            if "referenced_tweets" in fields and replied_to:
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": replied_to}]
            if "public_metrics" in fields:
                tweet["public_metrics"] = self._public_metrics(c)
            data.append(tweet)
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if "author_id" in (params.get("expansions") or "") and tweets:
            users = {c.author_id: {"id": c.author_id, "name": c.author_name, "username": c.author_name}
                     for c in tweets}
            body["includes"] = {"users": list(users.values())}
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta["newest_id"] = data[0]["id"]
            meta["oldest_id"] = data[-1]["id"]
        if next_key is not None:
            meta["next_token"] = encode_token(next_key)
        body["meta"] = meta
        return body

    def _public_metrics(self, c: Comment) -> dict[str, int]:
        """A tweet's ``public_metrics`` as X v2 names them: replies counted from the replies it has, the rest from
        the account's post figures (``set_post_metrics``; a citizen's tweet has none)."""
        post = self.emu.state.posts.get(c.id)
        figures = post.metrics if post is not None and post.platform == "x" else {}
        replies = sum(1 for r in self.emu.state.comments.values()
                      if r.platform == "x" and not r.deleted and (r.parent_id or r.post_id) == c.id)
        return {"retweet_count": figures.get("reposts", 0), "reply_count": replies,
                "like_count": figures.get("likes", 0), "quote_count": figures.get("quotes", 0),
                "bookmark_count": figures.get("bookmarks", 0), "impression_count": figures.get("impressions", 0)}

    def _author_of(self, tweet_id: str) -> str | None:
        state = self.emu.state
        if tweet_id in state.comments:
            return state.comments[tweet_id].author_id
        if tweet_id in state.posts:
            return state.posts[tweet_id].account_id
        return None

    # ---- writes ---------------------------------------------------------------------------------------

    def _post(self, request: EmuRequest) -> EmuResponse:
        try:
            body = request.json() or {}
        except ValueError:
            return problem(400, "Invalid Request", "The request body is not valid JSON",
                           "https://api.x.com/2/problems/invalid-request")
        text = body.get("text") or ""
        if len(text) > MAX_TEXT:
            return problem(403, "Forbidden", "Your Tweet text is too long.")
        target_id = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if not target_id:
            accounts = self.emu.state.accounts.get("x", [])
            if not accounts:
                return problem(403, "Forbidden", "No X account is known to the emulator.")
            post = self.emu.add_post("x", accounts[0], text)
            return json_response(201, {"data": {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}})
        target = self.emu.state.comments.get(target_id)
        if target is None or target.deleted or target.platform != "x":
            return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you.")
        reply = self.emu.add_own_reply(target, text, via="api")
        response = json_response(201, {"data": {"id": reply.id, "text": text, "edit_history_tweet_ids": [reply.id]}})
        return self.emu.after_reply_applied(response)

    def _hide(self, tweet_id: str, request: EmuRequest) -> EmuResponse:
        tweet = self.emu.state.comments.get(tweet_id)
        if tweet is None or tweet.deleted or tweet.platform != "x":
            return problem(404, "Not Found Error", f"Could not find tweet with id: [{tweet_id}].",
                           "https://api.x.com/2/problems/resource-not-found")
        hidden = bool((request.json() or {}).get("hidden"))
        tweet.hidden = hidden
        return json_response(200, {"data": {"hidden": hidden}})


def _group(method: str, parts: list[str]) -> str | None:
    """The rate-limit group (one per endpoint) of a request, or None for an unknown route."""
    if method == "GET" and len(parts) == 3 and parts[0] == "users" and parts[2] == "mentions":
        return "mentions"
    if method == "GET" and parts == ["tweets"]:
        return "lookup"
    if method == "GET" and len(parts) == 2 and parts[0] == "tweets" and parts[1] not in ("search",):
        return "tweet"
    if method == "DELETE" and len(parts) == 2 and parts[0] == "tweets":
        return "delete"
    if method == "GET" and parts == ["users", "me"]:
        return "me"
    if method == "GET" and parts == ["tweets", "search", "recent"]:
        return "search"
    if method == "POST" and parts == ["tweets"]:
        return "post"
    if method == "PUT" and len(parts) == 3 and parts[0] == "tweets" and parts[2] == "hidden":
        return "hide"
    return None
