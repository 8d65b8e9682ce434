"""weekly like tally (week_likes) for "Most liked this week"

week_likes holds each article's likes of the last 7 days, kept by the like recount and rebuilt by
beat's refresh (application/data/data_access/week_likes.py), so the sidebar reads the top of
ix_week_likes_n_article_id instead of grouping the week's likes. This revision fills it from the
existing likes (one INSERT ... SELECT ... GROUP BY over the week's range).

Revision ID: 0006
Revises: 0005
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "week_likes",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_index("ix_week_likes_n_article_id", "week_likes", ["n", "article_id"], unique=False)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    # Typed binds, so each dialect stores and compares the times as the models do.
    op.get_bind().execute(sa.text(
        'INSERT INTO week_likes (article_id, n, counted_at) '
        'SELECT article_id, count(*), :now FROM "like" WHERE created_at >= :since GROUP BY article_id'
    ).bindparams(sa.bindparam("now", now, type_=sa.DateTime()),
                 sa.bindparam("since", now - timedelta(days=7), type_=sa.DateTime())))


def downgrade():
    op.drop_index("ix_week_likes_n_article_id", table_name="week_likes")
    op.drop_table("week_likes")
