"""RedisCache that never breaks a page: Redis errors become misses/no-ops.

After an error the backend skips Redis for CACHE_RETRY_AFTER_SECONDS (a
circuit breaker), logs once per outage, and when Redis answers again it
drops this app's keys if an invalidation was lost while it was away.
Every get() is counted as a hit or miss for Server-Timing.
"""
import logging
import threading
import time

from flask_caching.backends.rediscache import RedisCache
from redis.exceptions import RedisError

from application import redis_clients, request_stats

log = logging.getLogger(__name__)

DROP_ALL = b'{"all":true}'  # the invalidation message that empties every in-process tier


def invalidation_channel(prefix: str) -> str:
    """The pub/sub channel of cache invalidations (data_access/local_tier.py listens on it)."""
    return prefix + "invalidations"


class ResilientRedisCache(RedisCache):
    def __init__(self, *args, retry_after: float = 5.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after
        self._down_until = 0.0
        self._lost_invalidation = False
        self._lock = threading.Lock()

    @classmethod
    def factory(cls, app, config, args, kwargs):
        kwargs["retry_after"] = config.get("CACHE_RETRY_AFTER_SECONDS", 5.0)
        # CACHE_OPTIONS arrive in kwargs: they configure the process-wide bounded pool
        # (application/redis_clients.py), not an uncapped pool per app.
        kwargs["host"] = redis_clients.client_for(
            config["CACHE_REDIS_URL"], "cache", max_connections=kwargs.pop("max_connections", 20),
            socket_timeout=kwargs.pop("socket_timeout", 0.25),
            connect_timeout=kwargs.pop("socket_connect_timeout", 0.25))
        kwargs["key_prefix"] = config.get("CACHE_KEY_PREFIX") or ""
        return cls(*args, **kwargs)

    @property
    def client(self):
        """The raw redis client (for data_access/store.py: leases, generations, guarded sets)."""
        return self._write_client

    @property
    def prefix(self) -> str:
        return self._get_prefix()

    # -- circuit breaker -------------------------------------------------
    def available(self) -> bool:
        if self._down_until == 0.0:
            return True
        if time.monotonic() < self._down_until:
            return False
        return self._recover()

    def _recover(self) -> bool:
        with self._lock:
            try:
                self._write_client.ping()
                if self._lost_invalidation:
                    # Deletes were skipped while Redis was away: anything cached
                    # before the outage may be stale, so start this app's keys afresh.
                    super().clear()
                    self._write_client.publish(invalidation_channel(self.prefix), DROP_ALL)
                    self._lost_invalidation = False
            except RedisError:
                self._down_until = time.monotonic() + self.retry_after
                return False
            log.warning("cache: Redis is back; caching resumed")
            self._down_until = 0.0
            return True

    def _failed(self, exc: Exception, invalidation: bool = False) -> None:
        if invalidation:
            self._lost_invalidation = True
        if self._down_until == 0.0:
            log.error("cache: Redis unavailable (%s); serving from the database for %ss", exc, self.retry_after)
        self._down_until = time.monotonic() + self.retry_after

    def _guard(self, default, fn, *args, invalidation=False, **kwargs):
        if not self.available():
            if invalidation:
                self._lost_invalidation = True
            return default
        try:
            return fn(*args, **kwargs)
        except RedisError as exc:
            self._failed(exc, invalidation)
            return default

    # -- reads (counted) -------------------------------------------------
    def get(self, key):
        started = time.perf_counter()
        value = self._guard(None, super().get, key)
        request_stats.record_cache(value is not None, (time.perf_counter() - started) * 1000)
        return value

    def get_many(self, *keys):
        return self._guard([None] * len(keys), super().get_many, *keys)

    def has(self, key):
        return self._guard(False, super().has, key)

    # -- writes ----------------------------------------------------------
    def set(self, key, value, timeout=None):
        return self._guard(False, super().set, key, value, timeout)

    def add(self, key, value, timeout=None):
        return self._guard(False, super().add, key, value, timeout)

    def set_many(self, mapping, timeout=None):
        return self._guard([], super().set_many, mapping, timeout)

    def delete(self, key):
        return self._guard(False, super().delete, key, invalidation=True)

    def delete_many(self, *keys):
        # One DEL. cachelib's version re-checks each key with EXISTS (a round trip
        # per key) and raises if a concurrent reader re-cached one meanwhile.
        if not keys:
            return []
        prefix = self._get_prefix()
        self._guard(None, self._write_client.delete, *(prefix + k for k in keys), invalidation=True)
        return list(keys)

    def unlink(self, *keys):
        return self._guard(None, super().unlink, *keys, invalidation=True)

    def inc(self, key, delta=1):
        return self._guard(None, super().inc, key, delta, invalidation=True)

    def clear(self):
        cleared = self._guard(False, super().clear, invalidation=True)
        # The in-process tiers hold copies of what was just deleted.
        self._guard(None, self._write_client.publish, invalidation_channel(self.prefix), DROP_ALL, invalidation=True)
        return cleared

    def run(self, default, fn, *args, invalidation=False, **kwargs):
        """Run a raw-client call under the same breaker (for locks and tracking)."""
        return self._guard(default, fn, *args, invalidation=invalidation, **kwargs)
