"""The platform emulator on its own: response shapes, paging, errors, limits, admin API, faults, persistence."""

from __future__ import annotations

import json

import pytest
import requests

from sheets_sync.emulator.http import EmuRequest
from sheets_sync.emulator.platforms import PlatformEmulator
from sheets_sync.emulator.server import serve_in_thread

GRAPH = "https://graph.facebook.com/v19.0"
YT = "https://www.googleapis.com/youtube/v3"
X = "https://api.x.com/2"
AUTH = {"Authorization": "Bearer token"}
PAGE, IG_USER, CHANNEL, X_USER = "1001", "17841400000000001", "UCpmc0000000000000000001", "42"


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def admin(emu: PlatformEmulator, method: str, path: str, body: dict | None = None):
    """Call the admin API through ``handle``, as any client would."""
    response = emu.handle(EmuRequest(method, f"http://emulator{path}", {"Content-Type": "application/json"},
                                     json.dumps(body).encode() if body is not None else b""))
    assert response.status < 300, response.body
    return response.json()


@pytest.fixture
def emu() -> PlatformEmulator:
    return PlatformEmulator(clock=FakeClock())


def seed_fb(emu: PlatformEmulator, n: int = 30) -> tuple[str, list[str]]:
    post = admin(emu, "POST", "/_emulator/posts", {"platform": "facebook", "account_id": PAGE, "text": "Road works"})
    ids = []
    for i in range(n):
        ids.append(admin(emu, "POST", "/_emulator/comments", {
            "platform": "facebook", "post_id": post["id"], "text": f"comment {i}",
            "author": {"id": f"u{i}", "name": f"User {i}"}, "created_time": f"2026-05-01T10:{i:02d}:00+00:00",
            **({"parent_id": ids[0]} if i % 5 == 4 else {})})["id"])
    return post["id"], ids


def test_graph_stream_paging_ends_without_next(emu: PlatformEmulator) -> None:
    post_id, ids = seed_fb(emu)
    session = emu.session()
    seen, after, pages = [], None, 0
    while True:
        params = {"filter": "stream", "order": "reverse_chronological", "limit": 7,
                  "fields": "id,message,from{id,name},created_time,parent{id}"}
        if after:
            params["after"] = after
        body = session.get(f"{GRAPH}/{post_id}/comments", params=params, headers=AUTH).json()
        pages += 1
        seen += [c["id"] for c in body["data"]]
        assert set(body["data"][0]) <= {"id", "message", "from", "created_time", "parent"}
        if "next" not in body.get("paging", {}):
            break
        after = body["paging"]["cursors"]["after"]
    assert pages == 5 and seen == list(reversed(ids))
    top_only = session.get(f"{GRAPH}/{post_id}/comments", params={"limit": 100}, headers=AUTH).json()
    assert len(top_only["data"]) == 24  # default filter=toplevel hides the 6 replies


def test_graph_deleted_hidden_and_errors(emu: PlatformEmulator) -> None:
    post_id, ids = seed_fb(emu, 3)
    session = emu.session()
    admin(emu, "POST", f"/_emulator/comments/{ids[1]}/hide", {})
    body = session.get(f"{GRAPH}/{ids[1]}", params={"fields": "id,is_hidden"}, headers=AUTH).json()
    assert body == {"id": ids[1], "is_hidden": True}
    admin(emu, "DELETE", f"/_emulator/comments/{ids[2]}")
    gone = session.get(f"{GRAPH}/{ids[2]}", headers=AUTH)
    assert gone.status_code == 400
    assert gone.json()["error"]["code"] == 100 and gone.json()["error"]["error_subcode"] == 33
    assert session.get(f"{GRAPH}/{ids[0]}").json()["error"]["code"] == 104  # no token
    emu.expire_token("facebook")
    expired = session.get(f"{GRAPH}/{ids[0]}", headers=AUTH).json()["error"]
    assert expired["code"] == 190 and expired["error_subcode"] == 463


def test_instagram_top_level_newest_first_with_replies_edge(emu: PlatformEmulator) -> None:
    media = emu.add_post("instagram", IG_USER, "Caption")
    top = emu.add_comment("instagram", media.id, "first", {"id": "9", "name": "asha"}, created_time="2026-05-01T10:00:00")
    emu.add_comment("instagram", media.id, "second", {"id": "8", "name": "ravi"}, created_time="2026-05-01T11:00:00")
    reply = emu.add_comment("instagram", media.id, "re", {"id": "7", "name": "mina"}, parent_id=top.id)
    body = emu.session().get(f"{GRAPH}/{media.id}/comments", headers=AUTH, params={
        "fields": "id,text,timestamp,hidden,replies{id,text}"}).json()
    assert [c["text"] for c in body["data"]] == ["second", "first"]
    assert body["data"][1]["replies"]["data"] == [{"id": reply.id, "text": "re"}]
    assert body["data"][0]["timestamp"] == "2026-05-01T11:00:00+0000"
    assert top.id.isdigit() and len(top.id) == 17
    refused = emu.session().post(f"{GRAPH}/{reply.id}/replies", data={"message": "x"}, headers=AUTH)
    assert refused.status_code == 400  # only top-level comments can be replied to


