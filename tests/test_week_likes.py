"""The weekly like tally (week_likes) gives the sidebar exactly what grouping the week's likes gave.

Runs on SQLite and, with TEST_DB=postgresql, on PostgreSQL (the app fixture's database)."""
import random
from datetime import timedelta

from sqlalchemy import func, select, text, update

from application.data import data_access
from application.data.data_access import keys, store, week_likes
from application.data.data_access.cached import MOST_LIKED_LIMIT
from application.data.models import Article, Like, WeekLikes, utcnow
from application.extensions import db
from application.jobs import tasks


def _old_definition() -> list[dict]:
    """"Most liked this week" as it was computed before the tally: group the week's likes."""
    since = utcnow() - timedelta(days=7)
    recent = (select(Like.article_id, func.count().label("n")).where(Like.created_at >= since)
              .group_by(Like.article_id).subquery())
    rows = db.session.execute(
        select(Article.id, Article.slug, Article.title, recent.c.n)
        .join(recent, recent.c.article_id == Article.id).where(Article.status == "published")
        .order_by(recent.c.n.desc(), Article.id.desc()).limit(MOST_LIKED_LIMIT)).all()
    return [{"id": r.id, "slug": r.slug, "title": r.title, "week_likes": r.n} for r in rows]


def _tally() -> dict[int, int]:
    return dict(db.session.execute(select(WeekLikes.article_id, WeekLikes.n).where(WeekLikes.n > 0)).all())


def _week_counts() -> dict[int, int]:
    since = utcnow() - timedelta(days=7)
    return dict(db.session.execute(select(Like.article_id, func.count()).where(Like.created_at >= since)
                                   .group_by(Like.article_id)).all())


def test_the_sidebar_equals_the_old_definition_after_random_likes_and_recounts(app, make_user, make_article):
    rng = random.Random(11)
    authors = [make_user(roles=("author",)) for _ in range(2)]
    readers = [make_user()["id"] for _ in range(12)]
    articles = [make_article(authors[i % 2])["id"] for i in range(14)]
    with app.app_context():
        for step in range(12):
            dirty = set()
            for _ in range(rng.randint(5, 30)):  # a batch's worth of likes and unlikes, some of them old
                user, article = rng.choice(readers), rng.choice(articles)
                roll = rng.random()
                if roll < 0.55:
                    data_access.like_article(user, article)
                elif roll < 0.8:
                    data_access.unlike_article(user, article)
                elif not data_access.has_liked(user, article):  # liked long ago, or a few days ago
                    db.session.add(Like(user_id=user, article_id=article,
                                        created_at=utcnow() - timedelta(days=rng.choice([3, 6, 9, 20]))))
                    db.session.commit()
                dirty.add(article)
            if step == 5:  # an article liked this week stops being published: it leaves the list
                data_access.update_article(articles[0], status="draft")
                dirty.add(articles[0])
            if step == 8:  # a deleted article takes its tally with it (ON DELETE CASCADE)
                data_access.delete_article(articles.pop(1))
            data_access.recount_like_batch(sorted(dirty & set(articles)))
            assert _tally() == _week_counts(), step
            assert data_access.most_liked_this_week() == _old_definition(), step
        assert len(_old_definition()) == MOST_LIKED_LIMIT  # the comparison had something to compare


