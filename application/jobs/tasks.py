"""Celery tasks: thin @shared_task wrappers around data_access (ids in, JSON out).

Every task is idempotent (recounts from rows, upserts, checks state first), so a
retry, a redelivery after a worker crash (acks_late) or a second beat run
changes nothing more. Transient errors (database or Redis away) retry with backoff.
"""
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


@shared_task(name="likes.calculate_aggregate_likes", bind=True, **RETRY)
def calculate_aggregate_likes(self, article_id: int, again: bool = False) -> dict:
    """Recount an article's likes from the rows, store, invalidate caches, push SSE.
    again: the web side re-sent a recount it took for lost (see pending.Watcher)."""
    pending.clear(article_id)  # first: a like committed from now on queues its own recount
    # A retry, redelivery or re-send may follow an attempt that stored the count and died before clearing.
    again = again or self.request.retries > 0 or bool((self.request.delivery_info or {}).get("redelivered"))
    count = data_access.recount_article_likes(article_id, force_invalidation=again)
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
