"""Every query the index page runs uses an index: no full scan of articles or likes (EXPLAIN QUERY PLAN)."""
import re

import pytest
from sqlalchemy import event, text

from application.extensions import db


def _capture(app, client, path):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _plans(app, statements):
    with app.app_context():
        conn = db.session.connection().connection.driver_connection
        return [(sql, [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()])
                for sql, params in statements]


# SCAN is a walk of the whole table or index (even "USING COVERING INDEX"); SEARCH is a lookup.
FULL_SCAN = re.compile(r'^SCAN (article|"?like"?)\b')


@pytest.fixture
def site(app, make_user, make_article):
    from application.data import data_access

    authors = [make_user(f"a{i}", roles=("author",)) for i in range(3)]
    readers = [make_user(f"r{i}") for i in range(5)]
    for i in range(25):
        art = make_article(authors[i % 3], title=f"Indexed {i}", tags=["t"])
        with app.app_context():
            for r in readers[: i % 5]:
                data_access.like_article(r["id"], art["id"])
    return authors


@pytest.mark.parametrize("path", ["/", "/?page=2"])
def test_index_page_never_scans_articles_or_likes(app, client, site, path):
    app.config["ARTICLES_PER_PAGE"] = 10
    with app.app_context():
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    plans = _plans(app, _capture(app, client, path))
    assert len(plans) >= 3
    for sql, plan in plans:
        scans = [step for step in plan if FULL_SCAN.match(step)]
        assert not scans, f"{scans} in\n{sql}"
    # The listing's ORDER BY comes straight from ix_article_status_publish_at (no sort step).
    listing = next(p for s, p in plans if "ORDER BY article.publish_at DESC" in s)
    assert any("ix_article_status_publish_at" in step for step in listing)
    assert not any("TEMP B-TREE FOR ORDER BY" in step for step in listing)


def test_most_liked_uses_the_recent_likes_index(app, client, site):
    plans = _plans(app, _capture(app, client, "/"))
    most_liked = next(p for s, p in plans if "GROUP BY" in s and "like" in s)
    assert any("ix_like_created_at_article_id" in step for step in most_liked), most_liked
