"""Builds connectors from the ``platforms:`` entries of the configuration.

Each entry names its ``kind``, the account id key of that kind, and ``token_env``: the name of the
environment variable holding the token (the token itself never appears in config files or logs). Any
platform may be absent; a broken entry is a ``ConfigError`` that names the entry and the fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from tenacity import Retrying

from ..errors import ConfigError
from .base import Connector
from .facebook import DEFAULT_API_VERSION, FacebookConnector
from .instagram import InstagramConnector
from .x import XConnector
from .youtube import DEFAULT_DAILY_QUOTA, YouTubeConnector

ID_KEYS = {"facebook": "page_id", "instagram": "ig_user_id", "youtube": "channel_id", "x": "user_id"}
TOKEN_HELP = {
    "facebook": "a Page access token with pages_manage_engagement, pages_read_user_content, pages_read_engagement",
    "instagram": "the linked Page's access token with instagram_basic and instagram_manage_comments",
    "youtube": "an OAuth access token for the channel with the youtube.force-ssl scope",
    "x": "an OAuth 2.0 user-context token with tweet.read, tweet.write, users.read",
}


def build_connectors(
    platform_entries: list[dict[str, Any]],
    sessions: Mapping[str, requests.Session] | None = None,
    env: Mapping[str, str] = os.environ,
    retry: Retrying | None = None,
    clock: Callable[[], float] = time.time,
) -> list[Connector]:
    """One connector per enabled entry, in order.

    ``sessions`` maps a kind to the session to use (an ``AuthorizedSession`` for YouTube in production, an
    emulator session in tests); a kind without one gets a plain ``requests.Session``. A YouTube entry whose
    session is given needs no ``token_env``: the session carries the credentials. ``retry`` and ``clock``
    exist for tests (a policy with a fake sleep, a fake clock).
    """
    sessions = sessions or {}
    connectors: list[Connector] = []
    for index, entry in enumerate(platform_entries or []):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"platforms[{index}] must be a mapping with at least 'kind', got {entry!r}.")
        if entry.get("enabled", True) is False:
            continue
        connectors.append(_build_one(index, entry, sessions, env, retry, clock))
    return connectors


def _build_one(index: int, entry: Mapping[str, Any], sessions: Mapping[str, requests.Session],
               env: Mapping[str, str], retry: Retrying | None, clock: Callable[[], float]) -> Connector:
    kind = str(entry.get("kind") or "").strip().lower()
    label = f"platforms[{index}] (kind: {kind or '?'})"
    if kind not in ID_KEYS:
        raise ConfigError(f"{label}: unknown kind {entry.get('kind')!r}. Use one of: {', '.join(ID_KEYS)}; "
                          "remove the entry to run without that platform.")
    id_key = ID_KEYS[kind]
    account_id = entry.get(id_key)
    if account_id in (None, ""):
        raise ConfigError(f"{label}: missing '{id_key}'. Add the account's {id_key} to the entry.")
    session = sessions.get(kind)
    token_env = entry.get("token_env")
    token = None
    if token_env or not (kind == "youtube" and session is not None):
        if not token_env:
            raise ConfigError(f"{label}: missing 'token_env'. Name the environment variable that holds "
                              f"{TOKEN_HELP[kind]}.")
        token = env.get(str(token_env))
        if not token:
            raise ConfigError(f"{label}: the environment variable {token_env} (named by token_env) is not set. "
                              f"Set it to {TOKEN_HELP[kind]}, or remove the entry to run without {kind}.")
    session = session or requests.Session()
    endpoint = entry.get("endpoint")
    common: dict[str, Any] = {"endpoint": endpoint, "retry": retry, "clock": clock}
    if kind != "x" and entry.get("recheck_days") is not None:
        common["recheck_days"] = _whole(label, entry, "recheck_days")
    if kind == "facebook":
        return FacebookConnector(session, str(account_id), str(token), token_env=str(token_env),
                                 api_version=str(entry.get("api_version") or DEFAULT_API_VERSION), **common)
    if kind == "instagram":
        return InstagramConnector(session, str(account_id), str(token), token_env=str(token_env),
                                  api_version=str(entry.get("api_version") or DEFAULT_API_VERSION), **common)
    if kind == "youtube":
        quota = _whole(label, entry, "daily_quota") if entry.get("daily_quota") is not None else DEFAULT_DAILY_QUOTA
        if entry.get("deep_scan_minutes") is not None:
            common["deep_scan_minutes"] = _whole(label, entry, "deep_scan_minutes")
        return YouTubeConnector(session, str(account_id), token=token, token_env=str(token_env or "YOUTUBE_TOKEN"),
                                daily_quota=quota, **common)
    return XConnector(session, str(account_id), str(token), token_env=str(token_env), **common)


def _whole(label: str, entry: Mapping[str, Any], key: str) -> int:
    """A positive whole number from the entry, or a ConfigError naming it."""
    value = entry.get(key)
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = 0
    if number <= 0 or str(number) != str(value).strip():
        raise ConfigError(f"{label}: {key} must be a positive whole number, got {value!r}.")
    return number
