"""Which articles already have a like aggregation queued (a flag per article in the broker's Redis).

A burst of likes on one article then queues one recount, not one per like:
the like view sets the flag with the task id (SET NX) and queues only if it
was not set; the task clears the flag as it *starts*, so a like committed
after that queues a new recount, and one committed before it is counted.
"""
import redis
from flask import current_app

from application import redis_clients

PENDING_SECONDS = 60  # a lost task (broker flushed, worker killed) stops coalescing at most this long


def client() -> redis.Redis:
    return redis_clients.app_client(current_app.config, "CELERY_BROKER_URL", "like-pending")


def key(article_id: int) -> str:
    return f"bs:agg-pending:{current_app.config.get('CELERY_TASK_DEFAULT_QUEUE') or 'celery'}:{article_id}"


def clear(article_id: int) -> None:
    client().delete(key(article_id))
