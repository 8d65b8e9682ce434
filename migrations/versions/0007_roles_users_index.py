"""index roles_users by user: the role lookup of every authenticated request

Flask-Security's roles_users table has no key, so loading a user's roles (each token or session
check) scanned every user's rows: ~0.4 ms per request at 1k users on SQLite, growing with users.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_roles_users_user_id_role_id", "roles_users", ["user_id", "role_id"], unique=False)


def downgrade():
    op.drop_index("ix_roles_users_user_id_role_id", table_name="roles_users")
