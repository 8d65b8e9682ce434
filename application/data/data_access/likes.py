"""Likes: the row is written at once; the denormalised count is recomputed by a job."""
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from application import events
from application.extensions import cache, db

from ..models import Article, Like, utcnow
from . import keys
from .articles import invalidate_own_index_page
from .visibility import may_see

MOST_LIKED_LIMIT = 5
_UPSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def count_likes(article_id: int) -> int:
    """The live number of like rows (uncached; one indexed count)."""
    return db.session.scalar(select(func.count()).select_from(Like).where(Like.article_id == article_id))


def article_exists(article_id: int) -> bool:
    """True if the article exists (uncached primary-key lookup)."""
    return db.session.scalar(select(Article.id).where(Article.id == article_id)) is not None


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
    return {"liked": True, "like_count": count_likes(article_id)}


def unlike_article(user_id: int, article_id: int) -> dict:
    """Remove a like if there is one: {liked: False, like_count from the rows}."""
    db.session.execute(delete(Like).where(Like.user_id == user_id, Like.article_id == article_id))
    db.session.commit()
    return {"liked": False, "like_count": count_likes(article_id)}


def has_liked(user_id: int, article_id: int) -> bool:
    """Whether this user likes this article (uncached: per user, one indexed lookup)."""
    return db.session.scalar(
        select(Like.id).where(Like.user_id == user_id, Like.article_id == article_id)
    ) is not None


@cache.memoize()
def get_like_count(article_id: int) -> int | None:
    """The stored like_count of an article, or None. Key: memoize(article_id)."""
    return db.session.scalar(select(Article.like_count).where(Article.id == article_id))


def recount_article_likes(article_id: int) -> int | None:
    """Recompute like_count from the rows (idempotent); on change clear caches and push an event."""
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
    db.session.commit()
    if changed:
        invalidate_like_count(article)
        if may_see(article.status, (), None):  # /stream is public: no event names a draft
            events.publish("like_count", {"article_id": article.id, "like_count": count})
    return count


def reconcile_all_like_counts() -> int:
    """Fix every article whose like_count disagrees with its rows; returns how many changed."""
    counts = dict(db.session.execute(select(Like.article_id, func.count()).group_by(Like.article_id)).all())
    stored = db.session.execute(select(Article.id, Article.like_count)).all()
    db.session.rollback()  # end the read; each fix below is its own short, locked transaction
    stale = [article_id for article_id, like_count in stored if like_count != counts.get(article_id, 0)]
    # Through the one writer: it locks, recounts, invalidates and publishes (and a like that lands
    # meanwhile can't be overwritten by this older snapshot).
    return sum(1 for article_id in stale if recount_article_likes(article_id) is not None)


def invalidate_like_count(article: Article) -> None:
    """Everything that shows this article's like count."""
    cache.delete_memoized(get_like_count, article.id)
    keys.invalidate_article([article.slug], [u.id for u in article.authors])
    invalidate_own_index_page(article)
    keys.invalidate_most_liked()


@cache.cached(key_prefix=keys.MOST_LIKED_KEY, timeout=600)
def most_liked_this_week() -> list[dict]:
    """Top published articles by likes in the last 7 days. Key: data:most_liked_week."""
    since = utcnow() - timedelta(days=7)
    # Count the week's likes first (a range of ix_like_created_at_article_id), then join the
    # few articles: SQLite would otherwise walk every published article and probe its likes.
    # "+ 0" stops the planner grouping by walking all of ix_like_article_id_created_at
    # (already in article order); the week's range of the created_at index is a tiny slice.
    grouped = (Like.article_id + 0).label("article_id")
    recent = (
        select(grouped, func.count().label("n"))
        .where(Like.created_at >= since)
        .group_by(grouped)
        .subquery()
    )
    rows = db.session.execute(
        select(Article.id, Article.slug, Article.title, recent.c.n)
        .join(recent, recent.c.article_id == Article.id)
        .where(Article.status == "published")
        .order_by(recent.c.n.desc(), Article.id.desc())
        .limit(MOST_LIKED_LIMIT)
    ).all()
    return [{"id": r.id, "slug": r.slug, "title": r.title, "week_likes": r.n} for r in rows]


def refresh_most_liked_this_week() -> list[dict]:
    """Recompute and re-cache most_liked_this_week (clears data:most_liked_week and the sidebar)."""
    keys.invalidate_most_liked()
    return most_liked_this_week()
