"""Every query the index page runs uses an index: no full scan of articles or likes.

SQLite: EXPLAIN QUERY PLAN on the test data. PostgreSQL: EXPLAIN (FORMAT JSON) after bulk rows are
added (20k articles, ~40k likes) and VACUUM ANALYZE, a size where the planner picks a sequential scan
whenever no index fits.
"""
import json
import re

import pytest
from sqlalchemy import text

from application.data.data_access.listing_counts import rebuild_listing_counters
from application.data.data_access.week_likes import rebuild_week_likes
from application.extensions import db

from . import databases, factories
from .cache_helpers import each_statement
from .conftest import _dispose, build_app, make_config


def _capture(app, client, path, call=None):
    """Every SELECT a GET of path runs (or, with call, what call() runs inside an app context)."""
    seen = []

    def record(statement, parameters, context):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    with each_statement(app, record):
        if call is None:
            assert client.get(path).status_code == 200
        else:
            with app.app_context():
                call()
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
FULL_SCAN = re.compile(r'^(SCAN (article|"?like"?|listing_count|article_tags|article_authors|week_likes)\b|'
                       r'Seq Scan on (article|like|listing_count|article_tags|article_authors|week_likes) )')
SORT = ("USE TEMP B-TREE FOR ORDER BY", "Sort ", "Incremental Sort ")

BULK_ROWS_PG = [
    # Published articles spread over ~55 days, each older than the factory-made ones, with bodies of
    # a real article's size (~1.3 KB, incompressible), so the table is much larger than its indexes.
    """INSERT INTO article (title, slug, description, body, status, publish_at, created_at, updated_at, like_count)
       SELECT 'Bulk ' || n, 'bulk-' || n, 'd', repeat(md5(n::text), 40), 'published',
              now() - interval '1 day' - n * interval '4 minutes', now(), now(), 0
       FROM generate_series(1, 20000) AS n""",
    """INSERT INTO article_authors (article_id, user_id)
       SELECT a.id, (SELECT min(id) FROM "user") FROM article a WHERE a.slug LIKE 'bulk-%'""",
    # 40 more tags, one on each bulk article, so the tag link table is a site's size too.
    "INSERT INTO tag (name) SELECT 'bulk' || n FROM generate_series(0, 39) AS n",
    """INSERT INTO article_tags (article_id, tag_id)
       SELECT a.id, t.id FROM article a JOIN tag t ON t.name = 'bulk' || (a.id % 40) WHERE a.slug LIKE 'bulk-%'""",
    # Every user likes every other bulk article: old likes, so "this week" stays a narrow range.
    """INSERT INTO "like" (user_id, article_id, created_at)
       SELECT u.id, a.id, now() - interval '8 days' - a.id * interval '1 minute'
       FROM "user" u CROSS JOIN article a WHERE a.slug LIKE 'bulk-%' AND a.id % 2 = 0""",
    # ... and one reader liked each of the others this week: 10k rows in the weekly tally.
    """INSERT INTO "like" (user_id, article_id, created_at)
       SELECT (SELECT min(id) FROM "user"), a.id, now() - (a.id % 5000) * interval '1 minute'
       FROM article a WHERE a.slug LIKE 'bulk-%' AND a.id % 2 = 1""",
]


def _populate(app) -> list[dict]:
    """The factory-made site every test starts from: 3 authors, 5 readers, 25 articles with likes."""
    from application.data import data_access

    with app.app_context():
        authors = [factories.make_user(f"a{i}", roles=("author",)) for i in range(3)]
        readers = [factories.make_user(f"r{i}") for i in range(5)]
        ids = []
        for i in range(25):
            ids.append(factories.make_article(authors[i % 3], title=f"Indexed {i}", tags=["t"])["id"])
            for r in readers[: i % 5]:
                data_access.like_article(r["id"], ids[-1])
        data_access.recount_like_batch(ids)  # like_count and the weekly tally, as the worker would
    return authors


# PostgreSQL: the site plus the bulk rows, loaded and analysed once per run into a template database
# (~7 s of inserts, counters and VACUUM ANALYZE); each test gets a copy of it.
_bulk: dict = {}


def _bulk_template(folder) -> dict:
    if not _bulk:
        app = build_app(make_config(folder))
        authors = _populate(app)
        _load_bulk_rows(app)
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        _dispose(app)  # no connection may stay open to a template
        _bulk.update(template=databases.keep_as_template(url), authors=authors)
    return _bulk


@pytest.fixture
def app(tmp_path):
    """The test's app; on PostgreSQL on a copy of the bulk template (the site already in it)."""
    if databases.DIALECT == "postgresql":
        bulk = _bulk_template(tmp_path / "bulk-template")
        app = build_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=databases.copy_of(bulk["template"], tmp_path)))
        app.config["TEST_SITE_AUTHORS"] = bulk["authors"]
    else:
        app = build_app(make_config(tmp_path))
    yield app
    _dispose(app)


@pytest.fixture
def site(app):
    """The site's authors (made here on SQLite; already in the copied database on PostgreSQL)."""
    return app.config.get("TEST_SITE_AUTHORS") or _populate(app)


