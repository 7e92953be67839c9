"""Connectors against the platform emulator: fetching, replies, moderation, states, errors, config, webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
import requests

from sheets_sync.connectors import (
    Comment,
    Connector,
    FacebookConnector,
    InstagramConnector,
    PaginationLoopError,
    Paginator,
    ReplyRefused,
    XConnector,
    YouTubeConnector,
    build_connectors,
)
from sheets_sync.connectors.webhook import WebhookReceiver, parse_events, serve_webhook_in_thread
from sheets_sync.emulator.http import EmuRequest, json_response
from sheets_sync.emulator.platforms import PlatformEmulator
from sheets_sync.emulator.transport import mount
from sheets_sync.errors import AuthError, BudgetExhausted, ConfigError
from sheets_sync.retry import policy

PAGE, IG_USER, CHANNEL, X_USER = "1001", "17841400000000001", "UCpmc0000000000000000001", "42"
ENV = {"FB_PAGE_TOKEN": "fb-secret-token", "IG_TOKEN": "ig-secret-token", "YT_TOKEN": "yt-secret-token",
       "X_TOKEN": "x-secret-token"}
ENTRIES = [
    {"kind": "facebook", "page_id": PAGE, "token_env": "FB_PAGE_TOKEN"},
    {"kind": "instagram", "ig_user_id": IG_USER, "token_env": "IG_TOKEN"},
    {"kind": "youtube", "channel_id": CHANNEL, "token_env": "YT_TOKEN", "daily_quota": 10_000},
    {"kind": "x", "user_id": X_USER, "token_env": "X_TOKEN"},
]


class FakeClock:
    """A clock that only moves when slept on: retries cost no real time."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> PlatformEmulator:
    emulator = PlatformEmulator(clock=clock)
    for platform, token in (("facebook", "fb-secret-token"), ("instagram", "ig-secret-token"),
                            ("youtube", "yt-secret-token"), ("x", "x-secret-token")):
        emulator.register_token(platform, token)
    return emulator


def connectors(emu: PlatformEmulator, clock: FakeClock, entries=ENTRIES) -> dict[str, Connector]:
    session = emu.session()
    built = build_connectors(entries, sessions={k: session for k in ("facebook", "instagram", "youtube", "x")},
                             env=ENV, retry=policy(sleep=clock.sleep), clock=clock)
    return {c.platform: c for c in built}


def seed_all(emu: PlatformEmulator) -> dict[str, dict[str, str]]:
    """One post and two citizen comments (one a reply) per platform."""
    out: dict[str, dict[str, str]] = {}
    for platform, account in (("facebook", PAGE), ("instagram", IG_USER), ("youtube", CHANNEL), ("x", X_USER)):
        post = emu.add_post(platform, account, f"{platform} post")
        top = emu.add_comment(platform, post.id, "पाणी नाही 💧", {"id": "100", "name": "Asha"},
                              created_time="2026-05-01T08:00:00+05:30")
        reply = emu.add_comment(platform, post.id, "मलाही!", {"id": "101", "name": "Ravi"}, parent_id=top.id)
        out[platform] = {"post": post.id, "top": top.id, "reply": reply.id}
    return out


# ---- interface and fetching --------------------------------------------------------------------------


def test_every_connector_satisfies_the_interface_and_fetches_once(emu, clock) -> None:
    ids = seed_all(emu)
    for platform, connector in connectors(emu, clock).items():
        assert isinstance(connector, Connector) and connector.platform == platform
        first = connector.fetch_new(None)
        got = {c.comment_id: c for c in first.comments}
        assert set(got) == {ids[platform]["top"], ids[platform]["reply"]}, platform
        top = got[ids[platform]["top"]]
        assert top.text == "पाणी नाही 💧" and top.author_id == "100"
        assert top.created_at == datetime(2026, 5, 1, 2, 30, tzinfo=UTC)
        assert got[ids[platform]["reply"]].parent_id == ids[platform]["top"]
        assert top.permalink.startswith("https://")
        json.loads(first.cursor)  # an opaque JSON string for the _state tab
        assert connector.fetch_new(first.cursor).comments == [], platform


