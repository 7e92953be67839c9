"""What every platform connector is: the small interface the jobs build on, its data, and shared machinery.

Shared here, so each platform module only knows its own API:
  - ``HttpConnector._call``: one HTTP call with a timeout, classified into the project's errors and retried
    by the one tenacity policy (``sheets_sync.retry``);
  - ``HttpConnector.post_reply``: exactly-once replies (after an ambiguous failure, look for our reply
    before sending again);
  - ``Paginator``: follows page tokens and refuses a repeated one;
  - ``SeenCursor``: the opaque JSON cursor with the ids already delivered, so a re-read overlap window
    returns nothing twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import requests
from tenacity import Retrying

from ..errors import BudgetExhausted, FatalAPIError, RetryableError
from ..retry import MAX_TOTAL_S, REQUEST_TIMEOUT_S, policy, retrying

# ---- the data the jobs see -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    """One citizen comment or mention, as fetched."""

    platform: str  # "facebook" | "instagram" | "youtube" | "x"
    comment_id: str  # the platform's own id, never numericised
    post_id: str  # FB post id / IG media id / YT video id / X conversation or mentioned tweet id
    author_id: str
    author_name: str
    text: str  # unchanged (Unicode, emoji, ZWJ, 5,000 chars...)
    created_at: datetime  # tz-aware UTC
    parent_id: str | None
    permalink: str  # link for people
    post_title: str | None = None  # for the Posts register when known
    post_link: str | None = None
    post_published_at: datetime | None = None


@dataclass(frozen=True)
class CommentState:
    """What the platform says about a comment now, and the account's own reply to it, if any."""

    comment_id: str
    state: str  # "visible" | "hidden" | "deleted"
    own_reply_id: str | None
    own_reply_at: datetime | None
    own_reply_text: str | None


@dataclass(frozen=True)
class Engagement:
    """How a post is doing, in the platform's own counts; None where the platform does not give that figure.

    ``reactions``: Facebook reactions, Instagram likes, YouTube likes, X likes. ``shares``: Facebook shares,
    X reposts + quotes. ``views``: YouTube views, X impressions. ``comments``: the platform's comment count.
    """

    post_id: str
    reactions: int | None = None
    shares: int | None = None
    views: int | None = None
    comments: int | None = None


@dataclass(frozen=True)
class FetchResult:
    """Comments new since the cursor, and the cursor to store (in the sheet's ``_state`` tab) for next time."""

    comments: list[Comment]
    cursor: str


class CheckWarning(Exception):  # noqa: N818 - a doctor's warning, not an error of the tool
    """What ``Connector.check`` found that works only in part; the message names what fails and the fix."""


@runtime_checkable
class Connector(Protocol):
    """One platform account: fetch comments, reply, read states. The jobs depend on exactly this.

    The ``_state`` keys and the quota hooks have working defaults here, so a connector only sets
    ``platform`` and ``account_id`` and implements the methods; jobs never probe with ``hasattr``.
    """

    platform: str
    """``facebook``, ``instagram``, ``youtube`` or ``x``."""
    account_id: str
    """The account the connector reads: the Facebook Page id, Instagram user id, YouTube channel id or X user
    id. Every connector sets it; it names the account in the sheet's ``_state`` keys."""

    @property
    def cursor_key(self) -> str:
        """The ``_state`` key of this account's fetch cursor: ``cursor:<platform>:<account_id>``."""
        return f"cursor:{self.platform}:{self.account_id}"

    @property
    def quota_key(self) -> str:
        """The ``_state`` key of this account's saved quota spend: ``quota:<platform>:<account_id>``."""
        return f"quota:{self.platform}:{self.account_id}"

    @property
    def status_key(self) -> str:
        """The ``_state`` key of when this account's comment states were last checked:
        ``status_at:<platform>:<account_id>``."""
        return f"status_at:{self.platform}:{self.account_id}"

    def restore_quota(self, saved: str | None) -> None:
        """Continue counting quota from ``saved`` (what ``quota_state`` returned in an earlier run, or None).

        A no-op by default: only platforms with a daily unit budget (YouTube) keep count across runs.
        """

    def quota_state(self) -> str | None:
        """Today's quota spend as text to save under ``quota_key``; None (the default) means nothing to save."""
        return None

    def fetch_new(self, cursor: str | None) -> FetchResult:
        """Comments new since ``cursor`` (None: everything reachable), each exactly once."""
        ...

    def post_reply(self, comment_id: str, text: str) -> tuple[str, datetime]:
        """Reply to a comment, at most once; returns (reply id, posted time)."""
        ...

    def comment_states(self, comment_ids: list[str]) -> dict[str, CommentState]:
        """Visible / hidden / deleted, and the account's own reply, for each comment id."""
        ...

    def check(self) -> str:
        """A cheap call proving the token works, for ``sheets-sync doctor``: what works, in one line. Raises
        ``CheckWarning`` when reading works but something the tool needs will not (e.g. posting replies)."""
        ...

    def find_own_reply(self, comment_id: str, exclude: Collection[str] = ()) -> tuple[str, datetime] | None:
        """The account's existing reply to a comment (through us or natively), or None. Replies whose ids are in
        ``exclude`` — recorded on other rows, e.g. our answer earlier in the same thread — do not count."""
        ...

    def reply_target(self, comment_id: str, thread_id: str | None) -> str:
        """The comment a reply to ``comment_id`` must be posted to, given the id of the comment that started
        its conversation (``thread_id``, None for a comment that started one). Most platforms take a reply to
        any comment; Instagram takes replies to top-level comments only, so there it is the thread's."""
        return comment_id

    def post_engagement(self, post_ids: list[str]) -> dict[str, Engagement]:
        """Each post's engagement, asked in the platform's largest batches (Graph 50 ids, YouTube 50 ids for
        1 unit, X 100 ids a request). A post that is gone (deleted, or not this account's) is left out."""
        ...


