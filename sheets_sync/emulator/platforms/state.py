"""The platform emulator's data: accounts, posts and comments of all four platforms, and their persistence.

One record type serves every platform: a post (FB post, IG media, YT video, X tweet by the account) and a
comment (FB/IG/YT comment, X reply or mention). Ids are minted in each platform's own shape so connectors
meet the same strings they meet in production (IG's 17-digit ids, YT's ``parent.reply`` ids, X snowflakes).

A state file the emulator cannot take for one it wrote (empty, truncated, garbage, the wrong shape) is set
aside as ``platforms.json.corrupt-<UTC time>`` with its bytes untouched, a warning names it and where it went,
and the emulator starts empty. A save the disk refuses raises ``StateSaveFailed`` and leaves the old file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ...errors import ConfigError, RetryableError
from ..datafiles import parse_json_bytes, set_aside, write_atomically

log = logging.getLogger(__name__)

PLATFORMS = ("facebook", "instagram", "youtube", "x")
# The engagement figures a post can carry (``Post.metrics``), by the name each platform's API answers from.
METRIC_NAMES = ("reactions", "shares", "likes", "views", "reposts", "quotes", "impressions", "bookmarks")


class StateFileError(ConfigError):
    """The platform emulator's state file cannot be read or set aside; the message names it and the fix."""


class StateSaveFailed(RetryableError):
    """Persisting the platform state failed (disk full, permission denied): the old file is kept."""


@dataclass(frozen=True)
class SetAside:
    """A state file the emulator did not load: where it was, where its bytes are now, and why."""

    path: str
    moved_to: str
    reason: str

# X's epoch for snowflake ids (2010-11-04): ids minted from it sort like the real ones.
_X_EPOCH_MS = 1288834974657


@dataclass
class Post:
    """A post of an account: FB post, IG media, YT video or X tweet."""

    id: str
    platform: str
    account_id: str
    text: str
    created: int
    updated: int  # last activity, as FB's ``updated_time``: moves when a comment arrives
    seq: int
    # Engagement the platform counts (``set_post_metrics``): reactions, shares, likes, views, reposts, quotes,
    # impressions, bookmarks. Comment counts come from the comments themselves.
    metrics: dict[str, int] = field(default_factory=dict)


@dataclass
class Comment:
    """A comment on a post (or a reply to a comment); on X a reply or mention."""

    id: str
    platform: str
    post_id: str
    account_id: str  # the account owning the post, i.e. whose inbox this is
    author_id: str
    author_name: str
    text: str
    created: int  # what the platform reports; may be older than ``arrived`` (late arrivals)
    arrived: int
    seq: int
    parent_id: str | None = None
    hidden: bool = False
    deleted: bool = False
    via: str | None = None  # "api" | "native" for the account's own replies

    @property
    def own(self) -> bool:
        """Whether the account itself wrote this comment."""
        return self.author_id == self.account_id


