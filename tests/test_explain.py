"""Every query the index page runs uses an index: no full scan of articles or likes.

SQLite: EXPLAIN QUERY PLAN on the test data. PostgreSQL: EXPLAIN (FORMAT JSON) after bulk rows are
added (20k articles, ~40k likes) and VACUUM ANALYZE, a size where the planner picks a sequential scan
whenever no index fits.
"""
import json
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


def _pg_steps(node) -> list[str]:
    """A PostgreSQL plan tree flattened to 'Node Type on relation using index' strings."""
    step = f"{node['Node Type']} on {node.get('Relation Name', '-')} using {node.get('Index Name', '-')}"
    return [step] + [s for child in node.get("Plans", []) for s in _pg_steps(child)]


def _plans(app, statements):
    with app.app_context():
        conn = db.session.connection().connection.driver_connection
        if db.engine.dialect.name == "postgresql":
            return [(sql, _pg_steps(json.loads(_json_plan(conn, sql, params))[0]["Plan"]))
                    for sql, params in statements]
        return [(sql, [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()])
                for sql, params in statements]


def _json_plan(conn, sql, params):
    plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0]
    return plan if isinstance(plan, str) else json.dumps(plan)


# SQLite: SCAN is a walk of the whole table or index (even "USING COVERING INDEX"); SEARCH is a lookup.
# PostgreSQL: a Seq Scan on either table.
FULL_SCAN = re.compile(r'^(SCAN (article|"?like"?)\b|Seq Scan on (article|like) )')

BULK_ROWS_PG = [
    # Published articles spread over ~55 days, each older than the factory-made ones, with bodies of
    # a real article's size (~1.3 KB, incompressible), so the table is much larger than its indexes.
    """INSERT INTO article (title, slug, description, body, status, publish_at, created_at, updated_at, like_count)
       SELECT 'Bulk ' || n, 'bulk-' || n, 'd', repeat(md5(n::text), 40), 'published',
              now() - interval '1 day' - n * interval '4 minutes', now(), now(), 0
       FROM generate_series(1, 20000) AS n""",
    """INSERT INTO article_authors (article_id, user_id)
       SELECT a.id, (SELECT min(id) FROM "user") FROM article a WHERE a.slug LIKE 'bulk-%'""",
    # Every user likes every other bulk article: old likes, so "this week" stays a narrow range.
    """INSERT INTO "like" (user_id, article_id, created_at)
       SELECT u.id, a.id, now() - interval '8 days' - a.id * interval '1 minute'
       FROM "user" u CROSS JOIN article a WHERE a.slug LIKE 'bulk-%' AND a.id % 2 = 0""",
]


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
    _analyze(app)
    plans = _plans(app, _capture(app, client, path))
    assert len(plans) >= 3
    for sql, plan in plans:
        scans = [step for step in plan if FULL_SCAN.match(step)]
        assert not scans, f"{scans} in\n{sql}"
    # The listing's ORDER BY comes straight from ix_article_status_publish_at (no sort step).
    listing = next(p for s, p in plans if "ORDER BY article.publish_at DESC" in s)
    assert any("ix_article_status_publish_at" in step for step in listing), listing
    assert not any(step.startswith(("USE TEMP B-TREE FOR ORDER BY", "Sort ")) for step in listing), listing


def _analyze(app):
    """Fresh statistics; on PostgreSQL first add rows enough for the planner to prefer scans where it can."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            for statement in BULK_ROWS_PG:
                db.session.execute(text(statement))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def test_most_liked_uses_the_recent_likes_index(app, client, site):
    _analyze(app)
    plans = _plans(app, _capture(app, client, "/"))
    most_liked = next(p for s, p in plans if "GROUP BY" in s and "like" in s)
    assert any("ix_like_created_at_article_id" in step for step in most_liked), most_liked
