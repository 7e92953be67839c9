"""Builds connectors from the ``platforms:`` entries of the configuration (typed ``PlatformConfig`` entries,
validated when the configuration is loaded; raw mappings are validated here the same way).

Each entry names its ``kind``, the account id key of that kind, and ``token_env``: the name of the
environment variable holding the token (the token itself never appears in config files or logs). Any
platform may be absent; a broken entry is a ``ConfigError`` that names the entry and the fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests
from tenacity import Retrying

from ..config import PlatformConfig, parse_platforms
from ..errors import ConfigError
from .base import Connector
from .facebook import DEFAULT_API_VERSION, FacebookConnector
from .instagram import InstagramConnector
from .x import XConnector
from .youtube import DEFAULT_DAILY_QUOTA, YouTubeConnector

TOKEN_HELP = {
    "facebook": "a Page access token with pages_manage_engagement, pages_read_user_content, pages_read_engagement",
    "instagram": "the linked Page's access token with instagram_basic and instagram_manage_comments",
    "youtube": "an OAuth access token for the channel with the youtube.force-ssl scope",
    "x": "an OAuth 2.0 user-context token with tweet.read, tweet.write, users.read",
}


def _graph_options(entry: PlatformConfig) -> dict[str, Any]:
    return {"api_version": entry.api_version or DEFAULT_API_VERSION, "recheck_days": entry.recheck_days}


def _youtube_options(entry: PlatformConfig) -> dict[str, Any]:
    return {"daily_quota": entry.daily_quota or DEFAULT_DAILY_QUOTA, "recheck_days": entry.recheck_days,
            "deep_scan_minutes": entry.deep_scan_minutes}


# Per kind: the connector class and its kind-specific options (None: the connector's default).
KINDS: dict[str, tuple[Callable[..., Connector], Callable[[PlatformConfig], dict[str, Any]]]] = {
    "facebook": (FacebookConnector, _graph_options),
    "instagram": (InstagramConnector, _graph_options),
    "youtube": (YouTubeConnector, _youtube_options),
    "x": (XConnector, lambda entry: {}),
}


def build_connectors(
    platform_entries: Iterable[PlatformConfig | Mapping[str, Any]] | None,
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
    entries = parse_platforms(platform_entries or [], sessions=sessions)
    return [_build_one(index, entry, sessions, env, retry, clock)
            for index, entry in enumerate(entries) if entry.enabled]


def _token(label: str, entry: PlatformConfig, env: Mapping[str, str]) -> str | None:
    """The token from the environment variable ``token_env`` names (None without ``token_env``)."""
    if entry.token_env is None:
        return None
    token = env.get(entry.token_env)
    if not token:
        raise ConfigError(f"{label}: the environment variable {entry.token_env} (named by token_env) is not set. "
                          f"Set it to {TOKEN_HELP[entry.kind]}, or remove the entry to run without {entry.kind}.")
    return token


def _build_one(index: int, entry: PlatformConfig, sessions: Mapping[str, requests.Session],
               env: Mapping[str, str], retry: Retrying | None, clock: Callable[[], float]) -> Connector:
    connector_class, options = KINDS[entry.kind]
    token = _token(f"platforms[{index}] (kind: {entry.kind})", entry, env)
    extra = {key: value for key, value in options(entry).items() if value is not None}
    return connector_class(sessions.get(entry.kind) or requests.Session(), entry.account_id, token=token,
                           token_env=entry.token_env or f"{entry.kind.upper()}_TOKEN", endpoint=entry.endpoint,
                           retry=retry, clock=clock, **extra)
