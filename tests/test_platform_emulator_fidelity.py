"""The platform emulator answers as the real APIs do where the first version diverged (issue 12).

Each test names the platform behaviour it pins: YouTube moderation, API-key writes, comments disabled, list
metadata; Graph ``since``, ``summary``, default fields, ``paging.previous``, ``?ids=``, coded errors; X
``max_results`` bounds, single-tweet lookup and OAuth 1.0a user context.
"""

from __future__ import annotations

import json

import pytest

from sheets_sync.emulator.http import EmuRequest
from sheets_sync.emulator.platforms import PlatformEmulator
from sheets_sync.emulator.platforms.common import parse_iso

GRAPH = "https://graph.facebook.com/v19.0"
YT = "https://www.googleapis.com/youtube/v3"
X = "https://api.x.com/2"
AUTH = {"Authorization": "Bearer token"}
PAGE, CHANNEL, X_USER = "1001", "UCpmc0000000000000000001", "42"
NOW = 1_780_000_000.0


@pytest.fixture
def emu() -> PlatformEmulator:
    return PlatformEmulator(clock=lambda: NOW)


def call(emu: PlatformEmulator, method: str, url: str, headers: dict | None = None, body=None):
    raw = json.dumps(body).encode() if body is not None else b""
    all_headers = {**({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
    response = emu.handle(EmuRequest(method, url, all_headers, raw))
    return response.status, response.json()


# ---- YouTube ---------------------------------------------------------------------------------------------------

@pytest.fixture
def video(emu):
    post = emu.add_post("youtube", CHANNEL, "Budget")
    tops = [emu.add_comment("youtube", post.id, f"question {i}", {"id": f"UCv{i}", "name": f"V{i}"})
            for i in range(3)]
    return post, tops


def test_youtube_comments_by_id_never_set_moderation_status(emu, video) -> None:
    _, tops = video
    emu.hide_comment(tops[0].id)  # held for review
    status, body = call(emu, "GET", f"{YT}/comments?part=snippet&id={tops[0].id},{tops[1].id}", AUTH)
    assert status == 200 and len(body["items"]) == 2  # held comments are still answered by id
    assert all("moderationStatus" not in item["snippet"] for item in body["items"])


def test_youtube_threads_honour_moderation_status(emu, video) -> None:
    _, tops = video
    emu.hide_comment(tops[0].id)
    call(emu, "POST", f"http://emulator/_emulator/comments/{tops[1].id}/moderation", body={"status": "likelySpam"})
    base = f"{YT}/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId={CHANNEL}"
    _, published = call(emu, "GET", base, AUTH)  # published is the default
    assert [t["id"] for t in published["items"]] == [tops[2].id]
    assert published["items"][0]["snippet"]["topLevelComment"]["snippet"]["moderationStatus"] == "published"
    _, held = call(emu, "GET", base + "&moderationStatus=heldForReview", AUTH)
    assert [t["id"] for t in held["items"]] == [tops[0].id]
    assert held["items"][0]["snippet"]["topLevelComment"]["snippet"]["moderationStatus"] == "heldForReview"
    _, spam = call(emu, "GET", base + "&moderationStatus=likelySpam", AUTH)
    assert [t["id"] for t in spam["items"]] == [tops[1].id]
    # Only the owner (OAuth) may list held comments; an API key is refused.
    status, body = call(emu, "GET", base + "&moderationStatus=heldForReview&key=k")
    assert status == 403 and body["error"]["errors"][0]["reason"] == "forbidden"
    status, body = call(emu, "GET", base + "&moderationStatus=bogus", AUTH)
    assert status == 400


def test_youtube_writes_refuse_an_api_key_alone(emu, video) -> None:
    _, tops = video
    status, body = call(emu, "POST", f"{YT}/comments?part=snippet&key=k",
                        body={"snippet": {"parentId": tops[0].id, "textOriginal": "hi"}})
    assert status == 401 and body["error"]["errors"][0]["reason"] == "required"
    assert body["error"]["status"] == "UNAUTHENTICATED"
    status, _ = call(emu, "POST", f"{YT}/comments/setModerationStatus?id={tops[0].id}&moderationStatus=rejected&key=k")
    assert status == 401
    assert not emu.state.comments[tops[0].id].hidden and emu.replies("youtube") == []
    # Reads with a key are fine; a key YouTube does not know is a 400 keyInvalid.
    assert call(emu, "GET", f"{YT}/comments?part=snippet&id={tops[0].id}&key=k")[0] == 200
    emu.register_token("youtube", "good")
    status, body = call(emu, "GET", f"{YT}/comments?part=snippet&id={tops[0].id}&key=bad")
    assert status == 400 and body["error"]["errors"][0] == {
        "message": "API key not valid. Please pass a valid API key.", "domain": "usageLimits", "reason": "keyInvalid"}


def test_youtube_comment_lists_carry_etag_and_page_info(emu, video) -> None:
    _, tops = video
    for i in range(3):
        emu.add_comment("youtube", "", f"reply {i}", {"id": "UCr", "name": "R"}, parent_id=tops[0].id)
    _, by_parent = call(emu, "GET", f"{YT}/comments?part=snippet&parentId={tops[0].id}&maxResults=2", AUTH)
    assert by_parent["kind"] == "youtube#commentListResponse" and isinstance(by_parent["etag"], str)
    assert by_parent["pageInfo"]["resultsPerPage"] == 2 and "nextPageToken" in by_parent
    assert all(isinstance(item["etag"], str) for item in by_parent["items"])
    _, by_id = call(emu, "GET", f"{YT}/comments?part=snippet&id={tops[1].id}", AUTH)
    assert "etag" in by_id and "pageInfo" in by_id


def test_youtube_comments_disabled_video(emu, video) -> None:
    post, tops = video
    status, _ = call(emu, "POST", f"http://emulator/_emulator/videos/{post.id}/comments", body={"disabled": True})
    assert status == 200
    status, body = call(emu, "GET", f"{YT}/commentThreads?part=snippet&videoId={post.id}", AUTH)
    assert status == 403 and body["error"]["errors"][0]["reason"] == "commentsDisabled"
    status, body = call(emu, "POST", f"{YT}/comments?part=snippet", AUTH,
                        {"snippet": {"parentId": tops[0].id, "textOriginal": "hi"}})
    assert status == 403 and body["error"]["errors"][0]["reason"] == "commentsDisabled"
    call(emu, "POST", f"http://emulator/_emulator/videos/{post.id}/comments", body={"disabled": False})
    assert call(emu, "GET", f"{YT}/commentThreads?part=snippet&videoId={post.id}", AUTH)[0] == 200


# ---- Graph -----------------------------------------------------------------------------------------------------

@pytest.fixture
def fb_post(emu):
    post = emu.add_post("facebook", PAGE, "Roads")
    comments = [emu.add_comment("facebook", post.id, f"c{i}", {"id": f"u{i}", "name": f"U{i}"},
                                created_time=f"2026-05-0{i + 1}T10:00:00+00:00") for i in range(5)]
    return post, comments


def test_graph_since_filters_comment_edges(emu, fb_post) -> None:
    post, comments = fb_post
    since = parse_iso("2026-05-03T00:00:00+00:00")
    _, body = call(emu, "GET", f"{GRAPH}/{post.id}/comments?fields=id&since={since}", AUTH)
    assert [c["id"] for c in body["data"]] == [c.id for c in comments[2:]]
    _, body = call(emu, "GET", f"{GRAPH}/{post.id}/comments?fields=id&since=2026-05-04T00:00:00%2B0000", AUTH)
    assert [c["id"] for c in body["data"]] == [c.id for c in comments[3:]]


def test_graph_summary_total_count(emu, fb_post) -> None:
    post, _ = fb_post
    _, body = call(emu, "GET", f"{GRAPH}/{post.id}/comments?fields=id&limit=2&summary=true", AUTH)
    assert body["summary"] == {"order": "chronological", "total_count": 5, "can_comment": True}
    _, body = call(emu, "GET", f"{GRAPH}/{post.id}/comments?fields=id&limit=2", AUTH)
    assert "summary" not in body


def test_graph_default_fields_without_fields(emu, fb_post) -> None:
    post, comments = fb_post
    _, body = call(emu, "GET", f"{GRAPH}/{post.id}/comments", AUTH)
    assert set(body["data"][0]) == {"created_time", "message", "id"}
    _, one = call(emu, "GET", f"{GRAPH}/{comments[0].id}", AUTH)
    assert set(one) == {"created_time", "message", "id"}
    media = emu.add_post("instagram", "17841400000000001", "Ward office")
    emu.add_comment("instagram", media.id, "nice", {"id": "9", "name": "nine"})
    _, ig = call(emu, "GET", f"{GRAPH}/{media.id}/comments", AUTH)
    assert set(ig["data"][0]) == {"timestamp", "text", "id"}


def test_graph_paging_previous_only_after_the_first_page(emu, fb_post) -> None:
    post, comments = fb_post
    _, first = call(emu, "GET", f"{GRAPH}/{post.id}/comments?fields=id&limit=2", AUTH)
    assert "previous" not in first["paging"] and "next" in first["paging"]
    _, second = call(emu, "GET", first["paging"]["next"], AUTH)
    assert [c["id"] for c in second["data"]] == [c.id for c in comments[2:4]]
    assert "previous" in second["paging"]
    _, back = call(emu, "GET", second["paging"]["previous"], AUTH)
    assert [c["id"] for c in back["data"]] == [c.id for c in comments[:2]]
    assert "previous" not in back["paging"] and "next" in back["paging"]


def test_graph_ids_on_the_root(emu, fb_post) -> None:
    _, comments = fb_post
    ids = ",".join(c.id for c in comments[:3])
    status, body = call(emu, "GET", f"{GRAPH}/?ids={ids}&fields=id,message", AUTH)
    assert status == 200 and set(body) == {c.id for c in comments[:3]}
    assert body[comments[0].id] == {"id": comments[0].id, "message": "c0"}
    emu.delete_comment(comments[1].id)
    status, body = call(emu, "GET", f"{GRAPH}/?ids={ids},nope&fields=id", AUTH)
    assert status == 400 and body["error"]["code"] == 803 and body["error"]["type"] == "OAuthException"
    assert body["error"]["message"] == f"(#803) Some of the aliases you requested do not exist: {comments[1].id},nope"
    many = ",".join(str(i) for i in range(51))
    status, body = call(emu, "GET", f"{GRAPH}/?ids={many}", AUTH)
    assert status == 400 and body["error"]["code"] == 100


@pytest.mark.parametrize("code,transient", [(1, True), (2, True), (4, True), (17, True), (32, True), (613, True),
                                            (80001, True), (80014, True), (10, False), (200, False), (299, False),
                                            (190, False), (368, False), (100, False), (33, False), (803, False)])
def test_graph_coded_faults_on_demand(emu, fb_post, code, transient) -> None:
    post, _ = fb_post
    status, _ = call(emu, "POST", "http://emulator/_emulator/faults", body={"platform": "graph", "code": code,
                                                                           "count": 2})
    assert status == 200
    for _ in range(2):
        status, body = call(emu, "GET", f"{GRAPH}/{post.id}/comments?fields=id", AUTH)
        error = body["error"]
        assert status >= 400 and error["code"] == code
        assert {"message", "type", "code", "fbtrace_id"} <= set(error)
        assert error.get("is_transient", False) is transient
    if code == 100:
        assert error["error_subcode"] == 33
    if code == 190:
        assert error["error_subcode"] == 463
    assert call(emu, "GET", f"{GRAPH}/{post.id}/comments?fields=id", AUTH)[0] == 200  # then back to normal


def test_graph_coded_fault_changes_nothing_and_unknown_codes_are_refused(emu, fb_post) -> None:
    _, comments = fb_post
    call(emu, "POST", "http://emulator/_emulator/faults", body={"code": 368})
    status, _ = call(emu, "POST", f"{GRAPH}/{comments[0].id}/comments?message=hello", AUTH)
    assert status == 400 and emu.replies("facebook") == []
    status, _ = call(emu, "POST", "http://emulator/_emulator/faults", body={"code": 12345})
    assert status == 400
    # The same from Python, with a subcode of the caller's choosing.
    emu.inject_graph_error(190, subcode=460)
    status, body = call(emu, "GET", f"{GRAPH}/{comments[0].id}?fields=id", AUTH)
    assert status == 400 and (body["error"]["code"], body["error"]["error_subcode"]) == (190, 460)


# ---- X ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def mentions(emu):
    tweet = emu.add_post("x", X_USER, "Water")
    return [emu.add_comment("x", tweet.id, f"@PMCPune {i}", {"id": f"9{i}", "name": f"c{i}"}) for i in range(6)]


@pytest.mark.parametrize("value", ["4", "101", "0"])
def test_x_max_results_out_of_range_is_a_400_problem(emu, mentions, value) -> None:
    status, body = call(emu, "GET", f"{X}/users/{X_USER}/mentions?max_results={value}", AUTH)
    assert status == 400 and body["title"] == "Invalid Request"
    assert body["type"].endswith("/2/problems/invalid-request")
    assert body["errors"][0]["parameters"] == {"max_results": [value]}
    assert call(emu, "GET", f"{X}/users/{X_USER}/mentions?max_results=5", AUTH)[0] == 200
    assert call(emu, "GET", f"{X}/tweets/search/recent?query=x&max_results=9", AUTH)[0] == 400


def test_x_single_tweet_lookup(emu, mentions) -> None:
    status, body = call(emu, "GET", f"{X}/tweets/{mentions[0].id}?tweet.fields=created_at,author_id", AUTH)
    assert status == 200 and body["data"]["id"] == mentions[0].id and body["data"]["author_id"] == "90"
    assert "errors" not in body
    emu.delete_comment(mentions[1].id)
    status, body = call(emu, "GET", f"{X}/tweets/{mentions[1].id}", AUTH)
    assert status == 200 and "data" not in body
    assert body["errors"][0]["title"] == "Not Found Error" and body["errors"][0]["resource_id"] == mentions[1].id


def test_x_accepts_oauth1_user_context(emu, mentions) -> None:
    oauth = {"Authorization": 'OAuth oauth_consumer_key="ck", oauth_nonce="n", oauth_signature="sig%3D", '
                              'oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_token="at", '
                              'oauth_version="1.0"'}
    emu.register_token("x", "bearer-only")  # OAuth 1.0a is not checked against the registered bearer tokens
    status, body = call(emu, "POST", f"{X}/tweets", oauth, {"text": "Thanks", "reply": {
        "in_reply_to_tweet_id": mentions[0].id}})
    assert status == 201 and body["data"]["text"] == "Thanks"
    status, _ = call(emu, "GET", f"{X}/users/{X_USER}/mentions", {"Authorization": 'OAuth oauth_consumer_key="ck"'})
    assert status == 401  # no signature: not an OAuth 1.0a request
    emu.expire_token("x", "at")
    assert call(emu, "GET", f"{X}/users/{X_USER}/mentions", oauth)[0] == 401


def test_graph_sends_only_the_fields_named_and_permalinks_as_graph_writes_them(emu, fb_post) -> None:
    post, comments = fb_post
    reply = emu.add_comment("facebook", post.id, "r", {"id": "u9", "name": "U9"}, parent_id=comments[0].id)
    _, body = call(emu, "GET", f"{GRAPH}/{post.id}/comments?filter=stream&fields=message,permalink_url", AUTH)
    assert all(set(item) == {"message", "permalink_url"} for item in body["data"])  # no id unless asked
    page, number = post.id.split("_")
    links = {item["message"]: item["permalink_url"] for item in body["data"]}
    top_number = comments[0].id.split("_")[1]
    assert links["c0"] == f"https://www.facebook.com/{page}/posts/{number}/?comment_id={top_number}"
    assert links["r"] == (f"https://www.facebook.com/{page}/posts/{number}/?comment_id={top_number}"
                          f"&reply_comment_id={reply.id.split('_')[1]}")


@pytest.mark.parametrize(("token", "level", "says"), [
    ("x-user-context-token", "ok", "replies can be posted"),
    ("AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid", "warn", "app-only Bearer token"),
])
def test_doctor_says_which_x_token_kinds_work(tmp_path, monkeypatch, token: str, level: str, says: str) -> None:
    """X refuses replies made with an app-only Bearer token (403 Unsupported Authentication): doctor says so."""
    from sheets_sync.config import parse_config
    from sheets_sync.doctor import check_platforms
    from sheets_sync.emulator.platforms import PlatformEmulator
    from sheets_sync.emulator.server import serve_in_thread

    emu = PlatformEmulator()
    emu.add_account("x", "1400000000000000001")
    server, url = serve_in_thread(emu)
    try:
        monkeypatch.setenv("X_USER_TOKEN", token)
        config = parse_config({"platforms": [{"kind": "x", "user_id": "1400000000000000001",
                                              "token_env": "X_USER_TOKEN", "endpoint": url}]},
                              tmp_path / "sheets-sync.yaml")
        [check] = check_platforms(config)
    finally:
        server.shutdown()
        server.server_close()
    assert check.status == level and says in check.detail, check
