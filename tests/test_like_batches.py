"""Batched like recounts (jobs/pending.py, likes.recount_like_batch): one count statement per batch,
exact counts under concurrency on the test database (SQLite, or PostgreSQL with TEST_DB=postgresql),
and a batch claimed by a worker that is SIGKILLed is not lost."""
import json
import random
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from celery.result import AsyncResult
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from application.data import data_access
from application.data.data_access import keys, store
from application.data.models import Article, Like, User, WeekLikes
from application.extensions import db
from application.jobs import pending, tasks
from application.jobs.dispatch import queue_like_aggregation

from . import factories
from .conftest import build_app
from .fault_helpers import wait_until
from .processes import (_delete_queue_keys, config_overrides, post_json, stack_config, start_worker,
                        start_worker_and_gunicorn, stop_all)


class Statements:
    """The SQL statements run while active."""

    def __init__(self):
        self.seen = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._log)
        return self.seen

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._log)

    def _log(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(" ".join(statement.split()))


def _like_rows(pairs):
    for user_id, article_id in pairs:
        db.session.add(Like(user_id=user_id, article_id=article_id))
    db.session.commit()


@pytest.mark.parametrize("size", [3, 30])
def test_one_count_and_one_update_per_batch_whatever_its_size(redis_app, size):
    with redis_app.app_context():
        author = factories.make_user(roles=("author",))
        fans = [factories.make_user() for _ in range(2)]
        articles = [factories.make_article(author) for _ in range(size)]
        _like_rows([(fan["id"], a["id"]) for a in articles for fan in fans[: 1 + a["id"] % 2]])
        ids = [a["id"] for a in articles]
        db.session.remove()
        with Statements() as seen:
            counts = data_access.recount_like_batch(ids + [999_999])  # a missing id is skipped
        assert counts == {a["id"]: 1 + a["id"] % 2 for a in articles}
        tally = [s for s in seen if s.startswith("INSERT")]
        assert len(tally) == 1 and tally[0].startswith("INSERT INTO week_likes") and "ON CONFLICT" in tally[0]
        updates = [s for s in seen if s.startswith("UPDATE")]
        if db.engine.dialect.name == "sqlite":
            # Reads first, with no lock (articles, their authors, the index pages), then SQLite's write
            # lock for two statements: one UPDATE counting each article's rows as it stores them
            # (RETURNING the counts), and the tally upsert. The same five for 3 or 30 articles.
            assert len(seen) == 5, "\n".join(seen)
            assert len(updates) == 1 and seen.index(updates[0]) == 3
            assert "like_count=(SELECT count(*)" in updates[0].replace('"', "") and "RETURNING" in updates[0]
        else:
            # Articles FOR NO KEY UPDATE, their authors, the grouped COUNT, the index pages, the one
            # UPDATE ... CASE, the tally upsert: the same six for 3 or 30 articles.
            assert len(seen) == 6, "\n".join(seen)
            grouped = [s for s in seen if "count(*)" in s.lower() and "GROUP BY" in s]
            assert len(grouped) == 1 and "FROM like WHERE like.article_id IN" in grouped[0].replace('"', "")
            assert len(updates) == 1
        with Statements() as seen:  # nothing changed: no UPDATE CASE, no index pages on PostgreSQL
            assert data_access.recount_like_batch(ids) == counts
        assert len(seen) == (5 if db.engine.dialect.name == "sqlite" else 4), "\n".join(seen)
        week = dict(db.session.execute(select(WeekLikes.article_id, WeekLikes.n)).all())
        assert week == counts  # every like is this week's
        for a in articles:
            assert db.session.get(Article, a["id"]).like_count == counts[a["id"]]


def test_a_batch_clears_every_article_it_changed(redis_app):
    with redis_app.app_context():
        author, fan = factories.make_user(roles=("author",)), factories.make_user()
        articles = [factories.make_article(author) for _ in range(3)]
    client = redis_app.test_client()
    for a in articles:
        assert client.get(f"/articles/{a['slug']}").status_code == 200
        assert client.get(f"/api/article_likes/{a['id']}").get_json()["like_count"] == 0
    with redis_app.app_context():
        _like_rows([(fan["id"], a["id"]) for a in articles[:2]])
        data_access.recount_like_batch([a["id"] for a in articles])
        for a in articles:
            cached = store.peek(keys.article_page_key(a["slug"]), keys.ARTICLE_GROUPS)[0]
            assert cached is (a is articles[2]), "a changed count must clear the page, an unchanged one not"
    for a, n in zip(articles, (1, 1, 0)):
        assert client.get(f"/api/article_likes/{a['id']}").get_json()["like_count"] == n
        assert f'data-like-count="{a["id"]}">{n}<' in client.get(f"/articles/{a['slug']}").get_data(as_text=True)


def test_a_failed_flush_keeps_its_claim_and_its_retry_clears(redis_app, monkeypatch):
    """The database goes away mid-flush: the retry (same task id) finds its claim, recounts, clears."""
    with redis_app.app_context():
        author, fan = factories.make_user(roles=("author",)), factories.make_user()
        article = factories.make_article(author)
        _like_rows([(fan["id"], article["id"])])
        data_access.recount_like_batch([article["id"]])  # stored: a retry must clear though nothing changes
    client = redis_app.test_client()
    client.get(f"/articles/{article['slug']}")
    real, calls = data_access.recount_like_batch, []

    def flaky(ids, force=()):
        calls.append((list(ids), set(force)))
        if len(calls) < 2:
            raise OperationalError("SELECT 1", {}, Exception("the database went away"))
        return real(ids, force)

    monkeypatch.setattr(data_access, "recount_like_batch", flaky)
    redis_app.extensions["celery"].conf.task_eager_propagates = False
    with redis_app.app_context():
        pending.mark_dirty([article["id"]], "unused")
        result = tasks.flush_like_counts.apply(throw=False)
        assert result.get() == {"articles": 1, "like_counts": {str(article["id"]): 1}}
        assert calls == [([article["id"]], set()), ([article["id"]], {article["id"]})]
        assert not store.peek(keys.article_page_key(article["slug"]), keys.ARTICLE_GROUPS)[0]
        assert not pending.client().zcard(pending.claims_key())


def test_a_stale_claim_is_taken_over_by_the_next_flush(redis_app):
    """A claim whose worker and web side both died: any flush takes it once RECLAIM_SECONDS old."""
    redis_app.config["LIKE_BATCH_RECLAIM_SECONDS"] = 0.5
    with redis_app.app_context():
        author, fan = factories.make_user(roles=("author",)), factories.make_user()
        dead, alive = factories.make_article(author), factories.make_article(author)
        _like_rows([(fan["id"], dead["id"]), (fan["id"], alive["id"])])
        pending.mark_dirty([dead["id"]], "dead-flush")
        assert pending.claim("dead-flush") == ([dead["id"]], set())  # ... and its worker was SIGKILLed
        pending.mark_dirty([alive["id"]], "young")
        assert pending.claim("young-flush") == ([alive["id"]], set())  # too young to be taken over
        pending.release("young-flush")
        time.sleep(0.6)
        pending.mark_dirty([alive["id"]], "next")
        result = tasks.flush_like_counts.apply(task_id="next").get()
        assert result == {"articles": 2, "like_counts": {str(dead["id"]): 1, str(alive["id"]): 1}}
        assert not pending.client().exists(pending.claim_key("dead-flush"))


# -- real processes -----------------------------------------------------------------------------
@pytest.fixture
def batch_app(tmp_path, cache_prefix):
    """App on real Redis, tasks sent to a queue of its own; the watcher re-sends after 1 s."""
    cfg = stack_config(tmp_path, cache_prefix, LIKE_RECOUNT_CONFIRM_SECONDS=1, LIKE_RECOUNT_TICK_SECONDS=0.2)
    app = build_app(cfg)
    app.extensions["celery"].conf.task_always_eager = False
    app.config["BS_OVERRIDES"] = config_overrides(cfg)
    yield app
    with app.app_context():
        pending.client().delete(pending.flag_key(), pending.dirty_key(), pending.claims_key())
        db.session.remove()
        db.engine.dispose()
    _delete_queue_keys(cfg.CELERY_TASK_DEFAULT_QUEUE)


def _shown(base: str, article: dict) -> tuple[int, int]:
    """(API count, page count) as an anonymous reader sees them (both cached)."""
    with urllib.request.urlopen(f"{base}/api/article_likes/{article['id']}", timeout=10) as r:
        api = json.loads(r.read())["like_count"]
    with urllib.request.urlopen(f"{base}/articles/{article['slug']}", timeout=10) as r:
        page = r.read().decode()
    marker = f'data-like-count="{article["id"]}">'
    return api, int(page[page.index(marker) + len(marker):].split("<", 1)[0])


def test_concurrent_likes_on_many_articles_end_exact_everywhere(batch_app, tmp_path):
    """16 threads like and unlike 12 articles through gunicorn; two worker processes flush batches
    that overlap. Once every flush a like was answered with has run: stored == rows, and the cached
    API and page (primed before, so they must have been cleared) show it."""
    app = batch_app
    workers, web, base = start_worker_and_gunicorn(app.config["BS_OVERRIDES"], tmp_path, pool="prefork",
                                                   concurrency=2)
    try:
        with app.app_context():
            author = factories.make_user(roles=("author",))
            articles = [factories.make_article(author) for _ in range(12)]
            users = [factories.make_user() for _ in range(40)]
            tokens = [db.session.get(User, u["id"]).get_auth_token() for u in users]
        for a in articles:
            assert _shown(base, a) == (0, 0)
        rng = random.Random(7)
        ops = [(rng.choice(tokens), rng.choice(articles), "like" if rng.random() < 0.7 else "unlike")
               for _ in range(400)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda op: post_json(f"{base}/articles/{op[1]['slug']}/{op[2]}", op[0]), ops))
        task_ids = {a["task_id"] for a in answers}
        assert len(task_ids) < len(ops) / 2, "likes must share flushes"
        for task_id in task_ids:
            AsyncResult(task_id, app=app.extensions["celery"]).get(timeout=60)
        with app.app_context():
            rows = dict(db.session.execute(select(Like.article_id, func.count()).group_by(Like.article_id)).all())
            stored = {a["id"]: db.session.get(Article, a["id"]).like_count for a in articles}
        assert sum(rows.values()) > 0
        assert stored == {a["id"]: rows.get(a["id"], 0) for a in articles}
        for a in articles:
            assert _shown(base, a) == (stored[a["id"]],) * 2
    finally:
        stop_all([workers, web])


