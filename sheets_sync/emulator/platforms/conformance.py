"""Compare the platform emulator's answers with real platform responses recorded by public SDK test suites.

For each recorded response body under ``platform-recordings/`` (tweepy's vcrpy cassettes for X, python-youtube's
JSON for YouTube, python-facebook's JSON for Graph) the emulator is seeded with comparable data (through its own
Python API) and asked the same question (same endpoint, same parameters). Its answer must have the same *shape*:
every key path of the recording present, with the same JSON type, the same nesting and the same paging form
(``paging.cursors.before/after``, ``paging.next/previous``; ``nextPageToken``, ``pageInfo``, ``etag``, ``kind``;
``data``/``includes``/``meta``). Values are not compared (the recorded accounts' data is not the emulator's), and
key paths only the emulator sends are allowed (Graph and X return more fields than an SDK fixture may show).
Keys that are ids (``{"<id>": {...}}`` answers of Graph's ``?ids=``) are compared as one ``{id}`` key.

Recordings of endpoints sheets-sync does not use (Page metadata, insights, catalogs, hashtags, stories...) are
not emulated: they count as not conforming and are listed in ``DELIBERATELY_UNSUPPORTED`` with the reason.

Run ``python -m sheets_sync.emulator.platforms.conformance [-v] [DIR]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..http import EmuRequest
from .core import PlatformEmulator

PLATFORM_DIRS = {"graph": "graph-python-facebook", "youtube": "youtube-python-youtube", "x": "x-tweepy"}
CLOCK = 1_700_000_000.0  # 2023-11-14: recent enough for X's 7-day search window
TOKEN = "EMU-TOKEN"
GRAPH = "https://graph.facebook.com/v19.0"
YT = "https://www.googleapis.com/youtube/v3"
X = "https://api.x.com/2"

# Recordings the emulator deliberately does not answer, and why. They count as mismatches.
_OUT_OF_SCOPE_GRAPH = ("Page metadata (about, cover, fan_count, category...): sheets-sync reads only a Page's posts "
                       "and comments, so Page objects are not modelled")
_IG_OUT = ("Instagram endpoint sheets-sync does not use (insights, shopping, hashtags, stories, live, mentions, "
           "user profile): not modelled")
DELIBERATELY_UNSUPPORTED: dict[str, str] = {
    "graph-python-facebook/facebook/apidata/pages/multi_default_fields.json": _OUT_OF_SCOPE_GRAPH,
    "graph-python-facebook/facebook/apidata/pages/multi_pages.json": _OUT_OF_SCOPE_GRAPH,
    "graph-python-facebook/facebook/apidata/pages/search_pages.json": _OUT_OF_SCOPE_GRAPH + " (nor Page search)",
    "graph-python-facebook/facebook/apidata/pages/single_default_page.json": _OUT_OF_SCOPE_GRAPH,
    "graph-python-facebook/facebook/apidata/pages/single_fields_page.json": _OUT_OF_SCOPE_GRAPH,
    "graph-python-facebook/facebook/apidata/posts/feeds_default_fields_p1.json": (
        "python-facebook's own default field list for posts (attachments, reactions by type, shares, icon, "
        "full_picture, message_tags...): attachments and reactions are not modelled"),
    "graph-python-facebook/facebook/apidata/posts/feeds_default_fields_p2.json": "as feeds_default_fields_p1.json",
    "graph-python-facebook/facebook/apidata/posts/multi_posts_data.json": "as feeds_default_fields_p1.json",
    "graph-python-facebook/facebook/apidata/posts/single_post_data.json": (
        "reactions by type (like/love/haha/wow/sad/angry) with summaries: not modelled"),
    "graph-python-facebook/facebook/models/post.json": "as feeds_default_fields_p1.json (attachments, reactions)",
    "graph-python-facebook/facebook/models/comment.json": (
        "a comment with a photo attachment (attachment.media.image...): attachments are not modelled"),
    "graph-python-facebook/instagram/apidata/medias/children.json": "carousel children: not modelled",
    "graph-python-facebook/instagram/apidata/medias/media_default.json": "carousel children: not modelled",
    "graph-python-facebook/instagram/apidata/medias/medias_fields.json": "carousel children: not modelled",
    "graph-python-facebook/instagram/apidata/users/medias_p2.json": "carousel children: not modelled",
    **{f"graph-python-facebook/instagram/apidata/{name}.json": _IG_OUT for name in (
        "medias/insights", "medias/insights_new", "medias/product_tags", "users/available_catalogs",
        "users/catalog_product_search", "users/content_publish_limit", "users/hashtag_search",
        "users/live_medias", "users/mentioned_comment", "users/mentioned_media", "users/product_appeal",
        "users/recently_searched_hashtags", "users/stories", "users/tagged_medias", "users/user_fields",
        "users/user_insights", "users/user_insights_new")},
    "youtube-python-youtube/error_response_simple.json": (
        "{\"error\": \"error message\"}: a hand-made SDK fixture, not a body Google sends"),
    "x-tweepy/test_client_get_user.yaml#0": "user lookup by username: sheets-sync never looks users up",
    "x-tweepy/test_client_get_users.yaml#0": "user lookup by usernames: sheets-sync never looks users up",
}


# ---- shapes ---------------------------------------------------------------------------------------------

def json_type(value: Any) -> str:
    """The JSON type name of a parsed value (int and float are both ``number``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def key_paths(value: Any, path: str = "$", id_keyed: bool = False, out: dict[str, set[str]] | None = None
              ) -> dict[str, set[str]]:
    """Every key path of a JSON value with the JSON types seen there; list items share ``[]``."""
    out = {} if out is None else out
    out.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            key_paths(item, f"{path}.{'{id}' if id_keyed else key}", False, out)
    elif isinstance(value, list):
        for item in value:
            key_paths(item, f"{path}[]", False, out)
    return out


def shape_problems(recorded: Any, emulated: Any, id_keyed: bool = False) -> list[str]:
    """Key paths of the recording that the emulator's answer lacks or types differently (null matches any)."""
    want = key_paths(recorded, id_keyed=id_keyed)
    got = key_paths(emulated, id_keyed=id_keyed)
    problems = []
    for path, types in sorted(want.items()):
        if path not in got:
            problems.append(f"{path}: missing")
            continue
        wanted = types - {"null"}
        if wanted and not wanted & got[path]:
            problems.append(f"{path}: {'/'.join(sorted(got[path]))} != recorded {'/'.join(sorted(wanted))}")
    return problems


# ---- asking the emulator -----------------------------------------------------------------------------------

class Asker:
    """A fresh emulator with a fixed clock, and shorthands to call it."""

    def __init__(self) -> None:
        self.emu = PlatformEmulator(clock=lambda: CLOCK)
        self.status = 0

    def call(self, method: str, url: str, params: dict[str, str] | None = None, body: Any = None,
             headers: dict[str, str] | None = None) -> Any:
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        raw = json.dumps(body).encode() if body is not None else b""
        all_headers = {"Authorization": f"Bearer {TOKEN}"}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        response = self.emu.handle(EmuRequest(method=method, url=url, headers=all_headers, body=raw))
        self.status = response.status
        return response.json()

    # seeding
    def fb_post(self, n_comments: int = 3, replies: int = 1) -> tuple[str, list[str]]:
        post = self.emu.add_post("facebook", "1001", "Road repairs start Monday")
        ids = []
        for i in range(n_comments):
            c = self.emu.add_comment("facebook", post.id, f"comment {i}", {"id": f"u{i}", "name": f"User {i}"},
                                     created_time=f"2023-11-1{i % 4}T10:00:00+00:00")
            ids.append(c.id)
            for j in range(replies):
                self.emu.add_comment("facebook", post.id, f"reply {j}", {"id": "u9", "name": "U9"}, parent_id=c.id)
        return post.id, ids

    def ig_media(self, n_comments: int = 3, replies: int = 1) -> tuple[str, list[str]]:
        post = self.emu.add_post("instagram", "17841400000000001", "Ward office timings")
        ids = []
        for i in range(n_comments):
            c = self.emu.add_comment("instagram", post.id, f"comment {i}", {"id": f"i{i}", "name": f"user{i}"},
                                     created_time=f"2023-11-1{i % 4}T10:00:00+00:00")
            ids.append(c.id)
            for j in range(replies):
                self.emu.add_comment("instagram", post.id, f"@user{i} reply {j}", {"id": "i9", "name": "u9"},
                                     parent_id=c.id)
        return post.id, ids

    def yt_video(self, n_threads: int = 3, replies: int = 2, channel: str = "UCowner0000000000000000") -> tuple[
            str, list[str]]:
        post = self.emu.add_post("youtube", channel, "Budget 2024 explained")
        ids = []
        for i in range(n_threads):
            c = self.emu.add_comment("youtube", post.id, f"comment {i}", {"id": f"UCviewer{i}", "name": f"V {i}"})
            ids.append(c.id)
            for j in range(replies):
                self.emu.add_comment("youtube", post.id, f"reply {j}", {"id": "UCviewer9", "name": "V9"},
                                     parent_id=c.id)
        return post.id, ids

    def x_mentions(self, n: int = 12, account: str = "783214") -> list[str]:
        tweet = self.emu.add_post("x", account, "Water supply update")
        ids = []
        for i in range(n):
            c = self.emu.add_comment("x", tweet.id, f"@PMCPune tweepy question {i}", {"id": f"9{i}", "name": f"c{i}"})
            ids.append(c.id)
        return ids


def _fields(recorded: Any) -> str:
    """The fields a recording shows (of an object, or of a list's items): the fields the SDK asked for."""
    if isinstance(recorded, dict) and isinstance(recorded.get("data"), list):
        names: dict[str, None] = {}
        for item in recorded["data"]:
            names.update(dict.fromkeys(item))
        return ",".join(names)
    if isinstance(recorded, dict):
        first = next(iter(recorded.values()), None)
        if isinstance(first, dict) and "id" in first and all(isinstance(v, dict) for v in recorded.values()):
            return ",".join(first)
        return ",".join(recorded)
    return "id"


Ask = Callable[[Asker, Any], Any]


@dataclass
class Case:
    """One recorded response and how to ask the emulator the same question."""

    name: str
    ask: Ask
    id_keyed: bool = False
    status: int = 200


def _g(name: str, ask: Ask, id_keyed: bool = False, status: int = 200) -> Case:
    return Case(f"graph-python-facebook/{name}", ask, id_keyed, status)


def _y(name: str, ask: Ask, status: int = 200) -> Case:
    return Case(f"youtube-python-youtube/{name}", ask, False, status)


def _first(body: Any, key: str = "items") -> Any:
    return (body.get(key) or [None])[0] if isinstance(body, dict) else None


# Graph
def _fb_comment(a: Asker, rec: Any) -> Any:
    _, ids = a.fb_post()
    return a.call("GET", f"{GRAPH}/{ids[1]}", {"fields": _fields(rec)})


def _fb_comments_ids(a: Asker, rec: Any) -> Any:
    _, ids = a.fb_post()
    return a.call("GET", f"{GRAPH}/", {"ids": ",".join(ids[:2]), "fields": _fields(rec)})


def _fb_comments_page(page: int) -> Ask:
    def ask(a: Asker, rec: Any) -> Any:
        post, _ = a.fb_post(n_comments=6)
        params = {"fields": _fields(rec), "limit": "2", "summary": "true"}
        body = a.call("GET", f"{GRAPH}/{post}/comments", params)
        for _ in range(page - 1):
            body = a.call("GET", body["paging"]["next"])
        return body
    return ask


def _fb_create(a: Asker, rec: Any) -> Any:
    _, ids = a.fb_post()
    return a.call("POST", f"{GRAPH}/{ids[0]}/comments", {"message": "Thank you", "fields": _fields(rec)})


def _fb_feed_page(page: int) -> Ask:
    def ask(a: Asker, rec: Any) -> Any:
        for i in range(6):
            a.emu.add_post("facebook", "1001", f"post {i}", f"2023-11-0{i + 1}T10:00:00+00:00")
        body = a.call("GET", f"{GRAPH}/1001/feed", {"fields": _fields(rec), "limit": "2"})
        for _ in range(page - 1):
            body = a.call("GET", body["paging"]["next"])
        return body
    return ask


def _fb_posts_ids(a: Asker, rec: Any) -> Any:
    posts = [a.emu.add_post("facebook", "1001", f"post {i}").id for i in range(2)]
    return a.call("GET", f"{GRAPH}/", {"ids": ",".join(posts), "fields": _fields(rec)})


def _fb_post_fields(a: Asker, rec: Any) -> Any:
    post, _ = a.fb_post()
    return a.call("GET", f"{GRAPH}/{post}", {"fields": _fields(rec)})


def _ig_comment(a: Asker, rec: Any) -> Any:
    _, ids = a.ig_media()
    return a.call("GET", f"{GRAPH}/{ids[0]}", {"fields": _fields(rec)})


def _ig_comments_ids(a: Asker, rec: Any) -> Any:
    _, ids = a.ig_media()
    return a.call("GET", f"{GRAPH}/", {"ids": ",".join(ids[:2]), "fields": _fields(rec)})


def _ig_replies(a: Asker, rec: Any) -> Any:
    _, ids = a.ig_media()
    return a.call("GET", f"{GRAPH}/{ids[0]}/replies")  # default fields


def _ig_media_comments(page: int) -> Ask:
    def ask(a: Asker, rec: Any) -> Any:
        media, _ = a.ig_media(n_comments=4, replies=0)
        body = a.call("GET", f"{GRAPH}/{media}/comments", {"limit": "2"})  # default fields
        for _ in range(page - 1):
            body = a.call("GET", body["paging"]["next"])
        return body
    return ask


def _ig_user_media(page: int) -> Ask:
    def ask(a: Asker, rec: Any) -> Any:
        for i in range(4):
            a.emu.add_post("instagram", "17841400000000001", f"media {i}", f"2023-11-0{i + 1}T10:00:00+00:00")
        body = a.call("GET", f"{GRAPH}/17841400000000001/media", {"fields": _fields(rec), "limit": "2"})
        for _ in range(page - 1):
            body = a.call("GET", body["paging"]["next"])
        return body
    return ask


def _graph_error(a: Asker, rec: Any) -> Any:
    return a.call("GET", f"{GRAPH}/999999999_111", {"fields": "id"})


GRAPH_CASES = [
    _g("facebook/apidata/comments/comment_info.json", _fb_comment),
    _g("facebook/apidata/comments/comments_info.json", _fb_comments_ids, id_keyed=True),
    _g("facebook/apidata/comments/comments_p1.json", _fb_comments_page(1)),
    _g("facebook/apidata/comments/comments_p2.json", _fb_comments_page(2)),
    _g("facebook/apidata/comments/create_resp.json", _fb_create),
    _g("facebook/apidata/posts/feed_fields_p1.json", _fb_feed_page(1)),
    _g("facebook/apidata/posts/feed_fields_p2.json", _fb_feed_page(2)),
    _g("facebook/apidata/posts/multi_posts_data_fields.json", _fb_posts_ids, id_keyed=True),
    _g("facebook/apidata/posts/single_post_data_fields.json", _fb_post_fields),
    _g("instagram/apidata/comments/comment_fields.json", _ig_comment),
    _g("instagram/apidata/comments/comments_fields.json", _ig_comments_ids, id_keyed=True),
    _g("instagram/apidata/comments/replies.json", _ig_replies),
    _g("instagram/apidata/medias/comments_p1.json", _ig_media_comments(1)),
    _g("instagram/apidata/medias/comments_p2.json", _ig_media_comments(2)),
    _g("instagram/apidata/users/medias_p1.json", _ig_user_media(1)),
    _g("error.json", _graph_error, status=400),
    _g("base/error_data.json", _graph_error, status=400),
]


# YouTube
CHANNEL = "UCowner0000000000000000"


def _yt_threads(params: Callable[[Asker, str, list[str]], dict[str, str]], page: int = 1) -> Ask:
    def ask(a: Asker, rec: Any) -> Any:
        video, ids = a.yt_video(n_threads=6)
        query = {"part": "id,snippet,replies", **params(a, video, ids)}
        body = a.call("GET", f"{YT}/commentThreads", query)
        for _ in range(page - 1):
            body = a.call("GET", f"{YT}/commentThreads", {**query, "pageToken": body["nextPageToken"]})
        return body
    return ask


def _yt_comments(params: Callable[[Asker, str, list[str]], dict[str, str]], page: int = 1) -> Ask:
    def ask(a: Asker, rec: Any) -> Any:
        video, ids = a.yt_video(n_threads=3, replies=4)
        query = {"part": "id,snippet", **params(a, video, ids)}
        body = a.call("GET", f"{YT}/comments", query)
        for _ in range(page - 1):
            body = a.call("GET", f"{YT}/comments", {**query, "pageToken": body["nextPageToken"]})
        return body
    return ask


def _yt_insert(a: Asker, rec: Any) -> Any:
    _, ids = a.yt_video()
    return a.call("POST", f"{YT}/comments?part=snippet", body={"snippet": {"parentId": ids[0], "textOriginal": "wow"}})


def _yt_thread_insert(a: Asker, rec: Any) -> Any:
    video, _ = a.yt_video()
    return a.call("POST", f"{YT}/commentThreads?part=snippet", body={"snippet": {
        "videoId": video, "topLevelComment": {"snippet": {"textOriginal": "Sun from the api"}}}})


def _yt_permission(a: Asker, rec: Any) -> Any:
    video, _ = a.yt_video()
    a.call("POST", f"https://emulator.invalid/_emulator/videos/{video}/comments", body={"disabled": True})
    return a.call("GET", f"{YT}/commentThreads", {"part": "snippet", "videoId": video})


def _yt_bad_key(a: Asker, rec: Any) -> Any:
    a.emu.register_token("youtube", "good-key")
    return a.call("GET", f"{YT}/commentThreads", {"part": "snippet", "videoId": "x", "key": "bad-key"},
                  headers={"Authorization": ""})


def _sub(ask: Ask, pick: Callable[[Any], Any]) -> Ask:
    return lambda a, rec: pick(ask(a, rec))


_by_video = _yt_threads(lambda a, v, ids: {"videoId": v, "maxResults": "20"})
_thread = lambda body: _first(body)  # noqa: E731

YOUTUBE_CASES = [
    _y("apidata/comment_threads/comment_thread_single.json", _yt_threads(lambda a, v, ids: {"id": ids[0]})),
    _y("apidata/comment_threads/comment_threads_all_to_me.json",
       _yt_threads(lambda a, v, ids: {"allThreadsRelatedToChannelId": CHANNEL})),
    _y("apidata/comment_threads/comment_threads_by_channel.json",
       _yt_threads(lambda a, v, ids: {"allThreadsRelatedToChannelId": CHANNEL})),
    _y("apidata/comment_threads/comment_threads_by_video_paged_1.json",
       _yt_threads(lambda a, v, ids: {"videoId": v, "maxResults": "5"})),
    _y("apidata/comment_threads/comment_threads_by_video_paged_2.json",
       _yt_threads(lambda a, v, ids: {"videoId": v, "maxResults": "5"}, page=2)),
    _y("apidata/comment_threads/comment_threads_multi.json",
       _yt_threads(lambda a, v, ids: {"id": ",".join(ids[:2])})),
    _y("apidata/comment_threads/comment_threads_with_search.json",
       _yt_threads(lambda a, v, ids: {"allThreadsRelatedToChannelId": CHANNEL, "searchTerms": "comment 1"})),
    _y("apidata/comment_threads/insert_response.json", _yt_thread_insert),
    _y("apidata/comments/comments_by_parent_paged_1.json",
       _yt_comments(lambda a, v, ids: {"parentId": ids[0], "maxResults": "2"})),
    _y("apidata/comments/comments_by_parent_paged_2.json",
       _yt_comments(lambda a, v, ids: {"parentId": ids[0], "maxResults": "2"}, page=2)),
    _y("apidata/comments/comments_multi.json", _yt_comments(lambda a, v, ids: {"id": ",".join(ids[:2])})),
    _y("apidata/comments/comments_single.json", _yt_comments(lambda a, v, ids: {"id": ids[0]})),
    _y("apidata/comments/insert_response.json", _yt_insert),
    _y("apidata/error_permission_resp.json", _yt_permission, status=403),
    _y("error_response.json", _yt_bad_key, status=400),
    _y("modeldata/comments/comment_api_response.json", _yt_comments(lambda a, v, ids: {"id": ids[0]})),
    _y("modeldata/comments/comment_info.json",
       _sub(_yt_comments(lambda a, v, ids: {"id": ids[0]}), _first)),
    _y("modeldata/comments/comment_snippet.json",
       _sub(_yt_comments(lambda a, v, ids: {"id": ids[0]}), lambda b: (_first(b) or {}).get("snippet"))),
    _y("modeldata/comments/comment_thread_api_response.json", _by_video),
    _y("modeldata/comments/comment_thread_info.json", _sub(_by_video, _thread)),
    _y("modeldata/comments/comment_thread_replies.json",
       _sub(_by_video, lambda b: (_thread(b) or {}).get("replies"))),
    _y("modeldata/comments/comment_thread_snippet.json",
       _sub(_by_video, lambda b: (_thread(b) or {}).get("snippet"))),
]


# X: one case per cassette interaction, keyed "<file>#<index>"
def _x_case(request: dict[str, Any]) -> Callable[[Asker], Any] | None:
    method = request["method"]
    parts = urlsplit(request["uri"])
    path = parts.path
    query = parts.query

    def ask(a: Asker) -> Any:
        ids = a.x_mentions()
        if method == "POST" and path == "/2/tweets":
            return a.call("POST", f"{X}/tweets", body=json.loads(request["body"]))
        if method == "DELETE" and path.startswith("/2/tweets/"):
            created = a.call("POST", f"{X}/tweets", body={"text": "Test Tweet"})
            return a.call("DELETE", f"{X}/tweets/{created['data']['id']}")
        if path == "/2/users/me":
            return a.call("GET", f"{X}/users/me")
        if method == "GET" and path.startswith("/2/tweets/") and path.count("/") == 3:
            return a.call("GET", f"{X}/tweets/{ids[0]}")
        if method == "GET" and path == "/2/tweets":
            return a.call("GET", f"{X}/tweets", {"ids": f"{ids[0]},{ids[1]}"})
        if path.endswith("/mentions"):
            return a.call("GET", f"{X}/users/783214/mentions" + (f"?{query}" if query else ""))
        if path.endswith("/hidden"):
            return a.call("PUT", f"{X}/tweets/{ids[0]}/hidden", body=json.loads(request["body"]))
        if path == "/2/tweets/search/recent":
            return a.call("GET", f"{X}/tweets/search/recent" + (f"?{query}" if query else ""))
        return a.call(method, f"{X}{path[2:]}" + (f"?{query}" if query else ""))
    return ask


# ---- running ------------------------------------------------------------------------------------------------

@dataclass
class Result:
    """One recording compared."""

    platform: str
    name: str
    ok: bool
    problems: list[str] = field(default_factory=list)


def _x_bodies(path: Path) -> list[tuple[dict[str, Any], int, Any]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for interaction in data["interactions"]:
        raw = interaction["response"]["body"]["string"]
        if isinstance(raw, bytes) and raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        body = json.loads(raw) if raw.strip() else None
        out.append((interaction["request"], interaction["response"]["status"]["code"], body))
    return out


def _compare(platform: str, name: str, recorded: Any, want_status: int, ask: Callable[[Asker], Any],
             id_keyed: bool = False) -> Result:
    asker = Asker()
    try:
        got = ask(asker)
    except Exception as exc:  # a crash is a mismatch with its reason
        return Result(platform, name, False, [f"emulator raised {type(exc).__name__}: {exc}"])
    problems = []
    if asker.status != want_status:
        problems.append(f"status {asker.status} != recorded {want_status}")
    problems += shape_problems(recorded, got, id_keyed)
    return Result(platform, name, not problems, problems)


def run(directory: Path) -> list[Result]:
    """Compare every recorded response body under ``directory`` with the emulator's answer."""
    results: list[Result] = []
    cases = {c.name: c for c in GRAPH_CASES + YOUTUBE_CASES}
    for platform, folder in PLATFORM_DIRS.items():
        base = directory / folder
        if platform == "x":
            for path in sorted(base.glob("*.yaml")):
                for index, (request, status, body) in enumerate(_x_bodies(path)):
                    name = f"{folder}/{path.name}#{index}"
                    if body is None:
                        continue
                    if name in DELIBERATELY_UNSUPPORTED:
                        results.append(Result(platform, name, False, ["deliberately unsupported"]))
                        continue
                    ask = _x_case(request)
                    results.append(_compare(platform, name, body, status, lambda a, f=ask: f(a)))
            continue
        for path in sorted(base.rglob("*.json")):
            name = f"{folder}/{path.relative_to(base).as_posix()}"
            recorded = json.loads(path.read_text(encoding="utf-8"))
            case = cases.get(name)
            if case is None:
                why = "deliberately unsupported" if name in DELIBERATELY_UNSUPPORTED else "no case written"
                results.append(Result(platform, name, False, [why]))
                continue
            results.append(_compare(platform, name, recorded, case.status,
                                    lambda a, c=case, r=recorded: c.ask(a, r), case.id_keyed))
    return results


def figures(results: list[Result]) -> dict[str, tuple[int, int]]:
    """(conforming, total) per platform."""
    out: dict[str, tuple[int, int]] = {}
    for platform in PLATFORM_DIRS:
        chosen = [r for r in results if r.platform == platform]
        out[platform] = (sum(r.ok for r in chosen), len(chosen))
    return out


def in_scope_figures(results: list[Result]) -> dict[str, tuple[int, int]]:
    """(conforming, total) per platform, leaving out the deliberately unsupported recordings."""
    out: dict[str, tuple[int, int]] = {}
    for platform in PLATFORM_DIRS:
        chosen = [r for r in results if r.platform == platform and r.name not in DELIBERATELY_UNSUPPORTED]
        out[platform] = (sum(r.ok for r in chosen), len(chosen))
    return out


def default_recordings_dir() -> Path:
    """``$SHEETS_SYNC_PLATFORM_RECORDINGS``, else ``../shared/conformance/platform-recordings`` from the repo."""
    env = os.environ.get("SHEETS_SYNC_PLATFORM_RECORDINGS")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "conformance" / "platform-recordings"


def format_report(results: list[Result], verbose: bool = False) -> str:
    """Per-platform figures, the deliberate exceptions and (verbosely) every mismatch."""
    lines = []
    scoped = in_scope_figures(results)
    for platform, (ok, total) in figures(results).items():
        s_ok, s_total = scoped[platform]
        lines.append(f"{platform}: {ok} of {total} recordings conform "
                     f"({s_ok} of {s_total} leaving out the deliberately unsupported)")
    lines.append("deliberately unsupported:")
    for name, why in DELIBERATELY_UNSUPPORTED.items():
        lines.append(f"  - {name}: {why}")
    mismatches = [r for r in results if not r.ok and r.name not in DELIBERATELY_UNSUPPORTED]
    lines.append(f"other mismatches: {len(mismatches)}")
    if verbose:
        for r in mismatches:
            lines.append(f"  [{r.name}] " + "; ".join(r.problems[:12]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: print the figures; exit 1 when an in-scope recording does not conform."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=None)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = parser.parse_args(argv)
    directory = args.directory or default_recordings_dir()
    if not directory.is_dir():
        print(f"no recordings at {directory} (set SHEETS_SYNC_PLATFORM_RECORDINGS)", file=sys.stderr)
        return 2
    results = run(directory)
    print(format_report(results, args.verbose))
    return 0 if all(ok == total for ok, total in in_scope_figures(results).values()) else 1


__all__ = ["DELIBERATELY_UNSUPPORTED", "figures", "in_scope_figures", "main", "run", "shape_problems"]

if __name__ == "__main__":
    sys.exit(main())
