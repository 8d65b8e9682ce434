"""full-text search over articles (per dialect) and users.display_name

PostgreSQL: a stored generated tsvector column (title A, summary B, body C) with a GIN index;
adding it computes it for every existing article.
SQLite: an FTS5 external-content table over article, kept in sync by triggers, rebuilt once
for the existing articles.

These objects are not models: migrations/env.py and tests/test_migrations.py leave them out of
autogenerate's comparison (application.data.data_access.search.SEARCH_SCHEMA_NAMES).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PG_UP = [
    """ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'C')) STORED""",
    "CREATE INDEX ix_article_search_vector ON article USING GIN (search_vector)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS ix_article_search_vector",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
]

# Porter stemming, like PostgreSQL's 'english' configuration.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE article_fts USING fts5(title, description, body, content='article',
        content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts(rowid, title, description, body)
        VALUES (new.id, new.title, new.description, new.body);
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, description, body)
        VALUES ('delete', old.id, old.title, old.description, old.body);
    END""",
    # Only text edits touch the index: like counts and status changes do not.
    """CREATE TRIGGER article_fts_update AFTER UPDATE OF title, description, body ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, description, body)
        VALUES ('delete', old.id, old.title, old.description, old.body);
        INSERT INTO article_fts(rowid, title, description, body)
        VALUES (new.id, new.title, new.description, new.body);
    END""",
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",  # backfill the existing articles
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS article_fts_update",
    "DROP TRIGGER IF EXISTS article_fts_delete",
    "DROP TRIGGER IF EXISTS article_fts_insert",
    "DROP TABLE IF EXISTS article_fts",
]


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=64), nullable=True))
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": PG_UP, "sqlite": SQLITE_UP}.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}.get(dialect, []):
        op.execute(statement)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("display_name")
    if dialect == "sqlite":
        # SQLite's batch mode rebuilt the table, and a rebuild keeps no expression index (revision 0002's).
        op.execute("CREATE UNIQUE INDEX IF NOT EXISTS uq_user_username_lower ON user (lower(username))")
