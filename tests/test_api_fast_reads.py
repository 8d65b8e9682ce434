"""The API's anonymous hit path (api/realworld/fast_reads.py) and the identity short cut (accounts.py):
the same answers as the full Flask path, header by header, at a fixed cost (0 queries, no user loaded,
one Redis round trip per cached entry the process's tier does not hold, none for those it does);
everything it does not answer reaches Flask."""
import re

import pytest
import redis
from flask import request_started

from .conftest import RealWorldClient, query_count

ORIGIN = "https://front.example"
HEADER_SETS = [{}, {"Origin": ORIGIN}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "br;q=0.5, gzip;q=0.9"},
               {"Accept-Encoding": "identity"}, {"Origin": ORIGIN, "Accept-Encoding": "gzip, deflate, br"}]
VARYING = {"Date", "X-Request-Id"}  # per request on either path


def _seed(app):
    rw = RealWorldClient(app.test_client())
    author = rw.register("jake")
    rw.call("PUT", "/user", author, json={"user": {"image": "/avatars/jk-3.svg"}})  # a site path: made absolute
    reader = rw.register("reader")
    long_body = "A body long enough to be compressed. " * 30
    first = rw.create_article(author, title="Dragons", tags=("dragons", "training"), body=long_body)
    rw.create_article(author, title="Eggs", tags=("eggs",))
    return rw, author, reader, first


def _paths(author, article):
    return ["/api/tags", f"/api/profiles/{author['username']}", f"/api/articles/{article['slug']}",
            "/api/articles?limit=2", "/api/articles?tag=dragons&limit=1", f"/api/articles?author={author['username']}",
            "/api/articles?limit=1&offset=1&utm_source=x"]


class FlaskRequests:
    """Counts requests that reached Flask (request_started), and user loads by Flask-Login's loaders."""

    def __init__(self, app):
        self.app, self.started, self.loads = app, 0, 0
        manager = app.login_manager
        for name in ("_user_callback", "_request_callback"):
            setattr(manager, name, self._counted(getattr(manager, name)))
        request_started.connect(self._on_started, app)

    def _counted(self, loader):
        def load(*args):
            self.loads += 1
            return loader(*args)
        return load

    def _on_started(self, sender, **extra):
        self.started += 1


class RedisCalls:
    """Counts round trips to Redis from every client in this process (cache, rate limits, metrics):
    each command, and each pipeline as one. The metrics batch is held back meanwhile (it flushes
    about once a second, from whichever request comes then)."""

    def __init__(self, app, monkeypatch):
        self.n = 0
        recorder = app.extensions.get("bs_request_recorder")
        if recorder is not None:
            monkeypatch.setattr(recorder, "flush_at", float("inf"))
        for cls, name in ((redis.Redis, "execute_command"), (redis.client.Pipeline, "execute")):
            monkeypatch.setattr(cls, name, self._counted(getattr(cls, name)))

    def _counted(self, send):
        def counted(*args, **kwargs):
            self.n += 1
            return send(*args, **kwargs)
        return counted


def _fast(app, on: bool) -> None:
    app.extensions["bs_api_fast_reads"].enabled = on


def _comparable(response):
    timing = re.sub(r"dur=[\d.]+", "dur=*", response.headers["Server-Timing"])
    headers = [(k, v) for k, v in response.headers if k not in VARYING and k != "Server-Timing"]
    return response.status_code, response.get_data(), headers, timing


