"""Like recounts this web process owes, until they have run (a flag per article in the broker's Redis,
and a watcher per process).

Coalescing: a burst of likes on one article queues one recount, not one per
like. The like view sets the flag with the task id (SET NX) and queues only if
it was not set; the task clears the flag as it *starts*, so a like committed
after that queues a new recount, and one committed before it is counted.

Never lost: the Watcher keeps, per article, the recount this process sent or
could not send, and re-sends it when
- the broker was away (connection refused, or paused past the socket timeout):
  the like is saved and answered at once with the task id the recount will run
  under; it is sent as soon as the broker answers a PING again (checked every
  TICK_SECONDS);
- the broker restarted (its run_id changed): a Redis without persistence lost
  the queue, and the recounts in it;
- a recount has not finished CONFIRM_SECONDS after it was sent: the worker that
  took it may have been killed (acks_late only helps if the worker itself
  survives); re-sent with a doubling wait, so a backlog is not flooded.
A recount is idempotent (it counts rows), so a re-send costs one query, never a
wrong count. What a killed web process owed is caught by beat's reconcile.
"""
import json
import logging
import os
import threading
import time
import uuid

import redis
from flask import Flask, current_app

from application import redis_clients

PENDING_SECONDS = 60  # a lost task (broker flushed, worker killed) stops coalescing at most this long
TICK_SECONDS = 0.5  # how often the watcher checks the broker while it has something to watch
CONFIRM_SECONDS = 10  # a recount STARTED this long ago and not finished is taken as lost
WATCH_SECONDS = 600  # a recount still queued after this is left to beat's reconcile
MAX_WATCHED = 10_000
WARN_EVERY_SECONDS = 30
MAX_QUEUE_SCAN = 1000  # longer queue: a missing recount is probably just waiting (not scanned)
DONE_STATES = {"SUCCESS", "FAILURE", "REVOKED"}

log = logging.getLogger(__name__)


def client() -> redis.Redis:
    return redis_clients.app_client(current_app.config, "CELERY_BROKER_URL", "like-pending")


def key(article_id: int) -> str:
    return f"bs:agg-pending:{current_app.config.get('CELERY_TASK_DEFAULT_QUEUE') or 'celery'}:{article_id}"


def clear(article_id: int) -> None:
    client().delete(key(article_id))


