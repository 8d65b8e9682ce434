"""The web side's watcher of like recounts (one per app and process; see pending.py for the batching).

Never lost: the Watcher keeps the flushes this process sent or could not send, and the article ids
each of its likes dirtied, until it sees them finished, and acts when
- the broker was away (connection refused, or paused past the socket timeout): the like is saved
  and answered at once with the task id the flush will run under; the ids are added and the flush
  sent as soon as the broker answers a PING again (checked every TICK_SECONDS);
- the broker restarted (its run_id changed): a Redis without persistence lost the queue and the
  dirty set: the ids of recent likes are added again and a flush sent;
- a flush it sent has not finished CONFIRM_SECONDS after it was sent: the worker that took it may
  have been killed (acks_late only helps if the worker itself survives); re-sent with its claim,
  with a doubling wait, so a backlog is not flooded.
A recount is idempotent (it counts rows), so a re-send costs queries, never a wrong count. What a
killed web process owed is caught by beat's reconcile.
"""
import json
import logging
import os
import threading
import time
import uuid

import redis
from flask import Flask, current_app

from .pending import client, flush_window

TICK_SECONDS = 0.5  # how often the watcher checks the broker while it has something to watch
CONFIRM_SECONDS = 10  # a flush STARTED this long ago and not finished is taken as lost
WATCH_SECONDS = 600  # a flush still queued after this is left to beat's reconcile
MAX_WATCHED = 10_000
WARN_EVERY_SECONDS = 30
MAX_QUEUE_SCAN = 1000  # longer queue: a missing flush is probably just waiting (not scanned)
DONE_STATES = {"SUCCESS", "FAILURE", "REVOKED"}

log = logging.getLogger(__name__)


