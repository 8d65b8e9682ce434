"""Always-on, cheap per-request measurement.

Every response gets Server-Timing (db, cache, app), X-Request-Id and one
structured log line. Query counting uses SQLAlchemy engine events; cache
counting happens in the cache backend (see request_stats).
"""
import json
import logging
import time
import uuid

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from application import request_stats

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


def init_app(app: Flask) -> None:
    install_query_listeners()

    @app.before_request
    def _start_measuring():
        g.bs_started = time.perf_counter()
        request_stats.start()
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming[:200] if incoming else uuid.uuid4().hex

    @app.after_request
    def _add_timing_headers(response):
        stats = request_stats.current()
        if stats is None or "bs_started" not in g:
            return response
        app_ms = (time.perf_counter() - g.bs_started) * 1000
        response.headers["Server-Timing"] = (
            f'db;dur={stats.db_ms:.2f};desc="{stats.db_queries} queries", '
            f'cache;dur={stats.cache_ms:.2f};desc="{stats.cache_hits} hit {stats.cache_misses} miss", '
            f"app;dur={app_ms:.2f}"
        )
        response.headers["X-Request-Id"] = g.request_id
        if log.isEnabledFor(logging.INFO):
            log.info(json.dumps({
                "request_id": g.request_id, "method": request.method, "path": request.path,
                "status": response.status_code, "ms": round(app_ms, 2), "queries": stats.db_queries,
                "cache_hits": stats.cache_hits, "cache_misses": stats.cache_misses,
            }))
        return response