class Watcher:
    """Per app and process: recounts owed (not sent yet) and sent (until seen finished)."""

    def __init__(self, app: Flask, send):
        self.app, self.send = app, send  # send(article_id, task_id, again) -> task id; raises if the broker is away
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.owed: dict[int, str] = {}  # article id -> the task id already promised to the caller
        self.sent: dict[int, tuple[str, float, int]] = {}  # article id -> (task id, when sent, re-sends)
        self.broker_down = False
        self.run_id = None
        self.thread = None
        self.owed_since: dict[int, float] = {}
        self.warned_at = 0.0
        self.tick_seconds = app.config.get("LIKE_RECOUNT_TICK_SECONDS", TICK_SECONDS)
        self.confirm_seconds = app.config.get("LIKE_RECOUNT_CONFIRM_SECONDS", CONFIRM_SECONDS)

    # -- called by the request ---------------------------------------------------------------
    def owe(self, article_id: int) -> str:
        """Remember a recount to send when the broker is back; the task id it will run under."""
        with self.lock:
            task_id = self.owed.setdefault(article_id, str(uuid.uuid4()))
        self._start()
        return task_id

    def watch(self, article_id: int, task_id: str, resends: int = 0) -> None:
        with self.lock:
            self.owed_since.pop(article_id, None)
            if len(self.sent) >= MAX_WATCHED:
                self.sent.pop(next(iter(self.sent)))
            self.sent[article_id] = (task_id, time.monotonic(), resends)
        self._start()

    def failed(self) -> None:
        self.broker_down = True  # until the watcher's PING answers: later likes don't wait on timeouts
        self._start()

    def _start(self) -> None:
        self.wake.set()
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="bs-like-recounts", daemon=True)
            self.thread.start()

    # -- the watcher thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self.wake.wait()
            with self.app.app_context():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - the watcher must outlive any one failure
                    log.exception("likes: recount watcher tick failed")
            with self.lock:
                idle = not self.owed and not self.sent and not self.broker_down
                if idle:
                    self.wake.clear()
            time.sleep(self.tick_seconds)

    def tick(self) -> None:
        """Check the broker; send what is owed, and re-send what a restart or a dead worker lost."""
        try:
            run_id = client().info("server")["run_id"]
        except (redis.RedisError, OSError):
            self.broker_down = True
            return
        restarted = self.run_id is not None and run_id != self.run_id
        self.run_id, self.broker_down = run_id, False
        with self.lock:
            owed, self.owed = self.owed, {}
            sent = dict(self.sent)
        resend = {article_id: (task_id, 0) for article_id, task_id in owed.items()}
        if restarted:
            log.warning("likes: the broker restarted; re-sending %d recent recounts", len(sent))
            resend.update({a: (None, 0) for a in sent if a not in resend})
        resend.update({a: (None, n) for a, n in self._lost(sent).items() if a not in resend})
        items = list(resend.items())
        for i, (article_id, (task_id, resends)) in enumerate(items):
            try:
                # No task id: a re-send of a recount that may have died after its commit (it must clear anyway).
                self.watch(article_id, self.send(article_id, task_id, again=task_id is None), resends)
            except Exception as exc:  # noqa: BLE001 - the broker failed again: keep owing the rest
                self._owe_again(items[i:], exc)
                return
        if items:
            log.info("likes: sent %d owed recounts", len(items))

    def _owe_again(self, items, exc) -> None:
        now = time.monotonic()
        if now - self.warned_at > WARN_EVERY_SECONDS:
            self.warned_at = now
            log.warning("likes: %d recounts still not sent: %s", len(items), exc)
        with self.lock:
            for article_id, (task_id, _) in items:
                since = self.owed_since.setdefault(article_id, now)
                if now - since < WATCH_SECONDS:  # then beat's reconcile has long caught up
                    self.owed.setdefault(article_id, task_id or str(uuid.uuid4()))
                else:
                    self.owed_since.pop(article_id, None)
        self.broker_down = True

    def _lost(self, sent: dict) -> dict[int, int]:
        """Drop finished recounts from the watch; {article id: re-sends so far} for those to send again.

        A recount not finished CONFIRM_SECONDS after it was sent may have been lost with a killed
        worker: STARTED and never finished, or taken by it and never started (see _vanished). A slow one is re-sent too (harmless: recounts are idempotent), so each
        re-send doubles the wait before the next (10, 20, 40 s...). One still in the queue waits.
        """
        now = time.monotonic()
        due = {a: entry for a, entry in sent.items() if now - entry[1] >= self.confirm_seconds * 2 ** entry[2]}
        if not due:
            return {}
        states = _task_states([task_id for task_id, _, _ in due.values()])
        vanished = _vanished([t for t, _, _ in due.values() if states.get(t) is None])
        lost, finished = {}, []
        for article_id, (task_id, sent_at, resends) in due.items():
            state = states.get(task_id)
            if state in DONE_STATES or self.confirm_seconds * 2 ** resends >= WATCH_SECONDS:
                finished.append(article_id)
            elif state == "STARTED" or task_id in vanished:
                lost[article_id] = resends + 1  # still queued, or RETRY: Celery's to finish
        with self.lock:
            for article_id in finished:
                if self.sent.get(article_id, (None,))[0] == due[article_id][0]:
                    del self.sent[article_id]
        return lost


def _task_states(task_ids: list[str]) -> dict[str, str]:
    """Stored Celery states of these tasks (one MGET on the result backend); missing means PENDING."""
    backend = current_app.extensions["celery"].backend
    if not hasattr(backend, "client"):
        return {}
    raw = backend.client.mget([backend.get_key_for_task(t) for t in task_ids])
    states = {}
    for task_id, value in zip(task_ids, raw):
        try:
            states[task_id] = json.loads(value)["status"]
        except (TypeError, ValueError, KeyError):
            continue
    return states


def _vanished(pending_ids: list[str]) -> set[str]:
    """Of these never-started tasks, those a killed worker took with it: delivered and unacknowledged
    (kombu's `unacked` hash), or neither there nor in the queue (popped by a BRPOP whose reply the
    worker never read). Only while the queue is declared (a worker consumes it) and short."""
    if not pending_ids:
        return set()
    broker, queue = client(), current_app.config.get("CELERY_TASK_DEFAULT_QUEUE") or "celery"
    if not broker.exists(f"_kombu.binding.{queue}") or broker.llen(queue) > MAX_QUEUE_SCAN:
        return set()
    unacked = {_message_id(raw) for raw in broker.hvals("unacked")}
    queued = {_message_id(raw, wrapped=False) for raw in broker.lrange(queue, 0, -1)}
    return {t for t in pending_ids if t in unacked or t not in queued}


def _message_id(raw, wrapped: bool = True) -> str | None:
    try:
        message = json.loads(raw)
        return (message[0] if wrapped else message)["headers"]["id"]
    except (TypeError, ValueError, KeyError, IndexError):
        return None


def watcher(send) -> Watcher:
    """This app's watcher in this process (a forked process gets a fresh one)."""
    extensions = current_app.extensions
    found = extensions.get("bs_like_watcher")
    if found is None or found.pid != os.getpid():
        found = extensions["bs_like_watcher"] = Watcher(current_app._get_current_object(), send)
    return found
