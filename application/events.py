"""publish(event, payload) for Server-Sent Events, over flask-sse's Redis pub/sub.

Never raises: a like or a publish must not fail because Redis is away.
"""
import logging

from flask import current_app
from application.sse import sse

log = logging.getLogger(__name__)


def publish(event: str, payload: dict, channel: str | None = None) -> bool:
    try:
        sse.publish(payload, type=event, channel=channel or current_app.config.get("SSE_CHANNEL", "sse"))
        return True
    except Exception as exc:  # noqa: BLE001 - redis or serialisation errors alike
        log.warning("events: could not publish %s: %s", event, exc)
        return False