def test_likes_older_than_a_week_leave_at_the_refresh(redis_app, make_user, make_article):
    """Counted while in the week (a recount 2 days ago, as the tally saw it then), the likes are 8 days
    old now: the sidebar keeps them until beat's refresh recomputes the tally, then drops them."""
    author = make_user(roles=("author",))
    fans = [make_user()["id"] for _ in range(3)]
    old, fresh = make_article(author, title="Last week")["id"], make_article(author, title="This week")["id"]
    with redis_app.app_context():
        eight_days_ago = utcnow() - timedelta(days=8)
        db.session.add_all(Like(user_id=u, article_id=old, created_at=eight_days_ago) for u in fans)
        db.session.commit()
        assert week_likes.upsert_for_articles([old], now=utcnow() - timedelta(days=2)) == [old]
        db.session.commit()
        data_access.like_article(fans[0], fresh)
        data_access.recount_like_batch([fresh])
        assert [(a["title"], a["week_likes"]) for a in data_access.most_liked_this_week()] == \
            [("Last week", 3), ("This week", 1)]
        assert tasks.refresh_most_liked() == {"articles": 1}
        assert [(a["title"], a["week_likes"]) for a in data_access.most_liked_this_week()] == [("This week", 1)]
        assert db.session.scalar(select(func.count()).select_from(WeekLikes)) == 1  # the aged row is gone
        assert data_access.most_liked_this_week() == _old_definition()


def test_a_recount_that_only_moves_the_tally_clears_the_sidebar(redis_app, make_user, make_article):
    """An old like unliked and a new one added in one batch: like_count stays, the week's count moves."""
    author, fans = make_user(roles=("author",)), [make_user()["id"] for _ in range(2)]
    article = make_article(author, title="Steady")["id"]
    with redis_app.app_context():
        db.session.add(Like(user_id=fans[0], article_id=article, created_at=utcnow() - timedelta(days=30)))
        db.session.commit()
        data_access.recount_like_batch([article])
        assert data_access.most_liked_this_week() == []  # cached: the only like is not this week's
        data_access.unlike_article(fans[0], article)
        data_access.like_article(fans[1], article)
        data_access.recount_like_batch([article])
        assert db.session.get(Article, article).like_count == 1
        assert not store.peek(keys.MOST_LIKED_KEY, ())[0]
        assert [(a["title"], a["week_likes"]) for a in data_access.most_liked_this_week()] == [("Steady", 1)]


def test_a_rebuild_equals_the_rows_and_drops_rows_at_zero(app, make_user, make_article):
    author, fans = make_user(roles=("author",)), [make_user()["id"] for _ in range(4)]
    ids = [make_article(author)["id"] for _ in range(4)]
    with app.app_context():
        for i, article in enumerate(ids):
            for user in fans[:i]:
                data_access.like_article(user, article)
        data_access.recount_like_batch(ids)  # ids[0] has no like: a row at 0
        db.session.execute(update(Like).where(Like.article_id == ids[3])
                           .values(created_at=utcnow() - timedelta(days=10)))
        db.session.commit()
        week_likes.rebuild_week_likes()
        db.session.commit()
        rows = dict(db.session.execute(select(WeekLikes.article_id, WeekLikes.n)).all())
        assert rows == {ids[1]: 1, ids[2]: 2} == _week_counts()


def test_the_migration_backfills_the_tally(app, runner, make_user, make_article):
    author, fans = make_user("wlmigrated", roles=("author",)), [make_user()["id"] for _ in range(3)]
    ids = [make_article(author)["id"] for _ in range(3)]
    with app.app_context():
        for i, article in enumerate(ids):
            for user in fans[: i + 1]:
                data_access.like_article(user, article)
        db.session.add(Like(user_id=fans[1], article_id=ids[0], created_at=utcnow() - timedelta(days=9)))
        db.session.commit()
        expected = _week_counts()
        db.session.remove()
    for args in (["db", "downgrade", "0005"], ["db", "upgrade"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        assert _tally() == expected == {ids[0]: 1, ids[1]: 2, ids[2]: 3}


def test_the_seed_fills_the_tally(app):
    from application.data.seed import seed
    with app.app_context():
        seed(40, 10, 200, 5)
        assert _tally() == _week_counts() and _tally()
        assert data_access.most_liked_this_week() == _old_definition()
        if db.engine.dialect.name == "postgresql":  # analyzed: the planner knows the tables' sizes at once
            tuples = dict(db.session.execute(text(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('like', 'week_likes', 'article')")).all())
            assert tuples == {"like": 200, "week_likes": len(_tally()), "article": 40}
