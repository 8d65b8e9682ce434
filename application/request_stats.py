"""Per-request counters (DB queries, cache hits) in a ContextVar.

A ContextVar (per thread, and per greenlet under gevent) is cheaper than
flask.g and works outside Flask too (the WSGI middleware sets it). Kept
dependency-free so the cache backend and the SQLAlchemy listeners can feed it.
"""
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)  # one small object per request, no __dict__
class RequestStats:
    db_queries: int = 0
    db_ms: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    cache_ms: float = 0.0


_current: ContextVar[RequestStats | None] = ContextVar("bs_request_stats", default=None)


def start() -> RequestStats:
    """Begin counting for the current test (the middleware does the same inline, with set_stats)."""
    stats = RequestStats()
    _current.set(stats)
    return stats


set_stats = _current.set  # the middleware's per-request start and end (None), without a Python call around it


def current() -> RequestStats | None:
    return _current.get()


def record_cache(hit: bool, ms: float) -> None:
    stats = current()
    if stats is not None:
        if hit:
            stats.cache_hits += 1
        else:
            stats.cache_misses += 1
        stats.cache_ms += ms


def record_query(ms: float) -> None:
    stats = current()
    if stats is not None:
        stats.db_queries += 1
        stats.db_ms += ms
