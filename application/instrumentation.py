"""Always-on, cheap per-request measurement, as WSGI middleware around the Flask app.

Every response gets Server-Timing (db, cache, app) and X-Request-Id; each
request becomes one structured log line and a count in metrics_store (the admin
performance page), both written in a batch about once a second (RequestRecorder).
Query counting uses SQLAlchemy engine events and cache counting happens in the
cache backend, both into request_stats. Middleware rather than Flask hooks: it
sees identity loading, CSRF and compression too, and costs a few microseconds
(no LocalProxy lookups, no LogRecord).
"""
import atexit
import itertools
import os
import sys
import threading
import time
from collections import deque
from time import perf_counter

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from application import metrics_store
from application.request_stats import RequestStats, record_query, set_stats

_listeners_installed = False


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    conn.info.setdefault("bs_query_start", []).append(time.perf_counter())


def _after_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    started = conn.info["bs_query_start"].pop()
    record_query((time.perf_counter() - started) * 1000)


def install_query_listeners() -> None:
    """Count queries on every engine (idempotent; class-level so new engines are covered)."""
    global _listeners_installed
    if not _listeners_installed:
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
        event.listen(Engine, "after_cursor_execute", _after_cursor_execute)
        _listeners_installed = True


class RequestRecorder:
    """Keeps each request's numbers as a tuple in a deque (append is thread-safe and cheap) and, about
    once a second and at exit, writes them as JSON log lines and counts them into metrics_store in one
    batch. Formatting and counting per request cost more than all the rest of the measurement."""

    FLUSH_SECONDS = 1.0

    def __init__(self, stream, metrics: bool):
        self.stream, self.metrics = stream, metrics
        self.pending: deque = deque()
        self.lock = threading.Lock()
        self.flush_at = time.monotonic() + self.FLUSH_SECONDS
        atexit.register(self.flush)

    def add(self, record: tuple) -> None:
        self.pending.append(record)
        if time.monotonic() >= self.flush_at:
            self.flush()

    def flush(self) -> None:
        self.flush_at = time.monotonic() + self.FLUSH_SECONDS
        pending = self.pending
        with self.lock:  # the records there now; one added meanwhile waits for the next flush
            batch = [pending.popleft() for _ in range(len(pending))]
        if not batch:
            return
        if self.stream is not None:
            lines = "".join([  # one comprehension, no call per line: this runs for every request
                f'{{"request_id": "{_json_str(rid)}", "method": "{method}", "path": "{_json_str(path)}", '
                f'"status": {status}, "ms": {ms:.2f}, "queries": {queries}, "cache_hits": {hits}, '
                f'"cache_misses": {misses}}}\n'
                for rid, method, path, status, ms, queries, hits, misses, _ in batch])
            with self.lock:
                try:
                    self.stream.write(lines)
                    self.stream.flush()
                except (OSError, ValueError):  # the stream was closed under us (at exit): drop the lines
                    pass
        if self.metrics:
            metrics_store.record_requests([(r[8], r[4], r[6], r[7]) for r in batch])


def _json_str(value: str) -> str:
    if '"' in value or "\\" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"')
    return value


class RequestIds:
    """Unique, cheap ids: a random per-process prefix and a counter (re-seeded in a forked child)."""

    def __init__(self):
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self.prefix, self.counter = os.urandom(6).hex(), itertools.count(1)

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter):010x}"


_NOTHING_USED = 'db;dur=0.00;desc="0 queries", cache;dur=0.00;desc="0 hit 0 miss", app;dur='
_NO_QUERIES = 'db;dur=0.00;desc="0 queries", cache;dur='


def _server_timing(stats, app_ms: float) -> str:
    # Float formatting is most of this function's cost: the common cases format only what is not zero.
    if not stats.db_queries:
        if not (stats.cache_hits or stats.cache_misses):
            return f"{_NOTHING_USED}{app_ms:.2f}"
        return (f'{_NO_QUERIES}{stats.cache_ms:.2f};desc="{stats.cache_hits} hit {stats.cache_misses} miss", '
                f"app;dur={app_ms:.2f}")
    return (f'db;dur={stats.db_ms:.2f};desc="{stats.db_queries} queries", '
            f'cache;dur={stats.cache_ms:.2f};desc="{stats.cache_hits} hit {stats.cache_misses} miss", '
            f"app;dur={app_ms:.2f}")


class MeasuringMiddleware:
    def __init__(self, wsgi_app, recorder: RequestRecorder | None):
        self.wsgi_app, self.recorder = wsgi_app, recorder
        self.ids = RequestIds()

    def __call__(self, environ, start_response):
        # Every line here runs for every request; bench/instr_cost.py measures what they add.
        started = perf_counter()
        stats = RequestStats()
        set_stats(stats)
        request_id = environ.get("HTTP_X_REQUEST_ID")
        request_id = request_id[:200] if request_id else self.ids.next()
        recorder = self.recorder

        def measured_start_response(status, headers, exc_info=None):
            app_ms = (perf_counter() - started) * 1000
            headers += (("Server-Timing", _server_timing(stats, app_ms)), ("X-Request-Id", request_id))
            if recorder is not None:  # plain values only: the GC skips such tuples while they wait
                recorder.add((request_id, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""),
                              status[:3], app_ms, stats.db_queries, stats.cache_hits, stats.cache_misses,
                              environ.get("bs.endpoint") or _endpoint(environ)))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, measured_start_response)
        finally:
            set_stats(None)


def _endpoint(environ) -> str:
    """The route name of a request Flask answered (never the raw path: bounded metrics), known now; the
    request is gone by the flush. A fast path names itself in environ["bs.endpoint"]."""
    rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
    return rule.endpoint if rule is not None else "(no route)"


def init_app(app: Flask) -> None:
    """Wrap app.wsgi_app (call last, so the middleware is outermost)."""
    if not app.config.get("INSTRUMENTATION_ENABLED", True):
        return  # only the benchmark turns it off, to measure what it costs
    install_query_listeners()
    metrics_store.init_app(app)
    stream = app.config.get("REQUEST_LOG_STREAM")  # tests pass a StringIO; they log nothing otherwise
    if stream is None and not app.testing:
        stream = open(sys.stderr.fileno(), "w", buffering=1 << 16, closefd=False, encoding="utf-8")
    metrics = metrics_store.enabled()
    recorder = RequestRecorder(stream, metrics) if stream is not None or metrics else None
    app.extensions["bs_request_recorder"] = recorder
    app.wsgi_app = MeasuringMiddleware(app.wsgi_app, recorder)
