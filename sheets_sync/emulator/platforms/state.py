"""The platform emulator's data: accounts, posts and comments of all four platforms, and their persistence.

One record type serves every platform: a post (FB post, IG media, YT video, X tweet by the account) and a
comment (FB/IG/YT comment, X reply or mention). Ids are minted in each platform's own shape so connectors
meet the same strings they meet in production (IG's 17-digit ids, YT's ``parent.reply`` ids, X snowflakes).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any

PLATFORMS = ("facebook", "instagram", "youtube", "x")

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


def save_atomically(path: str, data: dict[str, Any]) -> None:
    """Write JSON so that a crash leaves either the old or the new file, never half of one."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".platforms-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str) -> State:
    """The state stored at ``path``, or an empty one."""
    if not os.path.exists(path):
        return State()
    with open(path, encoding="utf-8") as handle:
        return State.from_json(json.load(handle))
