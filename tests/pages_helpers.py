"""Helpers shared by tests/test_pages_*.py: Server-Timing numbers, cache probes, SSE capture."""
import json
import re
import time

import redis

from application.config import redis_db_url
from application.data.data_access import store

from .conftest import REDIS_BASE, TEST_SSE_DB


def timing(response) -> dict:
    header = response.headers["Server-Timing"]
    queries = int(re.search(r'db;dur=[\d.]+;desc="(\d+) queries"', header).group(1))
    hits, misses = map(int, re.search(r'cache;dur=[\d.]+;desc="(\d+) hit (\d+) miss"', header).groups())
    return {"queries": queries, "hits": hits, "misses": misses}


def stored(app, key: str, groups=()):
    """The value stored under key (a data or page key of keys.py) for these groups, without computing
    it; None if there is no valid entry."""
    with app.app_context():
        hit, value = store.peek(key, groups)
        return value if hit else None


class EventCapture:
    """Subscribes to the app's SSE channel on Redis and collects what data_access publishes."""

    def __init__(self, app):
        self.client = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_SSE_DB))
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(app.config["SSE_CHANNEL"])

    def next(self, event: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.2)
            if message and message["type"] == "message":
                payload = json.loads(message["data"])
                if payload.get("type") == event:
                    return payload["data"]
        raise AssertionError(f"no {event} event within {timeout}s")

    def close(self):
        self.pubsub.close()
        self.client.close()