def test_every_connector_names_its_account_and_state_keys(emu, clock) -> None:
    accounts = {"facebook": PAGE, "instagram": IG_USER, "youtube": CHANNEL, "x": X_USER}
    for platform, connector in connectors(emu, clock).items():
        account = accounts[platform]
        assert connector.account_id == account
        assert connector.cursor_key == f"cursor:{platform}:{account}"
        assert connector.quota_key == f"quota:{platform}:{account}"
        assert connector.status_key == f"status_at:{platform}:{account}"
        if platform != "youtube":  # only YouTube counts quota units across runs
            assert connector.quota_state() is None
            assert connector.restore_quota('{"day": 1, "units": 5}') is None


def test_own_replies_are_not_fetched_as_citizen_comments(emu, clock) -> None:
    ids = seed_all(emu)
    conns = connectors(emu, clock)
    cursors = {p: c.fetch_new(None).cursor for p, c in conns.items()}
    for platform, connector in conns.items():
        connector.post_reply(ids[platform]["top"], "धन्यवाद, we are on it")
        emu.owner_reply(ids[platform]["reply"], "Done")
        assert connector.fetch_new(cursors[platform]).comments == [], platform


def test_post_titles_for_the_posts_register(emu, clock) -> None:
    seed_all(emu)
    conns = connectors(emu, clock)
    for platform in ("facebook", "instagram", "youtube"):
        comment = conns[platform].fetch_new(None).comments[0]
        assert comment.post_title == f"{platform} post" and comment.post_published_at is not None
        assert comment.post_link


# ---- replies, moderation, states -----------------------------------------------------------------------


def test_reply_exactly_once_when_the_connection_drops_after_apply(emu, clock) -> None:
    ids = seed_all(emu)
    for platform, connector in connectors(emu, clock).items():
        emu.drop_next_reply_after_apply = True
        reply_id, posted = connector.post_reply(ids[platform]["top"], "Reply once")
        replies = [r for r in emu.replies(platform) if r.text == "Reply once"]
        assert [r.id for r in replies] == [reply_id], platform
        assert posted.tzinfo is not None


def test_after_a_drop_a_native_answer_is_not_mistaken_for_ours(emu, clock) -> None:
    ids = seed_all(emu)
    for platform, connector in connectors(emu, clock).items():
        native = emu.owner_reply(ids[platform]["top"], "native answer")
        emu.drop_next_reply_after_apply = True
        reply_id, _ = connector.post_reply(ids[platform]["top"], "our answer")
        assert reply_id != native.id
        assert [r.id for r in emu.replies(platform) if r.via == "api"] == [reply_id], platform


def test_comment_states_hidden_deleted_native_and_own(emu, clock) -> None:
    ids = seed_all(emu)
    conns = connectors(emu, clock)
    for platform, connector in conns.items():
        extra = emu.add_comment(platform, ids[platform]["post"], "spam", {"id": "666", "name": "Spam"})
        third = emu.add_comment(platform, ids[platform]["post"], "thanks", {"id": "102", "name": "Mina"})
        emu.delete_comment(ids[platform]["reply"])
        emu.hide_comment(extra.id)  # a moderator hides it on the platform
        native = emu.owner_reply(ids[platform]["top"], "Answered in the app")
        sent_id, _ = connector.post_reply(third.id, "Sent by sheets-sync")
        states = connector.comment_states([ids[platform]["top"], ids[platform]["reply"], extra.id, third.id])
        assert states[ids[platform]["reply"]].state == "deleted", platform
        top = states[ids[platform]["top"]]
        assert (top.state, top.own_reply_id, top.own_reply_text) == ("visible", native.id, "Answered in the app")
        assert states[third.id].own_reply_id == sent_id and states[third.id].own_reply_text == "Sent by sheets-sync"
        # X does not report hidden replies; every other platform does.
        assert states[extra.id].state == ("visible" if platform == "x" else "hidden"), platform
        assert connector.find_own_reply(ids[platform]["top"])[0] == native.id


def test_refused_replies_carry_a_reason_for_the_row(emu, clock) -> None:
    ids = seed_all(emu)
    conns = connectors(emu, clock)
    for platform, connector in conns.items():
        emu.delete_comment(ids[platform]["reply"])
        with pytest.raises(ReplyRefused) as refused:
            connector.post_reply(ids[platform]["reply"], "too late")
        assert refused.value.reason and platform in str(refused.value)
    with pytest.raises(ReplyRefused, match="too long") as refused:
        conns["x"].post_reply(ids["x"]["top"], "x" * 281)
    assert refused.value.reason == "Your Tweet text is too long."
    with pytest.raises(ReplyRefused) as refused:
        conns["facebook"].post_reply(ids["facebook"]["top"], "x" * 8001)
    assert refused.value.reason == "The message is too long (at most 8000 characters)."
    emu.hide_comment(ids["instagram"]["top"])
    with pytest.raises(ReplyRefused, match="[Hh]idden"):
        conns["instagram"].post_reply(ids["instagram"]["top"], "hello")
    assert all(r.via != "api" for p in ("facebook", "instagram", "x") for r in emu.replies(p))


