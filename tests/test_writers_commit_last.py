"""Writers need no database after their commit, so a database lost right after it cannot skip the invalidation.

Seen in the PostgreSQL stop/start fault test: a like recount committed its count, then lazy-loaded the
article's authors for the invalidation; the database was gone, the task retried, found the count already
right and cleared nothing, and the article page stayed two likes behind. Here a database that "dies" at
the commit (every later statement raises) must still see every writer clear what it changed.
"""
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from application.data import data_access
from application.data.data_access import keys, store
from application.extensions import db
from application.jobs import tasks

from .conftest import login


@contextmanager
def database_dies_at_commit():
    """Every SQL statement of this thread after its next commit raises OperationalError; yields those tried.

    Only this thread's: a background thread left by an earlier test (a like-recount watcher running an
    eager flush) may commit meanwhile, and its commit must not kill this thread's database."""
    tried, state, mine = [], {"dead": False}, threading.get_ident()

    def after_commit(session):
        if threading.get_ident() == mine:
            state["dead"] = True

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if state["dead"] and threading.get_ident() == mine:
            tried.append(statement)
            raise OperationalError(statement, parameters, Exception("the database went away"))

    engine = db.engine
    event.listen(Session, "after_commit", after_commit)
    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield tried
    finally:
        event.remove(Session, "after_commit", after_commit)
        event.remove(engine, "before_cursor_execute", before_execute)
        db.session.remove()


def _cached(key: str, groups=keys.ARTICLE_GROUPS) -> bool:
    """Whether a valid entry is stored (entries are made under their groups' generations)."""
    return store.peek(key, groups)[0]


def _warm_page(client, slug):
    assert client.get(f"/articles/{slug}").status_code == 200
    assert client.get("/").status_code == 200


def test_like_recount_clears_the_page_though_the_database_dies_at_its_commit(redis_app, make_user, make_article):
    author, reader = make_user(roles=("author",)), make_user()
    article = make_article(author)
    client = redis_app.test_client()
    _warm_page(client, article["slug"])
    with redis_app.app_context():
        assert _cached(keys.article_page_key(article["slug"]))
        data_access.like_article(reader["id"], article["id"])
        with database_dies_at_commit() as tried:
            assert data_access.recount_article_likes(article["id"]) == 1
        assert tried == []
        assert not _cached(keys.article_page_key(article["slug"]))
        assert data_access.get_article(article["slug"])["like_count"] == 1


def test_a_retried_or_resent_recount_clears_even_when_the_count_is_already_stored(redis_app, make_user, make_article):
    """The attempt that stored the count may have died before clearing: a retry clears anyway."""
    author, reader = make_user(roles=("author",)), make_user()
    article = make_article(author)
    client = redis_app.test_client()
    with redis_app.app_context():
        data_access.like_article(reader["id"], article["id"])
        data_access.recount_article_likes(article["id"])
    _warm_page(client, article["slug"])
    with redis_app.app_context():
        page = keys.article_page_key(article["slug"])
        assert _cached(page)
        tasks.calculate_aggregate_likes(article["id"])  # a first attempt: nothing changed, nothing cleared
        assert _cached(page)
        tasks.calculate_aggregate_likes.apply(args=(article["id"],), retries=1)
        assert not _cached(page)
    _warm_page(client, article["slug"])
    with redis_app.app_context():
        assert _cached(page)
        tasks.calculate_aggregate_likes(article["id"], again=True)  # the web side's re-send of a lost one
        assert not _cached(page)


@pytest.mark.parametrize("write", ["create", "edit", "publish_due", "delete"])
def test_article_writers_clear_though_the_database_dies_at_their_commit(redis_app, make_user, make_article, write):
    author = make_user(roles=("author",))
    article = make_article(author, title="Before the outage")
    client = redis_app.test_client()
    _warm_page(client, article["slug"])
    with redis_app.app_context():
        if write == "publish_due":
            from datetime import timedelta

            from application.data.models import Article, utcnow
            row = db.session.get(Article, article["id"])
            row.status, row.publish_at = "scheduled", utcnow() - timedelta(seconds=1)
            db.session.commit()
            db.session.remove()
        index = keys.index_page_key(1)
        before = (_cached(index, keys.INDEX_GROUPS),)
        with database_dies_at_commit() as tried:
            if write == "create":
                made = data_access.create_article([author["id"]], "Written as it died", "body", status="published")
                assert made["title"] == "Written as it died" and made["authors"][0]["id"] == author["id"]
            elif write == "edit":
                made = data_access.update_article(article["id"], title="After the outage")
                assert made["title"] == "After the outage"
            elif write == "publish_due":
                assert [a["slug"] for a in data_access.publish_due_articles()] == [article["slug"]]
            else:
                assert data_access.delete_article(article["id"])
        assert tried == []
        assert before[0] and not _cached(index, keys.INDEX_GROUPS), "the index page was not cleared"
        if write != "create":
            assert not _cached(keys.article_page_key(article["slug"]))


def test_comment_and_profile_writers_clear_though_the_database_dies_at_their_commit(redis_app, make_user,
                                                                                    make_article):
    author, reader = make_user(roles=("author",)), make_user()
    article = make_article(author)
    client = redis_app.test_client()
    _warm_page(client, article["slug"])
    with redis_app.app_context():
        with database_dies_at_commit() as tried:
            comment = data_access.create_comment(article["id"], reader["id"], "said as it died")
        assert tried == [] and comment["body"] == "said as it died"
        assert not _cached(keys.article_page_key(article["slug"]))
    _warm_page(client, article["slug"])
    with redis_app.app_context():
        with database_dies_at_commit() as tried:
            data_access.delete_comment(comment["id"])
        assert tried == []
        assert not _cached(keys.article_page_key(article["slug"]))
    _warm_page(client, article["slug"])
    with redis_app.app_context():
        assert data_access.get_author(author["username"])["bio"] != "new bio"
        assert _cached(keys.author_key(author["username"]), ())
        with database_dies_at_commit() as tried:
            assert data_access.update_profile(author["id"], bio="new bio")["bio"] == "new bio"
        assert tried == []
        assert not _cached(keys.author_key(author["username"]), ())
        with database_dies_at_commit() as tried:
            settings = data_access.update_settings(author["id"], display_name="Renamed", bio="b", image="")
        assert tried == [] and settings["display_name"] == "Renamed"
        with database_dies_at_commit() as tried:
            assert data_access.update_account(author["id"], username=author["username"] + "x")["username"] \
                == author["username"] + "x"
        assert tried == []


def test_the_page_shows_the_new_count_after_a_recount_whose_database_died(redis_app, make_user, make_article):
    """End to end through the page: the reader sees the like once the database is back."""
    author, reader = make_user(roles=("author",)), make_user()
    article = make_article(author)
    anonymous = redis_app.test_client()
    _warm_page(anonymous, article["slug"])
    liker = redis_app.test_client()
    login(liker, reader["email"])
    with redis_app.app_context():
        data_access.like_article(reader["id"], article["id"])
        with database_dies_at_commit():
            data_access.recount_article_likes(article["id"])
    html = anonymous.get(f"/articles/{article['slug']}").get_data(as_text=True)
    assert f'data-like-count="{article["id"]}">1</strong>' in html