def test_youtube_threads_replies_and_quota() -> None:
    emu = PlatformEmulator(clock=FakeClock(), rate_limits={"youtube": {"daily_units": 60}})
    video = emu.add_post("youtube", CHANNEL, "Budget 2026")
    top = emu.add_comment("youtube", video.id, "question", {"id": "UCa", "name": "A"})
    for i in range(7):
        emu.add_comment("youtube", video.id, f"reply {i}", {"id": f"UCr{i}", "name": f"R{i}"}, parent_id=top.id)
    session = emu.session()
    threads = session.get(f"{YT}/commentThreads", params={
        "part": "snippet,replies", "allThreadsRelatedToChannelId": CHANNEL, "key": "k"}).json()
    thread = threads["items"][0]
    assert thread["snippet"]["totalReplyCount"] == 7 and len(thread["replies"]["comments"]) == 5
    replies = session.get(f"{YT}/comments", params={"part": "snippet", "parentId": top.id, "maxResults": 4,
                                                    "key": "k"}).json()
    assert len(replies["items"]) == 4 and "nextPageToken" in replies
    assert replies["items"][0]["id"].startswith(top.id + ".")
    # Writes need the owner's OAuth token (an API key alone is refused); the quota is the same token's.
    owner = {"Authorization": "Bearer k"}
    insert = session.post(f"{YT}/comments", params={"part": "snippet"}, headers=owner,
                          json={"snippet": {"parentId": top.id, "textOriginal": "answer"}})
    assert insert.status_code == 200  # 2 + 50 units used
    over = session.post(f"{YT}/comments", params={"part": "snippet"}, headers=owner,
                        json={"snippet": {"parentId": top.id, "textOriginal": "again"}})
    assert over.status_code == 403 and over.json()["error"]["errors"][0]["reason"] == "quotaExceeded"
    assert [r["text"] for r in admin(emu, "GET", "/_emulator/replies?platform=youtube")["replies"]] == ["answer"]


def test_x_mentions_since_id_and_rate_limit_headers() -> None:
    clock = FakeClock()
    emu = PlatformEmulator(clock=clock, rate_limits={"x": {"limit": 3, "window_s": 900}})
    tweet = emu.add_post("x", X_USER, "Water supply update")
    ids = [emu.add_comment("x", tweet.id, f"@PMCPune {i}", {"id": f"9{i}", "name": f"c{i}"}).id for i in range(12)]
    session = emu.session()
    first = session.get(f"{X}/users/{X_USER}/mentions", headers=AUTH, params={"max_results": 5})
    assert first.headers["x-rate-limit-limit"] == "3" and first.headers["x-rate-limit-remaining"] == "2"
    body = first.json()
    assert [t["id"] for t in body["data"]] == list(reversed(ids))[:5] and "next_token" in body["meta"]
    newer = session.get(f"{X}/users/{X_USER}/mentions", headers=AUTH, params={"since_id": ids[9]}).json()
    assert [t["id"] for t in newer["data"]] == [ids[11], ids[10]] and newer["meta"]["newest_id"] == ids[11]
    session.get(f"{X}/users/{X_USER}/mentions", headers=AUTH)
    limited = session.get(f"{X}/users/{X_USER}/mentions", headers=AUTH)
    assert limited.status_code == 429 and limited.json()["title"] == "Too Many Requests"
    assert int(limited.headers["x-rate-limit-reset"]) > clock()
    clock.sleep(900)
    assert session.get(f"{X}/users/{X_USER}/mentions", headers=AUTH).status_code == 200


def test_graph_throttle_reports_business_use_case_usage() -> None:
    emu = PlatformEmulator(clock=FakeClock(), rate_limits={"graph": {"limit": 2, "window_s": 3600}})
    post_id, ids = seed_fb(emu, 1)
    session = emu.session()
    for _ in range(2):
        assert session.get(f"{GRAPH}/{ids[0]}", headers=AUTH).status_code == 200
    throttled = session.get(f"{GRAPH}/{ids[0]}", headers=AUTH)
    assert throttled.json()["error"]["code"] == 32
    usage = json.loads(throttled.headers["X-Business-Use-Case-Usage"])
    assert usage[PAGE][0]["estimated_time_to_regain_access"] >= 1


