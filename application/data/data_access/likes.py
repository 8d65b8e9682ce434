"""Like writers (the row at once; the denormalised count by a job) and per-user like reads."""
from flask import current_app
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from application import events
from application.extensions import db

from ..models import Article, Like, utcnow
from . import cached, invalidate, keys, store
from .queries import IDS, card_page, index_page_of
from .visibility import may_see

_UPSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
# How long a liker's reads use live counts: longer than a recount normally takes (beat's
# reconcile, every 300 s, catches up if the worker was away).
READ_YOUR_LIKES_SECONDS = 600


def count_likes(article_id: int) -> int:
    """The live number of like rows (uncached; one indexed count)."""
    return db.session.scalar(select(func.count()).select_from(Like).where(Like.article_id == article_id))


def like_article(user_id: int, article_id: int) -> dict:
    """Record a like (liking twice is a no-op): {liked, like_count from the rows}."""
    row = {"user_id": user_id, "article_id": article_id, "created_at": utcnow()}
    dialect = db.engine.dialect.name
    if dialect in _UPSERT:  # one statement, and a concurrent duplicate is not an error
        db.session.execute(_UPSERT[dialect](Like).values(**row).on_conflict_do_nothing())
        db.session.commit()
    elif not has_liked(user_id, article_id):
        db.session.add(Like(**row))
        try:
            db.session.commit()
        except IntegrityError:  # a concurrent request liked first: same outcome
            db.session.rollback()
    store.note(keys.recent_likes_key(user_id), READ_YOUR_LIKES_SECONDS)
    return {"liked": True, "like_count": count_likes(article_id)}


def unlike_article(user_id: int, article_id: int) -> dict:
    """Remove a like if there is one: {liked: False, like_count from the rows}."""
    db.session.execute(delete(Like).where(Like.user_id == user_id, Like.article_id == article_id))
    db.session.commit()
    store.note(keys.recent_likes_key(user_id), READ_YOUR_LIKES_SECONDS)
    return {"liked": False, "like_count": count_likes(article_id)}


def liked_recently(user_id: int | None) -> bool:
    """Whether this user liked or unliked something lately (their reads then use live counts)."""
    return user_id is not None and store.noted(keys.recent_likes_key(user_id))


def has_liked(user_id: int, article_id: int) -> bool:
    """Whether this user likes this article (uncached: per user, one indexed lookup)."""
    return db.session.scalar(
        select(Like.id).where(Like.user_id == user_id, Like.article_id == article_id)
    ) is not None


def recount_article_likes(article_id: int, force_invalidation: bool = False) -> int | None:
    """Recompute like_count from the rows (idempotent); on change clear caches and push an event.

    force_invalidation: clear and push even if the stored count is already right (a retried or
    redelivered recount: the attempt that stored it may have died before its invalidation)."""
    # Take the article's write lock before counting (a no-op UPDATE: SQLite's write lock, a row lock
    # on PostgreSQL): two concurrent recounts then run one after the other and the later one counts
    # every like committed before it, so an older count can never overwrite a newer one.
    # updated_at is kept: a like is not an edit (the ORM's onupdate would bump it otherwise).
    keep = {"like_count": Article.like_count, "updated_at": Article.updated_at}
    locked = db.session.execute(update(Article).where(Article.id == article_id).values(**keep)).rowcount
    if not locked:
        db.session.rollback()
        return None
    article = db.session.get(Article, article_id, populate_existing=True)  # fresh, under the lock
    count = count_likes(article_id)
    changed = article.like_count != count
    if changed:
        db.session.execute(update(Article).where(Article.id == article_id)
                           .values(like_count=count, updated_at=Article.updated_at))
    if changed or force_invalidation:
        clear = _like_count_clearing(article, count)  # read before the commit (invalidate.py)
    db.session.commit()
    if changed or force_invalidation:
        clear()
    return count


def _like_count_clearing(article: Article, count: int):
    """What a changed like count clears and pushes, read in the writer's transaction; call after commit."""
    per_page = current_app.config["ARTICLES_PER_PAGE"]
    article_id, slug, author_ids = article.id, article.slug, [u.id for u in article.authors]
    page, public = index_page_of(article, per_page), may_see(article.status, (), None)

    def clear() -> None:
        invalidate.like_count_changed(article_id, slug, author_ids, page, per_page)
        if public:  # /stream is public: no event names a draft
            events.publish("like_count", {"article_id": article_id, "like_count": count})
    return clear


def reconcile_all_like_counts() -> int:
    """Fix every article whose like_count disagrees with its rows; returns how many changed."""
    counts = dict(db.session.execute(select(Like.article_id, func.count()).group_by(Like.article_id)).all())
    stored = db.session.execute(select(Article.id, Article.like_count)).all()
    db.session.rollback()  # end the read; each fix below is its own short, locked transaction
    stale = [article_id for article_id, like_count in stored if like_count != counts.get(article_id, 0)]
    # Through the one writer: it locks, recounts, invalidates and publishes (and a like that lands
    # meanwhile can't be overwritten by this older snapshot).
    return sum(1 for article_id in stale if recount_article_likes(article_id) is not None)


def refresh_most_liked_this_week() -> list[dict]:
    """Recompute and re-cache most_liked_this_week (clears most_liked_week and the sidebar)."""
    invalidate.most_liked_changed()
    return cached.most_liked_this_week()


# -- per-user reads (never cached) ---------------------------------------------------
_FAVORITED_AMONG = select(Like.article_id).where(Like.user_id == bindparam("user_id"), Like.article_id.in_(IDS))


def favorited_among(user_id: int | None, article_ids) -> set[int]:
    """Which of these articles the user has liked: one query (empty for anonymous)."""
    ids = list(article_ids)
    if user_id is None or not ids:
        return set()
    return set(db.session.scalars(_FAVORITED_AMONG, {"user_id": user_id, "ids": ids}))


def live_like_counts(article_ids) -> dict[int, int]:
    """{article_id: number of like rows} for these articles: one query (read-your-writes for likers)."""
    ids = list(article_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(Like.article_id, func.count()).where(Like.article_id.in_(ids))
                              .group_by(Like.article_id))
    return {i: 0 for i in ids} | dict(rows.all())


def list_api_articles_favorited(favorited: str, tag: str | None, author: str | None, limit: int,
                                offset: int) -> dict:
    """Articles a user favorited: {cards, total} (uncached: like rows change without an article write)."""
    return card_page({"tag": tag, "author": author, "favorited": favorited}, limit, offset)
