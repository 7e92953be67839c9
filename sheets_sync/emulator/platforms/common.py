"""Pieces every platform's routes share: time formats, opaque page tokens, Graph ``fields``, tokens, limits."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..http import EmuRequest

T = TypeVar("T")


def graph_time(epoch: int) -> str:
    """Graph's timestamp format: ``2021-08-10T18:45:03+0000``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def youtube_time(epoch: int) -> str:
    """YouTube's timestamp format: ``2019-12-01T03:36:55Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def x_time(epoch: int) -> str:
    """X's timestamp format: ``2022-10-07T14:04:45.000Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_iso(text: str) -> int:
    """Epoch seconds of an ISO 8601 time; a time without offset is UTC."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def encode_token(key: Any) -> str:
    """An opaque page token holding the sort key of the last item served."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_token(token: str) -> Any:
    """The sort key inside a token from ``encode_token``; ValueError when it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception as exc:  # any garbage token is the client's error
        raise ValueError(f"invalid page token {token!r}") from exc


def page_after(
    items: Sequence[T], key: Callable[[T], list], after: str | None, limit: int
) -> tuple[list[T], list | None]:
    """A page of ``items`` (sorted ascending by ``key``, a list) after the token, and the next key or None.

    Tokens hold the sort key of the last item served rather than an offset, so items inserted while a
    client pages (a new comment, a late arrival) do not shift the pages and make it skip or repeat.
    """
    start = 0
    if after:
        last = decode_token(after)
        start = len(items)
        for index, item in enumerate(items):
            if list(key(item)) > list(last):
                start = index
                break
    page = list(items[start:start + limit])
    more = start + limit < len(items)
    return page, (key(page[-1]) if page and more else None)


def page_before(
    items: Sequence[T], key: Callable[[T], list], before: str, limit: int
) -> tuple[list[T], bool]:
    """The ``limit`` items just before the token's item (Graph's ``before`` cursor), and whether more precede."""
    last = decode_token(before)
    end = 0
    for index, item in enumerate(items):
        if list(key(item)) < list(last):
            end = index + 1
    start = max(0, end - limit)
    return list(items[start:end]), start > 0


def parse_fields(spec: str | None) -> dict[str, dict]:
    """Graph's ``fields`` syntax: ``id,from{id,name},comments.limit(5){id}`` → nested dict.

    Each name maps to ``{"fields": nested-or-None, "limit": n-or-None, "summary": [what] or None}``; an edge's
    modifiers may come in any order (``reactions.limit(0).summary(total_count)``).
    """
    result: dict[str, dict] = {}
    if not spec:
        return result
    for part in _split_top(spec):
        part = part.strip()
        if not part:
            continue
        nested = None
        if "{" in part and part.endswith("}"):
            head, _, inner = part.partition("{")
            nested = parse_fields(inner[:-1])
        else:
            head = part
        name, _, chain = head.partition(".")
        modifiers = dict(_MODIFIER.findall("." + chain)) if chain else {}
        limit = int(modifiers["limit"]) if "limit" in modifiers else None
        summary = [w.strip() for w in modifiers["summary"].split(",")] if "summary" in modifiers else None
        result[name] = {"fields": nested, "limit": limit, "summary": summary}
    return result


# One ``.name(argument)`` modifier of a Graph field (``.limit(0)``, ``.summary(total_count)``).
_MODIFIER = re.compile(r"\.(\w+)\(([^)]*)\)")


def _split_top(spec: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in spec:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def select(obj: dict[str, Any], fields: dict[str, dict] | None) -> dict[str, Any]:
    """Keep the requested fields of ``obj``, recursing into nested objects."""
    if not fields:
        return obj
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in obj:
            continue
        value = obj[name]
        if isinstance(value, dict) and spec["fields"] and "data" not in value:
            value = select(value, spec["fields"])
        out[name] = value
    # Graph sends only what ``fields`` names: a list item's ``id`` too is left out when not asked for.
    return out


def request_params(request: EmuRequest) -> dict[str, str]:
    """Query parameters merged with a form-encoded or JSON body (Graph takes either), first value each."""
    params = {k: v[0] for k, v in request.query.items() if v}
    content_type = (request.header("Content-Type") or "").lower()
    if request.body and "application/x-www-form-urlencoded" in content_type:
        from urllib.parse import parse_qs

        for key, values in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items():
            params.setdefault(key, values[0])
    elif request.body and "json" in content_type:
        body = request.json()
        if isinstance(body, dict):
            for key, value in body.items():
                if isinstance(value, str | int | float | bool):
                    params.setdefault(key, str(value) if not isinstance(value, str) else value)
    return params


def bearer(request: EmuRequest) -> str | None:
    """The token in ``Authorization: Bearer ...``, if any."""
    value = request.header("Authorization") or ""
    return value[7:].strip() if value.lower().startswith("bearer ") else None


@dataclass
class Tokens:
    """Which tokens each platform accepts, and which have expired.

    With no token registered for a platform, any non-empty token is accepted: handy for the CLI emulator.
    Expiring a platform without naming a token expires every token of that platform.
    """

    valid: dict[str, set[str]] = field(default_factory=dict)
    expired: dict[str, set[str]] = field(default_factory=dict)
    all_expired: set[str] = field(default_factory=set)

    def register(self, platform: str, token: str) -> None:
        """Accept ``token`` on ``platform`` (and un-expire it)."""
        self.valid.setdefault(platform, set()).add(token)
        self.expired.get(platform, set()).discard(token)
        self.all_expired.discard(platform)

    def expire(self, platform: str, token: str | None = None) -> None:
        """Make one token (or all tokens) of ``platform`` expired."""
        if token is None:
            self.all_expired.add(platform)
        else:
            self.expired.setdefault(platform, set()).add(token)

    def check(self, platform: str, token: str | None) -> str:
        """``"ok"``, ``"missing"``, ``"expired"`` or ``"invalid"``."""
        if not token:
            return "missing"
        if platform in self.all_expired or token in self.expired.get(platform, set()):
            return "expired"
        accepted = self.valid.get(platform)
        if accepted and token not in accepted:
            return "invalid"
        return "ok"


class WindowCounter:
    """Counts calls (or units) per key in fixed windows of ``window_s`` seconds of the emulator's clock."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float], offset_s: float = 0.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.offset_s = offset_s
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def window(self) -> int:
        """The number of the current window."""
        return int((self.clock() + self.offset_s) // self.window_s)

    def reset_at(self) -> float:
        """Epoch seconds when the current window ends."""
        return (self.window() + 1) * self.window_s - self.offset_s

    def used(self, key: str) -> int:
        """What ``key`` has spent in the current window."""
        with self._lock:
            return self._counts.get((key, self.window()), 0)

    def spend(self, key: str, amount: int = 1) -> bool:
        """Spend ``amount``; False (nothing spent) when it would go over the limit."""
        with self._lock:
            slot = (key, self.window())
            used = self._counts.get(slot, 0)
            if used + amount > self.limit:
                return False
            self._counts[slot] = used + amount
            return True
