"""Scale-out on one Redis: 2 gunicorn instances, 2 Celery workers and 2 beats on the same database.

A like through instance A reaches a /stream on instance B; an edit through B shows at once on A's
anonymous (cached) page; 300 likes spread over both instances count exactly; each beat job is sent
once per interval although two beats run.
"""
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from application.data.models import Article, Like, User
from application.extensions import db

from . import factories
from .processes import (gunicorn_ready, stack_app, start_beat, start_gunicorn, start_worker, stop_all,  # noqa: F401
                        worker_ready)
from .test_beat import assert_once_per_interval, beat_sends, delete_beat_keys
from .test_stream import _open_stream, _read_event

LIKES = 300
EVERY = 5.0  # beat interval of the two jobs below


def _call(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else (b"" if method != "GET" else None)
    request = urllib.request.Request(url, method=method, data=data, headers={
        "Accept": "application/json", "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return response.status, raw


def _page(url) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout}s")


def test_two_instances_two_workers_two_beats_on_one_redis(stack_app, tmp_path):
    app = stack_app
    schedule = {"most-liked": {"task": "beat.refresh_most_liked", "schedule": EVERY},
                "digest": {"task": "beat.daily_digest", "schedule": EVERY}}
    overrides = {**app.config["BS_OVERRIDES"], "CELERY_BEAT_SCHEDULE": schedule}
    procs = []
    try:
        procs += [start_beat(overrides, tmp_path, "beat-a"), start_beat(overrides, tmp_path, "beat-b")]
        # Started side by side, each in procs before anything waits (so a start that times out is stopped).
        procs += [start_worker(overrides, tmp_path, wait=False), start_worker(overrides, tmp_path, wait=False)]
        web_a, a = start_gunicorn(overrides, tmp_path, wait=False)
        procs.append(web_a)
        web_b, b = start_gunicorn(overrides, tmp_path, wait=False)
        procs.append(web_b)
        gunicorn_ready(web_a, a)
        gunicorn_ready(web_b, b)
        for proc in procs[2:4]:
            worker_ready(proc)
        beats, workers = procs[:2], procs[2:4]
        with app.app_context():
            author = factories.make_user("soauthor", roles=("author",))
            article = factories.make_article(author, title="Scale out", body="First version.")
            users = [factories.make_user(f"so{i}") for i in range(LIKES)]
            tokens = [db.session.get(User, u["id"]).get_auth_token() for u in users]
        slug, like = article["slug"], "/articles/{}/like"

        # 1. A like through A arrives on a stream held by B.
        conn, stream = _open_stream(b)
        try:
            started = time.monotonic()
            status, _ = _call("POST", a + like.format(slug), headers={"Authentication-Token": tokens[0]})
            assert status == 202
            assert _read_event(stream, "like_count", 10) == {"article_id": article["id"], "like_count": 1}
            print(f"like on A reached B's stream in {(time.monotonic() - started) * 1000:.0f} ms")
        finally:
            stream.close()
            conn.close()

        # 2. An edit through B shows at once on A's anonymous page, which A had cached.
        assert "First version." in _page(f"{a}/articles/{slug}") and "First version." in _page(f"{a}/articles/{slug}")
        _, raw = _call("POST", b + "/api/users/login", {"user": {"email": author["email"], "password": author["password"]}})
        token = json.loads(raw)["user"]["token"]
        status, _ = _call("PUT", f"{b}/api/articles/{slug}", {"article": {"body": "Second version."}},
                          headers={"Authorization": f"Token {token}"})
        assert status == 200
        page = _page(f"{a}/articles/{slug}")
        assert "Second version." in page and "First version." not in page

        # 3. 300 likes (the first one above included), spread over both instances, count exactly.
        urls = [a, b]
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda i: _call("POST", urls[i % 2] + like.format(slug),
                                                    headers={"Authentication-Token": tokens[i]}),
                                    range(1, LIKES)))
        assert {status for status, _ in answers} == {202}

        def counted():
            with app.app_context():
                db.session.expire_all()
                return db.session.get(Article, article["id"]).like_count == LIKES
        _wait(counted, f"like_count {LIKES}")
        with app.app_context():
            rows = db.session.scalar(select(func.count()).select_from(Like).where(Like.article_id == article["id"]))
        assert rows == LIKES
        for base in urls:  # both instances serve the final count (their caches were cleared)
            assert json.loads(_call("GET", f"{base}/api/articles/{slug}")[1])["article"]["favoritesCount"] == LIKES

        # 4. Two beats, each job sent once per interval (and run by one of the workers).
        def three_sends_each():
            sends = beat_sends(*beats)
            return len(sends) == 2 and min(len(t) for t in sends.values()) >= 3
        _wait(three_sends_each, "three sends of each beat job", timeout=EVERY * 6)
        # One beat holds the lock; the other waits (stopping the first below hands over to it).
        assert sum("Acquired lock" in beat.output() for beat in beats) == 1
    finally:
        stop_all(procs)
        delete_beat_keys(app)
    sends = beat_sends(*beats)
    assert_once_per_interval(sends, EVERY, schedule)
    ran = "".join(worker.output() for worker in workers)
    for name, entry in schedule.items():
        assert ran.count(f"Task {entry['task']}[") >= len(sends[name]) - 1  # the last may still be queued
    assert all("likes.flush_like_counts" in worker.output() for worker in workers), "one worker did all"
