"""The web side's recount watcher (application/jobs/pending.py), without a worker: what reaches the queue.

- a like while the broker is away is answered at once with a task id, and that very flush is queued,
  with the article marked dirty, within seconds of the broker's return;
- a broker restart (empty queue, no dirty set) makes the recent recounts queue again;
- a flush STARTED but never finished (its worker was killed) is queued again, taking over its claim.
Each test uses a redis-server of its own (tests/fault_helpers.py), or a unique queue on the test DBs.
"""
import base64
import json
import time
import uuid

import pytest
import redis

from application.jobs import pending

from . import factories
from .conftest import build_app, login, make_config
from .fault_helpers import RedisServer, wait_until

JSON = {"Accept": "application/json"}


def _app(tmp_path, broker_url, result_url, **extra):
    app = build_app(make_config(
        tmp_path, CELERY_BROKER_URL=broker_url, CELERY_RESULT_BACKEND=result_url, CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_TASK_DEFAULT_QUEUE=f"recounts-{uuid.uuid4().hex[:8]}", LIKE_RECOUNT_TICK_SECONDS=0.2, **extra))
    app.extensions["celery"].conf.task_always_eager = False
    with app.app_context():
        author = factories.make_user(roles=("author",))
        article = factories.make_article(author)
        fans = [factories.make_user() for _ in range(3)]
    return app, article, fans


def _like(app, fan, article):
    client = app.test_client()
    login(client, fan["email"])
    started = time.monotonic()
    r = client.post(f"/api/article_likes/{article['id']}", headers=JSON)
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.get_json(), time.monotonic() - started


def _queued_task_ids(client, queue) -> list[str]:
    return [json.loads(raw)["headers"]["id"] for raw in client.lrange(queue, 0, -1)]


@pytest.fixture
def server(tmp_path):
    s = RedisServer(tmp_path)
    yield s
    s.stop()


def test_a_like_while_the_broker_is_away_is_recounted_when_it_returns(tmp_path, server):
    app, article, fans = _app(tmp_path, server.url(1), server.url(2))
    queue, broker = app.config["CELERY_TASK_DEFAULT_QUEUE"], redis.Redis.from_url(server.url(1))
    server.kill()
    first, _ = _like(app, fans[0], article)
    second, seconds = _like(app, fans[1], article)
    assert first["task_id"] and first["like_count"] == 1 and second["like_count"] == 2
    assert second["task_id"] == first["task_id"]  # one recount owed for the article, not one per like
    assert seconds < 0.5, "with the broker known to be down, a like must not wait on a timeout"
    server.start()
    ids = wait_until(lambda: _queued_task_ids(broker, queue), "the owed recount queued", timeout=10)
    # The very task id the likes were answered with (a send repeated after a client timeout on a busy
    # machine queues that same task again: harmless, a recount is idempotent).
    assert set(ids) == {first["task_id"]}, ids
    with app.app_context():
        assert pending.client().get(pending.flag_key()).decode() == first["task_id"]
        assert pending.client().smembers(pending.dirty_key()) == {str(article["id"]).encode()}
    broker.close()


def test_a_broker_restart_requeues_the_recounts_it_lost(tmp_path, server):
    app, article, fans = _app(tmp_path, server.url(1), server.url(2))
    queue, broker = app.config["CELERY_TASK_DEFAULT_QUEUE"], redis.Redis.from_url(server.url(1))
    body, _ = _like(app, fans[0], article)
    assert _queued_task_ids(broker, queue) == [body["task_id"]]
    time.sleep(0.5)  # the watcher has seen this broker's run_id
    server.kill()
    server.start()  # empty: the queued recount and the dirty set are gone
    assert wait_until(lambda: _queued_task_ids(broker, queue), "the lost recount queued again", timeout=10)
    with app.app_context():
        assert broker.smembers(pending.dirty_key()) == {str(article["id"]).encode()}
    broker.close()


