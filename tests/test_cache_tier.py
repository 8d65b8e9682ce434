"""The in-process tier in front of Redis (data_access/local_tier.py): bounded in bytes, in LRU order,
never serving what Redis would not — across processes, across the fill race, across a lost
subscription — and every invalidation call one Redis round trip."""
import json
import os
import threading
import time
import urllib.request

import pytest
import redis

from application.config import redis_db_url
from application.data import data_access
from application.data.cache_backend import invalidation_channel
from application.data.data_access import invalidate, keys, local_tier, store
from application.extensions import cache

from . import factories
from .conftest import REDIS_BASE, TEST_CACHE_DB, _dispose, build_app, make_config
from .processes import gunicorn_ready, stack_app, start_gunicorn, stop_all  # noqa: F401  (fixture)

CAP = 60  # seconds: a generous cap on waiting for a condition, never a timing assertion


def _wait(predicate, what, timeout=CAP):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"no {what} within {timeout}s")


def _tier(app) -> local_tier.LocalTier:
    return local_tier.of(app.extensions["cache"][cache])


def _raw():
    return redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_CACHE_DB))


def _started(app):
    tier = _tier(app)
    tier.start()
    _wait(lambda: tier.live, "subscription")
    return tier


@pytest.fixture
def small_app(tmp_path, cache_prefix):
    """Real Redis, a 20 kB tier."""
    app = build_app(make_config(tmp_path, CACHE_TYPE="application.data.cache_backend.ResilientRedisCache",
                                CACHE_KEY_PREFIX=cache_prefix, CACHE_LOCAL_MAX_BYTES=20_000))
    yield app
    _dispose(app)


def _external_revoke(prefix, key):
    """What another process's invalidate.py does for one key: DEL entry and lease, PUBLISH, one pipeline."""
    client = _raw()
    pipe = client.pipeline(transaction=False)
    pipe.delete(f"{prefix}c:{key}", f"{prefix}l:{key}")
    pipe.publish(invalidation_channel(prefix), local_tier.message([key]))
    pipe.execute()
    client.close()


def test_the_tier_stays_within_its_bytes_in_lru_order(small_app):
    tier = _started(small_app)
    used = []  # keys in order of last use, most recent last

    def use(key):
        with small_app.app_context():
            assert store.read(key, lambda: key * 500) == key * 500
        used.remove(key) if key in used else None
        used.append(key)
        assert tier.size <= tier.max_bytes
        assert tier.size == sum(e.size for e in tier.entries.values())
    for i in range(4):
        use(f"blob{i}:")
    hits = tier.stats["hits"]
    use("blob0:")  # from the tier, and now the most recent
    assert tier.stats["hits"] == hits + 1
    for i in range(4, 12):
        use(f"blob{i}:")
    assert tier.stats["evicted"] > 0
    expected, total = [], 0
    for key in reversed(used):  # what an LRU of max_bytes keeps: the most recent that fit
        size = tier.entries[key].size if key in tier.entries else None
        if size is None or total + size > tier.max_bytes:
            break
        expected.append(key)
        total += size
    assert list(reversed(expected)) == list(tier.entries)
    assert "blob0:" not in tier.entries and "blob11:" in tier.entries
    with small_app.app_context():  # larger than the whole tier: served, never kept
        assert store.read("huge", lambda: "h" * 30_000) == "h" * 30_000
        assert store.read("huge", lambda: "other") == "h" * 30_000  # from Redis
    assert "huge" not in tier.entries and tier.size <= tier.max_bytes


def test_compressed_page_bodies_count_in_the_bound(redis_app, make_user, make_article):
    make_article(make_user("bound_author", roles=("author",)), title="Bound")
    tier = _started(redis_app)
    client = redis_app.test_client()
    for _ in range(2):  # rendered and stored, then filled from Redis
        assert client.get("/").status_code == 200
    key = keys.index_page_key(1)
    before = tier.entries[key].size
    br = client.get("/", headers={"Accept-Encoding": "br"})
    gz = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert (br.headers["Content-Encoding"], gz.headers["Content-Encoding"]) == ("br", "gzip")
    entry = tier.entries[key]
    assert set(entry.variants) == {"identity", "br", "gzip"}
    assert entry.variants["br"] == br.get_data() and entry.variants["gzip"] == gz.get_data()
    assert entry.size >= before + len(br.get_data()) + len(gz.get_data())
    assert tier.size == sum(e.size for e in tier.entries.values())


