"""Queueing jobs from the web side: batched, never fatal to the request, never lost to an outage."""
import logging
import uuid

from amqp.exceptions import AMQPError
from flask import current_app
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from . import pending, recount_watcher
from .celery_app import own_task
from .tasks import flush_like_counts

log = logging.getLogger(__name__)
# KombuError: the broker refused the send; AMQPError: kombu's InconsistencyError, e.g. a restarted
# Redis that lost the queue's binding until the worker declares it again; OSError: sockets, timeouts.
BROKER_ERRORS = (KombuError, AMQPError, RedisError, OSError)


def queue_like_aggregation(article_id: int) -> str | None:
    """Mark this article's count dirty and queue a flush unless one is already waiting; its task id.

    With the broker away the like is already saved: the recount is owed and sent as soon as the
    broker answers again (see recount_watcher.py), under the task id returned here. None only when
    tasks run eagerly (tests) and the flag store is away.
    """
    watcher = None if current_app.extensions["celery"].conf.task_always_eager else recount_watcher.watcher(send_flush)
    if watcher is not None and watcher.broker_down:  # known down: don't make this request wait on a timeout
        return watcher.owe(article_id)
    try:
        task_id, queued = _coalesced(article_id)
    except BROKER_ERRORS as exc:
        log.warning("likes: could not queue a recount for article %s: %s", article_id, exc)
        try:
            pending.clear_flag()  # a flag naming an unsent task would swallow the next likes
        except RedisError:
            pass
        if watcher is None:
            return None
        watcher.failed()
        return watcher.owe(article_id)
    if watcher is not None:
        watcher.watch(task_id, (article_id,), mine=queued)
    return task_id


def recount_after(article_id: int, write) -> tuple[dict, str | None]:
    """write() a like or unlike, then queue the recount: (write's result, the recount's task id).

    The recount is queued even when write() fails after its commit (the database went away between
    the commit and the count it answers with): the row may be stored, and its count must not wait
    for beat's reconcile.
    """
    try:
        result = write()
    except Exception:
        queue_like_aggregation(article_id)
        raise
    return result, queue_like_aggregation(article_id)


def _coalesced(article_id: int) -> tuple[str, bool]:
    """(task id, whether this call queued it): a flush already waiting counts this like too."""
    task_id = str(uuid.uuid4())
    flagged, waiting = pending.mark_dirty((article_id,), task_id)
    if flagged:
        return send_flush(task_id), True
    return waiting, False  # that flush claims the dirty set after this like's commit: it counts it


def send_flush(task_id: str | None = None, article_ids=(), again: bool = False, reclaim=()) -> str:
    """Queue a flush now, under this task id (a new one if None), first adding article_ids to the
    dirty set and flagging it; raises if the broker is away.
    again: a re-send of one that may have died between its commit and its invalidation;
    reclaim: the ids of flushes whose claims it takes over."""
    task_id = task_id or str(uuid.uuid4())
    if article_ids or again:
        pending.add_dirty(article_ids, task_id)
    kwargs = {"again": True, "reclaim": list(reclaim)} if again else None
    # A first send waits out a short window, so the likes of the next moments share its flush (one
    # task, one grouped COUNT) instead of each sending its own; a re-send runs at once.
    window = 0 if again else pending.flush_window()
    own_task(flush_like_counts).apply_async((), kwargs, task_id=task_id, countdown=window or None)
    return task_id
