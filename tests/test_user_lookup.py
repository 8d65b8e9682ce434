"""The user lookup behind every token and session check: one statement, with the user's roles,
through ix_roles_users_user_id_role_id (issue "Performance round 2": cost flat as users grow).

Flask-Security's own find_user eager-loads roles as `user LEFT JOIN (roles_users JOIN role)`, which
SQLite materializes whole: each authenticated request read every user's roles (0.4 ms at 1k users).
"""
from sqlalchemy import text

from application.data.models import User
from application.extensions import db

from .test_explain import _capture, _plans

# Enough users that a walk of roles_users would cost more than the index (with statistics: on a
# handful of rows each planner rightly scans).
BULK_USERS = {
    "postgresql": [
        """INSERT INTO "user" (email, username, password, active, fs_uniquifier)
           SELECT 'bulk' || n || '@example.com', 'bulk' || n, 'x', true, md5('bulk' || n)
           FROM generate_series(1, 20000) AS n""",
    ],
    "sqlite": [
        """WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000)
           INSERT INTO "user" (email, username, password, active, fs_uniquifier)
           SELECT 'bulk' || x || '@example.com', 'bulk' || x, 'x', 1, 'bulk-uniquifier-' || x FROM n""",
    ],
}
BULK_ROLES = """INSERT INTO roles_users (user_id, role_id)
    SELECT u.id, (SELECT id FROM role WHERE name = 'reader') FROM "user" u WHERE u.username LIKE 'bulk%'"""


def test_a_token_request_loads_the_user_and_roles_in_one_indexed_statement(app, make_user, make_article):
    author = make_user("lookup", roles=("author", "editor"))
    article = make_article(author)
    with app.app_context():
        token = db.session.get(User, author["id"]).get_auth_token()
        for statement in BULK_USERS[db.engine.dialect.name] + [BULK_ROLES]:
            db.session.execute(text(statement))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
    fresh = app.test_client()
    statements = _capture(app, fresh, None, call=lambda: fresh.post(
        f"/api/article_likes/{article['id']}", headers={"Authentication-Token": token, "Accept": "application/json"}))
    lookups = [(sql, params) for sql, params in statements if "roles_users" in sql]
    assert len(lookups) == 1, [s for s, _ in statements]  # the user with its roles, once
    sql, plan = _plans(app, lookups)[0]
    assert "(roles_users" not in sql.replace('"', ""), sql  # joined flat, not a nested join
    assert not any(step.startswith(("SCAN roles_users", "Seq Scan on roles_users", "MATERIALIZE")) for step in plan), plan
    assert any("ix_roles_users_user_id_role_id" in step for step in plan), plan


def test_find_user_returns_every_role_and_honours_case_insensitive(app, make_user):
    user = make_user("Manyroles", roles=("reader", "author", "editor"))
    make_user("noroles", roles=())
    with app.app_context():
        datastore = app.extensions["security"].datastore
        found = datastore.find_user(email=user["email"])
        assert found.id == user["id"]
        assert sorted(r.name for r in found.roles) == ["author", "editor", "reader"]
        db.session.expunge_all()
        assert datastore.find_user(case_insensitive=True, email=user["email"].upper()).id == user["id"]
        assert datastore.find_user(case_insensitive=True, username="MANYROLES").id == user["id"]
        lonely = datastore.find_user(username="noroles")
        assert lonely is not None and list(lonely.roles) == []
        assert datastore.find_user(email="nobody@example.com") is None
