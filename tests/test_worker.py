"""A real Celery worker process: like -> task -> stored count -> caches cleared -> SSE event."""
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

import redis
from celery.result import AsyncResult
from sqlalchemy import func, select

from application.config import redis_db_url
from application.data import data_access
from application.data.models import Article, Like, User
from application.extensions import cache, db

from . import factories
from .conftest import REDIS_BASE, TEST_SSE_DB, login
from .processes import post_json, stack_app, start_worker, web, worker  # noqa: F401  (fixtures)


def _subscribe(app):
    client = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_SSE_DB))
    pubsub = client.pubsub()
    pubsub.subscribe(app.config["SSE_CHANNEL"])
    # Wait for the confirmation: SUBSCRIBE is sent without waiting, a quick publish could beat it.
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    return client, pubsub


def _next_event(pubsub, event: str, article_id: int, timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message and message["type"] == "message":
            body = json.loads(message["data"])
            if body.get("type") == event and body["data"].get("article_id") == article_id:
                return body["data"]
    raise AssertionError(f"no {event} event for article {article_id} within {timeout}s")


def test_like_runs_the_task_in_a_real_worker(stack_app, worker):
    app = stack_app
    with app.app_context():
        author = factories.make_user("wauthor", roles=("author",))
        reader = factories.make_user("wreader")
        article = factories.make_article(author)
        # Prime the caches the task must clear.
        assert data_access.get_like_count(article["id"]) == 0
        assert data_access.get_article(article["slug"])["like_count"] == 0
        assert cache.cache._read_client.keys(app.config["CACHE_KEY_PREFIX"] + "*")
    redis_client, pubsub = _subscribe(app)
    client = app.test_client()
    login(client, reader["email"])
    try:
        r = client.post(f"/articles/{article['slug']}/like", headers={"Accept": "application/json"})
        assert r.status_code == 202, r.get_data(as_text=True)
        body = r.get_json()
        assert body["liked"] is True and body["like_count"] == 1 and body["task_id"]
        # The task ran in the worker process, not here (eager mode is off).
        result = AsyncResult(body["task_id"]).get(timeout=15)
        # Once (2026-11-28, full SQLite pass) this flush claimed nothing: the worker's log is the evidence.
        assert result == {"articles": 1, "like_counts": {str(article["id"]): 1}}, \
            f"{result}\nworker log:\n{worker.output()[-4000:]}"
        assert _next_event(pubsub, "like_count", article["id"]) == {"article_id": article["id"], "like_count": 1}
    finally:
        pubsub.close()
        redis_client.close()
    state = client.get(f"/api/tasks/{body['task_id']}").get_json()
    assert state == {"state": "SUCCESS", "result": {"articles": 1, "like_counts": {str(article["id"]): 1}}}
    with app.app_context():
        assert db.session.get(Article, article["id"]).like_count == 1
        # Cached as 0 before; 1 now means the worker deleted those keys.
        assert data_access.get_like_count(article["id"]) == 1
        assert data_access.get_article(article["slug"])["like_count"] == 1
    assert "likes.flush_like_counts" in worker.output()


def test_concurrent_likes_end_with_the_exact_row_count(stack_app, web, tmp_path):
    app = stack_app
    # Two worker processes, so aggregation tasks for one article really race each other.
    proc = start_worker(app.config["BS_OVERRIDES"], tmp_path, pool="prefork", concurrency=2)
    try:
        with app.app_context():
            author = factories.make_user("cauthor", roles=("author",))
            article = factories.make_article(author)
            users = [factories.make_user(f"fan{i}") for i in range(50)]
            tokens = [db.session.get(User, u["id"]).get_auth_token() for u in users]
        rng = random.Random(42)
        ops = [(rng.choice(tokens), "like" if rng.random() < 0.7 else "unlike") for _ in range(200)]
        assert len({t for t, _ in ops}) < len(ops)  # users repeat themselves
        urls = {verb: f"{web}/articles/{article['slug']}/{verb}" for verb in ("like", "unlike")}
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda op: post_json(urls[op[1]], op[0], timeout=20), ops))
        for answer in answers:
            AsyncResult(answer["task_id"]).get(timeout=30)
        with app.app_context():
            rows = db.session.scalar(select(func.count()).select_from(Like).where(Like.article_id == article["id"]))
            stored = db.session.get(Article, article["id"]).like_count
        assert 0 < rows < 50
        assert stored == rows, f"like_count {stored} != {rows} rows"
    finally:
        proc.stop()
