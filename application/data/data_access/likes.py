"""Like writers (the row at once; the denormalised counts by a job, in batches) and per-user like reads."""

import functools

from flask import current_app
from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, lazyload, load_only, selectinload

from application import events
from application.extensions import db

from ..models import Article, Like, User, utcnow
from . import cached, invalidate, keys, store, week_likes
from .queries import IDS, card_page
from .visibility import may_see

_UPSERT = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
# How long a liker's reads use live counts: longer than a recount normally takes (beat's
# reconcile, every 300 s, catches up if the worker was away).
READ_YOUR_LIKES_SECONDS = 600
RECONCILE_BATCH = 500  # articles per reconcile transaction (keeps each lock short)


def count_likes(article_id: int) -> int:
    """The live number of like rows (uncached; one indexed count)."""
    return db.session.scalar(select(func.count()).select_from(Like).where(Like.article_id == article_id))


def like_article(user_id: int, article_id: int) -> dict:
    """Record a like (liking twice is a no-op): {liked, like_count from the rows}."""
    row = {"user_id": user_id, "article_id": article_id, "created_at": utcnow()}
    dialect = db.engine.dialect.name
    if dialect in _UPSERT:  # one statement, and a concurrent duplicate is not an error
        count = _change_and_count("like", row)
    else:
        count = None
        if not has_liked(user_id, article_id):
            db.session.add(Like(**row))
            try:
                db.session.commit()
            except IntegrityError:  # a concurrent request liked first: same outcome
                db.session.rollback()
    store.note(keys.recent_likes_key(user_id), READ_YOUR_LIKES_SECONDS)
    return {"liked": True, "like_count": count_likes(article_id) if count is None else count}


def unlike_article(user_id: int, article_id: int) -> dict:
    """Remove a like if there is one: {liked: False, like_count from the rows}."""
    count = _change_and_count("unlike", {"user_id": user_id, "article_id": article_id})
    store.note(keys.recent_likes_key(user_id), READ_YOUR_LIKES_SECONDS)
    return {"liked": False, "like_count": count}


def _change_and_count(change: str, params: dict) -> int:
    """Run the insert ("like") or delete ("unlike") and count the article's rows, in its transaction,
    then commit. PostgreSQL: one statement (the change as a CTE; the count's snapshot predates it,
    so its rows are added or taken off); elsewhere the change, then the count, before the commit."""
    statements = _change_statements(db.engine.dialect.name, change)
    # On the session's connection, in its transaction: no ORM objects are involved, and through
    # Session.execute a dict of parameters makes the insert an ORM bulk insert (measured: a third
    # of the like's database CPU).
    connection = db.session.connection()
    for statement in statements[:-1]:
        connection.execute(statement, params)
    count = connection.execute(statements[-1], params).scalar_one()
    db.session.commit()
    return count


@functools.cache
def _change_statements(dialect: str, change: str) -> tuple:
    """The statements of _change_and_count, built once per process with bind parameters (hot path:
    building them and their cache keys cost about what running them does)."""
    article_id = bindparam("article_id")
    if change == "like":
        statement = _UPSERT[dialect](Like).values(user_id=bindparam("user_id"), article_id=article_id,
                                                  created_at=bindparam("created_at")).on_conflict_do_nothing()
    else:
        statement = delete(Like).where(Like.user_id == bindparam("user_id"), Like.article_id == article_id)
    live = select(func.count()).select_from(Like).where(Like.article_id == article_id).scalar_subquery()
    if dialect == "postgresql":
        changed = statement.returning(Like.id).cte("changed")
        sign = 1 if change == "like" else -1
        return (select(live + sign * select(func.count()).select_from(changed).scalar_subquery()),)
    return statement, select(live)


def liked_recently(user_id: int | None) -> bool:
    """Whether this user liked or unliked something lately (their reads then use live counts)."""
    return user_id is not None and store.noted(keys.recent_likes_key(user_id))


