"""Every Redis client the app uses is built here: one client per (URL, role) per process.

Each client has a bounded pool (BlockingConnectionPool): a burst of greenlets waits up to
`pool_timeout` for a free connection instead of opening a new one each (an uncapped pool grew to
153 connections after one burst). Caps come from config (REDIS_MAX_CONNECTIONS, SSE_MAX_CONNECTIONS)
so that web processes x roles x cap stays within Redis's maxclients (docs/deploy.md).
Celery's broker and result connections are capped in jobs/celery_app.py from the same setting.
"""
import threading

import redis

_clients: dict[tuple[str, str], redis.Redis] = {}
_lock = threading.Lock()


def client_for(url: str, role: str, *, max_connections: int = 20, socket_timeout: float | None = 0.5,
               connect_timeout: float = 0.5, pool_timeout: float = 2.0, client_name: str | None = None, **extra) -> redis.Redis:
    """The process-wide client for this URL and role (redis-py resets its pool after a fork)."""
    key = (url, role)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                pool = redis.BlockingConnectionPool.from_url(
                    url, max_connections=max_connections, timeout=pool_timeout, socket_timeout=socket_timeout,
                    socket_connect_timeout=connect_timeout, client_name=client_name, **extra)
                client = _clients[key] = redis.Redis(connection_pool=pool)
    return client


def app_client(config, url_key: str, role: str, **options) -> redis.Redis:
    """client_for the URL in config[url_key], capped by REDIS_MAX_CONNECTIONS."""
    options.setdefault("max_connections", config.get("REDIS_MAX_CONNECTIONS", 20))
    return client_for(config[url_key], role, **options)
