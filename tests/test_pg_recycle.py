"""The suite's PostgreSQL database recycling (tests/pg_recycle.py): a reused database is the template again."""
import psycopg
import pytest

from . import databases, pg_recycle
from .databases import DIALECT

pytestmark = pytest.mark.skipif(DIALECT != "postgresql", reason="PostgreSQL only (TEST_DB=postgresql)")


def _dsn(app) -> str:
    return databases._libpq_dsn(app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[-1])


def test_a_used_database_resets_to_exactly_the_template(app, make_user, make_article):
    author = make_user(roles=("author",))
    make_article(author, title="Left behind", tags=["kept"])
    dsn = _dsn(app)
    template = pg_recycle.snapshot(databases._libpq_dsn(databases._template))
    assert pg_recycle.snapshot(dsn) != template  # the test's rows and sequence positions
    assert pg_recycle.reset(dsn, template)
    assert pg_recycle.snapshot(dsn) == template
    with psycopg.connect(dsn) as conn:
        assert conn.execute('SELECT count(*) FROM article').fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM role").fetchone()[0] == len(template.rows["role"]) > 0
    assert make_user()["id"] == 1  # ids start over, as in a fresh copy


def test_a_database_whose_schema_changed_is_not_reused(app):
    dsn = _dsn(app)
    template = pg_recycle.snapshot(databases._libpq_dsn(databases._template))
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE INDEX ix_probe ON article (title)")
    assert not pg_recycle.reset(dsn, template)
