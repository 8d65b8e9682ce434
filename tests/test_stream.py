"""SSE at /stream: format and channel in-process; live delivery and Redis release on real gunicorn+gevent."""
import http.client
import json
import time
import urllib.parse
import urllib.request

import redis

from application import events
from application.config import redis_db_url
from application.extensions import db
from application.data.models import User

from . import factories
from .conftest import REDIS_BASE, TEST_SSE_DB, make_config, build_app, _dispose
from .processes import stack_app, web, worker  # noqa: F401  (fixtures)


def test_stream_sends_retry_heartbeat_and_events_of_its_channel_only(tmp_path):
    app = build_app(make_config(tmp_path, SSE_HEARTBEAT_SECONDS=0.2))
    try:
        client = app.test_client()
        response = client.get("/stream?channel=somebody-else", buffered=False)
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        chunks = iter(response.response)
        assert next(chunks) == b"retry: 3000\n: connected\n\n"
        with app.app_context():
            assert events.publish("like_count", {"article_id": 7, "like_count": 3})
        received = [next(chunks) for _ in range(3)]
        events_seen = [c for c in received if c.startswith(b"event:")]
        assert len(events_seen) == 1, received  # from the configured channel, despite ?channel=
        head, data = events_seen[0].decode().rstrip("\n").split("\n")
        assert head == "event:like_count" and json.loads(data[len("data:"):]) == {"article_id": 7, "like_count": 3}
        assert b": heartbeat\n\n" in received + [next(chunks) for _ in range(3)]
        response.close()
    finally:
        _dispose(app)


def _stream_clients(r: redis.Redis, name: str) -> int:
    return sum(1 for c in r.client_list() if c.get("name") == name)


def _wait(predicate, timeout: float, message: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{message} (waited {timeout}s)")


def _open_stream(base: str):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    conn.request("GET", "/stream", headers={"Accept": "text/event-stream"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    assert response.readline() == b"retry: 3000\n"  # sent once subscribed
    return conn, response


def _read_event(response, event: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    current = None
    while time.monotonic() < deadline:
        line = response.readline().decode().rstrip("\n")
        if line.startswith("event:"):
            current = line[len("event:"):]
        elif line.startswith("data:") and current == event:
            return json.loads(line[len("data:"):])
    raise AssertionError(f"no {event} event within {timeout}s")


def test_live_like_count_on_gunicorn_gevent_and_streams_release_redis(stack_app, worker, web):
    app = stack_app
    name = app.config["SSE_CLIENT_NAME"] + "-stream"
    r = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_SSE_DB))
    with app.app_context():
        author = factories.make_user("sauthor", roles=("author",))
        reader = factories.make_user("sreader")
        article = factories.make_article(author)
        token = db.session.get(User, reader["id"]).get_auth_token()
    before = _stream_clients(r, name)
    streams = [_open_stream(web) for _ in range(5)]
    _wait(lambda: _stream_clients(r, name) == before + 5, 3, "5 open streams should hold 5 Redis connections")

    started = time.monotonic()
    like = urllib.request.Request(f"{web}/articles/{article['slug']}/like", method="POST", data=b"",
                                  headers={"Accept": "application/json", "Authentication-Token": token})
    assert urllib.request.urlopen(like, timeout=5).status == 202
    for _, response in streams:
        assert _read_event(response, "like_count", 2) == {"article_id": article["id"], "like_count": 1}
    assert time.monotonic() - started < 2, "like_count should reach every stream within 2 s of the like"

    for conn, response in streams:  # the browsers leave; nothing more is published
        response.close()
        conn.close()
    released = _wait(lambda: _stream_clients(r, name) == before, 10,
                     "closed streams still hold Redis connections")
    print(f"5 closed streams released their Redis connections in {released:.2f}s (heartbeat 1s)")
    assert released < 5
    r.close()