def has_liked(user_id: int, article_id: int) -> bool:
    """Whether this user likes this article (uncached: per user, one indexed lookup)."""
    return db.session.scalar(
        select(Like.id).where(Like.user_id == user_id, Like.article_id == article_id)
    ) is not None


def recount_article_likes(article_id: int, force_invalidation: bool = False) -> int | None:
    """Recompute one article's like_count from its rows (recount_like_batch of one); None if no such article."""
    return recount_like_batch([article_id], force=[article_id] if force_invalidation else ()).get(article_id)


def recount_like_batch(article_ids, force=()) -> dict[int, int]:
    """Recompute like_count from the rows for these articles in one transaction (idempotent): one
    grouped COUNT, at most one UPDATE and one upsert of their weekly tallies (week_likes.py), whatever
    their number; {id: count} of those that exist.
    Clears caches and pushes an event for each changed count, and for each id in force (a retried,
    redelivered or re-sent recount: the attempt that stored it may have died before clearing)."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return {}
    per_page = current_app.config["ARTICLES_PER_PAGE"]
    if db.engine.dialect.name == "sqlite":
        articles, counts, changed, pages = _count_sqlite(ids, per_page)
    else:
        articles = _locked_articles(ids)
        counts = dict(db.session.execute(
            select(Like.article_id, func.count()).where(Like.article_id.in_(ids)).group_by(Like.article_id)).all())
        counts = {a.id: counts.get(a.id, 0) for a in articles}
        changed = {a.id: counts[a.id] for a in articles if a.like_count != counts[a.id]}
        if changed:
            # updated_at is kept: a like is not an edit (the ORM's onupdate would bump it otherwise).
            db.session.execute(update(Article).where(Article.id.in_(changed))
                               .values(like_count=case(changed, value=Article.id), updated_at=Article.updated_at))
        pages = _index_pages([a for a in articles if a.id in changed or a.id in force], per_page)
    # The weekly tally of the same articles, in the same transaction (one more statement).
    week_changed = bool(week_likes.upsert_for_articles(counts))
    forced = set(force) & set(counts)
    clear = _like_count_clearing([a for a in articles if a.id in changed or a.id in forced], counts, pages,
                                 per_page, week_changed)
    db.session.commit()
    clear()
    return counts


def _count_sqlite(ids: list[int], per_page: int):
    """SQLite: (articles, counts, changed ids, index pages) with its one write lock held for two statements.

    A waiting writer blocks its whole gevent worker and SQLite's busy handler sleeps in growing steps
    (1, 2, 5, 10, 15 ms...), so a recount holding the lock for its reads put tens of ms on the likes
    behind it. Here the reads come first (WAL: readers take no lock), then one UPDATE counts each
    article's rows under the write lock (no like committed before it can be missed, none after it can
    be overwritten: SQLite has one writer) and returns the counts; the tally upsert follows."""
    articles = list(db.session.scalars(
        select(Article).where(Article.id.in_(ids)).order_by(Article.id)
        .options(load_only(Article.slug, Article.status, Article.publish_at, Article.like_count),
                 selectinload(Article.authors).load_only(User.id), lazyload(Article.tags))
        .execution_options(populate_existing=True)))
    pages = _index_pages(articles, per_page)
    before = {a.id: a.like_count for a in articles}
    live = select(func.count()).select_from(Like).where(Like.article_id == Article.id).scalar_subquery()
    counts = dict(db.session.execute(
        update(Article).where(Article.id.in_(ids)).values(like_count=live, updated_at=Article.updated_at)
        .returning(Article.id, Article.like_count).execution_options(synchronize_session=False)).all())
    articles = [a for a in articles if a.id in counts]  # deleted meanwhile: skipped
    return articles, counts, {i for i, n in counts.items() if before.get(i) != n}, pages


def _locked_articles(ids: list[int]) -> list[Article]:
    """The articles, fresh, with their authors, under their write locks (taken before counting: two
    concurrent recounts of an article then run one after the other and the later one counts every
    like committed before it, so an older count can never overwrite a newer one)."""
    query = (select(Article).where(Article.id.in_(ids)).order_by(Article.id)
             .options(load_only(Article.slug, Article.status, Article.publish_at, Article.like_count),
                      selectinload(Article.authors).load_only(User.id), lazyload(Article.tags))
             .execution_options(populate_existing=True))
    if db.engine.dialect.name == "postgresql":
        # Row locks in id order (two batches never deadlock); NO KEY UPDATE, like a plain UPDATE, so
        # likes being inserted (their foreign key takes KEY SHARE) are not held up.
        query = query.with_for_update(key_share=True)
    else:  # SQLite has one writer: take its write lock with a no-op UPDATE
        db.session.execute(update(Article).where(Article.id.in_(ids)).values(like_count=Article.like_count,
                                                                              updated_at=Article.updated_at))
    return list(db.session.scalars(query))


def _index_pages(articles: list[Article], per_page: int) -> dict[int, int]:
    """{id: the index page that shows it} for the published ones: one query (queries.index_page_of each)."""
    published = [a.id for a in articles if a.status == "published"]
    if not published:
        return {}
    other = aliased(Article)
    newer = (select(func.count()).select_from(other).where(
        other.status == "published",
        or_(other.publish_at > Article.publish_at,
            and_(other.publish_at == Article.publish_at, other.id > Article.id))).scalar_subquery())
    rows = db.session.execute(select(Article.id, newer).where(Article.id.in_(published)))
    return {article_id: n // per_page + 1 for article_id, n in rows}


def _like_count_clearing(articles: list[Article], counts: dict[int, int], pages: dict[int, int], per_page: int,
                         week_changed: bool = False):
    """What changed like counts (and weekly tallies) clear and push, read in the writer's transaction;
    call after commit. pages: _index_pages of (at least) these articles."""
    shown = [(a.id, a.slug, [u.id for u in a.authors], pages.get(a.id), may_see(a.status, (), None))
             for a in articles]

    def clear() -> None:
        with store.batch():  # one Redis pipeline for all the revokes and bumps
            for article_id, slug, author_ids, page, _ in shown:
                invalidate.like_count_changed(article_id, slug, author_ids, page, per_page)
            if week_changed and not shown:  # a tally moved with no count (aged likes): only the sidebar
                invalidate.most_liked_changed()
        for article_id, _, _, _, public in shown:
            if public:  # /stream is public: no event names a draft
                events.publish("like_count", {"article_id": article_id, "like_count": counts[article_id]})
    return clear


def reconcile_all_like_counts() -> int:
    """Fix every article whose like_count disagrees with its rows; returns how many changed."""
    counts = dict(db.session.execute(select(Like.article_id, func.count()).group_by(Like.article_id)).all())
    stored = db.session.execute(select(Article.id, Article.like_count)).all()
    db.session.rollback()  # end the read; each fix below is its own short, locked transaction
    stale = [article_id for article_id, like_count in stored if like_count != counts.get(article_id, 0)]
    # Through the one writer, in batches: it locks, recounts, invalidates and publishes (and a like
    # that lands meanwhile can't be overwritten by this older snapshot).
    fixed = 0
    for i in range(0, len(stale), RECONCILE_BATCH):
        fixed += len(recount_like_batch(stale[i:i + RECONCILE_BATCH]))
    return fixed


def refresh_most_liked_this_week() -> list[dict]:
    """Recompute the weekly tally from the rows (likes older than 7 days leave it), then re-cache
    most_liked_this_week (clears most_liked_week and the sidebar). Beat's job, off the request path."""
    week_likes.lock_for_rebuild()
    week_likes.rebuild_week_likes()
    db.session.commit()
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