class Watcher:
    """Per app and process: flushes owed (not sent yet) and sent or joined (until seen finished)."""

    def __init__(self, app: Flask, send):
        # send(task_id, article_ids, again, reclaim) -> task id; raises if the broker is away
        self.app, self.send = app, send
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.owed: set[int] = set()  # article ids to add once the broker is back
        self.owed_task: str | None = None  # the task id already promised to those likes
        self.owed_since: float | None = None
        # task id -> [article ids this process dirtied under it, when first seen, re-sends, sent here]
        self.sent: dict[str, list] = {}
        self.broker_down = False
        self.stopped = False
        self.run_id = None
        self.thread = None
        self.warned_at = 0.0
        self.tick_seconds = app.config.get("LIKE_RECOUNT_TICK_SECONDS", TICK_SECONDS)
        self.confirm_seconds = app.config.get("LIKE_RECOUNT_CONFIRM_SECONDS", CONFIRM_SECONDS)
        # A flush cannot finish before its countdown: it is due for checking that much later.
        self.window = flush_window(app.config)

    # -- called by the request ---------------------------------------------------------------
    def owe(self, article_id: int) -> str:
        """Remember an id to flush when the broker is back; the task id the flush will run under."""
        with self.lock:
            self.owed.add(article_id)
            self.owed_task = self.owed_task or str(uuid.uuid4())
            self.owed_since = self.owed_since or time.monotonic()
            task_id = self.owed_task
        self._start()
        return task_id

    def watch(self, task_id: str, article_ids, mine: bool, resends: int = 0) -> None:
        """A like's ids went into the flush task_id (sent by this process when mine)."""
        with self.lock:
            entry = self.sent.get(task_id)
            if entry is None:
                if len(self.sent) >= MAX_WATCHED:
                    self.sent.pop(next(iter(self.sent)))
                entry = self.sent[task_id] = [set(), time.monotonic(), resends, mine]
            entry[0].update(article_ids)
            entry[3] = entry[3] or mine
        self._start()

    def failed(self) -> None:
        self.broker_down = True  # until the watcher's PING answers: later likes don't wait on timeouts
        self._start()

    def _start(self) -> None:
        if not self.wake.is_set():
            self.wake.set()
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="bs-like-recounts", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        """End the thread (its app is being disposed of: tests); what it watched is left to beat's reconcile."""
        self.stopped = True
        self.wake.set()

    # -- the watcher thread ------------------------------------------------------------------
    def _run(self) -> None:
        while not self.stopped:
            self.wake.wait()
            if self.stopped:
                return
            with self.app.app_context():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - the watcher must outlive any one failure
                    log.exception("likes: recount watcher tick failed")
            with self.lock:
                if not self.owed and not self.sent and not self.broker_down:
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
            owed, task_id, self.owed, self.owed_task = self.owed, self.owed_task, set(), None
            sent = {t: (set(e[0]), e[1], e[2], e[3]) for t, e in self.sent.items()}
        sends = []  # (task id or None, ids, again, reclaim, re-sends so far)
        if restarted:  # the dirty set and the queue may be gone: every recent id again
            log.warning("likes: the broker restarted; flushing the ids of %d recent recounts", len(sent))
            owed |= {i for ids, *_ in sent.values() for i in ids}
            with self.lock:
                self.sent.clear()
        if owed:
            sends.append((task_id, owed, restarted, (), 0))
        if not restarted:
            sends += [(None, sent[t][0], True, (t,), n) for t, n in self._lost(sent).items()]
        for i, (task, ids, again, reclaim, resends) in enumerate(sends):
            try:
                # No task id: a re-send of a flush that may have died after its commit (it must clear anyway).
                self.watch(self.send(task, sorted(ids), again=again, reclaim=reclaim), ids, True, resends)
            except Exception as exc:  # noqa: BLE001 - the broker failed again: keep owing the rest
                self._owe_again(sends[i:], task_id, exc)
                return
        if owed:
            log.info("likes: flushed %d owed recounts", len(owed))
        with self.lock:
            self.owed_since = None if not self.owed else self.owed_since

    def _owe_again(self, sends, task_id, exc) -> None:
        now = time.monotonic()
        if now - self.warned_at > WARN_EVERY_SECONDS:
            self.warned_at = now
            log.warning("likes: %d recounts still not sent: %s", sum(len(s[1]) for s in sends), exc)
        with self.lock:
            if self.owed_since is None or now - self.owed_since < WATCH_SECONDS:  # then beat's reconcile caught up
                for _, ids, *_ in sends:
                    self.owed |= ids
                self.owed_task = self.owed_task or task_id or str(uuid.uuid4())
                self.owed_since = self.owed_since or now
            else:
                self.owed_since = None
        self.broker_down = True

    def _lost(self, sent: dict) -> dict[str, int]:
        """Drop finished flushes from the watch; {task id: re-sends so far} for those to send again.

        A flush this process sent and that has not finished CONFIRM_SECONDS later may have been lost
        with a killed worker: STARTED and never finished, or taken by it and never started (see
        _vanished). A slow one is re-sent too (harmless: recounts are idempotent), so each re-send
        doubles the wait before the next (10, 20, 40 s...). One still in the queue waits.
        """
        now = time.monotonic()
        due = {t: e for t, e in sent.items() if now - e[1] >= self.window + self.confirm_seconds * 2 ** e[2]}
        if not due:
            return {}
        states = _task_states(list(due))
        vanished = _vanished([t for t, e in due.items() if e[3] and states.get(t) is None])
        lost, finished = {}, []
        for task_id, (_, _, resends, mine) in due.items():
            state = states.get(task_id)
            if state in DONE_STATES or self.confirm_seconds * 2 ** resends >= WATCH_SECONDS:
                finished.append(task_id)
            elif mine and (state == "STARTED" or task_id in vanished):
                lost[task_id] = resends + 1  # still queued, or RETRY: Celery's to finish
                finished.append(task_id)  # its re-send is watched under the new id
        with self.lock:
            for task_id in finished:
                self.sent.pop(task_id, None)
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