def test_a_recount_started_by_a_killed_worker_is_sent_again(tmp_path, server):
    app, article, fans = _app(tmp_path, server.url(1), server.url(2), LIKE_RECOUNT_CONFIRM_SECONDS=1)
    queue, broker = app.config["CELERY_TASK_DEFAULT_QUEUE"], redis.Redis.from_url(server.url(1))
    results = redis.Redis.from_url(server.url(2))
    body, _ = _like(app, fans[0], article)
    # A worker takes the flush, stores STARTED, claims the dirty set, and is SIGKILLed before finishing.
    raw = broker.rpop(queue)
    assert raw is not None
    with app.app_context():
        backend = app.extensions["celery"].backend
        results.set(backend.get_key_for_task(body["task_id"]), json.dumps({"status": "STARTED", "result": None,
                                                                          "task_id": body["task_id"]}))
        assert pending.claim(body["task_id"]) == ([article["id"]], set())
    again = wait_until(lambda: _queued_task_ids(broker, queue), "the stalled recount sent again", timeout=10)
    assert len(again) == 1 and again[0] != body["task_id"]
    message = json.loads(broker.lindex(queue, 0))
    kwargs = json.loads(base64.b64decode(message["body"]))[1]
    assert kwargs == {"again": True, "reclaim": [body["task_id"]]}  # it takes over the dead one's claim
    with app.app_context():  # ... when it starts: the article is recounted and its caches cleared (forced)
        assert pending.claim(again[0], kwargs["reclaim"]) == ([article["id"]], {article["id"]})
    broker.close()
    results.close()


def test_a_recount_taken_by_a_killed_worker_before_it_started_is_sent_again(tmp_path, server):
    app, article, fans = _app(tmp_path, server.url(1), server.url(2), LIKE_RECOUNT_CONFIRM_SECONDS=1)
    queue, broker = app.config["CELERY_TASK_DEFAULT_QUEUE"], redis.Redis.from_url(server.url(1))
    body, _ = _like(app, fans[0], article)
    assert broker.exists(f"_kombu.binding.{queue}")  # declared: a worker would consume this queue
    # A worker's BRPOP took the message, and the worker was SIGKILLed before reading the reply:
    # the task is in neither the queue nor the unacked set, and never starts (PENDING for ever).
    assert broker.rpop(queue) is not None
    again = wait_until(lambda: _queued_task_ids(broker, queue), "the vanished recount sent again", timeout=10)
    assert len(again) == 1 and again[0] != body["task_id"]
    broker.close()


def test_a_recount_waiting_in_the_queue_is_not_sent_twice(tmp_path, server):
    app, article, fans = _app(tmp_path, server.url(1), server.url(2), LIKE_RECOUNT_CONFIRM_SECONDS=0.5)
    queue, broker = app.config["CELERY_TASK_DEFAULT_QUEUE"], redis.Redis.from_url(server.url(1))
    body, _ = _like(app, fans[0], article)
    time.sleep(2.5)  # several confirm periods: no worker, but the task is safe in the queue
    assert _queued_task_ids(broker, queue) == [body["task_id"]]
    broker.close()


def test_a_like_whose_answer_fails_after_its_commit_is_still_recounted(app, make_user, make_article):
    """The database can go between a like's commit and the count it answers with: the row is there,
    so its recount is queued anyway (eagerly here), not left to beat's reconcile."""
    from application.data import data_access
    from application.jobs.dispatch import recount_after

    author, reader = make_user("rc_author", roles=("author",)), make_user("rc_reader")
    article = make_article(author, title="Counted anyway")

    def like_then_fail():
        data_access.like_article(reader["id"], article["id"])
        raise ConnectionError("the database went away after the commit")

    with app.app_context():
        with pytest.raises(ConnectionError):
            recount_after(article["id"], like_then_fail)
        assert data_access.get_article(article["slug"])["like_count"] == 1
