"""The weekly like tally behind "Most liked this week" (table week_likes: article -> its likes of
the last 7 days), so the sidebar reads the top of one index instead of grouping the week's likes.

How fresh it is: a like counts once its article's recount has run (likes.recount_like_batch runs
upsert_for_articles in its transaction); a like older than 7 days leaves at the next rebuild
(beat's refresh_most_liked, every BEAT_MOST_LIKED_SECONDS). Models only: callers commit.
"""
from datetime import datetime, timedelta

from sqlalchemy import exists, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from application.extensions import db

from ..models import Article, Like, WeekLikes, utcnow

WEEK = timedelta(days=7)
_INSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
_COLUMNS = ["article_id", "n", "counted_at"]


def _upsert(rows):
    """INSERT rows (article_id, n, counted_at) ... ON CONFLICT update n where it differs, RETURNING
    the article ids written. The rows come in article_id order: on PostgreSQL two writers then
    lock shared rows in the same order."""
    stmt = _INSERT[db.engine.dialect.name](WeekLikes).from_select(_COLUMNS, rows)
    return stmt.on_conflict_do_update(
        index_elements=[WeekLikes.article_id],
        set_={"n": stmt.excluded.n, "counted_at": stmt.excluded.counted_at},
        where=WeekLikes.n != stmt.excluded.n,
    ).returning(WeekLikes.article_id)


def upsert_for_articles(article_ids, now: datetime | None = None) -> list[int]:
    """Set these articles' tallies from their likes since now - 7 days: one statement (a range of
    ix_like_article_id_created_at per article). Returns the ids whose tally changed (or was added)."""
    ids = sorted(set(article_ids))
    if not ids:
        return []
    now = now or utcnow()
    week = (select(func.count()).select_from(Like)
            .where(Like.article_id == Article.id, Like.created_at >= now - WEEK).scalar_subquery())
    rows = select(Article.id, week, literal(now, WeekLikes.counted_at.type)).where(Article.id.in_(ids)).order_by(Article.id)
    return list(db.session.scalars(_upsert(rows)))


def rebuild_week_likes(now: datetime | None = None) -> None:
    """Recompute the whole tally from the rows (one grouped upsert over the week's range of
    ix_like_created_at_article_id, then drop the rows with no like left in the week), in the caller's
    transaction. For beat's refresh (likes age out without a write) and bulk loads."""
    now = now or utcnow()
    since = now - WEEK
    rows = (select(Like.article_id, func.count(), literal(now, WeekLikes.counted_at.type))
            .where(Like.created_at >= since).group_by(Like.article_id).order_by(Like.article_id))
    db.session.execute(_upsert(rows))
    db.session.execute(WeekLikes.__table__.delete().where(~exists().where(
        Like.article_id == WeekLikes.article_id, Like.created_at >= since)))


def lock_for_rebuild() -> None:
    """PostgreSQL: hold off recounts' tally writes until the caller commits (reads go on), so a
    recount that lands during the rebuild is not overwritten by the rebuild's older count. SQLite
    has one writer already."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE week_likes IN EXCLUSIVE MODE"))
