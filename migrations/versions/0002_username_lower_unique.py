"""usernames unique case-insensitively: a unique index on lower(username)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Fails on a database that already holds two usernames differing only in case: rename one first
(docs/deploy.md). Autogenerate does not see expression indexes, so this one is written by hand.
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("uq_user_username_lower", "user", [sa.text("lower(username)")], unique=True)


def downgrade():
    op.drop_index("uq_user_username_lower", table_name="user")
