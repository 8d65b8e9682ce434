"""Webhook events: the payload each accepts (checked at intake and again when processed) and its effect.

Body: {"id": "<delivery id>", "event": "<name>", "data": {...}}
- article.like     data: {"article": <id or slug>, "user_email": "...", "action": "like"|"unlike"}
                   (a partner site relays a like by one of our users)
- article.publish  data: {"article": <id or slug>, "publish_at": "<ISO 8601>" (optional; default now)}
                   (an editorial tool publishes or schedules an article)
"""
import re
from datetime import datetime, timezone

from application.data import data_access

DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
EVENTS = ("article.like", "article.publish")


class PayloadError(ValueError):
    """A payload we refuse: field, message and the HTTP status to answer with."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


def validate(payload) -> tuple[str, str, dict]:
    """(delivery id, event, resolved data) of a payload, or PayloadError."""
    if not isinstance(payload, dict):
        raise PayloadError("body", "expected a JSON object", 400)
    delivery_id, event, data = payload.get("id"), payload.get("event"), payload.get("data")
    if not isinstance(delivery_id, str) or not DELIVERY_ID.match(delivery_id):
        raise PayloadError("id", "required: 1-100 characters of letters, digits and ._:-")
    if event not in EVENTS:
        raise PayloadError("event", f"unknown event; expected one of {', '.join(EVENTS)}")
    if not isinstance(data, dict):
        raise PayloadError("data", "required: a JSON object")
    resolve = _resolve_like if event == "article.like" else _resolve_publish
    return delivery_id, event, resolve(data)


def _article(data: dict) -> dict:
    article = data_access.find_article_ref(data.get("article"))
    if article is None:
        raise PayloadError("data.article", "no such article (give its id or slug)")
    return article


def _resolve_like(data: dict) -> dict:
    article = _article(data)
    if article["status"] != "published":
        raise PayloadError("data.article", "only published articles can be liked")
    email = data.get("user_email")
    user_id = data_access.find_user_id_by_email(email) if isinstance(email, str) else None
    if user_id is None:
        raise PayloadError("data.user_email", "no active user with this email")
    action = data.get("action", "like")
    if action not in ("like", "unlike"):
        raise PayloadError("data.action", "expected like or unlike")
    return {"article_id": article["id"], "user_id": user_id, "action": action}


def _resolve_publish(data: dict) -> dict:
    article = _article(data)
    raw = data.get("publish_at")
    publish_at = None
    if raw is not None:
        try:
            publish_at = datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            raise PayloadError("data.publish_at", "expected an ISO 8601 date-time") from None
        if publish_at.tzinfo is not None:  # stored values are naive UTC
            publish_at = publish_at.astimezone(timezone.utc).replace(tzinfo=None)
    return {"article_id": article["id"], "publish_at": publish_at}


def apply(event: str, data: dict) -> dict:
    """Carry out a resolved event; every effect is idempotent (safe on a retried task)."""
    if event == "article.like":
        change = data_access.like_article if data["action"] == "like" else data_access.unlike_article
        result = change(data["user_id"], data["article_id"])
        return {**result, "like_count": data_access.recount_article_likes(data["article_id"])}
    status = "scheduled" if data["publish_at"] else "published"
    article = data_access.update_article(data["article_id"], status=status, publish_at=data["publish_at"])
    return {"article_id": article["id"], "status": article["status"], "publish_at": article["publish_at"]}
