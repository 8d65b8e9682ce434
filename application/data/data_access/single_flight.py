"""Stampede protection for memoized reads: on a miss, one caller computes, the rest wait.

Wraps a @cache.memoize function (decorate with @single_flight *above*
@cache.memoize()). A hit costs what memoize alone costs. On a miss the first
caller takes a short Redis lock (SET NX PX) and calls the memoized function,
which computes and stores the value; the others poll the same cache key for a
bounded time (then compute themselves), and a late caller that finds the lock
already released finds the value through memoize. Invalidation is unchanged:
cache.delete_memoized(wrapper, *args) works because the wrapper carries
memoize's attributes.
"""
import functools
import time

from application import request_stats
from application.extensions import cache

from ..cache_backend import ResilientRedisCache

LOCK_MS = 5000
WAIT_SECONDS = 3.0
POLL_SECONDS = 0.005


def _backend() -> ResilientRedisCache | None:
    backend = getattr(cache, "cache", None)
    if isinstance(backend, ResilientRedisCache) and backend.available():
        return backend
    return None


def single_flight(memoized):
    if not hasattr(memoized, "make_cache_key"):
        raise TypeError(f"@single_flight must be placed above @cache.memoize() on {memoized.__qualname__}")

    @functools.wraps(memoized)
    def wrapper(*args):
        backend = _backend()
        if backend is None:
            return memoized(*args)
        key = memoized.make_cache_key(memoized.uncached, *args)
        started = time.perf_counter()
        value = backend.get_uncounted(key)
        if value is not None:
            request_stats.record_cache(True, (time.perf_counter() - started) * 1000)
            return value
        return _compute_once(backend, key, memoized, args)  # memoize's own get counts the miss

    return wrapper


def _compute_once(backend, key, memoized, args):
    client, lock = backend.client, f"{backend.prefix}sf:{key}"
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if backend.run(True, client.set, lock, b"1", nx=True, px=LOCK_MS):
            try:
                return memoized(*args)  # memoize re-checks the key, computes and stores
            finally:
                backend.run(None, client.delete, lock)
        while backend.run(False, client.exists, lock) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            value = backend.get_uncounted(key)
            if value is not None:
                request_stats.record_cache(False, 0.0)  # a miss that waited for the leader
                return value
    return memoized(*args)