# ---- errors specific to connectors ---------------------------------------------------------------------


class ReplyRefused(FatalAPIError):
    """The platform refuses this reply for good; ``reason`` is a sentence for the Tracker Sheet row."""

    def __init__(self, platform: str, reason: str) -> None:
        super().__init__(f"{platform}: reply refused: {reason}")
        self.platform = platform
        self.reason = reason


class APIRefused(FatalAPIError):
    """The platform refused the request for good; ``detail`` is the platform's own explanation."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class ObjectMissing(FatalAPIError):
    """The comment (or post) is deleted or no longer visible to the account; ``ids`` names the gone ones when the
    platform said which (a batched lookup)."""

    def __init__(self, message: str, ids: list[str] | None = None) -> None:
        super().__init__(message)
        self.ids = list(ids or [])


class TemporarilyBlocked(BudgetExhausted):
    """The platform has blocked the account from this action for a while (Graph code 368): retrying within the
    cycle cannot help, the next cycle tries again."""


class PaginationLoopError(FatalAPIError):
    """The API handed back a page token it had already given: following it would loop forever."""


class TransientHTTPError(RetryableError):
    """A retryable HTTP answer; ``status`` tells whether a write may already have been applied (5xx)."""

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after)
        self.status = status

    @property
    def ambiguous(self) -> bool:
        """A 5xx after a write was sent: the server may have applied it. (429 means it did not.)"""
        return self.status >= 500


# ---- paging --------------------------------------------------------------------------------------------


class Paginator:
    """Follows page tokens, refusing one it has already seen (singer-sdk's loop guard)."""

    def __init__(self, platform: str, what: str) -> None:
        self.platform = platform
        self.what = what
        self._seen: set[str] = set()
        self._next: str | None = None
        self._finished = False

    @property
    def has_more(self) -> bool:
        """Whether another page should be requested."""
        return not self._finished

    def get_next(self) -> str | None:
        """The token for the next request (None for the first page)."""
        return self._next

    def advance(self, token: str | None) -> None:
        """Record the token a page returned; None or empty means the list is finished."""
        if not token:
            self._finished = True
            return
        if token in self._seen:
            raise PaginationLoopError(
                f"{self.platform}: Loop detected in pagination while listing {self.what}: "
                f"the API returned page token {token[:40]!r} twice."
            )
        self._seen.add(token)
        self._next = token


def paginate(platform: str, what: str, fetch_page: Callable[[str | None], tuple[list[Any], str | None]]
             ) -> Iterator[Any]:
    """Every item of a token-paged list; ``fetch_page(token) -> (items, next token or None)``."""
    pages = Paginator(platform, what)
    while pages.has_more:
        items, token = fetch_page(pages.get_next())
        yield from items
        pages.advance(token)


# ---- the cursor ----------------------------------------------------------------------------------------

# A cursor lives in one Google Sheets cell (50,000 characters at most): keep well below.
MAX_CURSOR_CHARS = 40_000


@dataclass
class SeenCursor:
    """The connector's opaque cursor: a watermark plus the ids already delivered within the recheck window.

    Re-reading an overlap window (and whole recently active posts, for late arrivals) is how nothing is
    missed; the delivered ids are how nothing is returned twice. When the ids outgrow the cell, the oldest
    are dropped first: the cost is a possible repeat of a very old comment (the jobs dedupe by id), never a
    loss.
    """

    watermark: int | None = None  # epoch seconds, the platform's own activity time
    seen: dict[str, int] = field(default_factory=dict)  # comment id -> created (epoch seconds)
    extra: dict[str, Any] = field(default_factory=dict)  # platform specifics (X since_id, counts)

    @classmethod
    def load(cls, cursor: str | None, platform: str) -> SeenCursor:
        """Parse a stored cursor; None or empty is a first run. A foreign or broken cursor is an error."""
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
            if data.get("platform") != platform:
                raise ValueError(f"cursor belongs to {data.get('platform')!r}")
            return cls(watermark=data.get("wm"), seen=dict(data.get("seen") or {}), extra=dict(data.get("x") or {}))
        except (ValueError, AttributeError, TypeError) as exc:
            raise FatalAPIError(
                f"{platform}: the stored cursor is not valid ({exc}). Clear the {platform} cursor in the "
                "sheet's _state tab to re-read from the start (comments already in the sheet are not duplicated)."
            ) from exc

    def dump(self, platform: str, horizon: int | None) -> str:
        """The cursor as a JSON string, with ids older than ``horizon`` dropped and the size capped."""
        if horizon is not None:
            self.seen = {cid: created for cid, created in self.seen.items() if created >= horizon}
        budget = MAX_CURSOR_CHARS - len(json.dumps(self.extra)) - 200
        size = sum(len(cid) + 16 for cid in self.seen)
        if size > budget:
            for cid, _ in sorted(self.seen.items(), key=lambda item: item[1]):
                del self.seen[cid]
                size -= len(cid) + 16
                if size <= budget:
                    break
        return json.dumps({"v": 1, "platform": platform, "wm": self.watermark, "x": self.extra, "seen": self.seen},
                          separators=(",", ":"), ensure_ascii=False)


# ---- time ----------------------------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """A platform timestamp (``...+0000``, ``...Z``, ``....000Z``) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def epoch(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime."""
    return int(moment.timestamp())


# ---- the HTTP base -------------------------------------------------------------------------------------


class HttpConnector(Connector):
    """A connector over one injected ``requests.Session``: timeouts, error classification, retries.

    Subclasses set ``platform`` and ``account_id``, implement ``_classify`` (one place that turns a non-2xx
    answer into the project's errors), ``_send_reply`` (one HTTP attempt, no retry) and the ``Connector``
    methods.
    """

    platform = "base"

    def __init__(self, session: requests.Session, *, retry: Retrying | None = None,
                 timeout: float = REQUEST_TIMEOUT_S, clock: Callable[[], float] = time.time,
                 max_throttle_wait_s: float = MAX_TOTAL_S) -> None:
        self.session = session
        self.retry = retry if retry is not None else policy()
        self.timeout = timeout
        self.clock = clock
        # A throttle that lasts longer than this is a spent budget for the cycle, not a blip to wait out.
        self.max_throttle_wait_s = max_throttle_wait_s

    def __repr__(self) -> str:  # never show tokens
        return f"{type(self).__name__}(platform={self.platform!r})"

    def _retrying(self, fn: Callable[[], Any]) -> Any:
        # A fresh copy per call: a Retrying instance keeps per-call statistics and is not re-entrant.
        return retrying(fn, retry=self.retry.copy())

    def _call(self, method: str, url: str, *, params: dict[str, Any] | None = None,
              json_body: Any = None, data: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
              retry: bool = True, cost: int = 0) -> Any:
        """One API call; returns the parsed JSON (or None), raises the classified error.

        ``cost`` is charged (``_spend``) before every attempt, retries included, as quota systems do.
        """

        def once() -> Any:
            if cost:
                self._spend(cost)
            response = self.session.request(method, url, params=params, json=json_body, data=data,
                                            headers=headers, timeout=self.timeout)
            if response.status_code < 300:
                if not response.content:
                    return None
                try:
                    return response.json()
                except ValueError as exc:
                    # A proxy's HTML error page or a cut-off body: transient, and worth showing how it began.
                    start = response.content[:60].decode("utf-8", "replace")
                    raise TransientHTTPError(
                        f"{self.platform}: the answer is not JSON ({method} {_path(url)} answered "
                        f"{response.status_code} with {start!r}); the platform or a proxy in between is failing. "
                        f"{self.platform} is skipped for now and the next cycle retries from the stored cursor.",
                        status=502) from exc
            raise self._classify(response, method, url)

        return self._retrying(once) if retry else once()

    def _spend(self, units: int) -> None:
        """Charge ``units`` of a platform quota (only YouTube counts units)."""

    def _classify(self, response: requests.Response, method: str, url: str) -> Exception:
        """The project error for a non-2xx answer (each platform overrides)."""
        if response.status_code == 429 or response.status_code >= 500:
            return TransientHTTPError(f"{self.platform}: HTTP {response.status_code} from {method} {_path(url)}",
                                      response.status_code)
        return APIRefused(f"{self.platform}: HTTP {response.status_code} from {method} {_path(url)}",
                          f"HTTP {response.status_code}")

    def _throttled(self, message: str, wait_s: float | None, status: int) -> Exception:
        """A rate-limit answer: wait it out when short, else stop calling this platform for the cycle."""
        if wait_s is not None and wait_s > self.max_throttle_wait_s:
            return BudgetExhausted(f"{message}; the platform asks to wait {int(wait_s)} s, so this cycle stops "
                                   f"calling {self.platform} and the next one resumes from the stored cursor.")
        return TransientHTTPError(message, status, retry_after=wait_s)

    # ---- exactly-once replies ------------------------------------------------------------------------

    def post_reply(self, comment_id: str, text: str) -> tuple[str, datetime]:
        """Reply once: after a failure that may have posted (drop, timeout, 5xx), look before sending again."""
        maybe_posted = False

        def attempt() -> tuple[str, datetime]:
            nonlocal maybe_posted
            if maybe_posted:
                found = self._find_sent_reply(comment_id, text)
                if found is not None:
                    return found
            try:
                return self._send_reply(comment_id, text)
            except (requests.ConnectionError, requests.Timeout):
                maybe_posted = True
                raise
            except TransientHTTPError as exc:
                maybe_posted = maybe_posted or exc.ambiguous
                raise

        return self._retrying(attempt)

    def _send_reply(self, comment_id: str, text: str) -> tuple[str, datetime]:
        raise NotImplementedError

    def _find_sent_reply(self, comment_id: str, text: str) -> tuple[str, datetime] | None:
        """Our reply to ``comment_id`` if an ambiguous send did post it: the account's reply with this text.

        Matching the text (not just "any reply by the account") keeps an earlier native answer from being
        mistaken for the reply we were asked to send.
        """
        for reply_id, at, body in self._own_replies_to(comment_id):
            if body == text:
                return reply_id, at
        return None

    def check(self) -> str:
        """A cheap call proving the token works, for ``sheets-sync doctor``: what works, in one line. Raises
        ``CheckWarning`` when reading works but something the tool needs will not (e.g. posting replies)."""
        ...

    def find_own_reply(self, comment_id: str, exclude: Collection[str] = ()) -> tuple[str, datetime] | None:
        """The account's first reply to ``comment_id`` (sent through us or natively) not in ``exclude``, or
        None."""
        replies = [r for r in self._own_replies_to(comment_id) if r[0] not in exclude]
        return (replies[0][0], replies[0][1]) if replies else None

    def _own_replies_to(self, comment_id: str) -> list[tuple[str, datetime, str]]:
        """The account's replies to ``comment_id``, oldest first: (id, time, text)."""
        raise NotImplementedError

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


def error_object(response: requests.Response) -> dict[str, Any]:
    """The ``error`` object of a JSON error body, or {} (not JSON, no ``error``, or ``"error": "text"``)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return {"message": error}
    return error if isinstance(error, dict) else {}


def _path(url: str) -> str:
    """The URL without its query (which may hold a key or token): safe for messages and logs."""
    return url.split("?", 1)[0]
