"""Beat jobs: each called directly is correct and idempotent; a short run of real beat fires one."""
import json
import re
import time
from datetime import datetime, timedelta, timezone

import redis

from application.config import redis_db_url
from application.data import data_access
from application.data.models import Article, Like, WebhookDelivery, utcnow
from application.extensions import db
from application.jobs import results, tasks

from . import factories
from .conftest import REDIS_BASE, RUN_ID, TEST_RESULT_DB, TEST_SSE_DB, login
from .processes import stack_app, start_beat, worker  # noqa: F401  (fixtures)


def _events(app):
    client = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_SSE_DB))
    pubsub = client.pubsub()
    pubsub.subscribe(app.config["SSE_CHANNEL"])
    # Wait for the confirmation: SUBSCRIBE is sent without waiting, a quick publish could beat it.
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"

    def drain(wait=0.3):
        found, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.05)
            if message and message["type"] == "message":
                found.append(json.loads(message["data"]))
        return found
    drain.client = client  # a collected Redis client closes its pool, and the subscription with it
    return drain


def _likes(app, article_id, user_ids, days_ago=0):
    with app.app_context():
        when = utcnow() - timedelta(days=days_ago)
        db.session.add_all(Like(user_id=u, article_id=article_id, created_at=when) for u in user_ids)
        db.session.commit()


def test_reconcile_fixes_wrong_counts_clears_caches_and_is_idempotent(redis_app):
    app = redis_app
    with app.app_context():
        author = factories.make_user("rcauthor", roles=("author",))
        fans = [factories.make_user(f"rcfan{i}")["id"] for i in range(3)]
        a, b = factories.make_article(author), factories.make_article(author)
        assert data_access.get_like_count(a["id"]) == 0  # cached
    _likes(app, a["id"], fans)  # rows written while "workers were down"
    drain = _events(app)
    with app.app_context():
        assert tasks.reconcile_like_counts() == {"fixed": 1}
        assert data_access.get_like_count(a["id"]) == 3 and data_access.get_like_count(b["id"]) == 0
        assert tasks.reconcile_like_counts() == {"fixed": 0}
    assert [e["data"] for e in drain() if e["type"] == "like_count"] == [{"article_id": a["id"], "like_count": 3}]


def test_publish_scheduled_articles_when_due_once(redis_app):
    app = redis_app
    with app.app_context():
        author = factories.make_user("psauthor", roles=("author",))
        due = factories.make_article(author, title="Due now", status="scheduled")
        later = factories.make_article(author, title="Later", status="scheduled")
        db.session.get(Article, due["id"]).publish_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    client = app.test_client()
    assert "Due now" not in client.get("/").get_data(as_text=True)  # page cached without it
    drain = _events(app)
    with app.app_context():
        assert tasks.publish_scheduled_articles() == {"published": [due["slug"]]}
        assert tasks.publish_scheduled_articles() == {"published": []}
        assert db.session.get(Article, later["id"]).status == "scheduled"
    assert "Due now" in client.get("/").get_data(as_text=True)
    published = [e["data"] for e in drain() if e["type"] == "article_published"]
    assert published == [{"article_id": due["id"], "slug": due["slug"], "title": "Due now"}]


def test_refresh_most_liked_recomputes_the_cached_list(redis_app):
    app = redis_app
    with app.app_context():
        author = factories.make_user("mlauthor", roles=("author",))
        fans = [factories.make_user(f"mlfan{i}")["id"] for i in range(3)]
        article = factories.make_article(author, title="Loved")
        assert data_access.most_liked_this_week() == []  # cached empty
    _likes(app, article["id"], fans[:2])
    _likes(app, article["id"], fans[2:], days_ago=10)  # not this week
    with app.app_context():
        assert data_access.most_liked_this_week() == []  # still the cached value
        assert tasks.refresh_most_liked() == {"articles": 1}
        assert tasks.refresh_most_liked() == {"articles": 1}
        assert [(a["title"], a["week_likes"]) for a in data_access.most_liked_this_week()] == [("Loved", 2)]