def _hold_article_lock(app, article_id):
    """A connection holding the article's write lock (PostgreSQL: the row; SQLite: the database)."""
    conn = db.engine.connect()
    if db.engine.dialect.name == "postgresql":
        conn.execute(text("BEGIN"))
        conn.execute(text("SELECT id FROM article WHERE id = :id FOR UPDATE"), {"id": article_id})
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    return conn


def test_a_batch_claimed_by_a_sigkilled_worker_is_not_lost(batch_app, tmp_path):
    """A real worker claims the batch and blocks on the article's lock; it is SIGKILLed there. The
    dirty set is empty (claimed): only the claim can bring the like back. The web side's watcher sees
    the flush STARTED and never finished, re-sends it with the claim, and a new worker counts it."""
    app = batch_app
    with app.app_context():
        author, fan = factories.make_user(roles=("author",)), factories.make_user()
        article = factories.make_article(author)
    client = app.test_client()
    assert client.get(f"/articles/{article['slug']}").status_code == 200  # cached with 0
    with app.app_context():
        data_access.like_article(fan["id"], article["id"])
        db.session.remove()
        lock = _hold_article_lock(app, article["id"])
    worker = start_worker(app.config["BS_OVERRIDES"], tmp_path)
    try:
        with app.app_context():
            task_id = queue_like_aggregation(article["id"])
            broker = pending.client()
            wait_until(lambda: broker.zscore(pending.claims_key(), task_id) is not None, "the batch claimed")
            assert not broker.exists(pending.dirty_key())
        time.sleep(0.3)  # it is now waiting for the lock, inside the flush
        worker.popen.kill()
        worker.popen.wait(10)
        lock.rollback()
        lock.close()
        with app.app_context():
            assert db.session.get(Article, article["id"]).like_count == 0  # the killed flush stored nothing
            db.session.remove()
        worker = start_worker(app.config["BS_OVERRIDES"], tmp_path)

        def counted():
            with app.app_context():
                try:
                    return db.session.get(Article, article["id"]).like_count == 1
                finally:
                    db.session.remove()
        wait_until(counted, "the killed worker's batch recounted", timeout=60)
        html = client.get(f"/articles/{article['slug']}").get_data(as_text=True)
        assert f'data-like-count="{article["id"]}">1<' in html  # and its page cleared
        with app.app_context():
            wait_until(lambda: not pending.client().zcard(pending.claims_key()), "every claim released")
        assert "likes.flush_like_counts" in worker.output()
    finally:
        worker.stop()