# ---- errors, limits, budgets ---------------------------------------------------------------------------


def test_expired_token_on_one_platform_leaves_the_others_working(emu, clock) -> None:
    seed_all(emu)
    conns = connectors(emu, clock)
    assert all(c.check() for c in conns.values())  # what `sheets-sync doctor` calls
    emu.expire_token("facebook")
    with pytest.raises(AuthError):
        conns["facebook"].check()
    with pytest.raises(AuthError) as error:
        conns["facebook"].fetch_new(None)
    message = str(error.value)
    assert message.startswith("facebook:") and "code 190" in message and "FB_PAGE_TOKEN" in message
    assert "pages_manage_engagement" in message and "fb-secret-token" not in message
    for platform in ("instagram", "youtube", "x"):
        assert len(conns[platform].fetch_new(None).comments) == 2
    emu.expire_token("x")
    with pytest.raises(AuthError, match=r"^x: .*X_TOKEN"):
        conns["x"].fetch_new(None)
    emu.expire_token("youtube")
    with pytest.raises(AuthError, match=r"^youtube: .*YT_TOKEN"):
        conns["youtube"].fetch_new(None)


def test_youtube_counts_quota_units_and_stops_before_the_cap(emu, clock) -> None:
    ids = seed_all(emu)
    entries = [dict(ENTRIES[2], daily_quota=120)]
    youtube = connectors(emu, clock, entries)["youtube"]
    assert isinstance(youtube, YouTubeConnector)
    youtube.fetch_new(None)  # 1 page of threads + 1 videos call
    assert youtube.units_used == 2
    youtube.post_reply(ids["youtube"]["top"], "first")  # 50
    youtube.post_reply(ids["youtube"]["reply"], "second")  # 1 (is the reply still there?) + 50
    assert youtube.units_used == 103
    with pytest.raises(BudgetExhausted, match="103 of 120"):
        youtube.post_reply(ids["youtube"]["top"], "third")
    # Nothing was sent past the cap (a reply to a reply addresses its author, as YouTube's UI does).
    assert [r.text for r in emu.replies("youtube")] == ["first", "@Ravi second"]
    clock.sleep(86400)  # the next Pacific day
    assert youtube.units_left == 120


def test_youtube_saves_and_restores_the_days_quota_spend(emu, clock) -> None:
    seed_all(emu)
    youtube = connectors(emu, clock, [ENTRIES[2]])["youtube"]
    youtube.fetch_new(None)
    saved = youtube.quota_state()
    again = connectors(emu, clock, [ENTRIES[2]])["youtube"]  # the next run: a new process
    again.restore_quota(saved)
    assert again.units_used == youtube.units_used == 2
    again.restore_quota(None)
    again.restore_quota("not a record")
    assert again.units_used == 2
    clock.sleep(86400)  # another Pacific day: yesterday's spend does not count
    tomorrow = connectors(emu, clock, [ENTRIES[2]])["youtube"]
    tomorrow.restore_quota(saved)
    assert tomorrow.units_used == 0


def test_youtube_shallow_scans_are_cheap_and_the_hourly_deep_scan_finds_old_threads(emu, clock) -> None:
    def ago(seconds: float) -> str:
        return datetime.fromtimestamp(int(clock() - seconds), UTC).isoformat()

    video = emu.add_post("youtube", CHANNEL, "Old video", created_time=ago(30 * 86400))
    tops = [emu.add_comment("youtube", video.id, f"old {i}", {"id": f"UC{i}", "name": f"n{i}"},
                            created_time=ago(20 * 86400 - i * 60)) for i in range(250)]
    youtube = connectors(emu, clock, [ENTRIES[2]])["youtube"]
    first = youtube.fetch_new(None)
    assert len(first.comments) == 250 and youtube.units_used == 4  # 3 pages of threads + 1 videos call
    clock.sleep(600)
    fresh = emu.add_comment("youtube", video.id, "new", {"id": "UCnew", "name": "new"})
    late = emu.add_comment("youtube", video.id, "reply to a 20-day-old thread", {"id": "UCz", "name": "z"},
                           parent_id=tops[0].id)
    second = youtube.fetch_new(first.cursor)
    assert [c.comment_id for c in second.comments] == [fresh.id] and youtube.units_used == 6  # 1 page + videos
    clock.sleep(3600)
    third = youtube.fetch_new(second.cursor)
    assert [c.comment_id for c in third.comments] == [late.id]
    assert youtube.fetch_new(third.cursor).comments == []


