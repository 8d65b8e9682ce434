"""Celery tasks: thin @shared_task wrappers around data_access (ids in, JSON out)."""
from celery import shared_task
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from application.data import data_access

TRANSIENT = (OperationalError, RedisError, ConnectionError)


@shared_task(name="likes.calculate_aggregate_likes", ignore_result=False,
             autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=60, max_retries=5)
def calculate_aggregate_likes(article_id: int) -> dict:
    """Recount an article's likes from the rows, store, invalidate caches, push SSE."""
    count = data_access.recount_article_likes(article_id)
    return {"article_id": article_id, "like_count": count}
