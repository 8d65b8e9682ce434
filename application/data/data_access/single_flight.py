"""Stampede protection: on a cache miss, one caller computes, the rest wait.

Used *inside* @cache.memoize, so it only runs on a miss. The first caller
takes a short Redis lock (SET NX PX) holding a random token and publishes its
result under that token; callers that find the lock held poll for that
token's result for a bounded time, then compute it themselves. Tying the
result to the token means a waiter never picks up a result computed before an
invalidation.
"""
import functools
import time
import uuid

from application.extensions import cache

from ..cache_backend import ResilientRedisCache

LOCK_MS = 5000
RESULT_MS = 5000
WAIT_SECONDS = 3.0
POLL_SECONDS = 0.01


def _backend() -> ResilientRedisCache | None:
    backend = getattr(cache, "cache", None)
    if isinstance(backend, ResilientRedisCache) and backend.available():
        return backend
    return None


def single_flight(fn):
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args):
        backend = _backend()
        if backend is None:
            return fn(*args)
        client, base = backend.client, f"{backend.prefix}sf:{name}:{args!r}"
        token = uuid.uuid4().hex
        if backend.run(True, client.set, f"{base}:lock", token, nx=True, px=LOCK_MS):
            try:
                result = fn(*args)
                backend.run(None, client.set, f"{base}:{token}", backend.serializer.dumps(result), px=RESULT_MS)
                return result
            finally:
                backend.run(None, client.delete, f"{base}:lock")
        return _wait_for_leader(backend, base, fn, args)

    return wrapper


def _wait_for_leader(backend, base, fn, args):
    client = backend.client
    leader = backend.run(None, client.get, f"{base}:lock")
    deadline = time.monotonic() + WAIT_SECONDS
    while leader and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        raw = backend.run(None, client.get, f"{base}:{leader.decode()}")
        if raw is not None:
            return backend.serializer.loads(raw)
        if not backend.run(False, client.exists, f"{base}:lock"):
            raw = backend.run(None, client.get, f"{base}:{leader.decode()}")
            if raw is not None:
                return backend.serializer.loads(raw)
            break  # the leader failed: compute it ourselves
    return fn(*args)