def test_youtube_quota_exceeded_on_the_server_is_a_budget_not_a_retry(clock) -> None:
    emu = PlatformEmulator(clock=clock, rate_limits={"youtube": {"daily_units": 3}})
    video = emu.add_post("youtube", CHANNEL, "v")
    for i in range(3):
        emu.add_comment("youtube", video.id, f"c{i}", {"id": f"UC{i}", "name": "n"})
    youtube = YouTubeConnector(emu.session(), CHANNEL, api_key="k", retry=policy(sleep=clock.sleep), clock=clock)
    youtube.fetch_new(None)
    with pytest.raises(BudgetExhausted, match="quota is exhausted"):
        youtube.comment_states([c.id for c in emu.state.comments.values()])


def test_x_rate_limit_short_wait_is_retried_long_wait_stops_the_cycle(clock) -> None:
    emu = PlatformEmulator(clock=clock, rate_limits={"x": {"limit": 2, "window_s": 60}})
    tweet = emu.add_post("x", X_USER, "t")
    emu.add_comment("x", tweet.id, "@PMCPune hi", {"id": "5", "name": "c"})
    x = XConnector(emu.session(), X_USER, "tok", retry=policy(sleep=clock.sleep), clock=clock)
    for _ in range(4):  # the third and fourth calls hit 429 and wait (on the fake clock) for the reset
        assert len(x.fetch_new(None).comments) == 1
    slow = PlatformEmulator(clock=clock, rate_limits={"x": {"limit": 1, "window_s": 900}})
    slow.add_post("x", X_USER, "t")
    x = XConnector(slow.session(), X_USER, "tok", retry=policy(sleep=clock.sleep), clock=clock)
    x.fetch_new(None)
    with pytest.raises(BudgetExhausted, match="x: rate limit"):
        x.fetch_new(None)


def test_graph_throttling_stops_calling_the_page(clock) -> None:
    emu = PlatformEmulator(clock=clock, rate_limits={"graph": {"limit": 1, "window_s": 3600}})
    post = emu.add_post("facebook", PAGE, "p")
    emu.add_comment("facebook", post.id, "c", {"id": "1", "name": "n"})
    fb = FacebookConnector(emu.session(), PAGE, "tok", retry=policy(sleep=clock.sleep), clock=clock)
    with pytest.raises(BudgetExhausted, match="facebook: throttled by Graph"):
        fb.fetch_new(None)


def test_paginator_refuses_a_repeated_token() -> None:
    pages = Paginator("facebook", "comments")
    pages.advance("abc")
    with pytest.raises(PaginationLoopError, match="Loop detected in pagination"):
        pages.advance("abc")

    class LoopingGraph:
        def handle(self, request: EmuRequest):
            return json_response(200, {"data": [], "paging": {"cursors": {"after": "SAME"}, "next": request.url}})

    session = mount(requests.Session(), LoopingGraph(), ["https://graph.facebook.com/"])
    with pytest.raises(PaginationLoopError, match="Loop detected in pagination"):
        FacebookConnector(session, PAGE, "tok").fetch_new(None)


def test_a_cursor_from_another_platform_is_refused_with_the_fix(emu, clock) -> None:
    seed_all(emu)
    conns = connectors(emu, clock)
    cursor = conns["x"].fetch_new(None).cursor
    with pytest.raises(Exception, match="_state tab"):
        conns["facebook"].fetch_new(cursor)


def test_tokens_never_show_in_repr_or_requests_urls(emu, clock) -> None:
    seed_all(emu)
    conns = connectors(emu, clock)
    seen_urls: list[str] = []
    original = emu.handle

    def spy(request: EmuRequest):
        seen_urls.append(request.url)
        return original(request)

    emu.handle = spy  # type: ignore[method-assign]
    for connector in conns.values():
        connector.fetch_new(None)
        assert "secret" not in repr(connector)
    assert seen_urls and not any("secret-token" in url for url in seen_urls)


