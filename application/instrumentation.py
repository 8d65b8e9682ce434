"""Always-on, cheap per-request measurement, as WSGI middleware around the Flask app.

Every response gets Server-Timing (db, cache, app), X-Request-Id and one
structured log line; each request's duration also goes to metrics_store (in
memory, flushed to Redis about once a second) for the admin performance page.
Query counting uses SQLAlchemy engine events and cache counting happens in the
cache backend, both into request_stats. Middleware rather than Flask hooks: it
sees identity loading, CSRF and compression too, and costs a few microseconds
(no LocalProxy lookups, no LogRecord).
"""
import itertools
import os
import sys
import threading
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from application import metrics_store, request_stats

_listeners_installed = False


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    conn.info.setdefault("bs_query_start", []).append(time.perf_counter())


def _after_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    started = conn.info["bs_query_start"].pop()
    request_stats.record_query((time.perf_counter() - started) * 1000)


def install_query_listeners() -> None:
    """Count queries on every engine (idempotent; class-level so new engines are covered)."""
    global _listeners_installed
    if not _listeners_installed:
        event.listen(Engine, "before_cursor_execute", _before_cursor_execute)
        event.listen(Engine, "after_cursor_execute", _after_cursor_execute)
        _listeners_installed = True


class RequestLog:
    """One JSON line per request, written in batches (at most FLUSH_SECONDS late, and at exit):
    a write() per request cost more than all the rest of the measurement."""

    FLUSH_SECONDS = 1.0

    def __init__(self, stream=None):
        self.stream = stream or open(sys.stderr.fileno(), "w", buffering=1 << 16, closefd=False, encoding="utf-8")
        self.lock = threading.Lock()
        self.flushed_at = time.monotonic()

    def write(self, line: str) -> None:
        with self.lock:
            self.stream.write(line)
            now = time.monotonic()
            if now - self.flushed_at >= self.FLUSH_SECONDS:
                self.flushed_at = now
                self.stream.flush()


def _json_str(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class RequestIds:
    """Unique, cheap ids: a random per-process prefix and a counter (re-seeded after fork)."""

    def __init__(self):
        self.pid = None

    def next(self) -> str:
        if self.pid != os.getpid():
            self.pid, self.prefix, self.counter = os.getpid(), os.urandom(6).hex(), itertools.count(1)
        return f"{self.prefix}{next(self.counter):010x}"


_NOTHING_USED = 'db;dur=0.00;desc="0 queries", cache;dur=0.00;desc="0 hit 0 miss", app;dur='


def _server_timing(stats, app_ms: float) -> str:
    if not (stats.db_queries or stats.cache_hits or stats.cache_misses):
        return f"{_NOTHING_USED}{app_ms:.2f}"  # the common cheap case: one float to format
    return (f'db;dur={stats.db_ms:.2f};desc="{stats.db_queries} queries", '
            f'cache;dur={stats.cache_ms:.2f};desc="{stats.cache_hits} hit {stats.cache_misses} miss", '
            f"app;dur={app_ms:.2f}")


class MeasuringMiddleware:
    def __init__(self, wsgi_app, flask_app: Flask, log: RequestLog | None):
        self.wsgi_app, self.flask_app, self.log = wsgi_app, flask_app, log
        self.ids = RequestIds()

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        stats = request_stats.start()
        request_id = environ.get("HTTP_X_REQUEST_ID", "")[:200] or self.ids.next()
        environ["bs.request_id"] = request_id

        def measured_start_response(status, headers, exc_info=None):
            app_ms = (time.perf_counter() - started) * 1000
            headers.append(("Server-Timing", _server_timing(stats, app_ms)))
            headers.append(("X-Request-Id", request_id))
            self._record(environ, status, app_ms, stats, request_id)
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, measured_start_response)
        finally:
            request_stats.stop()

    def _record(self, environ, status: str, app_ms: float, stats, request_id: str) -> None:
        endpoint = environ.get("bs.endpoint")
        if endpoint is None:
            flask_request = environ.get("werkzeug.request")
            rule = getattr(flask_request, "url_rule", None)
            endpoint = rule.endpoint if rule is not None else "(no route)"
        metrics_store.record_request(endpoint, app_ms, stats.cache_hits, stats.cache_misses)
        if self.log is not None:
            self.log.write(
                f'{{"request_id": "{_json_str(request_id)}", "method": "{environ.get("REQUEST_METHOD", "")}", '
                f'"path": "{_json_str(environ.get("PATH_INFO", ""))}", "status": {status[:3]}, '
                f'"ms": {app_ms:.2f}, "queries": {stats.db_queries}, "cache_hits": {stats.cache_hits}, '
                f'"cache_misses": {stats.cache_misses}}}\n'
            )


def init_app(app: Flask) -> None:
    """Wrap app.wsgi_app (call last, so the middleware is outermost)."""
    if not app.config.get("INSTRUMENTATION_ENABLED", True):
        return  # only the benchmark turns it off, to measure what it costs
    install_query_listeners()
    metrics_store.init_app(app)
    stream = app.config.get("REQUEST_LOG_STREAM")  # tests pass a StringIO; they log nothing otherwise
    request_log = RequestLog(stream) if stream is not None else (None if app.testing else RequestLog())
    app.wsgi_app = MeasuringMiddleware(app.wsgi_app, app, request_log)