def test_admin_owner_reply_replies_and_stats(emu: PlatformEmulator) -> None:
    post_id, ids = seed_fb(emu, 2)
    admin(emu, "POST", f"/_emulator/comments/{ids[0]}/owner-reply", {"text": "Fixed, thank you"})
    emu.session().post(f"{GRAPH}/{ids[1]}/comments", data={"message": "Noted"}, headers=AUTH)
    replies = admin(emu, "GET", "/_emulator/replies?platform=facebook")["replies"]
    assert [(r["parent_id"], r["via"], r["text"]) for r in replies] == [
        (ids[0], "native", "Fixed, thank you"), (ids[1], "api", "Noted")]
    stats = admin(emu, "GET", "/_emulator/stats")
    assert stats["requests"]["POST graph /{version}/{id}/comments"] == 1
    admin(emu, "POST", "/_emulator/stats/reset", {})
    assert admin(emu, "GET", "/_emulator/stats")["requests"] == {}


def test_unknown_route_is_a_named_error(emu: PlatformEmulator) -> None:
    response = emu.handle(EmuRequest("GET", "https://example.org/nothing"))
    assert response.status == 404 and "No platform emulator route" in response.body.decode()
    response = emu.handle(EmuRequest("GET", f"{YT}/playlists", {"Authorization": "Bearer t"}))
    assert response.status == 404


def test_faulted_requests_apply_nothing_and_admin_is_never_faulted() -> None:
    emu = PlatformEmulator(clock=FakeClock(), fault_rate=1.0, seed=1)
    post = admin(emu, "POST", "/_emulator/posts", {"platform": "x", "account_id": X_USER, "text": "t"})
    target = admin(emu, "POST", "/_emulator/comments", {"platform": "x", "post_id": post["id"], "text": "hi",
                                                        "author": {"id": "5", "name": "c"}})
    session = emu.session()
    for _ in range(20):
        try:
            session.post(f"{X}/tweets", headers=AUTH, json={"text": "r", "reply": {"in_reply_to_tweet_id": target["id"]}})
        except requests.ConnectionError:
            pass
    assert emu.faults.total == 20
    assert admin(emu, "GET", "/_emulator/replies?platform=x")["replies"] == []


def test_drop_after_apply_stores_the_reply_then_cuts_the_connection(emu: PlatformEmulator) -> None:
    post_id, ids = seed_fb(emu, 1)
    emu.drop_next_reply_after_apply = True
    with pytest.raises(requests.ConnectionError):
        emu.session().post(f"{GRAPH}/{ids[0]}/comments", data={"message": "hello"}, headers=AUTH)
    assert len(emu.replies("facebook")) == 1 and emu.drop_next_reply_after_apply is False


def test_persistence_survives_a_restart(tmp_path) -> None:
    first = PlatformEmulator(data_dir=str(tmp_path))
    post = first.add_post("instagram", IG_USER, "Ganeshotsav 🙏")
    comment = first.add_comment("instagram", post.id, "छान!", {"id": "3", "name": "pune_kar"})
    first.hide_comment(comment.id)
    again = PlatformEmulator(data_dir=str(tmp_path))
    assert again.state.comments[comment.id].text == "छान!" and again.state.comments[comment.id].hidden
    assert [p.name for p in tmp_path.iterdir()] == ["platforms.json"]  # no temp files left behind
    assert again.add_post("instagram", IG_USER, "next").id != post.id


def test_served_over_loopback_http(emu: PlatformEmulator) -> None:
    post_id, ids = seed_fb(emu, 3)
    server, base = serve_in_thread(emu)
    try:
        body = requests.get(f"{base}/v19.0/{post_id}/comments", params={"limit": 2}, headers=AUTH, timeout=5).json()
        assert len(body["data"]) == 2 and body["paging"]["next"].startswith(base)
        assert requests.get(body["paging"]["next"], headers=AUTH, timeout=5).json()["data"][0]["id"] == ids[2]
    finally:
        server.shutdown()
        server.server_close()


def test_tokens_admin_route_and_thread_safety(emu: PlatformEmulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    post_id, _ = seed_fb(emu, 0)
    admin(emu, "POST", "/_emulator/tokens", {"platform": "facebook", "token": "only-this"})
    session = emu.session()
    assert session.get(f"{GRAPH}/{post_id}/comments", headers=AUTH).json()["error"]["code"] == 190
    good = {"Authorization": "Bearer only-this"}

    def comment(i: int) -> int:
        admin(emu, "POST", "/_emulator/comments", {"platform": "facebook", "post_id": post_id, "text": f"c{i}",
                                                   "author": {"id": str(i), "name": "n"}})
        return emu.session().get(f"{GRAPH}/{post_id}/comments", params={"limit": 100}, headers=good).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(comment, range(80))) == {200}
    ids = [c.id for c in emu.state.comments.values()]
    assert len(ids) == len(set(ids)) == 80
    admin(emu, "POST", "/_emulator/tokens", {"platform": "facebook", "token": "only-this", "expired": True})
    assert session.get(f"{GRAPH}/{post_id}/comments", headers=good).json()["error"]["error_subcode"] == 463
