"""The one retry policy: what it retries, how long it waits, when it gives up."""

import pytest
import requests

from sheets_sync.errors import FatalAPIError, RetryableError
from sheets_sync.retry import is_retryable, policy, retry_after_seconds


def response(status: int, headers: dict | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.headers.update(headers or {})
    return r


def http_error(status: int, headers: dict | None = None) -> requests.HTTPError:
    return requests.HTTPError(response=response(status, headers))


@pytest.mark.parametrize("exc, expected", [
    (http_error(429), True), (http_error(500), True), (http_error(503), True), (http_error(502), True),
    (http_error(400), False), (http_error(403), False), (http_error(404), False),
    (requests.ConnectionError(), True), (requests.Timeout(), True),
    (RetryableError("x"), True), (FatalAPIError("x"), False), (ValueError(), False),
])
def test_what_is_retried(exc, expected):
    assert is_retryable(exc) is expected


def test_retry_after_header_and_hint():
    assert retry_after_seconds(http_error(429, {"Retry-After": "7"})) == 7
    assert retry_after_seconds(RetryableError("x", retry_after=12.5)) == 12.5
    assert retry_after_seconds(http_error(429)) is None


def test_backoff_is_bounded_and_honours_retry_after():
    waits: list[float] = []
    calls = []

    def flaky():
        calls.append(1)
        raise http_error(503, {"Retry-After": "3"} if len(calls) == 2 else None)

    with pytest.raises(requests.HTTPError):
        policy(attempts=5, sleep=waits.append)(flaky)
    assert len(calls) == 5 and len(waits) == 4
    assert waits[1] == 3  # the server's hint
    assert all(0 < w <= 32 for w in waits)


def test_gives_up_at_once_on_fatal():
    calls = []

    def bad():
        calls.append(1)
        raise http_error(400)

    with pytest.raises(requests.HTTPError):
        policy(sleep=lambda s: None)(bad)
    assert len(calls) == 1


def test_succeeds_after_transient_failures():
    calls = []

    def sometimes():
        calls.append(1)
        if len(calls) < 3:
            raise requests.ConnectionError("reset")
        return "ok"

    assert policy(sleep=lambda s: None)(sometimes) == "ok"
