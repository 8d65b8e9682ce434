"""Helpers for the cache tests: count queries, look at raw entries, open the read-then-invalidate window."""
import threading
from contextlib import contextmanager

import redis
from sqlalchemy import event

from application.data.data_access import store
from application.extensions import db


class QueryCounter:
    """Counts statements (all threads), optionally only those matching a predicate."""

    def __init__(self, match=lambda sql: True):
        self.n, self.match, self._lock = 0, match, threading.Lock()

    def record(self, statement, parameters, context):
        if self.match(statement):
            with self._lock:
                self.n += 1


@contextmanager
def counting_queries(app, match=lambda sql: True):
    """Inside the block, counter.n counts the statements the app's engine runs (those matching)."""
    counter = QueryCounter(match)
    with each_statement(app, counter.record):
        yield counter


@contextmanager
def each_statement(app, record):
    """Inside the block, record(statement, parameters, context) for every statement the app's engine runs."""
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        record(statement, parameters, context)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def entry(app, key, groups=()):
    """(hit, value) of a cache entry as a reader would see it now (generations checked)."""
    with app.app_context():
        return store.peek(key, groups)


@contextmanager
def write_between_read_and_set(monkeypatch, key, write):
    """Run write() once when a reader that computed `key` is about to store it: the stale-set race.

    The reader has already read the database (the old value); write() commits and invalidates;
    then the reader's guarded set runs. Yields a dict whose "fired" says the window was hit.
    """
    original = store.Lease.store
    state = {"fired": False, "dropped_before": store.stats["dropped"]}

    def store_after_write(lease, value, timeout):
        if not state["fired"] and lease.key == key:
            state["fired"] = True
            write()
        return original(lease, value, timeout)

    monkeypatch.setattr(store.Lease, "store", store_after_write)
    yield state
    state["dropped"] = store.stats["dropped"] - state["dropped_before"]


def keys_with_prefix(url: str, prefix: str) -> set[bytes]:
    client = redis.Redis.from_url(url)
    try:
        return set(client.scan_iter(match=prefix + "*", count=1000))
    finally:
        client.close()
