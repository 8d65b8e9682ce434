"""flask-sse, fixed for production: one Redis client per process and a heartbeat.

Plain flask-sse builds a new Redis client (and pool) on every publish and
every stream, and blocks in `pubsub.listen()`: a stream whose browser has gone
keeps its Redis connection until something is published on its channel. Here
the stream waits at most SSE_HEARTBEAT_SECONDS for a message and otherwise
writes an SSE comment line; writing to a closed socket fails, the server closes
the generator and the pub/sub connection is released (within two heartbeats).
"""
import json
import logging
import time

import redis
from flask import current_app
from flask_sse import Message, ServerSentEventsBlueprint
from redis.exceptions import RedisError

from application import redis_clients

log = logging.getLogger(__name__)

def redis_client(url: str, name: str, **options) -> redis.Redis:
    """The process-wide client for this URL and role; its name shows in CLIENT LIST (docs/jobs.md)."""
    cap = current_app.config.get("SSE_MAX_CONNECTIONS", 110) if name.endswith("-stream") else \
        current_app.config.get("REDIS_MAX_CONNECTIONS", 20)
    return redis_clients.client_for(url, name, client_name=name, max_connections=cap, connect_timeout=1, **options)


class BroadsheetSSE(ServerSentEventsBlueprint):
    """flask-sse with a shared client, a heartbeat, a retry hint and a bounded stream life."""

    def _url(self) -> str:
        cfg = current_app.config
        return cfg.get("SSE_REDIS_URL") or cfg["REDIS_URL"]

    @property
    def redis(self) -> redis.Redis:
        return redis_client(self._url(), current_app.config.get("SSE_CLIENT_NAME", "broadsheet-sse") + "-pub",
                            socket_timeout=1)  # a publish must not hang a request when Redis is away

    def publish(self, data, type=None, id=None, retry=None, channel=None):
        channel = channel or current_app.config.get("SSE_CHANNEL", "sse")
        message = Message(data, type=type, id=id, retry=retry)
        return self.redis.publish(channel, json.dumps(message.to_dict()))

    def stream(self):
        # Only the configured channel: clients may not listen in on arbitrary pub/sub channels.
        cfg = current_app.config
        client = redis_client(self._url(), cfg.get("SSE_CLIENT_NAME", "broadsheet-sse") + "-stream",
                              socket_timeout=None, socket_keepalive=True)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            # Subscribed before the first byte: a client that sees the stream open misses nothing.
            pubsub.subscribe(cfg.get("SSE_CHANNEL", "sse"))
        except RedisError as exc:
            pubsub.close()
            log.warning("sse: cannot subscribe: %s", exc)
            return {"errors": {"stream": ["event stream unavailable, retry later"]}}, 503
        events = _event_stream(pubsub, float(cfg.get("SSE_HEARTBEAT_SECONDS", 15)),
                               int(cfg.get("SSE_RETRY_MS", 3000)), float(cfg.get("SSE_MAX_STREAM_SECONDS", 600)))
        # No stream_with_context: the generator needs neither the request nor a DB session.
        response = current_app.response_class(events, mimetype="text/event-stream")
        response.call_on_close(pubsub.close)  # also when the body is never iterated
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"  # tell proxies not to buffer the stream
        return response


def _event_stream(pubsub, heartbeat: float, retry_ms: int, max_seconds: float):
    try:
        yield f"retry: {retry_ms}\n: connected\n\n"
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=heartbeat)
            if message is None:
                yield ": heartbeat\n\n"
            elif message.get("type") == "message":
                yield str(Message(**json.loads(message["data"])))
        # The browser reconnects by itself after `retry`: this bounds greenlets held across deploys.
    except RedisError as exc:
        log.warning("sse: stream ended: %s", exc)
    finally:
        pubsub.close()  # disconnects: the Redis connection goes away at once


sse = BroadsheetSSE("sse", __name__)
sse.add_url_rule(rule="", endpoint="stream", view_func=sse.stream)