def test_daily_digest_is_stored_idempotent_and_shown_to_admins_only(app, client):
    with app.app_context():
        author = factories.make_user("dgauthor", roles=("author",))
        admin = factories.make_user("dgadmin", roles=("admin",))
        reader = factories.make_user("dgreader")
        fans = [factories.make_user(f"dgfan{i}")["id"] for i in range(3)]
        top, other = factories.make_article(author, title="Top story"), factories.make_article(author)
    _likes(app, top["id"], fans)
    _likes(app, other["id"], fans[:1])
    _likes(app, other["id"], fans[1:], days_ago=3)  # not today
    with app.app_context():
        today, yesterday = utcnow().date(), utcnow().date() - timedelta(days=1)
        assert tasks.daily_digest() == {"changed": [yesterday.isoformat(), today.isoformat()]}
        assert tasks.daily_digest() == {"changed": []}
        digest = data_access.list_daily_digests()[0]
    assert digest["day"] == today.isoformat() and digest["likes"] == 4 and digest["published"] == 2
    assert [(a["title"], a["likes"]) for a in digest["top_articles"]][0] == ("Top story", 3)
    assert digest["top_authors"] == [{"id": author["id"], "username": "dgauthor", "likes": 4}]
    assert client.get("/admin/digest").status_code == 302  # to /login
    login(client, reader["email"])
    assert client.get("/admin/digest").status_code == 403
    client.post("/logout")
    login(client, admin["email"])
    page = client.get("/admin/digest")
    assert page.status_code == 200 and "Top story" in page.get_data(as_text=True)


def test_purge_task_results_and_old_webhook_deliveries(app):
    client = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_RESULT_DB))
    prefix = f"{results.RESULT_PREFIX}purge-{RUN_ID}-"
    now = datetime.now(timezone.utc)
    old, fresh, ttl = prefix + "old", prefix + "fresh", prefix + "ttl"
    client.set(old, json.dumps({"status": "SUCCESS", "date_done": (now - timedelta(days=3)).isoformat()}))
    client.set(fresh, json.dumps({"status": "SUCCESS", "date_done": now.isoformat()}))
    client.set(ttl, json.dumps({"status": "SUCCESS", "date_done": now.isoformat()}), ex=600)
    try:
        assert results.purge_task_results(client, 86400, match=prefix + "*") == {"deleted": 1, "expiring": 1}
        assert not client.exists(old) and 0 < client.ttl(fresh) <= 86400 and client.ttl(ttl) > 0
        assert results.purge_task_results(client, 86400, match=prefix + "*") == {"deleted": 0, "expiring": 0}
    finally:
        client.delete(old, fresh, ttl)
        client.close()
    with app.app_context():
        long_ago = utcnow() - timedelta(days=app.config["WEBHOOK_RETENTION_DAYS"] + 1)
        db.session.add_all([
            WebhookDelivery(source="s", delivery_id="old", event="article.like", payload={}, status="processed",
                            received_at=long_ago),
            WebhookDelivery(source="s", delivery_id="new", event="article.like", payload={}, status="processed"),
        ])
        db.session.commit()
        assert tasks.purge_task_results()["webhook_deliveries"] == 1
        assert tasks.purge_task_results()["webhook_deliveries"] == 0
        assert [d.delivery_id for d in db.session.query(WebhookDelivery)] == ["new"]


def test_real_beat_fires_a_job(stack_app, worker, tmp_path):
    app = stack_app
    with app.app_context():
        author = factories.make_user("rbauthor", roles=("author",))
        article = factories.make_article(author, title="Beat me", status="scheduled")
        db.session.get(Article, article["id"]).publish_at = utcnow()
        db.session.commit()
    schedule = {"publish-scheduled-articles": {"task": "beat.publish_scheduled_articles", "schedule": 1.0}}
    beat = start_beat({**app.config["BS_OVERRIDES"], "CELERY_BEAT_SCHEDULE": schedule}, tmp_path)
    try:
        def published():
            with app.app_context():
                return db.session.get(Article, article["id"]).status == "published"
        beat.wait_for(published, "scheduled article published by beat + worker", timeout=20)
    finally:
        beat.stop()
        delete_beat_keys(app)
    assert "beat.publish_scheduled_articles" in beat.output()


# -- Two beats: one active, one standby (celery-redbeat) -------------------------------------
SENT = re.compile(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] Scheduler: Sending due task (\S+) ")


def beat_sends(*beats) -> dict[str, list[float]]:
    """Entry name -> sorted send times (epoch seconds) from these beats' logs."""
    sends: dict[str, list[float]] = {}
    for beat in beats:
        for stamp, name in SENT.findall(beat.output()):
            sends.setdefault(name, []).append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp())
    return {name: sorted(times) for name, times in sends.items()}


def queued_tasks(app) -> list[str]:
    """Task names of the messages waiting in the stack's queue (no worker consumes them here)."""
    client = redis.Redis.from_url(app.config["CELERY_BROKER_URL"])
    try:
        return [json.loads(m)["headers"]["task"] for m in client.lrange(app.config["CELERY_TASK_DEFAULT_QUEUE"], 0, -1)]
    finally:
        client.close()


