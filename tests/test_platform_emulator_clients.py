"""Real client libraries nobody on this project wrote, over HTTP against the platform emulator (issue 12).

Each test starts ``PlatformEmulator`` on 127.0.0.1 with ``serve_in_thread`` and seeds it with the core's own
methods; the clients are pointed at it without patching their code:

* tweepy ``Client``: its ``request`` hard-codes ``https://api.twitter.com``, so a transport adapter is mounted on
  the client's own public ``session`` for that prefix; it rewrites the scheme and host to the emulator's and lets
  requests send it (OAuth 1.0a is signed for the original URL; the emulator does not check signatures).
* google-api-python-client: ``build(..., static_discovery=True, client_options={"api_endpoint": url})``, as the
  Sheets client tests do; an API key through ``developerKey``, the owner's OAuth token through
  ``google_auth_httplib2.AuthorizedHttp``.
* python-facebook-api ``GraphAPI``: its documented ``base_url`` argument (default ``https://graph.facebook.com/``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
import requests
import tweepy
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from pyfacebook import FacebookError, GraphAPI
from requests.adapters import HTTPAdapter

from sheets_sync.emulator.platforms import PlatformEmulator
from sheets_sync.emulator.server import serve_in_thread

NOW = 1_780_000_000.0
PAGE, CHANNEL, X_USER = "1001", "UCpmc0000000000000000001", "42"
CITIZEN = {"id": "7001", "name": "citizen"}


def _clock() -> float:
    return NOW


@pytest.fixture
def served() -> Iterator[tuple[PlatformEmulator, str]]:
    emu = PlatformEmulator(clock=_clock)
    server, url = serve_in_thread(emu)
    try:
        yield emu, url
    finally:
        server.shutdown()
        server.server_close()


# ---- X through tweepy -----------------------------------------------------------------------------------


class _ToEmulator(HTTPAdapter):
    """Sends what tweepy addresses to ``https://api.twitter.com`` to the emulator instead."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        request.url = self.base + request.url.removeprefix("https://api.twitter.com")
        return super().send(request, **kwargs)


def tweepy_client(url: str, bearer: str = "x-bearer", access_token: str = f"{X_USER}-x-access") -> tweepy.Client:
    client = tweepy.Client(bearer_token=bearer, consumer_key="ck", consumer_secret="cs",
                           access_token=access_token, access_token_secret="ats")
    client.session.mount("https://api.twitter.com/", _ToEmulator(url))
    return client


def seed_x(emu: PlatformEmulator) -> dict[str, Any]:
    emu.add_account("x", X_USER)
    post = emu.add_post("x", X_USER, "Water supply cut on Monday")
    replies = [emu.add_comment("x", post.id, f"pothole report {i}", CITIZEN).id for i in range(7)]
    mentions = [emu.add_comment("x", None, f"@PMCPune streetlight {i}", CITIZEN, account_id=X_USER).id
                for i in range(5)]
    gone = emu.add_comment("x", post.id, "pothole deleted later", CITIZEN).id
    emu.delete_comment(gone)
    return {"post": post.id, "replies": replies, "mentions": mentions, "gone": gone}


