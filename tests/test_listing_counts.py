"""The listing counters (published / per tag / per author) equal a real COUNT after any series of writes.

Runs on SQLite and, with TEST_DB=postgresql, on PostgreSQL (the app fixture's database)."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from application.data import data_access
from application.data.data_access.listing_counts import (
    CounterBypass, check_listing_counters, rebuild_listing_counters,
)
from application.data.models import Article, ListingCount, article_tags, utcnow
from application.extensions import db

TAGS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def _counters(app) -> dict:
    with app.app_context():
        return {(k, r): n for k, r, n in db.session.execute(
            select(ListingCount.kind, ListingCount.ref_id, ListingCount.n)) if n}


def _random_write(rng, app, authors, ids, now):
    action = rng.choice(["create", "create", "create", "update", "status", "move", "delete", "publish_due", "like"])
    with app.app_context():
        if action == "create" or not ids:
            status = rng.choice(["draft", "scheduled", "published", "published"])
            article = data_access.create_article(
                rng.sample([a["id"] for a in authors], rng.randint(1, 2)), f"Random {rng.random()}", "body",
                status=status, publish_at=now + timedelta(hours=rng.randint(1, 48)) if status == "scheduled" else None,
                tags=rng.sample(TAGS, rng.randint(0, 3)))
            ids.append(article["id"])
        elif action == "update":
            data_access.update_article(rng.choice(ids), tags=rng.sample(TAGS, rng.randint(0, 3)),
                                       title=f"Edited {rng.random()}")
        elif action == "status":
            status = rng.choice(["draft", "published", "scheduled"])
            when = now + timedelta(hours=rng.randint(1, 48)) if status == "scheduled" else ...
            data_access.update_article(rng.choice(ids), status=status, publish_at=when)
        elif action == "move":
            data_access.update_article(rng.choice(ids), publish_at=now - timedelta(minutes=rng.randint(1, 9999)))
        elif action == "delete":
            data_access.delete_article(ids.pop(rng.randrange(len(ids))))
        elif action == "publish_due":
            data_access.publish_due_articles(now + timedelta(hours=rng.randint(0, 48)))
        else:
            article_id = rng.choice(ids)
            data_access.like_article(authors[0]["id"], article_id)
            data_access.recount_article_likes(article_id)
    return action


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_a_real_count_after_random_writes(app, make_user, seed):
    rng = random.Random(seed)
    authors = [make_user(f"w{seed}x{i}", roles=("author",)) for i in range(4)]
    ids, now, done, seen = [], utcnow(), set(), set()
    for step in range(60):
        done.add(_random_write(rng, app, authors, ids, now))
        if step % 5 == 4:
            with app.app_context():
                assert check_listing_counters() == [], f"after step {step}"
                seen.add(db.session.scalar(text("SELECT count(*) FROM article WHERE status = 'published'")))
    assert done >= {"create", "update", "status", "move", "delete", "publish_due", "like"}
    assert max(seen) >= 3  # the listings were not empty all along


def test_the_check_sees_a_wrong_counter(app, make_user, make_article):
    author = make_user("checked", roles=("author",))
    make_article(author, tags=["alpha"])
    with app.app_context():
        assert check_listing_counters() == []
        db.session.execute(update(ListingCount).where(ListingCount.kind == "tag").values(n=ListingCount.n + 1))
        db.session.commit()
        assert [(k, n, real) for k, _, n, real in check_listing_counters()] == [("tag", 2, 1)]


def test_a_rolled_back_write_leaves_the_counters_as_they_were(app, make_user, make_article):
    author = make_user("rolled", roles=("author",))
    make_article(author, tags=["alpha"])
    before = _counters(app)
    with app.app_context():
        article = db.session.scalar(select(Article))
        article.status = "draft"
        db.session.flush()  # the counters change with the row, in the same transaction...
        assert check_listing_counters() == []
        db.session.rollback()  # ...and go back with it
    assert _counters(app) == before


def test_bulk_statements_that_bypass_the_counters_are_refused(app, make_user, make_article):
    author = make_user("bulk", roles=("author",))
    article = make_article(author, tags=["alpha"])
    with app.app_context():
        for statement in (update(Article).values(status="draft"),
                          update(Article).where(Article.id == article["id"]).values(publish_at=utcnow()),
                          delete(Article).where(Article.id == article["id"]),
                          delete(article_tags),
                          insert(article_tags).values(article_id=article["id"], tag_id=99)):
            with pytest.raises(CounterBypass):
                db.session.execute(statement)
            db.session.rollback()
        # The like recount's bulk UPDATE touches no listing: allowed.
        db.session.execute(update(Article).where(Article.id == article["id"])
                           .values(like_count=Article.like_count, updated_at=Article.updated_at))
        db.session.commit()
        assert check_listing_counters() == []


def test_rebuild_after_a_raw_load(app, make_user, make_article):
    author = make_user("raw", roles=("author",))
    make_article(author, tags=["alpha"])
    with app.app_context():
        db.session.execute(text("UPDATE article SET status = 'draft'"))  # raw SQL: not seen by the session
        assert check_listing_counters() != []
        rebuild_listing_counters()
        db.session.commit()
        assert check_listing_counters() == []
        assert db.session.scalar(select(ListingCount.n).where(ListingCount.kind == "published")) == 0


def test_migration_backfills_the_counters(app, runner, make_user, make_article):
    author = make_user("migrated", roles=("author",))
    for i in range(3):
        make_article(author, tags=["alpha", "beta"][: i % 2 + 1])
    make_article(author, status="draft", tags=["alpha"])
    expected = _counters(app)
    assert expected[("published", 0)] == 3
    for args in (["db", "downgrade", "0004"], ["db", "upgrade"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    assert _counters(app) == expected


def test_api_and_index_totals_come_from_the_counters(app, client, make_user, make_article):
    author = make_user("totals", roles=("author",))
    for i in range(4):
        make_article(author, tags=["alpha"] if i % 2 else ["beta"])
    app.config["ARTICLES_PER_PAGE"] = 2
    # offset 1000: past the cached blocks, so the total is read on every request (a block that
    # holds its whole list takes the total from its own length and reads no counter)
    deep = "/api/articles?limit=1&offset=1000"
    assert client.get(deep).get_json()["articlesCount"] == 4
    assert client.get(deep + "&tag=alpha").get_json()["articlesCount"] == 2
    assert client.get(deep + "&author=totals").get_json()["articlesCount"] == 4
    assert client.get(deep + "&tag=nope").get_json()["articlesCount"] == 0
    assert "Page 1 of 2" in client.get("/").get_data(as_text=True)
    with app.app_context():  # a counter that says otherwise is what the pages show: they read it, not a COUNT
        db.session.execute(update(ListingCount).values(n=ListingCount.n + 2))
        db.session.commit()
    assert client.get(deep).get_json()["articlesCount"] == 6
    assert client.get(deep + "&tag=alpha").get_json()["articlesCount"] == 4
    assert client.get(deep + "&author=totals").get_json()["articlesCount"] == 6
    assert "Page 1 of 3" in client.get("/").get_data(as_text=True)


def test_the_seed_fills_the_counters(app):
    """The seed bulk-loads past the session (COPY / executemany), then rebuilds the counters in its transaction."""
    from application.data.seed import seed
    with app.app_context():
        seed(articles=120, users=12, likes=200, as_of=utcnow())
        assert check_listing_counters() == []
        assert db.session.scalar(select(ListingCount.n).where(ListingCount.kind == "published")) > 50