def delete_beat_keys(app) -> None:
    """Remove the RedBeat schedule, entries and lock this stack's beats left under its prefix."""
    conf = app.extensions["celery"].conf
    client = redis.Redis.from_url(conf.redbeat_redis_url)
    keys = list(client.scan_iter(match=conf.redbeat_key_prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def assert_once_per_interval(sends: dict, every: float, names) -> None:
    """Each job sent, never twice within an interval, never missing more than one interval."""
    for name in names:
        times = sends.get(name, [])
        assert len(times) >= 3, f"{name}: sent {len(times)} times"
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) >= every * 0.9, f"{name} sent twice within one interval: gaps {gaps}"
        assert max(gaps) <= every * 2 + 1, f"{name} missed more than one interval: gaps {gaps}"


def test_two_beats_send_each_job_once_and_the_standby_takes_over(stack_app, tmp_path):
    app, every = stack_app, 4.0
    schedule = {"most-liked": {"task": "beat.refresh_most_liked", "schedule": every},
                "purge": {"task": "beat.purge_task_results", "schedule": every}}
    overrides = {**app.config["BS_OVERRIDES"], "CELERY_BEAT_SCHEDULE": schedule}
    first = start_beat(overrides, tmp_path, "beat-a")
    second = None
    try:
        first.wait_for(lambda: "beat: Acquired lock" in first.output(), "the beat lock")
        second = start_beat(overrides, tmp_path, "beat-b")
        second.wait_for(lambda: "beat: Starting" in second.output(), "start-up")
        time.sleep(every * 2.5)
        assert "Acquired lock" not in second.output() and "Sending due task" not in second.output()
        killed_at = time.time()
        first.popen.kill()  # SIGKILL: no lock release, the standby must wait for it to lapse
        first.popen.wait(10)
        second.wait_for(lambda: "beat: Acquired lock" in second.output(), "takeover", timeout=every * 4)
        took_over = time.time() - killed_at
        second.wait_for(lambda: len(beat_sends(second).get("purge", [])) >= 2, "two sends by the standby",
                        timeout=every * 5)
    finally:
        first.stop()
        if second:
            second.stop()
        delete_beat_keys(app)
    assert took_over < every, f"standby took {took_over:.1f}s to take over (interval {every}s)"
    sends = beat_sends(first, second)
    assert_once_per_interval(sends, every, schedule)
    # What the logs say was sent is what reached the broker, one message per send.
    queued = queued_tasks(app)
    assert queued.count("beat.refresh_most_liked") == len(sends["most-liked"])
    assert queued.count("beat.purge_task_results") == len(sends["purge"])


def test_beat_settings_lock_sized_to_the_shortest_interval_and_a_prefix_per_queue(monkeypatch):
    from application.config import Config, beat_schedule, beat_timing
    from application.jobs.celery_app import celery_settings

    monkeypatch.delenv("BEAT_LOCK_TIMEOUT", raising=False)
    config = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    config["CELERY_BEAT_SCHEDULE"] = beat_schedule()  # the shipped intervals: 30 s the shortest
    settings = celery_settings(config)
    assert settings["beat_scheduler"] == "redbeat.RedBeatScheduler"
    assert (settings["beat_max_loop_interval"], settings["redbeat_lock_timeout"]) == (3.0, 15)
    # A standby sends again within one interval, and the active beat renews well before expiry.
    assert settings["redbeat_lock_timeout"] + settings["beat_max_loop_interval"] < 30
    assert settings["beat_max_loop_interval"] * 3 <= settings["redbeat_lock_timeout"]
    assert settings["redbeat_redis_url"] == config["CELERY_BROKER_URL"]
    other = celery_settings({**config, "CELERY_TASK_DEFAULT_QUEUE": "other-site"})
    assert other["redbeat_key_prefix"] != settings["redbeat_key_prefix"]
    assert celery_settings({**config, "BEAT_KEY_PREFIX": "mine:"})["redbeat_key_prefix"] == "mine:"
    # Minute-based and sub-second schedules stay workable: the lock never drops below 2 s.
    assert beat_timing({"x": {"schedule": 1.0}}) == (0.5, 2)
    assert beat_timing({"x": {"schedule": timedelta(minutes=10)}}) == (5.0, 300)
    monkeypatch.setenv("BEAT_LOCK_TIMEOUT", "40")
    assert beat_timing({"x": {"schedule": 300.0}})[1] == 40