@dataclass
class State:
    """Everything the emulator knows; serialisable to one JSON document."""

    posts: dict[str, Post] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    accounts: dict[str, list[str]] = field(default_factory=lambda: {p: [] for p in PLATFORMS})
    seq: int = 0
    last_x_id: int = 0

    def next_seq(self) -> int:
        """A new insertion number (orders ties and mints ids)."""
        self.seq += 1
        return self.seq

    def add_account(self, platform: str, account_id: str) -> None:
        """Make ``account_id`` known on ``platform`` (a Page, IG user, channel or X user)."""
        if account_id not in self.accounts.setdefault(platform, []):
            self.accounts[platform].append(account_id)

    def mint_post_id(self, platform: str, account_id: str, seq: int, now: int) -> str:
        """A post id in the platform's own format."""
        if platform == "facebook":
            return f"{account_id}_{100000000000000 + seq}"
        if platform == "instagram":
            return str(17900000000000000 + seq)
        if platform == "youtube":
            return _b64ish(f"video{seq}", 11)
        return self.mint_x_id(now)

    def mint_comment_id(self, platform: str, post_id: str, parent_id: str | None, seq: int, now: int) -> str:
        """A comment id in the platform's own format."""
        if platform == "facebook":
            return f"{post_id.split('_')[-1]}_{200000000000000 + seq}"
        if platform == "instagram":
            return str(17850000000000000 + seq)
        if platform == "youtube":
            if parent_id:
                return f"{parent_id}.{_b64ish(f'reply{seq}', 22)}"
            return "Ugz" + _b64ish(f"thread{seq}", 19) + "4AaABAg"
        return self.mint_x_id(now)

    def mint_x_id(self, now: int) -> str:
        """A snowflake-like id: grows with arrival time, strictly increasing."""
        candidate = ((now * 1000 - _X_EPOCH_MS) << 22) if now * 1000 > _X_EPOCH_MS else 0
        self.last_x_id = max(candidate, self.last_x_id + 1)
        return str(self.last_x_id)

    def to_json(self) -> dict[str, Any]:
        """The whole state as plain JSON data."""
        return {
            "posts": [asdict(p) for p in self.posts.values()],
            "comments": [asdict(c) for c in self.comments.values()],
            "accounts": self.accounts,
            "seq": self.seq,
            "last_x_id": self.last_x_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        """The state saved by ``to_json``."""
        state = cls()
        state.posts = {p["id"]: Post(**p) for p in data.get("posts", [])}
        state.comments = {c["id"]: Comment(**c) for c in data.get("comments", [])}
        state.accounts = {p: list(data.get("accounts", {}).get(p, [])) for p in PLATFORMS}
        state.seq = int(data.get("seq", 0))
        state.last_x_id = int(data.get("last_x_id", 0))
        return state


def _b64ish(seed: str, length: int) -> str:
    """A deterministic id made of YouTube's id alphabet."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % 64] for b in digest)[:length]


def save_atomically(path: str, data: dict[str, Any]) -> str:
    """Write JSON so that a crash leaves either the old or the new file, never half of one; returns the text
    written. ``StateSaveFailed`` (naming the file and the fix) when the disk refuses."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        write_atomically(Path(path), text, ".platforms-", ".tmp")
    except OSError as exc:
        raise StateSaveFailed(f"the platform emulator could not save its state to {path} "
                              f"({exc.strerror or exc}); nothing was changed: free disk space or fix the data "
                              "directory's permissions, then retry") from exc
    return text


def load(path: str) -> State:
    """The state stored at ``path``, or an empty one (a corrupt file is set aside, see ``load_or_set_aside``)."""
    return load_or_set_aside(path)[0]


def load_or_set_aside(path: str) -> tuple[State, SetAside | None]:
    """The state stored at ``path`` (empty when there is none). A file that is not a state the emulator wrote
    is moved to ``<path>.corrupt-<UTC time>`` with a warning, and the state starts empty.

    Raises ``StateFileError`` (one line: the file and the fix) when the file cannot be read or moved aside.
    """
    if not os.path.exists(path):
        return State(), None
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise StateFileError(f"{path} cannot be read ({exc.strerror or exc}): let the user running the emulator "
                             "read it, or move it out of the data directory") from None
    state, reason = _parse_state(raw)
    if state is not None:
        return state, None
    return State(), _set_aside(path, reason)


def _set_aside(path: str, reason: str) -> SetAside:
    target = set_aside(Path(path), reason, "a state", StateFileError, "started empty")
    return SetAside(path, str(target), reason)


def _parse_state(raw: bytes) -> tuple[State | None, str]:
    """The state in a file's bytes, or None and why it is not one the emulator wrote."""
    data, reason = parse_json_bytes(raw)
    if reason:
        return None, reason
    if not isinstance(data, dict):
        return None, f"a JSON {type(data).__name__}, not an object"
    try:
        state = State.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, f"wrong shape ({type(exc).__name__}: {exc})"
    for kind, records in (("post", state.posts.values()), ("comment", state.comments.values())):
        for record in records:
            problem = _record_problem(record)
            if problem:
                return None, f"{kind} {str(record.id)[:80]!r}: {problem}"
    if any(not isinstance(a, str) for ids in state.accounts.values() for a in ids):
        return None, "an account id is not a string"
    return state, ""


_TYPES = {"str": (str,), "int": (int,), "bool": (bool,), "str | None": (str, type(None))}


def _record_problem(record: Post | Comment) -> str:
    """A field of a loaded post or comment whose type is not the one the emulator writes ("" when none)."""
    for f in fields(record):
        allowed = _TYPES.get(str(f.type))
        value = getattr(record, f.name)
        if allowed and (not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool))):
            return f"{f.name} is {type(value).__name__}, not {f.type}"
    if isinstance(record, Post) and (not isinstance(record.metrics, dict) or any(
            not isinstance(v, int) or isinstance(v, bool) for v in record.metrics.values())):
        return "metrics is not a mapping of names to whole numbers"
    if record.platform not in PLATFORMS:
        return f"unknown platform {str(record.platform)[:40]!r}"
    return ""
