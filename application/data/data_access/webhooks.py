"""Webhook deliveries: stored before processing; a repeated (source, delivery id) is kept once.

The stored rows are the replay guard: a delivery id is refused again for as long as its row
lives, so rows never go before a signed timestamp could have expired (REPLAY_GUARD).
"""
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from application.extensions import db

from ..models import Article, User, WebhookDelivery, utcnow
from .serialize import iso

# Longer than any accepted timestamp skew (5 minutes either way): a purge never reopens the window.
REPLAY_GUARD = timedelta(minutes=15)


def _as_dict(row: WebhookDelivery) -> dict:
    return {
        "id": row.id, "source": row.source, "delivery_id": row.delivery_id, "event": row.event,
        "payload": row.payload, "status": row.status, "error": row.error, "attempts": row.attempts,
        "received_at": iso(row.received_at), "processed_at": iso(row.processed_at),
    }


def store_webhook_delivery(source: str, delivery_id: str, event: str, payload: dict) -> tuple[dict, bool]:
    """Store a delivery: (delivery dict, True) if new, (the earlier one, False) if this id was seen."""
    existing = db.session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.source == source, WebhookDelivery.delivery_id == delivery_id))
    if existing is not None:
        return _as_dict(existing), False
    row = WebhookDelivery(source=source, delivery_id=delivery_id, event=event, payload=payload)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # the same delivery arrived twice at once: the other request stored it
        db.session.rollback()
        existing = db.session.scalar(select(WebhookDelivery).where(
            WebhookDelivery.source == source, WebhookDelivery.delivery_id == delivery_id))
        return _as_dict(existing), False
    return _as_dict(row), True


def get_webhook_delivery(pk: int) -> dict | None:
    """One stored delivery as a dict, or None."""
    row = db.session.get(WebhookDelivery, pk)
    return _as_dict(row) if row else None


def finish_webhook_delivery(pk: int, error: str | None = None) -> None:
    """Record the outcome of a processing attempt (processed, or failed with a message)."""
    row = db.session.get(WebhookDelivery, pk)
    row.attempts += 1
    row.status, row.error = ("failed", error) if error else ("processed", None)
    row.processed_at = None if error else utcnow()
    db.session.commit()


def purge_webhook_deliveries(older_than_days: int) -> int:
    """Delete processed deliveries received more than N days (and REPLAY_GUARD) ago; returns how many."""
    cutoff = utcnow() - max(timedelta(days=older_than_days), REPLAY_GUARD)
    result = db.session.execute(delete(WebhookDelivery).where(
        WebhookDelivery.status == "processed", WebhookDelivery.received_at < cutoff))
    db.session.commit()
    return result.rowcount


def find_article_ref(ref) -> dict | None:
    """{id, slug, status} of the article an id (int) or slug (str) names, or None (uncached)."""
    if isinstance(ref, bool) or not isinstance(ref, (int, str)) or ref == "":
        return None
    column = Article.id if isinstance(ref, int) else Article.slug
    row = db.session.execute(select(Article.id, Article.slug, Article.status).where(column == ref)).first()
    return {"id": row.id, "slug": row.slug, "status": row.status} if row else None


def find_user_id_by_email(email: str) -> int | None:
    """The id of the active user with this email (case-insensitive), or None."""
    return db.session.scalar(select(User.id).where(db.func.lower(User.email) == email.lower(),
                                                   User.active.is_(True)))
