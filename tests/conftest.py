"""Fixtures: a fresh app and database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL), clients,
users, real-Redis variants."""
import os
import socket
import uuid

import pytest
import redis

from application import create_app
from application.config import TestConfig, redis_db_url
from application.extensions import db

from . import databases, factories
from .databases import RUN_ID

REDIS_BASE = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
# DB numbers reserved for tests; every key also carries this run's unique prefix.
TEST_CACHE_DB, TEST_SSE_DB, TEST_BROKER_DB, TEST_RESULT_DB = 10, 11, 12, 13


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_config(tmp_path, **overrides) -> type[TestConfig]:
    attrs = {
        "REDIS_URL": REDIS_BASE,
        "CACHE_REDIS_URL": redis_db_url(REDIS_BASE, TEST_CACHE_DB),
        "SSE_REDIS_URL": redis_db_url(REDIS_BASE, TEST_SSE_DB),
        "SSE_CHANNEL": f"sse-test-{RUN_ID}",
        "CELERY_BROKER_URL": redis_db_url(REDIS_BASE, TEST_BROKER_DB),
        "CELERY_RESULT_BACKEND": redis_db_url(REDIS_BASE, TEST_RESULT_DB),
        # A queue name per config: the like-coalescing flags (jobs/pending.py) are keyed by queue and
        # article id, and ids restart at 1 in every test's database.
        "CELERY_TASK_DEFAULT_QUEUE": f"test-{RUN_ID}-{uuid.uuid4().hex[:8]}",
    }
    attrs.update(overrides)
    if "SQLALCHEMY_DATABASE_URI" not in attrs:
        attrs["SQLALCHEMY_DATABASE_URI"] = databases.fresh_database_url(tmp_path)
    return type("PerTestConfig", (TestConfig,), attrs)


def build_app(config_class):
    """The app on its (already migrated) database."""
    return create_app(config_class)


@pytest.fixture(autouse=True)
def _celery_may_join_results():
    """Celery keeps "a task is running here, joining would block" in one process-wide flag, saved and
    restored around each eager task: eager tasks run by several threads at once (herd tests) can leave
    it set, and a later test's AsyncResult.get() then refuses. No web process joins results."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _drop_test_databases():
    """PostgreSQL databases a test made are dropped after it (after its processes have stopped)."""
    mark = len(databases.created)
    yield
    databases.drop_created_since(mark)


def _dispose(app):
    from application.data.data_access import local_tier
    from application.extensions import cache

    tier = local_tier.of(app.extensions.get("cache", {}).get(cache))
    if tier is not None:
        tier.stop()  # its subscriber thread ends within a heartbeat
    watcher = app.extensions.get("bs_like_watcher")
    if watcher is not None:
        watcher.stop()  # it would go on re-sending this app's unfinished flushes for minutes
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# The app fixtures hold no app context: a request must get a fresh one (and a
# fresh flask.g), as in production. Tests that call data_access directly wrap
# the calls in `with app.app_context():`; the factories below do it for them.
@pytest.fixture
def app(tmp_path):
    app = build_app(make_config(tmp_path))
    yield app
    _dispose(app)


@pytest.fixture
def cache_prefix():
    """A unique cache key prefix on the test cache DB; its keys are deleted afterwards."""
    prefix = f"bs:test:{RUN_ID}:{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_CACHE_DB))
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_app(tmp_path, cache_prefix):
    """The app with the real Redis cache (own DB number and key prefix)."""
    app = build_app(make_config(
        tmp_path, CACHE_TYPE="application.data.cache_backend.ResilientRedisCache", CACHE_KEY_PREFIX=cache_prefix,
    ))
    yield app
    _dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _in_context(app, fn):
    def call(*args, **kwargs):
        with app.app_context():
            return fn(*args, **kwargs)
    return call


def _test_app(request):
    """The app this test uses: redis_app if it asked for it, else app."""
    name = "redis_app" if "redis_app" in request.fixturenames else "app"
    return request.getfixturevalue(name)


@pytest.fixture
def make_user(request):
    return _in_context(_test_app(request), factories.make_user)


@pytest.fixture
def make_article(request):
    return _in_context(_test_app(request), factories.make_article)


def login(client, email, password=factories.PASSWORD):
    return client.post("/login", data={"email": email, "password": password}, follow_redirects=False)


def logout(client):
    return client.post("/logout")


# -- RealWorld API helpers (tests/test_realworld_*.py) ---------------------------
class RealWorldClient:
    """A test client that speaks the RealWorld API: register users, send `Authorization: Token`."""

    def __init__(self, client):
        self.client = client

    def register(self, username, password="a-long-password-1"):
        r = self.client.post("/api/users", json={"user": {
            "username": username, "email": f"{username}@example.com", "password": password}})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["user"]

    @staticmethod
    def auth(user_or_token):
        token = user_or_token if isinstance(user_or_token, str) else user_or_token["token"]
        return {"Authorization": f"Token {token}"}

    def call(self, method, path, user=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user is not None:
            headers.update(self.auth(user))
        return self.client.open("/api" + path, method=method, headers=headers, **kwargs)

    def create_article(self, user, title="How to train a dragon", tags=("dragons",), **fields):
        article = {"title": title, "description": "Ever wonder how?", "body": "You have to believe.",
                   "tagList": list(tags), **fields}
        r = self.call("POST", "/articles", user, json={"article": article})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["article"]


def query_count(response) -> int:
    """The number of DB queries a response reports in Server-Timing."""
    import re

    return int(re.search(r'db;dur=[\d.]+;desc="(\d+) queries"', response.headers["Server-Timing"]).group(1))


@pytest.fixture
def rw(client):
    return RealWorldClient(client)
