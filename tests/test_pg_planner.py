"""PostgreSQL's planner costs for the app's sessions (db_tuning.tune_postgres, POSTGRES_RANDOM_PAGE_COST).

With the server's default random_page_cost (4) the authors of a listing page were joined by walking
the user primary key from its start (a merge join, growing with the users); at 1.1 each author is one
index probe. The plan test reproduces the seeded shape: many users, the authors among the first of them.
"""
import pytest
from sqlalchemy import text

from application import create_app
from application.data.data_access.listing_counts import rebuild_listing_counters
from application.extensions import db

from . import databases
from .conftest import _dispose, build_app, make_config
from .test_explain import _capture, _plans

pytestmark = pytest.mark.skipif(databases.DIALECT != "postgresql", reason="PostgreSQL's planner settings")

USERS, AUTHORS, ARTICLES = 20_000, 10_000, 50_000


def _setting(app) -> str:
    with app.app_context():
        try:
            return db.session.scalar(text("SHOW random_page_cost"))
        finally:
            db.session.remove()


def _server_default(app) -> str:
    with app.app_context():
        with db.engine.connect() as conn:  # a fresh session, reset to what the server gives everyone
            conn.execute(text("RESET random_page_cost"))
            return conn.scalar(text("SHOW random_page_cost"))


def test_every_session_prices_a_random_read_at_the_configured_cost(tmp_path):
    app = build_app(make_config(tmp_path))
    try:
        assert app.config["POSTGRES_RANDOM_PAGE_COST"] == "1.1"
        assert _setting(app) == "1.1"
        with app.app_context():  # a rolled-back transaction on that connection does not undo it
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
            db.engine.dispose()  # and a new connection gets it too
        assert _setting(app) == "1.1"
        assert _server_default(app) != "1.1"  # the server's own value differs: the setting is ours
    finally:
        _dispose(app)


def test_an_empty_setting_keeps_the_servers_value_and_a_bad_one_fails_at_start_up(tmp_path):
    app = build_app(make_config(tmp_path, POSTGRES_RANDOM_PAGE_COST=""))
    try:
        assert _setting(app) == _server_default(app)
    finally:
        _dispose(app)
    for bad in ("fast", "0", "-1", "nan", "inf"):
        with pytest.raises(ValueError):
            create_app(make_config(tmp_path, POSTGRES_RANDOM_PAGE_COST=bad))


def _many_users_few_authors(app) -> None:
    """USERS users; ARTICLES published articles written by the first AUTHORS of them (the seed's shape)."""
    with app.app_context():
        db.session.execute(text(
            """INSERT INTO "user" (email, username, active, fs_uniquifier)
               SELECT 'many' || n || '@example.com', 'many' || n, true, md5(n::text)
               FROM generate_series(1, :n) AS n"""), {"n": USERS})
        db.session.execute(text(
            """INSERT INTO article (title, slug, description, body, status, publish_at, created_at, updated_at,
                                    like_count)
               SELECT 'Many ' || n, 'many-' || n, 'd', 'b', 'published', now() - n * interval '1 minute',
                      now(), now(), 0
               FROM generate_series(1, :n) AS n"""), {"n": ARTICLES})
        db.session.execute(text(
            """INSERT INTO article_authors (article_id, user_id)
               SELECT a.id, (SELECT min(id) FROM "user") + (a.id * 7) % :authors
               FROM article a WHERE a.slug LIKE 'many-%'"""), {"authors": AUTHORS})
        rebuild_listing_counters()  # raw rows: the session events did not see them
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def test_a_listings_authors_are_one_index_probe_each_not_a_walk_of_every_user(app, client):
    _many_users_few_authors(app)
    plans = _plans(app, _capture(app, client, "/api/articles?limit=20"))
    authors = [plan for sql, plan in plans if "article_authors" in sql and '"user"' in sql]
    assert len(authors) == 1, plans
    plan = authors[0]
    assert not any(step.startswith("Merge Join") for step in plan), plan
    assert "Nested Loop on - using -" in plan, plan
    assert "Index Scan on user using user_pkey" in plan, plan
