"""The one retry policy of the project, declared once.

Retries 429, 5xx and connection errors with capped exponential backoff and jitter, honours ``Retry-After``
(or a platform's reset hint carried by ``RetryableError.retry_after``), gives up after a bounded number of
attempts and re-raises the last error. Every outside call in the project goes through ``retrying``.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from .errors import RetryableError

T = TypeVar("T")

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_ATTEMPTS = 6
MAX_WAIT_S = 32.0
MAX_TOTAL_S = 120.0
REQUEST_TIMEOUT_S = 30.0


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) if response is not None else None


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is transient: a rate limit, a server error or a broken connection."""
    if isinstance(exc, RetryableError):
        return True
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    status = _status_of(exc)
    if status is None:
        # gspread's APIError keeps the response; fall back to its parsed code.
        status = getattr(exc, "code", None)
    return isinstance(status, int) and status in RETRY_STATUS


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's own wait hint, from ``Retry-After`` (seconds or HTTP date) or the error itself."""
    if isinstance(exc, RetryableError) and exc.retry_after is not None:
        return max(0.0, exc.retry_after)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class _Wait:
    """Exponential backoff with jitter, replaced by the server's hint when it gives one (capped)."""

    def __init__(self, initial: float, max_wait: float) -> None:
        # Exponential from `initial`, capped, plus up to `initial` of jitter so runners do not retry in step.
        self.backoff = wait_exponential(multiplier=initial, max=max_wait) + wait_random(0, initial)
        self.max_wait = max_wait

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = retry_after_seconds(exc) if exc else None
        if hint is not None:
            return min(hint, self.max_wait)
        return self.backoff(state)


def policy(
    *,
    attempts: int = MAX_ATTEMPTS,
    initial_wait: float = 0.5,
    max_wait: float = MAX_WAIT_S,
    max_total: float = MAX_TOTAL_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Retrying:
    """A tenacity ``Retrying`` with the project's policy; arguments exist for tests and benchmarks."""
    return Retrying(
        retry=retry_if_exception(is_retryable),
        wait=_Wait(initial_wait, max_wait),
        stop=stop_after_attempt(attempts) | stop_after_delay(max_total),
        sleep=sleep,
        reraise=True,
    )


def retrying(fn: Callable[..., T], *args: Any, retry: Retrying | None = None, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` under the project's retry policy (or the given one)."""
    return (retry or policy())(fn, *args, **kwargs)
