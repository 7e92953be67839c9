"""Bad answers from the platforms: broken JSON, HTML error pages with a 200, expired tokens.

The platform in trouble fails for this cycle with a message naming it (and, for tokens, the environment
variable to fix); the other platforms go on; its cursor does not move, so the next good cycle brings every
comment in exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
import requests

from sheets_sync.demo.world import IST, World
from sheets_sync.emulator.http import EmuRequest, EmuResponse
from sheets_sync.emulator.platforms.core import BASE_URLS
from sheets_sync.emulator.transport import mount
from sheets_sync.tracker.cells import as_text

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)
PREFIX = {"facebook": "FB", "instagram": "IG", "youtube": "YT", "x": "X"}
# Paths that only one platform's requests use (Facebook and Instagram share graph.facebook.com).
PATH_OF = {"youtube": "/youtube/", "x": "/2/"}


@dataclass
class BrokenPlatform:
    """A test-only core in front of the platform emulator: answers one platform's requests with ``body``
    (status 200) while ``broken`` is set; everything else reaches the real emulator."""

    inner: object
    path_part: str
    body: bytes
    content_type: str
    broken: bool = True
    hits: int = 0

    def handle(self, request: EmuRequest) -> EmuResponse:
        """Answer one request."""
        if self.broken and self.path_part in request.path:
            self.hits += 1
            return EmuResponse(200, self.body, {"Content-Type": self.content_type})
        return self.inner.handle(request)  # type: ignore[attr-defined]


def world_with(tmp_path, broken: BrokenPlatform | None = None) -> World:
    world = World.create(tmp_path, START)
    if broken is not None:
        broken.inner = world.platforms

        def session() -> requests.Session:
            return mount(requests.Session(), broken, list(BASE_URLS))

        world.platforms.session = session  # type: ignore[method-assign]
    return world


def seed(world: World) -> dict[str, list[str]]:
    """Two comments on every platform; platform → comment ids."""
    out: dict[str, list[str]] = {}
    for platform in PREFIX:
        post = world.post(platform, f"{platform} notice")
        out[platform] = [world.comment(platform, post, f"{platform} comment {i}: water problem", f"C{i}")
                         for i in range(2)]
    return out


def ticket_counts(world: World) -> dict[str, int]:
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    counts: dict[str, int] = {}
    for value in table.column("Ticket ID"):
        key = as_text(value).strip()
        if key:
            counts[key] = counts.get(key, 0) + 1
    return counts


def expected_tickets(ids: dict[str, list[str]], platforms: list[str]) -> set[str]:
    return {f"{PREFIX[p]}-{cid}" for p in platforms for cid in ids[p]}


BAD_BODIES = [
    # (body, content type, what the note must say)
    pytest.param(b'{"data": [ {"id": "1"', "application/json",
                 ["the answer is not JSON", "{\"data\": [ {\"id\": \"1\"", "next cycle retries from the stored cursor"],
                 id="truncated-json"),
    pytest.param(b"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>",
                 "text/html", ["the answer is not JSON", "answered 200 with '<html><head><title>502 Bad Gateway",
                               "next cycle retries from the stored cursor"], id="html-502-with-200"),
    pytest.param(b"[]", "application/json", ["unexpected answer from the platform", "cursor kept"],
                 id="json-of-the-wrong-shape"),
]


@pytest.mark.parametrize("platform", sorted(PATH_OF))
@pytest.mark.parametrize("body, content_type, message", BAD_BODIES)
def test_broken_answers_fail_one_platform_for_one_cycle_and_lose_nothing(tmp_path, platform, body, content_type,
                                                                         message):
    broken = BrokenPlatform(None, PATH_OF[platform], body, content_type)
    world = world_with(tmp_path, broken)
    ids = seed(world)

    result = world.runner("r1").cycle()

    assert broken.hits > 0
    note = next(n for n in result.notes if n.startswith(f"{platform}:"))
    for part in message:  # what came back, so a person can tell the cause, and what happens next
        assert part in note, note
    assert not note.startswith(f"{platform}: {platform}:")
    assert not result.failed_jobs  # only that platform failed, not the ingest job
    assert result.counts["ingest"][f"{platform} failed"] == 1
    others = [p for p in PREFIX if p != platform]
    assert set(ticket_counts(world)) == expected_tickets(ids, others)  # the others went on

    broken.broken = False
    world.clock.advance(minutes=5)
    result = world.runner("r2").cycle()
    assert not any(n.startswith(f"{platform}:") for n in result.notes)
    counts = ticket_counts(world)
    assert set(counts) == expected_tickets(ids, list(PREFIX)) and set(counts.values()) == {1}


ENV_OF = {"facebook": "FACEBOOK_TOKEN", "instagram": "INSTAGRAM_TOKEN", "youtube": "YOUTUBE_TOKEN", "x": "X_TOKEN"}


@pytest.mark.parametrize("platform", sorted(PREFIX))
def test_expired_token_names_the_platform_and_the_env_var_and_loses_nothing(tmp_path, platform):
    world = world_with(tmp_path)
    ids = seed(world)
    world.platforms.expire_token(platform)

    result = world.runner("r1").cycle()

    note = next(n for n in result.notes if n.startswith(f"{platform}:"))
    assert ENV_OF[platform] in note and not note.startswith(f"{platform}: {platform}:"), note
    assert "expired" in note or "revoked" in note or "invalid" in note, note
    assert world.tokens[ENV_OF[platform]] not in note  # the token itself is never shown
    others = [p for p in PREFIX if p != platform]
    assert set(ticket_counts(world)) == expected_tickets(ids, others)

    # A person puts a fresh token in the variable: the next run brings the missed comments, once each.
    world.platforms.register_token(platform, f"{platform}-fresh-token")
    world.tokens[ENV_OF[platform]] = f"{platform}-fresh-token"
    world.clock.advance(minutes=5)
    result = world.runner("r2").cycle()
    assert not any(n.startswith(f"{platform}:") for n in result.notes), result.notes
    counts = ticket_counts(world)
    assert set(counts) == expected_tickets(ids, list(PREFIX)) and set(counts.values()) == {1}