# ---- configuration -------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry, env, expected", [
    ({"kind": "myspace", "token_env": "T"}, {"T": "t"}, r"platforms\[0\].*unknown kind 'myspace'"),
    ({"kind": "facebook", "token_env": "T"}, {"T": "t"}, r"platforms\[0\] \(kind: facebook\): missing 'page_id'"),
    ({"kind": "x", "user_id": "1"}, {}, r"missing 'token_env'"),
    ({"kind": "instagram", "ig_user_id": "1", "token_env": "IG_TOKEN"}, {}, r"IG_TOKEN .* is not set"),
    ({"kind": "youtube", "channel_id": "UC", "token_env": "T", "daily_quota": "lots"}, {"T": "t"}, "daily_quota"),
])
def test_config_errors_name_the_entry_and_the_fix(entry, env, expected) -> None:
    with pytest.raises(ConfigError, match=expected):
        build_connectors([entry], env=env)


def test_any_platform_may_be_absent_and_endpoint_is_honoured(emu, clock) -> None:
    assert build_connectors([], env={}) == []
    only_fb = build_connectors([{**ENTRIES[0], "endpoint": "http://127.0.0.1:9", "api_version": "v18.0"},
                                {**ENTRIES[3], "enabled": False}], env=ENV)
    assert [c.platform for c in only_fb] == ["facebook"]
    assert only_fb[0].base == "http://127.0.0.1:9/v18.0"
    # A YouTube session that carries its own credentials (AuthorizedSession) needs no token_env.
    youtube = build_connectors([{"kind": "youtube", "channel_id": CHANNEL}], sessions={"youtube": emu.session()},
                               env={})
    assert youtube[0].platform == "youtube"


def test_connectors_work_over_a_real_loopback_emulator(emu, clock) -> None:
    from sheets_sync.emulator.server import serve_in_thread

    ids = seed_all(emu)
    server, base = serve_in_thread(emu)
    try:
        entries = [{**entry, "endpoint": base} for entry in ENTRIES]
        built = build_connectors(entries, env=ENV, retry=policy(sleep=clock.sleep), clock=clock)
        for connector in built:
            fetched = connector.fetch_new(None).comments
            assert {c.comment_id for c in fetched} == {ids[connector.platform]["top"], ids[connector.platform]["reply"]}
    finally:
        server.shutdown()
        server.server_close()


# ---- webhook -------------------------------------------------------------------------------------------


def test_webhook_verifies_signature_and_triggers_the_callback() -> None:
    received: list = []
    receiver = WebhookReceiver(received.extend, env={"FB_APP_SECRET": "shh", "FB_WEBHOOK_VERIFY_TOKEN": "v"})
    server, base = serve_webhook_in_thread(receiver)
    try:
        ok = requests.get(f"{base}/webhook", params={"hub.mode": "subscribe", "hub.verify_token": "v",
                                                     "hub.challenge": "1158201444"}, timeout=5)
        assert (ok.status_code, ok.text) == (200, "1158201444")
        assert requests.get(f"{base}/webhook", params={"hub.mode": "subscribe", "hub.verify_token": "no",
                                                       "hub.challenge": "x"}, timeout=5).status_code == 403
        payload = json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1, "changes": [{"field": "feed", "value": {
            "item": "comment", "verb": "add", "comment_id": "1_2", "post_id": "1001_1", "parent_id": "1001_1",
            "created_time": 1, "from": {"id": "9", "name": "Asha"}, "message": "खड्डा"}}]}]}).encode()
        signature = "sha256=" + hmac.new(b"shh", payload, hashlib.sha256).hexdigest()
        bad = requests.post(f"{base}/webhook", data=payload, headers={"X-Hub-Signature-256": "sha256=00"}, timeout=5)
        assert bad.status_code == 403 and received == []
        good = requests.post(f"{base}/webhook", data=payload, headers={"X-Hub-Signature-256": signature}, timeout=5)
        assert good.status_code == 200
        assert [(e.platform, e.comment_id, e.post_id) for e in received] == [("facebook", "1_2", "1001_1")]
    finally:
        server.shutdown()
        server.server_close()
    ig = parse_events({"object": "instagram", "entry": [{"id": IG_USER, "changes": [
        {"field": "comments", "value": {"id": "17865799348089039", "text": "hi", "media": {"id": "123"}}}]}]})
    assert ig[0].comment_id == "17865799348089039" and ig[0].platform == "instagram"
    with pytest.raises(ConfigError, match="FB_APP_SECRET"):
        WebhookReceiver(received.extend, env={})


