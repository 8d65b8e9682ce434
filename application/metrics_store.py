"""Per-endpoint request timings, cache hits and Celery task counts, kept in Redis with bounded memory.

Each process aggregates in memory and flushes about once a second with one
pipeline: per-minute hashes (request counts per endpoint, a latency histogram
per endpoint, cache hits/misses, task outcomes), each with a TTL, so memory is
bounded by (minutes kept) x (endpoints) x (histogram buckets), whatever the
traffic. Endpoints are route names, never raw paths. Redis errors drop the
numbers (and pause flushing), never a request.
"""
import bisect
import threading
import time

import redis
from flask import Flask

from application import redis_clients

# Upper bounds (ms) of the latency histogram buckets; the last one catches the rest.
BUCKETS_MS = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
              float("inf"))
KEEP_SECONDS = 2 * 3600
FLUSH_EVERY = 1.0
PAUSE_AFTER_ERROR = 10.0


class MetricsStore:
    def __init__(self, url: str, prefix: str):
        self.client = redis_clients.client_for(url, "metrics", socket_timeout=0.25, connect_timeout=0.25)
        self.prefix = prefix
        self._lock = threading.Lock()
        self._pending: dict = {}
        self._last_flush = time.monotonic()
        self._paused_until = 0.0

    def key(self, minute: int, kind: str, endpoint: str = "") -> str:
        return f"{self.prefix}perf:{minute}:{kind}" + (f":{endpoint}" if endpoint else "")

    def record(self, kind: str, endpoint: str, field: str, n: int = 1) -> None:
        minute = int(time.time() // 60)
        with self._lock:
            slot = (minute, kind, endpoint, field)
            self._pending[slot] = self._pending.get(slot, 0) + n
        if time.monotonic() - self._last_flush >= FLUSH_EVERY:
            self.flush()

    def add_requests(self, requests: list[tuple]) -> None:
        """A batch of (endpoint, ms, cache hits, cache misses), counted and flushed at once."""
        minute = int(time.time() // 60)
        with self._lock:
            pending = self._pending
            for endpoint, ms, hits, misses in requests:
                slot = (minute, "lat", endpoint, bisect.bisect_left(BUCKETS_MS, ms))
                pending[slot] = pending.get(slot, 0) + 1
                if hits:
                    slot = (minute, "cache", "", "hit")
                    pending[slot] = pending.get(slot, 0) + hits
                if misses:
                    slot = (minute, "cache", "", "miss")
                    pending[slot] = pending.get(slot, 0) + misses
        self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = now = time.monotonic()
        if not pending or now < self._paused_until:
            return
        pipe = self.client.pipeline(transaction=False)
        touched = set()
        for (minute, kind, endpoint, field), n in pending.items():
            key = self.key(minute, kind, endpoint)
            pipe.hincrby(key, str(field), n)
            touched.add(key)
        for key in touched:
            pipe.expire(key, KEEP_SECONDS)
        try:
            pipe.execute()
        except redis.RedisError:
            self._paused_until = now + PAUSE_AFTER_ERROR


_store: MetricsStore | None = None


def init_app(app: Flask) -> None:
    """Enable the store when the app caches in Redis (test apps with NullCache keep it off)."""
    global _store
    if "Redis" in str(app.config.get("CACHE_TYPE", "")) and app.config.get("PERF_METRICS_ENABLED", True):
        _store = MetricsStore(app.config["CACHE_REDIS_URL"], app.config.get("CACHE_KEY_PREFIX", ""))
        app.extensions["bs_metrics"] = _store
        _connect_celery_signals()
    else:
        _store = None  # one process may build several apps (tests): never write under another's prefix


def bucket_of(ms: float) -> int:
    return bisect.bisect_left(BUCKETS_MS, ms)


def enabled() -> bool:
    return _store is not None


def record_requests(requests: list[tuple]) -> None:
    """Count a batch of (endpoint, ms, cache hits, cache misses) (instrumentation sends one a second)."""
    store = _store
    if store is not None:
        store.add_requests(requests)


def record_task(name: str, state: str) -> None:
    if _store is not None:
        _store.record("tasks", "", f"{name}|{state}")
        _store.flush()  # tasks are rare next to requests: keep the page current


_signals_connected = False


def _connect_celery_signals() -> None:
    global _signals_connected
    if _signals_connected:
        return
    from celery import signals

    signals.task_success.connect(lambda sender=None, **kw: record_task(sender.name, "success"), weak=False)
    signals.task_failure.connect(lambda sender=None, **kw: record_task(sender.name, "failure"), weak=False)
    signals.task_retry.connect(lambda sender=None, **kw: record_task(sender.name, "retry"), weak=False)
    _signals_connected = True


# -- reading (the admin performance page) -------------------------------------
def _quantile(hist: dict[int, int], q: float) -> float | None:
    """Upper bound (ms) of the bucket holding the q-quantile, from a bucket->count histogram."""
    total = sum(hist.values())
    if not total:
        return None
    seen = 0
    for bucket in sorted(hist):
        seen += hist[bucket]
        if seen >= q * total:
            return BUCKETS_MS[min(bucket, len(BUCKETS_MS) - 2)]  # the overflow bucket reads as its lower bound
    return None


def _read(store: MetricsStore, minutes: list[int]) -> tuple[dict, dict, dict]:
    """Per minute: {endpoint: histogram}, cache {hit, miss}, tasks {name|state: n}."""
    lat, cache, tasks = {}, {}, {}
    for minute in minutes:
        lat[minute] = {}
        for key in store.client.scan_iter(match=store.key(minute, "lat") + ":*", count=500):
            endpoint = key.decode().rsplit(":lat:", 1)[1]
            lat[minute][endpoint] = {int(b): int(n) for b, n in store.client.hgetall(key).items()}
        cache[minute] = {k.decode(): int(v) for k, v in store.client.hgetall(store.key(minute, "cache")).items()}
        tasks[minute] = {k.decode(): int(v) for k, v in store.client.hgetall(store.key(minute, "tasks")).items()}
    return lat, cache, tasks


def summary(minutes: int = 60, queue_depth: int | None = None) -> dict | None:
    """The last `minutes`: per-endpoint count/p50/p99 (in total and per minute), cache hit ratio, tasks, series."""
    store = _store
    if store is None:
        return None
    store.flush()
    now_minute = int(time.time() // 60)
    span = list(range(now_minute - minutes + 1, now_minute + 1))
    lat, cache, tasks = _read(store, span)
    per_endpoint: dict[str, dict[int, int]] = {}
    series = []
    by_endpoint: dict[str, dict[int, dict]] = {}  # endpoint -> minute -> {count, p50_ms, p99_ms}
    for minute in span:
        merged: dict[int, int] = {}
        for endpoint, hist in lat[minute].items():
            by_endpoint.setdefault(endpoint, {})[minute] = {
                "count": sum(hist.values()), "p50_ms": _quantile(hist, 0.5), "p99_ms": _quantile(hist, 0.99)}
            target = per_endpoint.setdefault(endpoint, {})
            for b, n in hist.items():
                target[b] = target.get(b, 0) + n
                merged[b] = merged.get(b, 0) + n
        done = sum(n for k, n in tasks[minute].items() if k.endswith("|success"))
        series.append({"minute": minute, "requests": sum(merged.values()), "p99_ms": _quantile(merged, 0.99),
                       "hits": cache[minute].get("hit", 0), "misses": cache[minute].get("miss", 0), "tasks": done})
    endpoints = sorted(({"endpoint": e, "count": sum(h.values()), "p50_ms": _quantile(h, 0.5),
                         "p99_ms": _quantile(h, 0.99)} for e, h in per_endpoint.items()), key=lambda r: -r["count"])
    hits, misses = sum(s["hits"] for s in series), sum(s["misses"] for s in series)
    task_totals: dict[str, int] = {}
    for minute in span:
        for k, n in tasks[minute].items():
            task_totals[k] = task_totals.get(k, 0) + n
    return {"endpoints": endpoints, "series": series, "cache_hit_ratio": hits / (hits + misses) if hits + misses else None,
            "cache_hits": hits, "cache_misses": misses, "tasks": task_totals, "queue_depth": queue_depth,
            "minutes": minutes, "endpoint_series": by_endpoint}