def test_hits_answer_exactly_what_flask_answers(redis_app):
    rw, author, _, article = _seed(redis_app)
    client, seen = redis_app.test_client(), FlaskRequests(redis_app)
    for path in _paths(author, article):
        client.get(path)  # fill the cache
        for headers in HEADER_SETS:
            _fast(redis_app, False)
            full = client.get(path, headers=headers)
            _fast(redis_app, True)
            before = seen.started
            fast = client.get(path, headers=headers)
            assert seen.started == before, f"{path} {headers}: reached Flask"
            assert full.status_code == 200 and query_count(fast) == 0
            assert _comparable(fast) == _comparable(full), (path, headers)
            assert fast.headers["Date"] and fast.headers["X-Request-Id"]
    compressed = client.get(f"/api/articles/{article['slug']}", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip" and compressed.headers["ETag"].endswith(':gzip"')


def test_fast_path_answers_never_change_the_tiers_shared_copies(redis_app):
    """Local-tier hits hand the fast path the entry's one decoded copy (no unpickling per request):
    after many answers every shared copy still equals what Redis stored."""
    import pickle

    from application.data.data_access import local_tier
    from application.extensions import cache

    _, author, _, article = _seed(redis_app)
    client = redis_app.test_client()
    for _ in range(3):
        for path in _paths(author, article):
            assert client.get(path).status_code == 200
    with redis_app.app_context():
        tier = local_tier.of(cache.cache)
        shared = [e for e in tier.entries.values() if e.shared is not None]
        assert shared, "no answer came from a local shared copy"
        for entry in shared:
            assert entry.shared == pickle.loads(entry.raw)[1], entry.key


@pytest.mark.parametrize("which, round_trips", [("tags", 1), ("profile", 1), ("article", 1), ("list", 1),
                                                ("tag list", 2), ("author list", 2)])
def test_a_hit_costs_no_query_no_user_and_one_round_trip_per_entry(redis_app, monkeypatch, which, round_trips):
    """One Redis round trip per entry when the process's tier does not hold them, none when it does."""
    _, author, _, article = _seed(redis_app)
    path = dict(zip(["tags", "profile", "article", "list", "tag list", "author list"], _paths(author, article)))[which]
    client = redis_app.test_client()
    assert client.get(path).status_code == 200  # stores the entries
    _drop_local_tier(redis_app)
    seen, calls = FlaskRequests(redis_app), RedisCalls(redis_app, monkeypatch)
    for expected_round_trips in (round_trips, 0):  # from Redis (and kept locally), then from the tier
        calls.n = 0
        r = client.get(path)
        assert r.status_code == 200 and query_count(r) == 0
        assert f'desc="{round_trips} hit 0 miss"' in r.headers["Server-Timing"]
        assert (calls.n, seen.started, seen.loads) == (expected_round_trips, 0, 0)


def _drop_local_tier(app) -> None:
    from application.data.data_access import local_tier
    from application.extensions import cache

    with app.app_context():
        local_tier.of(cache.cache).apply(everything=True)


def test_the_full_path_loads_no_user_for_an_anonymous_request(redis_app, monkeypatch):
    _, author, _, _ = _seed(redis_app)
    _fast(redis_app, False)
    client, seen = redis_app.test_client(), FlaskRequests(redis_app)
    client.get(f"/api/profiles/{author['username']}")
    _drop_local_tier(redis_app)
    calls = RedisCalls(redis_app, monkeypatch)
    r = client.get(f"/api/profiles/{author['username']}")
    assert (seen.started, seen.loads, query_count(r), calls.n) == (2, 0, 0, 1)
    hello = client.get("/hello")
    assert hello.headers["Vary"] == "Accept-Encoding, Cookie"  # the session is still read as before


def test_signed_in_reads_go_through_flask_with_their_own_fields(redis_app):
    rw, author, reader, article = _seed(redis_app)
    rw.call("POST", f"/profiles/{author['username']}/follow", reader)
    rw.call("POST", f"/articles/{article['slug']}/favorite", reader)
    anon = redis_app.test_client()
    for _ in range(2):
        public = anon.get(f"/api/articles/{article['slug']}").get_json()["article"]
    seen = FlaskRequests(redis_app)
    mine = rw.call("GET", f"/articles/{article['slug']}", reader).get_json()["article"]
    listed = rw.call("GET", "/articles?tag=dragons", reader).get_json()["articles"][0]
    profile = rw.call("GET", f"/profiles/{author['username']}", reader).get_json()["profile"]
    assert seen.started == 3
    assert mine["favorited"] and mine["author"]["following"] and listed["favorited"] and profile["following"]
    assert mine["favoritesCount"] == listed["favoritesCount"] == 1
    assert not public["favorited"] and not public["author"]["following"]
    again = anon.get(f"/api/profiles/{author['username']}").get_json()["profile"]
    assert again["following"] is False and seen.started == 3


def test_a_miss_reaches_flask_and_is_counted_once(redis_app):
    _, author, _, article = _seed(redis_app)
    client, seen = redis_app.test_client(), FlaskRequests(redis_app)
    client.get("/api/tags")  # the tag list is stored, the dragons block is not
    r = client.get("/api/articles?tag=dragons&limit=1")
    assert seen.started == 2 and 'desc="1 hit 1 miss"' in r.headers["Server-Timing"]
    r = client.get("/api/articles?tag=dragons&limit=1")
    assert seen.started == 2 and 'desc="2 hit 0 miss"' in r.headers["Server-Timing"]


@pytest.mark.parametrize("path, headers, status", [
    ("/api/tags?x=%00", {}, 422),                   # input_guard's answer
    ("/api/profiles/nobody", {}, 404),              # the API's own 404
    ("/api/articles?limit=0", {}, 422),             # validation
    ("/api/articles?favorited=reader", {}, 200),    # per user
    ("/api/tags", {"If-None-Match": "*"}, 304),     # conditional: werkzeug answers
    ("/api/tags", {"cookie": "session"}, 200),      # may belong to someone
    ("/api/tags", {"cookie": "remember_token"}, 200),
    ("/api/tags?auth_token=x", {}, 200),
    ("/api/tags/", {}, 404),
    ("/api/articles/feed", {}, 401),
])
def test_what_the_fast_path_leaves_to_flask(redis_app, path, headers, status):
    _seed(redis_app)
    client = redis_app.test_client()
    client.get(path.split("?")[0])
    client.get(path)  # whatever can be stored is (an absent profile too)
    seen = FlaskRequests(redis_app)
    if "cookie" in headers:  # the test client sends its own cookie jar, not a Cookie header
        client.set_cookie(headers.pop("cookie"), "x")
    r = client.get(path, headers=headers)
    assert (r.status_code, seen.started) == (status, 1)


def test_a_declined_hit_is_counted_once(redis_app):
    _seed(redis_app)
    client = redis_app.test_client()
    assert client.get("/api/profiles/nobody").status_code == 404  # stores "absent"
    r = client.get("/api/profiles/nobody")
    assert r.status_code == 404 and 'desc="1 hit 0 miss"' in r.headers["Server-Timing"]


def test_head_and_unknown_hosts_are_answered_as_before(redis_app):
    _, author, _, _ = _seed(redis_app)
    client = redis_app.test_client()
    client.get(f"/api/profiles/{author['username']}")
    head = client.head(f"/api/profiles/{author['username']}")
    assert head.status_code == 200 and head.get_data() == b""
    other = client.get(f"/api/profiles/{author['username']}", base_url="https://news.example:8443/")
    assert other.get_json()["profile"]["image"].startswith("https://news.example:8443/avatars/")