def test_a_message_between_the_redis_read_and_the_fill_wins(redis_app, cache_prefix, monkeypatch):
    tier = _started(redis_app)
    with redis_app.app_context():
        assert store.read("race:k", lambda: "old") == "old"  # in Redis (and in the tier)
    tier.apply(everything=True)  # in Redis only, as in a process that has not read it yet
    original = local_tier.LocalTier.fill

    def fill_after_an_invalidation(self, key, groups, raw, token):
        if key == "race:k":
            seen = self.stats["messages"]
            _external_revoke(cache_prefix, key)  # another process's writer, between our MGET and fill
            _wait(lambda: self.stats["messages"] > seen, "the message applied by the subscriber")
        return original(self, key, groups, raw, token)
    monkeypatch.setattr(local_tier.LocalTier, "fill", fill_after_an_invalidation)
    refused = tier.stats["refused"]
    with redis_app.app_context():
        assert store.read("race:k", lambda: "new") == "old"  # what Redis held when it was read
    assert tier.stats["refused"] == refused + 1 and "race:k" not in tier.entries
    monkeypatch.setattr(local_tier.LocalTier, "fill", original)
    with redis_app.app_context():
        assert store.read("race:k", lambda: "new") == "new"


def test_a_message_after_the_fill_reaches_the_next_read(redis_app, cache_prefix, monkeypatch):
    tier = _started(redis_app)
    with redis_app.app_context():
        assert store.read("after:k", lambda: "old") == "old"
        assert store.read("after:k", lambda: "x") == "old"
    assert "after:k" in tier.entries
    # The subscriber has not run yet (a busy worker): the lookup must apply what its socket holds.
    parked, release, real = threading.Event(), threading.Event(), local_tier.select.select

    class Paused:
        @staticmethod
        def select(*args):
            parked.set()
            release.wait(CAP)
            return real(*args)
    monkeypatch.setattr(local_tier, "select", Paused)
    try:
        assert parked.wait(CAP)
        messages = tier.stats["messages"]
        _external_revoke(cache_prefix, "after:k")
        with redis_app.app_context():
            assert store.read("after:k", lambda: "new") == "new"
        assert tier.stats["messages"] == messages + 1
    finally:
        release.set()


def _kill_subscriber(pid: int) -> None:
    client = _raw()
    killed = [c["id"] for c in client.client_list() if c.get("name") == f"bs-tier-{pid}"]
    assert killed, "the subscriber's connection"
    for cid in killed:
        client.client_kill_filter(_id=cid)
    client.close()


def test_a_lost_subscription_drops_the_tier_and_reads_stay_fresh(redis_app, cache_prefix):
    tier = _started(redis_app)
    with redis_app.app_context():
        for key in ("k1", "k2"):
            assert store.read(key, lambda: "old") == "old"
            assert store.read(key, lambda: "x") == "old"
    assert {"k1", "k2"} <= set(tier.entries)
    drops = tier.stats["drops"]
    _kill_subscriber(os.getpid())
    # A write whose message may land while nobody listens (Redis itself has the new state).
    client = _raw()
    client.delete(f"{cache_prefix}c:k1")
    client.close()
    with redis_app.app_context():
        assert store.read("k1", lambda: "new") == "new"
    _wait(lambda: tier.stats["drops"] > drops, "the tier dropped")
    _wait(lambda: tier.live, "subscribed again")
    assert "k2" not in tier.entries or tier.stats["fills"] > 0
    with redis_app.app_context():
        assert store.read("k2", lambda: "x") == "old"  # from Redis, then kept again
        assert store.read("k2", lambda: "x") == "old"
    assert "k2" in tier.entries


