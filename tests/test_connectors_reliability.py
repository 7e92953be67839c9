"""The done-when run: a 2,000-comment history on four platforms, 30% of platform requests faulted.

Proves, against the emulator: every comment fetched exactly once across repeated and interrupted runs (a
fetch that dies mid-way leaves its cursor unstored and is simply run again), ids / authors / timestamps /
text unchanged, late arrivals and replies to old threads found, replies posted exactly once even when the
connection drops after the platform applied them, and the resulting states reported by ``comment_states``.
No test sleeps: retries wait on a fake clock.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest
import requests

from sheets_sync.connectors import Comment, Connector, build_connectors
from sheets_sync.emulator.platforms import BASE_URLS, PlatformEmulator
from sheets_sync.emulator.transport import EmulatorAdapter
from sheets_sync.errors import RetryableError
from sheets_sync.retry import policy

ACCOUNTS = {"facebook": "1001", "instagram": "17841400000000001", "youtube": "UCpmc0000000000000000001",
            "x": "42"}
ENV = {"FB": "fb-token", "IG": "ig-token", "YT": "yt-token", "XT": "x-token"}
ENTRIES = [
    {"kind": "facebook", "page_id": ACCOUNTS["facebook"], "token_env": "FB"},
    {"kind": "instagram", "ig_user_id": ACCOUNTS["instagram"], "token_env": "IG"},
    {"kind": "youtube", "channel_id": ACCOUNTS["youtube"], "token_env": "YT"},
    {"kind": "x", "user_id": ACCOUNTS["x"], "token_env": "XT"},
]
LONG = ("पुणे महानगरपालिका " * 400)[:4990] + " 🙏🏽 end"  # 5,000 characters
TEXTS = [
    "आमच्या गल्लीत तीन दिवसांपासून पाणी नाही",  # Marathi
    "सड़क पर बहुत बड़े गड्ढे हैं, कृपया जल्दी ठीक करें",  # Hindi
    "Garbage not collected on FC Road since Monday.",
    "🚧🕳️🚗💥 again!!",
    "family 👨‍👩‍👧‍👦 and क्‍ष / ज्ञ with zero-width joiners\u200d\u200c",
    LONG,
    "  leading and trailing spaces, tab\tand\nnewline  ",
    "<b>not html</b> & \"quotes\" 'single' \\ backslash",
]
NAMES = ["अमोल पाटील", "Priya S.", "राहुल", "👩‍💻 coder", "o'brien", "ज्ञानेश्वर"]
START = 1_780_000_000


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class SimulatedCrash(Exception):
    """The process died mid-fetch (power cut, OOM kill): nothing after this point happens."""


class CrashableSession(requests.Session):
    """A session that can be armed to die after a number of requests."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_in: int | None = None

    def request(self, *args, **kwargs):  # type: ignore[override]
        if self.crash_in is not None:
            self.crash_in -= 1
            if self.crash_in < 0:
                self.crash_in = None
                raise SimulatedCrash()
        return super().request(*args, **kwargs)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