def test_tweepy_mentions_page_with_pagination_token(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_x(emu)
    client = tweepy_client(url)
    expected = sorted(ids["replies"] + ids["mentions"], key=int, reverse=True)
    seen, token, pages = [], None, 0
    while True:
        response = client.get_users_mentions(X_USER, max_results=5, pagination_token=token,
                                             tweet_fields=["created_at", "author_id", "conversation_id"])
        pages += 1
        assert all(isinstance(t, tweepy.Tweet) for t in response.data)
        seen += [str(t.id) for t in response.data]
        assert response.meta["result_count"] == len(response.data)
        token = response.meta.get("next_token")
        if not token:
            break
    assert pages == 3 and seen == expected
    assert response.data[0].author_id == int(CITIZEN["id"])
    # tweepy's own Paginator follows meta.next_token the same way.
    flat = [str(t.id) for t in tweepy.Paginator(client.get_users_mentions, X_USER, max_results=5).flatten()]
    assert flat == expected


@pytest.mark.parametrize(("name", "call", "check"), [
    ("get_tweet live", lambda c, ids: c.get_tweet(ids["replies"][0], tweet_fields=["conversation_id"]),
     lambda r, ids: r.data.id == int(ids["replies"][0]) and r.data.conversation_id == int(ids["post"])
     and r.errors == []),
    ("get_tweet deleted", lambda c, ids: c.get_tweet(ids["gone"]),
     lambda r, ids: r.data is None and r.errors[0]["title"] == "Not Found Error"
     and r.errors[0]["resource_id"] == ids["gone"]),
    ("get_tweets one deleted", lambda c, ids: c.get_tweets([ids["replies"][1], ids["gone"]]),
     lambda r, ids: [t.id for t in r.data] == [int(ids["replies"][1])] and len(r.errors) == 1
     and r.errors[0]["value"] == ids["gone"]),
    ("search_recent_tweets", lambda c, ids: c.search_recent_tweets("pothole", max_results=10),
     lambda r, ids: sorted(str(t.id) for t in r.data) == sorted(ids["replies"]) and r.meta["result_count"] == 7),
    ("search_recent_tweets conversation", lambda c, ids: c.search_recent_tweets(
        f"conversation_id:{ids['post']}", max_results=10, tweet_fields=["in_reply_to_user_id"]),
     lambda r, ids: len(r.data) == 7 and all(t.in_reply_to_user_id == int(X_USER) for t in r.data)),
])
def test_tweepy_lookups(served: tuple[PlatformEmulator, str], name: str, call: Callable, check: Callable) -> None:
    emu, url = served
    ids = seed_x(emu)
    response = call(tweepy_client(url), ids)
    assert check(response, ids), (name, response)


def test_tweepy_reply_with_oauth1_user_context(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_x(emu)
    client = tweepy_client(url)
    response = client.create_tweet(text="Thanks, a crew is on its way", in_reply_to_tweet_id=ids["replies"][2],
                                   user_auth=True)
    assert response.data["text"] == "Thanks, a crew is on its way"
    [reply] = emu.replies("x")
    assert reply.id == response.data["id"] and reply.parent_id == ids["replies"][2] and reply.via == "api"
    assert client.get_tweet(reply.id).data.text == "Thanks, a crew is on its way"


@pytest.mark.parametrize(("name", "setup", "call", "error", "status"), [
    ("expired bearer", lambda emu: emu.expire_token("x", "x-bearer"),
     lambda c, ids: c.get_users_mentions(X_USER), tweepy.Unauthorized, 401),
    ("expired user token", lambda emu: emu.expire_token("x", f"{X_USER}-x-access"),
     lambda c, ids: c.create_tweet(text="hi", in_reply_to_tweet_id=ids["replies"][0], user_auth=True),
     tweepy.Unauthorized, 401),
    ("max_results too small", lambda emu: None,
     lambda c, ids: c.get_users_mentions(X_USER, max_results=3), tweepy.BadRequest, 400),
    ("search max_results too big", lambda emu: None,
     lambda c, ids: c.search_recent_tweets("pothole", max_results=500), tweepy.BadRequest, 400),
    ("reply to deleted", lambda emu: None,
     lambda c, ids: c.create_tweet(text="hi", in_reply_to_tweet_id=ids["gone"], user_auth=True),
     tweepy.Forbidden, 403),
])
def test_tweepy_errors(served: tuple[PlatformEmulator, str], name: str, setup: Callable, call: Callable,
                       error: type[tweepy.HTTPException], status: int) -> None:
    emu, url = served
    ids = seed_x(emu)
    setup(emu)
    with pytest.raises(error) as caught:
        call(tweepy_client(url), ids)
    assert caught.value.response.status_code == status
    assert caught.value.api_messages, name  # tweepy found X's message in the body
    if error is tweepy.BadRequest:
        assert "max_results" in caught.value.api_errors[0]["parameters"]


# ---- YouTube through google-api-python-client ----------------------------------------------------------


def youtube(url: str, key: str | None = "yt-key", token: str | None = None) -> Any:
    http = httplib2.Http(timeout=10)
    if token is not None:
        # A bare access token cannot be refreshed: with no refresh on 401 the client raises the API's HttpError
        # (with refresh on, a 401 from the real API or the emulator alike ends in google.auth's RefreshError).
        http = google_auth_httplib2.AuthorizedHttp(Credentials(token=token), http=http, refresh_status_codes=())
    return build("youtube", "v3", developerKey=key, http=http, static_discovery=True,
                 client_options={"api_endpoint": url})


def seed_youtube(emu: PlatformEmulator) -> dict[str, Any]:
    emu.add_account("youtube", CHANNEL)
    video = emu.add_post("youtube", CHANNEL, "Ward committee meeting")
    tops = [emu.add_comment("youtube", video.id, f"garbage not collected {i}", CITIZEN).id for i in range(5)]
    reply = emu.add_comment("youtube", video.id, "same on my street", {"id": "UCother", "name": "other"},
                            parent_id=tops[0]).id
    held = emu.add_comment("youtube", video.id, "held comment", CITIZEN).id
    emu.hide_comment(held)
    return {"video": video.id, "tops": tops, "reply": reply, "held": held}


def test_youtube_comment_threads_page_by_channel(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_youtube(emu)
    threads = youtube(url).commentThreads()
    request = threads.list(part="snippet,replies", allThreadsRelatedToChannelId=CHANNEL, maxResults=2)
    seen, pages = [], 0
    while request is not None:
        response = request.execute()
        pages += 1
        assert response["kind"] == "youtube#commentThreadListResponse"
        seen += [t["id"] for t in response["items"]]
        request = threads.list_next(request, response)  # the client's own pager follows nextPageToken
    assert pages == 3 and sorted(seen) == sorted(ids["tops"]) and ids["held"] not in seen
    first = next(t for t in threads.list(part="snippet,replies", videoId=ids["video"],
                                         maxResults=100).execute()["items"] if t["id"] == ids["tops"][0])
    assert [c["id"] for c in first["replies"]["comments"]] == [ids["reply"]]
    assert "moderationStatus" not in first["snippet"]["topLevelComment"]["snippet"]  # key, not owner


def test_youtube_comments_by_id_have_no_moderation_status(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_youtube(emu)
    for client in (youtube(url), youtube(url, key=None, token="owner-token")):
        got = client.comments().list(part="snippet", id=",".join([ids["tops"][1], ids["reply"]])).execute()
        assert [c["id"] for c in got["items"]] == [ids["tops"][1], ids["reply"]]
        assert all("moderationStatus" not in c["snippet"] for c in got["items"])
        assert got["items"][1]["snippet"]["parentId"] == ids["tops"][0]


def test_youtube_reply_needs_oauth(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_youtube(emu)
    body = {"snippet": {"parentId": ids["tops"][2], "textOriginal": "Forwarded to the ward office"}}
    with pytest.raises(HttpError) as refused:
        youtube(url).comments().insert(part="snippet", body=body).execute()
    assert refused.value.status_code == 401
    assert json.loads(refused.value.content)["error"]["errors"][0]["reason"] == "required"
    assert emu.replies("youtube") == []
    made = youtube(url, key=None, token="owner-token").comments().insert(part="snippet", body=body).execute()
    assert made["snippet"]["parentId"] == ids["tops"][2]
    assert made["snippet"]["textOriginal"] == "Forwarded to the ward office"
    assert [r.id for r in emu.replies("youtube")] == [made["id"]]


def test_youtube_held_for_review_as_owner(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_youtube(emu)
    owner = youtube(url, key=None, token="owner-token")
    held = owner.commentThreads().list(part="snippet", allThreadsRelatedToChannelId=CHANNEL,
                                       moderationStatus="heldForReview").execute()
    assert [t["id"] for t in held["items"]] == [ids["held"]]
    assert held["items"][0]["snippet"]["topLevelComment"]["snippet"]["moderationStatus"] == "heldForReview"


@pytest.mark.parametrize(("name", "setup", "client", "call", "status", "reason"), [
    ("comments disabled", lambda emu, ids: emu.set_comments_disabled(ids["video"]), {},
     lambda yt, ids: yt.commentThreads().list(part="snippet", videoId=ids["video"]), 403, "commentsDisabled"),
    ("held for review with a key", lambda emu, ids: None, {},
     lambda yt, ids: yt.commentThreads().list(part="snippet", allThreadsRelatedToChannelId=CHANNEL,
                                              moderationStatus="heldForReview"), 403, "forbidden"),
    ("no filter", lambda emu, ids: None, {},
     lambda yt, ids: yt.commentThreads().list(part="snippet"), 400, "missingRequiredParameter"),
    ("bad page token", lambda emu, ids: None, {},
     lambda yt, ids: yt.commentThreads().list(part="snippet", videoId=ids["video"], pageToken="garbage!"),
     400, "invalidPageToken"),
    ("expired OAuth token", lambda emu, ids: emu.expire_token("youtube", "owner-token"),
     {"key": None, "token": "owner-token"},
     lambda yt, ids: yt.commentThreads().list(part="snippet", videoId=ids["video"]), 401, "authError"),
    ("invalid key", lambda emu, ids: emu.register_token("youtube", "other-key"), {},
     lambda yt, ids: yt.commentThreads().list(part="snippet", videoId=ids["video"]), 400, "keyInvalid"),
    ("reply to a reply", lambda emu, ids: None, {"key": None, "token": "owner-token"},
     lambda yt, ids: yt.comments().insert(part="snippet", body={"snippet": {
         "parentId": ids["reply"], "textOriginal": "x"}}), 400, "operationNotSupported"),
])
def test_youtube_errors(served: tuple[PlatformEmulator, str], name: str, setup: Callable, client: dict,
                        call: Callable, status: int, reason: str) -> None:
    emu, url = served
    ids = seed_youtube(emu)
    setup(emu, ids)
    with pytest.raises(HttpError) as caught:
        call(youtube(url, **client), ids).execute()
    assert caught.value.status_code == status, name
    assert caught.value.reason  # the client read Google's message out of the body
    # The reason is read from error.errors[] (HttpError.error_details prefers error.details when Google sends it).
    assert json.loads(caught.value.content)["error"]["errors"][0]["reason"] == reason


# ---- Facebook through python-facebook-api --------------------------------------------------------------


def graph(url: str, token: str = "page-token") -> GraphAPI:
    return GraphAPI(access_token=token, version="v19.0", base_url=f"{url}/", sleep_on_rate_limit=False,
                    timeout=10)


def seed_facebook(emu: PlatformEmulator) -> dict[str, Any]:
    emu.add_account("facebook", PAGE)
    post = emu.add_post("facebook", PAGE, "Road works on FC Road")
    comments = [emu.add_comment("facebook", post.id, f"when will it end {i}", CITIZEN,
                                created_time=f"2026-05-01T10:0{i}:00+00:00").id for i in range(5)]
    return {"post": post.id, "comments": comments}


def test_pyfacebook_get_object_and_paged_connection(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_facebook(emu)
    api = graph(url)
    post = api.get_object(ids["post"], fields="id,message,created_time")
    assert post == {"id": ids["post"], "message": "Road works on FC Road", "created_time": "2026-05-28T20:26:40+0000"}
    comment = api.get_object(ids["comments"][0], fields="id,message,from{id,name}")
    assert comment["from"] == CITIZEN and comment["message"] == "when will it end 0"
    first = api.get_connection(ids["post"], "comments", limit=2, fields="id,message")
    assert [c["id"] for c in first["data"]] == ids["comments"][:2] and "next" in first["paging"]
    # The client's own pager follows paging.next until it is absent.
    every = api.get_full_connections(ids["post"], "comments", count=None, limit=2, fields="id,message")
    assert [c["id"] for c in every["data"]] == ids["comments"]


def test_pyfacebook_post_reply(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_facebook(emu)
    api = graph(url)
    made = api.post_object(ids["comments"][1], "comments", data={"message": "Until Friday, sorry"})
    [reply] = emu.replies("facebook")
    assert made == {"id": reply.id} and reply.parent_id == ids["comments"][1]
    thread = api.get_connection(ids["comments"][1], "comments", fields="id,message")
    assert thread["data"] == [{"id": reply.id, "message": "Until Friday, sorry"}]


def test_pyfacebook_get_objects_by_ids(served: tuple[PlatformEmulator, str]) -> None:
    emu, url = served
    ids = seed_facebook(emu)
    wanted = [ids["post"], ids["comments"][3]]
    got = graph(url).get_objects(",".join(wanted), fields="id")
    assert got == {i: {"id": i} for i in wanted}


@pytest.mark.parametrize(("name", "setup", "call", "code", "subcode"), [
    ("injected expired token", lambda emu, ids: emu.inject_graph_error(190),
     lambda api, ids: api.get_object(ids["post"], fields="id"), 190, 463),
    ("injected app limit", lambda emu, ids: emu.inject_graph_error(4),
     lambda api, ids: api.get_connection(ids["post"], "comments"), 4, None),
    ("injected unknown alias", lambda emu, ids: emu.inject_graph_error(803),
     lambda api, ids: api.get_object(ids["post"]), 803, None),
    ("expired token", lambda emu, ids: emu.expire_token("facebook", "page-token"),
     lambda api, ids: api.post_object(ids["comments"][0], "comments", data={"message": "hi"}), 190, 463),
    ("deleted comment", lambda emu, ids: emu.delete_comment(ids["comments"][4]),
     lambda api, ids: api.get_object(ids["comments"][4]), 100, 33),
    pytest.param("unknown alias in ids", lambda emu, ids: None,
                 lambda api, ids: api.get_objects(f"{ids['post']},nosuchthing"), 803, None),
])
def test_pyfacebook_errors(served: tuple[PlatformEmulator, str], name: str, setup: Callable, call: Callable,
                           code: int, subcode: int | None) -> None:
    emu, url = served
    ids = seed_facebook(emu)
    setup(emu, ids)
    with pytest.raises(FacebookError) as caught:
        call(graph(url), ids)
    assert caught.value.code == code, (name, caught.value)
    assert getattr(caught.value, "error_subcode", None) == subcode
    assert caught.value.message and caught.value.fbtrace_id