def test_comment_is_frozen_and_ids_stay_strings(emu, clock) -> None:
    ids = seed_all(emu)
    comment = connectors(emu, clock)["instagram"].fetch_new(None).comments[0]
    assert isinstance(comment, Comment) and isinstance(comment.comment_id, str)
    assert comment.comment_id in (ids["instagram"]["top"], ids["instagram"]["reply"])
    with pytest.raises(AttributeError):
        comment.text = "changed"  # type: ignore[misc]
    assert InstagramConnector.platform == "instagram"


def test_cursor_fits_a_sheet_cell_and_drops_the_oldest_ids_first() -> None:
    from sheets_sync.connectors.base import MAX_CURSOR_CHARS, SeenCursor

    cursor = SeenCursor(watermark=2_000_000, seen={f"17850000000{i:06d}": 1_000_000 + i for i in range(5000)})
    text = cursor.dump("instagram", horizon=1_000_100)
    assert len(text) <= MAX_CURSOR_CHARS
    kept = SeenCursor.load(text, "instagram").seen
    assert "17850000000004999" in kept and "17850000000000100" not in kept  # newest kept, oldest dropped
    assert all(created >= 1_000_100 for created in kept.values())


# ---- Instagram: comments_count is a hint, not proof ---------------------------------------------------


def _instagram(emu: PlatformEmulator, clock: FakeClock, **options) -> InstagramConnector:
    return InstagramConnector(emu.session(), IG_USER, token="ig-secret-token", retry=policy(sleep=clock.sleep),
                              clock=clock, **options)


def test_instagram_finds_a_comment_added_while_another_was_deleted(emu, clock) -> None:
    """Between two cycles one comment is deleted and another added: comments_count is unchanged, yet the new
    comment must be fetched (the media is recent, so it is re-read whatever its count says)."""
    media = emu.add_post("instagram", IG_USER, "Ward 12 water supply")
    first = emu.add_comment("instagram", media.id, "No water since Monday", {"id": "100", "name": "asha"})
    emu.add_comment("instagram", media.id, "Same here", {"id": "101", "name": "ravi"})
    ig = _instagram(emu, clock)
    before = ig.fetch_new(None)
    assert len(before.comments) == 2
    emu.delete_comment(first.id)
    clock.now += 300
    added = emu.add_comment("instagram", media.id, "Still no water", {"id": "102", "name": "mina"})
    after = ig.fetch_new(before.cursor)
    assert [c.comment_id for c in after.comments] == [added.id]
    assert json.loads(after.cursor)["x"]["counts"] == json.loads(before.cursor)["x"]["counts"]  # count equal


def test_instagram_old_media_count_shortcut_only_delays_until_the_deep_scan(emu, clock) -> None:
    """On media older than the hot window the count shortcut is used between deep scans: an equal count may
    hide a new comment for at most ``deep_scan_minutes``, never longer."""
    old = emu.add_post("instagram", IG_USER, "Old media", created_time="2026-05-01T08:00:00+00:00")
    gone = emu.add_comment("instagram", old.id, "First", {"id": "100", "name": "asha"},
                           created_time="2026-05-01T09:00:00+00:00")
    emu.add_post("instagram", IG_USER, "New media", created_time="2026-05-20T08:00:00+00:00")
    ig = _instagram(emu, clock, hot_days=7, deep_scan_minutes=60)
    cursor = ig.fetch_new(None).cursor
    emu.delete_comment(gone.id)
    added = emu.add_comment("instagram", old.id, "Second", {"id": "101", "name": "ravi"})
    clock.now += 10 * 60
    shallow = ig.fetch_new(cursor)  # old media, count unchanged, no deep scan due: not re-read yet
    assert shallow.comments == []
    clock.now += 60 * 60
    deep = ig.fetch_new(shallow.cursor)
    assert [c.comment_id for c in deep.comments] == [added.id]
    assert ig.fetch_new(deep.cursor).comments == []