class World:
    """The emulator, the connectors, and what the test expects to be fetched."""

    def __init__(self, fault_rate: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = FakeClock(START)
        self.emu = PlatformEmulator(fault_rate=fault_rate, seed=seed, clock=self.clock)
        self.session = CrashableSession()
        adapter = EmulatorAdapter(self.emu)
        for prefix in BASE_URLS:
            self.session.mount(prefix, adapter)
        built = build_connectors(ENTRIES, sessions=dict.fromkeys(ACCOUNTS, self.session), env=ENV,
                                 retry=policy(sleep=self.clock.sleep), clock=self.clock)
        self.connectors: dict[str, Connector] = {c.platform: c for c in built}
        self.posts: dict[str, list[str]] = {p: [] for p in ACCOUNTS}
        self.expected: dict[str, dict] = {}
        self.by_platform: dict[str, list[str]] = {p: [] for p in ACCOUNTS}
        self.cursors: dict[str, str | None] = dict.fromkeys(ACCOUNTS)
        self.delivered: dict[str, Comment] = {}
        self.interrupted = Counter()

    def add_posts(self, per_platform: int, created: float) -> None:
        for platform, account in ACCOUNTS.items():
            for _ in range(per_platform):
                self.posts[platform].append(self.emu.add_post(platform, account, f"Post {len(self.posts[platform])} "
                                                              "पुणे", iso(created)).id)

    def add_comments(self, count: int, created_range: tuple[float, float], reply_share: float,
                     old_threads: bool = False) -> None:
        platforms = list(ACCOUNTS)
        for i in range(count):
            platform = platforms[i % 4]
            text = TEXTS[self.rng.randrange(len(TEXTS))] + f" #{len(self.expected)}"
            author_no = self.rng.randrange(500)  # one name per author id, as on the platforms
            author = {"id": str(10_000 + author_no), "name": NAMES[author_no % len(NAMES)]}
            created = int(self.rng.uniform(*created_range))
            parent = None
            existing = self.by_platform[platform]
            if existing and self.rng.random() < reply_share:
                # Old threads: answer one of the first comments ever made on this platform.
                pool = existing[:20] if old_threads else existing
                parent = pool[self.rng.randrange(len(pool))]
            post = self.posts[platform][self.rng.randrange(len(self.posts[platform]))]
            comment = self.emu.add_comment(platform, post, text, author, parent_id=parent, created_time=iso(created))
            self.by_platform[platform].append(comment.id)
            self.expected[comment.id] = {"platform": platform, "text": text, "author_id": author["id"],
                                         "author_name": author["name"],
                                         "created_at": datetime.fromtimestamp(created, UTC)}

    def run_cycle(self, crash_chance: float = 0.0) -> None:
        """One ingest cycle per platform, re-run after any interruption, as the scheduler would."""
        for platform, connector in self.connectors.items():
            for _attempt in range(40):
                if self.rng.random() < crash_chance:
                    self.session.crash_in = self.rng.randrange(1, 25)
                try:
                    result = connector.fetch_new(self.cursors[platform])
                except (SimulatedCrash, RetryableError, requests.ConnectionError) as exc:
                    self.interrupted[type(exc).__name__] += 1
                    continue  # cursor not stored: the next run starts from the old one
                finally:
                    self.session.crash_in = None
                ids = [c.comment_id for c in result.comments]
                assert len(ids) == len(set(ids)), f"{platform}: duplicate inside one fetch"
                for comment in result.comments:
                    assert comment.comment_id not in self.delivered, f"{platform}: {comment.comment_id} fetched twice"
                    self.delivered[comment.comment_id] = comment
                self.cursors[platform] = result.cursor  # the jobs store it in the _state tab
                break
            else:
                pytest.fail(f"{platform}: no fetch succeeded in 40 attempts")


@pytest.fixture(scope="module")
def world() -> World:
    world = World(fault_rate=0.3, seed=20261126)
    clock = world.clock
    # Wave 1: a history of 20 days, then the first (and an immediately repeated) ingest.
    world.add_posts(20, clock() - 25 * 86400)
    world.add_comments(1200, (clock() - 20 * 86400, clock() - 3600), reply_share=0.3)
    world.run_cycle(crash_chance=0.5)
    world.run_cycle(crash_chance=0.5)
    # Wave 2: new posts, new comments and replies to the oldest threads.
    clock.sleep(3600)
    world.add_posts(5, clock() - 600)
    world.add_comments(500, (clock() - 1800, clock()), reply_share=0.5, old_threads=True)
    world.run_cycle(crash_chance=0.5)
    # Wave 3: late arrivals (created_time days older than the cursor's watermark) and more old-thread replies.
    clock.sleep(3600)
    world.add_comments(200, (clock() - 12 * 86400, clock() - 5 * 86400), reply_share=0.3, old_threads=True)
    world.add_comments(100, (clock() - 600, clock()), reply_share=0.5, old_threads=True)
    world.run_cycle(crash_chance=0.5)
    # Repeated runs an hour later (YouTube's deep scan of old threads runs at most hourly) find the rest.
    clock.sleep(3600)
    world.run_cycle()
    world.run_cycle()
    return world


def test_history_of_2000_comments_fetched_exactly_once_under_faults(world: World) -> None:
    assert len(world.expected) == 2000
    missing = set(world.expected) - set(world.delivered)
    extra = set(world.delivered) - set(world.expected)
    assert not missing and not extra, (len(missing), len(extra))
    for cid, want in world.expected.items():
        got = world.delivered[cid]
        assert (got.platform, got.text, got.author_id, got.author_name, got.created_at) == (
            want["platform"], want["text"], want["author_id"], want["author_name"], want["created_at"]), cid
        stored = world.emu.state.comments[cid]
        assert got.parent_id == stored.parent_id
        assert got.post_id == stored.post_id
        assert got.created_at.tzinfo is not None
    # The run really was hostile: faults injected and fetches interrupted and re-run.
    requests_made = sum(world.emu.stats.values())
    print(f"\n2000 comments, {requests_made} platform requests, {world.emu.faults.total} faults "
          f"{dict(world.emu.faults.injected)}, interruptions {dict(world.interrupted)}")
    assert world.emu.faults.total >= 0.25 * requests_made and world.emu.faults.total > 40
    assert world.interrupted["SimulatedCrash"] >= 4


def test_long_and_joined_texts_survive_byte_for_byte(world: World) -> None:
    long_ones = [c for c in world.delivered.values() if c.text.startswith(LONG)]
    assert long_ones and all(len(c.text) >= 5000 for c in long_ones)
    assert {c.platform for c in long_ones} == set(ACCOUNTS)
    zwj = [c for c in world.delivered.values() if "\u200d" in c.text]
    assert zwj and all(c.text == world.expected[c.comment_id]["text"] for c in zwj)


def test_replies_exactly_once_with_drops_after_apply_and_states_under_faults(world: World) -> None:
    rng = random.Random(7)
    replies_sent: dict[str, tuple[str, str]] = {}
    drops = 0
    for platform, connector in world.connectors.items():
        # Top-level comments (Instagram refuses replies to replies) plus, elsewhere, replies in busy threads.
        candidates = [cid for cid in world.by_platform[platform]
                      if world.emu.state.comments[cid].parent_id is None and not world.emu.state.comments[cid].hidden]
        targets = rng.sample(candidates, 8)
        if platform != "instagram":
            targets += [cid for cid in world.by_platform[platform] if world.emu.state.comments[cid].parent_id][:4]
        for n, cid in enumerate(targets):
            text = f"PMC reply {platform} {n}: काम सुरू आहे"
            if n % 2 == 0:
                world.emu.drop_next_reply_after_apply = True
                drops += 1
            for _attempt in range(10):
                try:
                    reply_id, _ = connector.post_reply(cid, text)
                    break
                except (RetryableError, requests.ConnectionError):
                    continue  # the next cycle tries again; post_reply itself looks before re-sending
            else:
                pytest.fail(f"{platform}: reply to {cid} never went through")
            world.emu.drop_next_reply_after_apply = False
            replies_sent[cid] = (platform, reply_id)
    api_replies = Counter((p, r.text) for p in ACCOUNTS for r in world.emu.replies(p) if r.via == "api")
    assert len(replies_sent) == 4 * 8 + 3 * 4
    assert all(count == 1 for count in api_replies.values()), api_replies
    assert sum(api_replies.values()) == len(replies_sent)
    # comment_states sees each reply (and the hidden / deleted ones) through the same faults.
    for platform, connector in world.connectors.items():
        mine = [cid for cid, (p, _) in replies_sent.items() if p == platform]
        gone, hidden = mine[0], world.by_platform[platform][-1]
        world.emu.delete_comment(gone)
        world.emu.hide_comment(hidden)
        for _attempt in range(10):
            try:
                states = connector.comment_states(mine + [hidden])
                break
            except (RetryableError, requests.ConnectionError):
                continue
        assert states[gone].state == "deleted"
        for cid in mine[1:]:
            assert states[cid].own_reply_id == replies_sent[cid][1], (platform, cid)
        if platform != "x":
            assert states[hidden].state == "hidden"
    print(f"\n{len(replies_sent)} replies, {drops} dropped after apply, duplicates 0")
