"""Celery tasks: thin @shared_task wrappers around data_access (ids in, JSON out).

Every task is idempotent (recounts from rows, upserts, checks state first), so a
retry, a redelivery after a worker crash (acks_late) or a second beat run
changes nothing more. Transient errors (database or Redis away) retry with backoff.
"""
import uuid

from celery import current_app as current_celery
from celery import shared_task
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from application.data import data_access

from . import pending, results, webhook_events

TRANSIENT = (OperationalError, RedisError, ConnectionError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "retry_backoff_max": 60, "max_retries": 5,
         "ignore_result": False}


def _again(task) -> bool:
    """A retry or redelivery: an earlier attempt may have stored counts and died before clearing."""
    return task.request.retries > 0 or bool((task.request.delivery_info or {}).get("redelivered"))


@shared_task(name="likes.flush_like_counts", bind=True, **RETRY)
def flush_like_counts(self, again: bool = False, reclaim=()) -> dict:
    """Recount every article liked since the last flush in one transaction, store, invalidate, push SSE.
    again: the web side re-sent a flush it took for lost, with the claims it left (see pending.py)."""
    task_id = self.request.id or str(uuid.uuid4())  # run directly (tests): a claim of its own
    ids, taken = pending.claim(task_id, reclaim)  # first: a like committed from now on queues a new flush
    force = ids if again or _again(self) else taken
    counts = data_access.recount_like_batch(ids, force=force)
    pending.release(task_id)
    return {"articles": len(ids), "like_counts": {str(i): n for i, n in counts.items()}}


@shared_task(name="likes.calculate_aggregate_likes", bind=True, **RETRY)
def calculate_aggregate_likes(self, article_id: int, again: bool = False) -> dict:
    """Recount one article's likes from the rows, store, invalidate caches, push SSE (what the web side
    queued before batching; kept so such messages still run after an upgrade).
    again: a re-send of one taken for lost."""
    count = data_access.recount_article_likes(article_id, force_invalidation=again or _again(self))
    return {"article_id": article_id, "like_count": count}


@shared_task(name="beat.reconcile_like_counts", **RETRY)
def reconcile_like_counts() -> dict:
    """Fix every stored like count that disagrees with the rows (e.g. missed while workers were down)."""
    return {"fixed": data_access.reconcile_all_like_counts()}


@shared_task(name="beat.publish_scheduled_articles", **RETRY)
def publish_scheduled_articles() -> dict:
    """Publish scheduled articles whose time has come (invalidates caches, pushes article_published)."""
    return {"published": [a["slug"] for a in data_access.publish_due_articles()]}


@shared_task(name="beat.refresh_most_liked", **RETRY)
def refresh_most_liked() -> dict:
    """Rebuild the cached "most liked this week" list (and drop the sidebar fragment)."""
    return {"articles": len(data_access.refresh_most_liked_this_week())}


@shared_task(name="beat.daily_digest", **RETRY)
def daily_digest() -> dict:
    """Store yesterday's and today's digest (top articles and authors) for /admin/digest."""
    return {"changed": data_access.store_daily_digests()}


@shared_task(name="beat.purge_task_results", **RETRY)
def purge_task_results() -> dict:
    """Drop task results past their expiry and webhook deliveries past their retention."""
    backend = current_celery.backend
    purged = results.purge_task_results(backend.client, current_app.config["CELERY_RESULT_EXPIRES"]) \
        if hasattr(backend, "client") else {}
    days = current_app.config["WEBHOOK_RETENTION_DAYS"]
    return {**purged, "webhook_deliveries": data_access.purge_webhook_deliveries(days)}


@shared_task(name="webhooks.process_delivery", **RETRY)
def process_webhook_delivery(delivery_pk: int) -> dict:
    """Apply a stored webhook delivery once; a processed one is skipped."""
    delivery = data_access.get_webhook_delivery(delivery_pk)
    if delivery is None:
        return {"status": "missing"}
    if delivery["status"] == "processed":
        return {"status": "already processed"}
    try:
        _, event, data = webhook_events.validate(delivery["payload"])
        result = webhook_events.apply(event, data)
    except (webhook_events.PayloadError, LookupError) as exc:  # no longer valid: record, don't retry
        data_access.finish_webhook_delivery(delivery_pk, error=str(exc))
        return {"status": "failed", "error": str(exc)}
    data_access.finish_webhook_delivery(delivery_pk)
    return {"status": "processed", "result": result}
