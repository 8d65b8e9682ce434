"""The daily digest: top articles and authors of a UTC day, stored for the admin page."""
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from application.extensions import db

from ..models import Article, DailyDigest, Like, User, article_authors, utcnow
from .serialize import iso


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def build_daily_digest(day: date) -> dict:
    """The digest of one day, computed from the rows: likes, published articles, top articles/authors."""
    start, end = _day_bounds(day)
    top_n = current_app.config.get("DIGEST_TOP_N", 5)
    in_day = (Like.created_at >= start) & (Like.created_at < end)
    likes = func.count(Like.id).label("likes")
    articles = db.session.execute(
        select(Article.id, Article.slug, Article.title, likes).join(Like, Like.article_id == Article.id)
        .where(in_day).group_by(Article.id, Article.slug, Article.title)
        .order_by(likes.desc(), Article.id).limit(top_n)).all()
    authors = db.session.execute(
        select(User.id, User.username, likes)
        .join(article_authors, article_authors.c.user_id == User.id)
        .join(Like, Like.article_id == article_authors.c.article_id)
        .where(in_day).group_by(User.id, User.username).order_by(likes.desc(), User.id).limit(top_n)).all()
    return {
        "day": day.isoformat(),
        "likes": db.session.scalar(select(func.count(Like.id)).where(in_day)),
        "published": db.session.scalar(select(func.count(Article.id)).where(
            Article.status == "published", Article.publish_at >= start, Article.publish_at < end)),
        "top_articles": [{"id": r.id, "slug": r.slug, "title": r.title, "likes": r.likes} for r in articles],
        "top_authors": [{"id": r.id, "username": r.username, "likes": r.likes} for r in authors],
    }


def store_daily_digests(today: date | None = None) -> list[str]:
    """Upsert yesterday's (final) and today's (so far) digests; returns the days whose digest changed."""
    today = today or utcnow().date()
    changed = []
    for day in (today - timedelta(days=1), today):
        data = build_daily_digest(day)
        row = db.session.scalar(select(DailyDigest).where(DailyDigest.day == day))
        if row is not None and row.data == data:
            continue  # idempotent: a second run with the same rows writes nothing
        if row is None:
            row = DailyDigest(day=day)
            db.session.add(row)
        row.data, row.updated_at = data, utcnow()
        changed.append(day.isoformat())
    db.session.commit()
    return changed


def list_daily_digests(limit: int = 14) -> list[dict]:
    """The newest stored digests, newest first (uncached: an admin page)."""
    rows = db.session.scalars(select(DailyDigest).order_by(DailyDigest.day.desc()).limit(limit)).all()
    return [{**row.data, "updated_at": iso(row.updated_at)} for row in rows]


def list_daily_digests_current(limit: int = 14) -> list[dict]:
    """Like list_daily_digests, but first stores today's (and yesterday's) digest if today's is missing.

    The beat job runs hourly, so without this the admin page is empty for up to
    an hour after a deploy or a new day; building on demand is the job's own code.
    """
    digests = list_daily_digests(limit)
    if not digests or digests[0]["day"] != utcnow().date().isoformat():
        store_daily_digests()
        digests = list_daily_digests(limit)
    return digests
