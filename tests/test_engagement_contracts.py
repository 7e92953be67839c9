"""Engagement of posts (``Connector.post_engagement``): what each connector makes of the platforms' answers
(recordings where they exist: Graph posts with reactions/shares/comments summaries, Instagram media by ids), that
the emulator serves the same names and shapes, and what a refresh of 200 posts costs on each platform."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sheets_sync.connectors import FacebookConnector, InstagramConnector, XConnector, YouTubeConnector
from sheets_sync.emulator.platforms.conformance import Asker, shape_problems
from tests.test_connector_contracts import GRAPH, RECORDINGS, Recorded, build, rec

pytestmark = pytest.mark.skipif(not RECORDINGS.is_dir(), reason="platform recordings not available")

POSTS = 200
FB_FIELDS = "id,reactions.limit(0).summary(total_count),shares,comments.limit(0).summary(total_count)"


def fb_recorded_posts() -> dict[str, dict[str, Any]]:
    """The recorded Page posts that carry reactions, shares and comments summaries, by id."""
    pages = [rec(GRAPH / f"facebook/apidata/posts/feeds_default_fields_p{n}.json") for n in (1, 2)]
    return {p["id"]: p for page in pages for p in page["data"]}


def test_facebook_reads_recorded_reaction_share_and_comment_totals() -> None:
    posts = fb_recorded_posts()
    wanted = list(posts)[:3]
    adapter = Recorded(lambda m, p, q: (200, {i: {k: posts[i][k] for k in ("id", "reactions", "shares", "comments")}
                                              for i in q["ids"].split(",")}))
    found = build(FacebookConnector, adapter, "19292868552").post_engagement(wanted)
    for post_id in wanted:
        post = posts[post_id]
        assert found[post_id].reactions == post["reactions"]["summary"]["total_count"]
        assert found[post_id].shares == post["shares"]["count"]
        assert found[post_id].comments == post["comments"]["summary"]["total_count"]
        assert found[post_id].views is None
    (method, path, query), = adapter.calls
    assert query["fields"] == FB_FIELDS and query["ids"] == ",".join(wanted)


def test_facebook_post_nobody_shared_and_a_deleted_post() -> None:
    def route(method: str, path: str, query: dict[str, str]):
        ids = query["ids"].split(",") if "ids" in query else [path.rsplit("/", 1)[-1]]
        if "1_gone" in ids:
            return 400, {"error": {"message": "(#803) Some of the aliases you requested do not exist: 1_gone",
                                   "type": "OAuthException", "code": 803}}
        return 200, {i: {"id": i, "reactions": {"data": [], "summary": {"total_count": 2}}} for i in ids}

    found = build(FacebookConnector, Recorded(route), "1").post_engagement(["1_a", "1_gone", "1_b"])
    assert set(found) == {"1_a", "1_b"}
    assert (found["1_a"].reactions, found["1_a"].shares) == (2, 0)  # Graph leaves out ``shares`` when none


def test_instagram_reads_the_recorded_media_by_ids() -> None:
    recorded = rec(GRAPH / "instagram/apidata/medias/medias_fields.json")
    adapter = Recorded(lambda m, p, q: (200, {i: recorded[i] for i in q["ids"].split(",")}))
    found = build(InstagramConnector, adapter, "17841400000000001").post_engagement(list(recorded))
    for media_id, media in recorded.items():
        assert (found[media_id].reactions, found[media_id].comments) == (media["like_count"], media["comments_count"])
        assert found[media_id].shares is None and found[media_id].views is None


def test_youtube_reads_statistics_strings_and_skips_a_missing_video() -> None:
    def route(method: str, path: str, query: dict[str, str]):
        assert path.endswith("/videos") and query["part"] == "statistics"
        return 200, {"kind": "youtube#videoListResponse", "items": [
            {"kind": "youtube#video", "id": "vid1", "statistics": {"viewCount": "1250", "likeCount": "40",
                                                                    "favoriteCount": "0", "commentCount": "5"}},
            {"kind": "youtube#video", "id": "vid2", "statistics": {"viewCount": "7", "favoriteCount": "0"}}]}

    yt = build(YouTubeConnector, Recorded(route), "UCowner")
    found = yt.post_engagement(["vid1", "vid2", "gone"])
    assert (found["vid1"].views, found["vid1"].reactions, found["vid1"].comments) == (1250, 40, 5)
    assert (found["vid2"].views, found["vid2"].reactions, found["vid2"].comments) == (7, None, None)
    assert "gone" not in found and yt.units_used == 1


def test_x_reads_public_metrics_and_leaves_out_a_deleted_tweet() -> None:
    def route(method: str, path: str, query: dict[str, str]):
        assert path.endswith("/2/tweets") and query["tweet.fields"] == "public_metrics"
        return 200, {"data": [{"id": "11", "text": "notice", "edit_history_tweet_ids": ["11"], "public_metrics": {
            "retweet_count": 3, "reply_count": 2, "like_count": 7, "quote_count": 1, "bookmark_count": 0,
            "impression_count": 900}}],
            "errors": [{"value": "12", "detail": "Could not find tweet with ids: [12].", "title": "Not Found Error",
                        "resource_type": "tweet", "parameter": "ids", "resource_id": "12",
                        "type": "https://api.x.com/2/problems/resource-not-found"}]}

    found = build(XConnector, Recorded(route), "783214").post_engagement(["11", "12"])
    assert list(found) == ["11"]
    assert (found["11"].reactions, found["11"].shares, found["11"].views, found["11"].comments) == (7, 4, 900, 2)


# ---- the emulator answers with the recordings' shapes -------------------------------------------------------

def test_emulator_graph_post_engagement_has_the_recorded_shape() -> None:
    a = Asker()
    post_id, _ = a.fb_post(n_comments=2)
    a.emu.set_post_metrics(post_id, reactions=125, shares=10)
    body = a.call("GET", "https://graph.facebook.com/v19.0/", {"ids": post_id, "fields": FB_FIELDS})
    recorded = next(iter(fb_recorded_posts().values()))
    wanted = {k: recorded[k] for k in ("id", "reactions", "shares", "comments")}
    assert shape_problems(wanted, body[post_id]) == []
    assert body[post_id]["reactions"]["summary"]["total_count"] == 125
    assert body[post_id]["comments"] == {"data": [], "summary": {"order": "chronological", "total_count": 2,
                                                                 "can_comment": True}}
    a.emu.set_post_metrics(post_id, shares=0)
    body = a.call("GET", "https://graph.facebook.com/v19.0/", {"ids": post_id, "fields": FB_FIELDS})
    assert "shares" not in body[post_id]


def test_emulator_instagram_media_by_ids_has_the_recorded_shape() -> None:
    a = Asker()
    media_id, _ = a.ig_media(n_comments=2, replies=0)
    a.emu.set_post_metrics(media_id, likes=48)
    recorded = rec(GRAPH / "instagram/apidata/medias/medias_fields.json")
    first = next(iter(recorded.values()))
    body = a.call("GET", "https://graph.facebook.com/v19.0/", {"ids": media_id, "fields": "id,like_count,comments_count"})
    assert shape_problems({k: first[k] for k in ("id", "like_count", "comments_count")}, body[media_id]) == []
    assert (body[media_id]["like_count"], body[media_id]["comments_count"]) == (48, 2)


def test_emulator_youtube_statistics_and_x_public_metrics_as_the_references_name_them() -> None:
    a = Asker()
    video, _ = a.yt_video(n_threads=2, replies=1)
    a.emu.set_post_metrics(video, views=1250, likes=40)
    body = a.call("GET", "https://www.googleapis.com/youtube/v3/videos", {"part": "statistics", "id": video})
    assert body["items"][0]["statistics"] == {"viewCount": "1250", "likeCount": "40", "favoriteCount": "0",
                                              "commentCount": "4"}
    assert "snippet" not in body["items"][0]
    tweet = a.emu.add_post("x", "783214", "Water supply update")
    a.emu.set_post_metrics(tweet.id, likes=7, reposts=3, quotes=1, impressions=900)
    a.emu.add_comment("x", tweet.id, "@PMCPune when?", {"id": "91", "name": "c1"})
    body = a.call("GET", "https://api.x.com/2/tweets", {"ids": tweet.id, "tweet.fields": "public_metrics"})
    assert body["data"][0]["public_metrics"] == {"retweet_count": 3, "reply_count": 1, "like_count": 7,
                                                 "quote_count": 1, "bookmark_count": 0, "impression_count": 900}
    too_many = ",".join(str(n) for n in range(101))
    assert "errors" in a.call("GET", "https://api.x.com/2/tweets", {"ids": too_many}) and a.status == 400


def test_emulator_refuses_bad_metrics() -> None:
    a = Asker()
    post_id, _ = a.fb_post(n_comments=0)
    with pytest.raises(ValueError, match="unknown metric"):
        a.emu.set_post_metrics(post_id, hearts=3)
    with pytest.raises(ValueError, match="whole number"):
        a.emu.set_post_metrics(post_id, likes=-1)


# ---- what a daily refresh of 200 posts costs --------------------------------------------------------------

def test_refresh_of_200_posts_cost_per_platform() -> None:
    """Requests (and YouTube units) to read 200 posts' engagement: Graph 50 ids a request, YouTube 50 a call
    (1 unit), X 100 a request. Printed for the README (run with ``-s``)."""
    ids = [f"1_{n}" for n in range(POSTS)]
    costs: dict[str, int] = {}
    for cls, account in ((FacebookConnector, "1"), (InstagramConnector, "17841400000000001")):
        adapter = Recorded(lambda m, p, q: (200, {i: {"id": i} for i in q["ids"].split(",")}))
        assert len(build(cls, adapter, account).post_engagement(ids)) == POSTS
        costs[cls.platform] = len(adapter.calls)
    adapter = Recorded(lambda m, p, q: (200, {"items": [{"id": i, "statistics": {"viewCount": "1"}}
                                                        for i in q["id"].split(",")]}))
    yt = build(YouTubeConnector, adapter, "UCowner")
    assert len(yt.post_engagement(ids)) == POSTS
    costs["youtube"], costs["youtube units"] = len(adapter.calls), yt.units_used
    adapter = Recorded(lambda m, p, q: (200, {"data": [{"id": i, "public_metrics": {"like_count": 1}}
                                                       for i in q["ids"].split(",")]}))
    assert len(build(XConnector, adapter, "783214").post_engagement(ids)) == POSTS
    costs["x"] = len(adapter.calls)
    print("\nengagement refresh of 200 posts, requests per platform:", costs)
    assert costs == {"facebook": math.ceil(POSTS / 50), "instagram": 4, "youtube": 4, "youtube units": 4,
                     "x": math.ceil(POSTS / 100)}
