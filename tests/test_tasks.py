"""Task functions called directly (eager): idempotent recount, retries on transient errors, Celery wiring."""
import uuid

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from application.data import data_access
from application.data.models import Article, Like
from application.extensions import db
from application.jobs import tasks

from .conftest import login


def _set_count(app, article_id, value):
    with app.app_context():
        db.session.execute(update(Article).where(Article.id == article_id).values(like_count=value))
        db.session.commit()


def test_aggregation_recounts_from_rows_and_is_idempotent(app, make_user, make_article):
    author, fan = make_user("tauthor", roles=("author",)), make_user("tfan")
    article = make_article(author)
    with app.app_context():
        db.session.add(Like(user_id=fan["id"], article_id=article["id"]))
        db.session.commit()
    _set_count(app, article["id"], 41)  # a wrong stored count is replaced, never incremented
    for _ in range(2):
        assert tasks.calculate_aggregate_likes(article["id"]) == {"article_id": article["id"], "like_count": 1}
        with app.app_context():
            assert db.session.get(Article, article["id"]).like_count == 1
    assert tasks.calculate_aggregate_likes(999999) == {"article_id": 999999, "like_count": None}


def test_transient_errors_are_retried(app, make_user, make_article, monkeypatch):
    article = make_article(make_user("rauthor", roles=("author",)))
    real, calls = data_access.recount_article_likes, []

    def flaky(article_id, force_invalidation=False):
        calls.append((article_id, force_invalidation))
        if len(calls) < 3:
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return real(article_id, force_invalidation)

    monkeypatch.setattr(data_access, "recount_article_likes", flaky)
    # Eager retries re-apply the task inline, but only when exceptions are not propagated.
    app.extensions["celery"].conf.task_eager_propagates = False  # this test's app only
    with app.app_context():
        result = tasks.calculate_aggregate_likes.apply(args=(article["id"],), throw=False)
    assert result.state == "SUCCESS" and result.get() == {"article_id": article["id"], "like_count": 0}
    # The retries clear even if the count is already stored (an attempt may have died after its commit).
    assert calls == [(article["id"], False), (article["id"], True), (article["id"], True)]


def test_celery_is_configured_from_flask_config(app):
    conf = app.extensions["celery"].conf
    assert conf.broker_url == app.config["CELERY_BROKER_URL"] and conf.broker_url.endswith("/12")
    assert conf.result_backend == app.config["CELERY_RESULT_BACKEND"] and conf.result_backend.endswith("/13")
    assert conf.task_acks_late and conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_default_queue == app.config["CELERY_TASK_DEFAULT_QUEUE"]
    names = {entry["task"] for entry in conf.beat_schedule.values()}
    assert names <= set(app.extensions["celery"].tasks)  # every scheduled task exists
    assert len(names) == 5


def test_beat_intervals_come_from_env(monkeypatch):
    from application.config import beat_schedule

    monkeypatch.setenv("BEAT_PUBLISH_SCHEDULED_SECONDS", "7")
    assert beat_schedule()["publish-scheduled-articles"]["schedule"] == 7.0
    assert beat_schedule()["reconcile-like-counts"]["schedule"] == 300.0


def test_like_form_and_json_answer_at_once_with_the_new_state(app, client, make_user, make_article):
    author, fan = make_user("lauthor", roles=("author",)), make_user("lfan")
    article = make_article(author)
    login(client, fan["email"])
    url = f"/articles/{article['slug']}"
    for _ in range(2):  # liking twice is a no-op
        body = client.post(url + "/like", headers={"Accept": "application/json"}).get_json()
        assert body["liked"] is True and body["like_count"] == 1
    r = client.post(url + "/unlike", follow_redirects=True)
    assert "Like removed: now 0 likes." in r.get_data(as_text=True)
    assert client.post("/articles/nope/like", headers={"Accept": "application/json"}).status_code == 404


@pytest.mark.filterwarnings("ignore:Results are not stored")
def test_task_state_api(app, client):
    assert client.get("/api/tasks/unknown-id").get_json() == {"state": "PENDING", "result": None}


def test_a_burst_of_likes_on_many_articles_queues_one_flush(tmp_path):
    """Likes while a flush is still queued reuse that task, whatever the article; once it starts (it
    claims the dirty set), a new one is queued."""
    import redis as redis_lib

    from application.jobs import pending
    from application.jobs.tasks import flush_like_counts

    from . import factories
    from .conftest import build_app, login, make_config

    app = build_app(make_config(tmp_path, CELERY_TASK_ALWAYS_EAGER=False,
                                CELERY_TASK_DEFAULT_QUEUE=f"coalesce-{uuid.uuid4().hex[:8]}"))
    app.extensions["celery"].conf.task_always_eager = False
    with app.app_context():
        author = factories.make_user(roles=("author",))
        fans = [factories.make_user() for _ in range(3)]
        articles = [factories.make_article(author) for _ in range(2)]
    broker = redis_lib.Redis.from_url(app.config["CELERY_BROKER_URL"])
    queue = app.config["CELERY_TASK_DEFAULT_QUEUE"]
    try:
        ids = []
        for fan, article in ((fans[0], articles[0]), (fans[1], articles[0]), (fans[1], articles[1])):
            client = app.test_client()
            login(client, fan["email"])
            r = client.post(f"/articles/{article['slug']}/like", headers={"Accept": "application/json"})
            assert r.status_code == 202
            ids.append(r.get_json()["task_id"])
        assert len(set(ids)) == 1 and broker.llen(queue) == 1
        with app.app_context():  # the queued task starts (run here in-process): flag dropped, set claimed
            assert broker.smembers(pending.dirty_key()) == {str(a["id"]).encode() for a in articles}
            result = flush_like_counts.run()
            assert result == {"articles": 2, "like_counts": {str(articles[0]["id"]): 2, str(articles[1]["id"]): 1}}
            assert broker.get(pending.flag_key()) is None and not broker.exists(pending.dirty_key())
            assert not broker.zcard(pending.claims_key())  # released after its commit and invalidation
        client = app.test_client()
        login(client, fans[2]["email"])
        third = client.post(f"/articles/{articles[0]['slug']}/like", headers={"Accept": "application/json"})
        assert third.get_json()["task_id"] not in ids
        assert broker.llen(queue) == 2
    finally:
        with app.app_context():
            broker.delete(queue, pending.flag_key(), pending.dirty_key(), pending.claims_key())


def test_sending_from_many_threads_shares_one_result_backend_and_never_subscribes(tmp_path):
    """Under gevent each request greenlet is a thread: a per-thread backend meant a new Redis
    connection and a SUBSCRIBE for every like. One backend, no subscription at send time."""
    import threading

    import redis as redis_lib

    from application.jobs.tasks import calculate_aggregate_likes

    from .conftest import build_app, make_config

    app = build_app(make_config(tmp_path, CELERY_TASK_ALWAYS_EAGER=False,
                                CELERY_TASK_DEFAULT_QUEUE=f"threads-{tmp_path.name}"))
    celery = app.extensions["celery"]
    celery.conf.task_always_eager = False
    seen = []

    def send():
        with app.app_context():
            calculate_aggregate_likes.apply_async((0,))
            seen.append(celery.backend)

    try:
        threads = [threading.Thread(target=send) for _ in range(3)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert len(seen) == 3 and all(backend is seen[0] for backend in seen)
        assert not seen[0].result_consumer.subscribed_to
    finally:
        redis_lib.Redis.from_url(app.config["CELERY_BROKER_URL"]).delete(app.config["CELERY_TASK_DEFAULT_QUEUE"])