def test_likes_within_the_flush_window_share_one_flush_that_waits_it_out(batch_app, tmp_path):
    """A like's flush waits LIKE_FLUSH_WINDOW_SECONDS before it runs (a Celery countdown), so likes
    on other articles in that window join it: one task for both, run no earlier than the window,
    with both counts exact. Without the window an idle worker starts the first flush at once and the
    second like sends its own. The web side's watcher (which re-sends a flush not finished
    LIKE_RECOUNT_CONFIRM_SECONDS = 1 s after it was sent) counts from the end of the window: it must
    not take the waiting flush for lost and re-send it."""
    app = batch_app
    app.config["LIKE_FLUSH_WINDOW_SECONDS"] = 1.5
    with app.app_context():
        author = factories.make_user(roles=("author",))
        first, second = factories.make_article(author), factories.make_article(author)
        fans = [factories.make_user() for _ in range(2)]
    worker = start_worker(app.config["BS_OVERRIDES"], tmp_path)
    try:
        with app.app_context():
            data_access.like_article(fans[0]["id"], first["id"])
            sent_at = time.monotonic()
            task_id = queue_like_aggregation(first["id"])
            time.sleep(0.5)  # an idle worker would have started a flush sent without a countdown by now
            data_access.like_article(fans[1]["id"], second["id"])
            assert queue_like_aggregation(second["id"]) == task_id
            result = AsyncResult(task_id, app=app.extensions["celery"]).get(timeout=60)
            assert time.monotonic() - sent_at >= 1.5
            assert result == {"articles": 2, "like_counts": {str(first["id"]): 1, str(second["id"]): 1}}
            db.session.remove()
            assert [db.session.get(Article, a["id"]).like_count for a in (first, second)] == [1, 1]
    finally:
        worker.stop()


def test_a_resent_flush_runs_at_once(redis_app, monkeypatch):
    """A re-send (the watcher's, of a flush taken for lost) carries no countdown: it is overdue already."""
    from application.jobs import dispatch

    sent = []
    redis_app.config["LIKE_FLUSH_WINDOW_SECONDS"] = 0.3
    monkeypatch.setattr(dispatch.flush_like_counts, "apply_async",
                        lambda args, kwargs, task_id, countdown=None: sent.append((kwargs, countdown)))
    with redis_app.app_context():
        try:
            dispatch.send_flush("first")
            dispatch.send_flush(None, [1], again=True, reclaim=["lost"])
        finally:
            pending.client().delete(pending.flag_key(), pending.dirty_key(), pending.claims_key())
    assert sent == [(None, 0.3), ({"again": True, "reclaim": ["lost"]}, None)]