@pytest.mark.parametrize("path", ["/", "/?page=2"])
def test_index_page_never_scans_articles_or_likes(app, client, site, path):
    app.config["ARTICLES_PER_PAGE"] = 10
    _analyze(app)
    plans = _plans(app, _capture(app, client, path))
    assert len(plans) >= 3
    for sql, plan in plans:
        scans = _scans(app, plan)
        assert not scans, f"{scans} in\n{sql}"
    # The listing's ORDER BY comes straight from ix_article_status_publish_at (no sort step).
    listing = next(p for s, p in plans if "ORDER BY article.publish_at DESC" in s)
    assert any("ix_article_status_publish_at" in step for step in listing), listing
    assert not any(step.startswith(("USE TEMP B-TREE FOR ORDER BY", "Sort ")) for step in listing), listing


def _analyze(app):
    """Fresh statistics (on PostgreSQL the bulk rows are already in: rows a test added since get counted)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def _load_bulk_rows(app):
    """PostgreSQL: rows enough for the planner to prefer scans where it can, then VACUUM ANALYZE."""
    with app.app_context():
        for statement in BULK_ROWS_PG:
            db.session.execute(text(statement))
        rebuild_listing_counters()  # raw rows: the session events did not see them
        rebuild_week_likes()  # nor the recount
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


@pytest.mark.parametrize("statistics", [True, False])
def test_most_liked_reads_the_top_of_the_weekly_tally(app, client, site, statistics):
    """The sidebar: a backward range of ix_week_likes_n_article_id (ORDER BY from the index, no sort),
    each row's article by primary key; no walk of like, week_likes or article, no GROUP BY. On SQLite
    also without ANALYZE (a seeded or migrated database has no statistics): there the planner had
    started from every published article and sorted them (18 ms at 100k articles)."""
    if statistics or db_dialect(app) == "postgresql":
        _analyze(app)
    plans = _plans(app, _capture(app, client, "/"))
    most_liked = [(s, p) for s, p in plans if "week_likes" in s]
    assert len(most_liked) == 1, plans
    sql, plan = most_liked[0]
    assert "GROUP BY" not in sql and "like." not in sql.replace('"', "")
    assert not _scans(app, plan), plan
    assert any("ix_week_likes_n_article_id" in step for step in plan), plan
    assert not any(step.startswith(SORT) or "TEMP B-TREE" in step for step in plan), plan
    assert any(("article" in step) and ("PRIMARY KEY" in step or "article_pkey" in step) for step in plan), plan


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _scans(app, plan) -> list[str]:
    """Full walks in a plan. PostgreSQL rightly reads a one-page table (listing_count of a test
    database: a few dozen rows) by Seq Scan; that is allowed only while the table really is one page."""
    scans = [step for step in plan if FULL_SCAN.match(step)]
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and db.session.scalar(
                text("SELECT relpages FROM pg_class WHERE relname = 'listing_count'")) <= 1:
            scans = [s for s in scans if not s.startswith("Seq Scan on listing_count")]
    return scans


def _check_listing(app, plans, what):
    for sql, plan in plans:
        scans = _scans(app, plan)
        assert not scans, f"{what}: {scans} in\n{sql}"
    listing = [p for s, p in plans if "ORDER BY article.publish_at" in s]
    assert listing, what
    for plan in listing:
        assert any("ix_article_status_publish_at" in step for step in plan), (what, plan)
        assert not any(step.startswith(SORT) for step in plan), (what, plan)


@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_keyset_page_seeks_one_index_range(app, client, site, direction):
    """A deep index page from its cursor: one range of ix_article_status_publish_at, no sort, no OFFSET."""
    app.config.update(ARTICLES_PER_PAGE=5, CACHE_MAX_INDEX_PAGES=1)
    _analyze(app)
    html = client.get("/?page=3").get_data(as_text=True)
    link = re.search(r'rel="%s" href="([^"]+)"' % ("next" if direction == "after" else "prev"), html)[1]
    link = link.replace("&amp;", "&")
    assert f"&{direction}=" in link
    plans = _plans(app, _capture(app, client, link))
    _check_listing(app, plans, link)
    listing = next(s for s, p in plans if "ORDER BY article.publish_at" in s)
    assert re.search(r"\(article\.publish_at, article\.id\) [<>]", listing)


@pytest.mark.parametrize("filters", [{}, {"tag": "t"}, {"author": "a0"}])
def test_api_lists_and_their_counter_reads_use_indexes(app, client, site, make_article, filters):
    """A page of the RealWorld list (one tag, one author, none) and its total: the total is a
    primary-key read of listing_count, the page one range of the status index."""
    from application.data.data_access import queries
    for i in range(30):  # more tags than one, so the statistics look like a site's
        make_article(site[i % 3], title=f"Other {i}", tags=[f"x{i % 10}"])
    _analyze(app)
    statements = _capture(app, client, None, lambda: queries.card_page(filters, 5, 5))
    assert any("listing_count" in s for s, _ in statements), statements
    assert not any("count(" in s.lower() for s, _ in statements), statements
    plans = _plans(app, statements)
    _check_listing(app, plans, filters)
    counter = next(p for s, p in plans if "listing_count" in s)
    assert any(("listing_count" in step) and ("SEARCH" in step or "Index" in step or "Seq" in step)
               for step in counter), counter  # (Seq: only a one-page table, see _scans)
