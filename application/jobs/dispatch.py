"""Queueing jobs from the web side, coalesced and never fatal to the request."""
import logging
import uuid

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from . import pending
from .tasks import calculate_aggregate_likes

log = logging.getLogger(__name__)


def queue_like_aggregation(article_id: int) -> str | None:
    """Queue a recount of this article's likes unless one is already waiting; its task id, or None
    if the broker is away (the like is saved; beat's reconcile job catches up)."""
    task_id = str(uuid.uuid4())
    try:
        flags = pending.client()
        if not flags.set(pending.key(article_id), task_id, nx=True, ex=pending.PENDING_SECONDS):
            waiting = flags.get(pending.key(article_id))
            if waiting:
                return waiting.decode()  # that recount starts after this like's commit: it counts it
            flags.set(pending.key(article_id), task_id, ex=pending.PENDING_SECONDS)
        calculate_aggregate_likes.apply_async((article_id,), task_id=task_id)
        return task_id
    except (BrokerError, RedisError, ConnectionError) as exc:
        log.warning("likes: could not queue aggregation for article %s: %s", article_id, exc)
        try:
            pending.clear(article_id)
        except RedisError:
            pass
        return None