def test_every_invalidation_is_one_round_trip(redis_app, monkeypatch):
    b = redis_app.extensions["cache"][cache]
    sent = []
    original = type(b.client).pipeline

    def counting_pipeline(self, *args, **kwargs):
        pipe = original(self, *args, **kwargs)
        execute = pipe.execute

        def counted():
            sent.append([c[0][0] for c in pipe.command_stack])
            return execute()
        pipe.execute = counted
        return pipe
    single = []
    original_command = type(b.client).execute_command
    monkeypatch.setattr(type(b.client), "pipeline", counting_pipeline)
    monkeypatch.setattr(type(b.client), "execute_command",
                        lambda self, *args, **kw: single.append(args[0]) or original_command(self, *args, **kw))
    with redis_app.app_context():
        invalidate.like_count_changed(1, "a-slug", [1, 2], 3, 20)
        assert len(sent) == 1 and sent[0][0] == "DEL" and sent[0][-1] == "PUBLISH", sent
        assert sent[0].count("INCRBY") == 3  # api_lists and two authors
        assert single == []  # nothing outside the pipeline
        sent.clear()
        with store.batch():
            for article_id in range(5):
                invalidate.like_count_changed(article_id, f"slug-{article_id}", [article_id], 1, 20)
            assert sent == []
        assert len(sent) == 1 and sent[0].count("PUBLISH") == 1, sent
        sent.clear()
        try:
            with store.batch():
                invalidate.comments_changed(7, "seven")
                raise RuntimeError("after the commit")
        except RuntimeError:
            pass
        assert len(sent) == 1  # sent anyway: the commit had happened


# -- two gunicorn instances -------------------------------------------------------------------
def _get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as r:
        return r.read().decode()


def _state(base) -> dict:
    return json.loads(_get(base + "/_test/tier"))


def _put(url, token, article):
    request = urllib.request.Request(url, method="PUT", data=json.dumps({"article": article}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 200


def test_an_edit_on_one_instance_is_fresh_on_the_other_at_once(stack_app, tmp_path):
    with stack_app.app_context():
        author = factories.make_user("tier_author", roles=("author",))
        article = factories.make_article(author, title="Tier target", body="rev-0-end")
        token = data_access.authenticate(author["email"], author["password"])["token"]
    slug = article["slug"]
    overrides = stack_app.config["BS_OVERRIDES"]
    procs = []
    try:
        proc_a, a = start_gunicorn(overrides, tmp_path, wait=False)
        procs.append(proc_a)
        proc_b, b = start_gunicorn(overrides, tmp_path, wait=False)
        procs.append(proc_b)
        gunicorn_ready(proc_a, a)
        gunicorn_ready(proc_b, b)
        _wait(lambda: _state(b)["live"] and _state(a)["live"], "both subscribed")
        page, api = f"/articles/{slug}", f"/api/articles/{slug}"
        for rev in range(1, 4):
            for path in (page, api):  # rendered or read on B, then served from B's tier
                _get(b + path), _get(b + path)
            state = _state(b)
            assert {keys.article_page_key(slug), keys.article_key(slug)} <= set(state["keys"]), state
            hits = state["hits"]
            assert f"rev-{rev - 1}-end" in _get(b + page) and _state(b)["hits"] > hits
            _put(f"{a}/api/articles/{slug}", token, {"body": f"rev-{rev}-end"})
            assert f"rev-{rev}-end" in _get(b + page), rev  # B's very next read
            assert json.loads(_get(b + api))["article"]["body"] == f"rev-{rev}-end", rev
        # B loses its subscription: it drops its tier, reads from Redis, subscribes again.
        drops = _state(b)["drops"]
        _kill_subscriber(_state(b)["pid"])
        _put(f"{a}/api/articles/{slug}", token, {"body": "rev-9-end"})
        assert "rev-9-end" in _get(b + page) and json.loads(_get(b + api))["article"]["body"] == "rev-9-end"
        _wait(lambda: _state(b)["drops"] > drops and _state(b)["live"], "B dropped and subscribed again")
        assert "rev-9-end" in _get(b + page)
    finally:
        stop_all(procs)
