"""Always-on, cheap per-request measurement.

Every response gets Server-Timing (db, cache, app), X-Request-Id and one
structured log line. Query counting uses SQLAlchemy engine events; cache
counting happens in the cache backend (see request_stats). Each request's
duration also goes to metrics_store (in memory, flushed to Redis about once a
second) for the admin performance page.
"""
import logging
import time
import uuid

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from application import metrics_store, request_stats

log = logging.getLogger("broadsheet.request")
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


def _start_measuring():
    g.bs_started = time.perf_counter()
    request_stats.start()
    incoming = request.headers.get("X-Request-Id")
    g.request_id = incoming[:200] if incoming else uuid.uuid4().hex


def _add_timing_headers(response):
    stats = request_stats.current()
    started = g.get("bs_started")
    if stats is None or started is None:
        return response
    app_ms = (time.perf_counter() - started) * 1000
    headers = response.headers
    headers["Server-Timing"] = (
        f'db;dur={stats.db_ms:.2f};desc="{stats.db_queries} queries", '
        f'cache;dur={stats.cache_ms:.2f};desc="{stats.cache_hits} hit {stats.cache_misses} miss", '
        f"app;dur={app_ms:.2f}"
    )
    headers["X-Request-Id"] = g.request_id
    endpoint = request.endpoint or "(no route)"
    metrics_store.record_request(endpoint, app_ms, stats.cache_hits, stats.cache_misses)
    if log.isEnabledFor(logging.INFO):
        # Formatted by hand: json.dumps costs more than the rest of this hook.
        path = request.path.replace("\\", "\\\\").replace('"', '\\"')
        log.info(
            '{"request_id": "%s", "method": "%s", "path": "%s", "status": %d, "ms": %.2f, "queries": %d, '
            '"cache_hits": %d, "cache_misses": %d}', g.request_id.replace('"', ""), request.method, path,
            response.status_code, app_ms, stats.db_queries, stats.cache_hits, stats.cache_misses,
        )
    return response


def init_app(app: Flask) -> None:
    if not app.config.get("INSTRUMENTATION_ENABLED", True):
        return  # only the benchmark turns it off, to measure what it costs
    install_query_listeners()
    metrics_store.init_app(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_measuring)
    # Index 0: after_request functions run in reverse, so this one runs last and sees the final response.
    app.after_request_funcs.setdefault(None, []).insert(0, _add_timing_headers)


def measure_first(app: Flask) -> None:
    """Move the start of measurement before every other before_request (call after all are registered)."""
    funcs = app.before_request_funcs.get(None, [])
    if _start_measuring in funcs:
        funcs.remove(_start_measuring)
        funcs.insert(0, _start_measuring)
