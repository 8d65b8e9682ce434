"""Per-request counters (DB queries, cache hits) kept on flask.g, plus process totals.

Kept dependency-free so the cache backend and the SQLAlchemy listeners can
feed it without importing the app.
"""
import threading
from dataclasses import dataclass

from flask import g, has_app_context


@dataclass
class RequestStats:
    db_queries: int = 0
    db_ms: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    cache_ms: float = 0.0


# Running totals for this process: an operator reads them via cache_totals().
_totals_lock = threading.Lock()
_totals = {"cache_hits": 0, "cache_misses": 0, "db_queries": 0}


def start() -> RequestStats:
    g.bs_stats = RequestStats()
    return g.bs_stats


def current() -> RequestStats | None:
    return g.get("bs_stats") if has_app_context() else None


def record_cache(hit: bool, ms: float) -> None:
    stats = current()
    if stats is not None:
        if hit:
            stats.cache_hits += 1
        else:
            stats.cache_misses += 1
        stats.cache_ms += ms
    with _totals_lock:
        _totals["cache_hits" if hit else "cache_misses"] += 1


def record_query(ms: float) -> None:
    stats = current()
    if stats is not None:
        stats.db_queries += 1
        stats.db_ms += ms
    with _totals_lock:
        _totals["db_queries"] += 1


def totals() -> dict:
    """A copy of this process's running totals."""
    with _totals_lock:
        return dict(_totals)
