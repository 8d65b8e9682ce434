"""Follow writers and per-user follow reads (never cached: they are per user)."""
from sqlalchemy import bindparam, delete, insert, select

from application.extensions import db

from ..models import follows
from .queries import IDS, card_page

_FOLLOWED_AMONG = select(follows.c.followed_id).where(follows.c.follower_id == bindparam("user_id"),
                                                      follows.c.followed_id.in_(IDS))


def follow_user(follower_id: int, followed_id: int) -> None:
    """Record a follow (twice is a no-op). Per-user data: no shared cache to clear."""
    exists = db.session.scalar(select(follows.c.follower_id).where(
        follows.c.follower_id == follower_id, follows.c.followed_id == followed_id))
    if not exists:
        db.session.execute(insert(follows).values(follower_id=follower_id, followed_id=followed_id))
        db.session.commit()


def unfollow_user(follower_id: int, followed_id: int) -> None:
    """Remove a follow if there is one."""
    db.session.execute(delete(follows).where(
        follows.c.follower_id == follower_id, follows.c.followed_id == followed_id))
    db.session.commit()


def is_following(follower_id: int | None, followed_id: int) -> bool:
    """Whether follower follows followed (uncached, per user)."""
    if follower_id is None:
        return False
    return db.session.scalar(select(follows.c.follower_id).where(
        follows.c.follower_id == follower_id, follows.c.followed_id == followed_id)) is not None


def followed_among(user_id: int | None, author_ids) -> set[int]:
    """Which of these users the user follows: one query (empty for anonymous)."""
    ids = list(author_ids)
    if user_id is None or not ids:
        return set()
    return set(db.session.scalars(_FOLLOWED_AMONG, {"user_id": user_id, "ids": ids}))


def list_feed(user_id: int, limit: int, offset: int) -> dict:
    """Published articles by authors this user follows, newest first: {cards, total} (per user: uncached)."""
    return card_page({"feed_of": user_id}, limit, offset)
