"""listing counters (published / per tag / per author) and id in the index's key

listing_count holds how many published articles each listing has, kept by
application/data/data_access/listing_counts.py in the writers' transactions; this revision
fills it from the existing rows (one INSERT ... SELECT ... GROUP BY per kind).
ix_article_status_publish_at gains id as its last column, so a keyset seek on (publish_at, id)
is one index range on PostgreSQL (SQLite keeps the rowid in every index anyway).

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BACKFILL = [
    "INSERT INTO listing_count (kind, ref_id, n, version) "
    "SELECT 'published', 0, count(*), 1 FROM article WHERE status = 'published'",
    "INSERT INTO listing_count (kind, ref_id, n, version) "
    "SELECT 'tag', t.tag_id, count(*), 1 FROM article_tags t JOIN article a ON a.id = t.article_id "
    "WHERE a.status = 'published' GROUP BY t.tag_id",
    "INSERT INTO listing_count (kind, ref_id, n, version) "
    "SELECT 'author', l.user_id, count(*), 1 FROM article_authors l JOIN article a ON a.id = l.article_id "
    "WHERE a.status = 'published' GROUP BY l.user_id",
]


def upgrade():
    op.create_table(
        "listing_count",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "ref_id"),
    )
    for statement in BACKFILL:
        op.execute(statement)
    # Plain index DDL, not batch mode: recreating article on SQLite would lose its search triggers.
    op.drop_index("ix_article_status_publish_at", table_name="article")
    op.create_index("ix_article_status_publish_at", "article", ["status", "publish_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_article_status_publish_at", table_name="article")
    op.create_index("ix_article_status_publish_at", "article", ["status", "publish_at"], unique=False)
    op.drop_table("listing_count")
