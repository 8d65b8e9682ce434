"""The token check and the like path run statements built once (issue "Performance round 2": cheaper likes).

find_user (every token and session check) and the like's insert (or delete) and count are built
once with bind parameters and executed again each time: building a select, with its options, and
its cache key cost about what running it does (measured on the 2-core VM). The like's statements run
on the session's connection (through Session.execute a dict of parameters makes the insert an ORM
bulk insert). Both must also find their compiled form in SQLAlchemy's cache.
"""
from sqlalchemy.engine.interfaces import CacheStats

from application.data.models import User
from application.extensions import db

from .cache_helpers import each_statement


def _statements(app, call) -> list[tuple[str, CacheStats, object]]:
    """(SQL, compiled-cache outcome, the statement object executed) of every compiled statement call() runs."""
    seen = []

    def record(statement, parameters, context):
        if context is not None and context.compiled is not None:
            seen.append((" ".join(statement.split()), context.cache_hit, context.invoked_statement))

    with each_statement(app, record):
        call()
    return seen


def _hot(seen) -> list:
    """The statement objects of the token checks and of the like's and unlike's change and count."""
    return [statement for sql, _, statement in seen
            if "roles_users" in sql or 'INSERT INTO "like"' in sql or 'DELETE FROM "like"' in sql
            or sql.startswith('SELECT (SELECT count(*) AS count_1 FROM "like"')]


def test_a_second_like_and_unlike_reuse_their_statements_and_compile_nothing(app, make_user, make_article):
    author, reader = make_user("compiler", roles=("author",)), make_user("compiled")
    first, second = make_article(author), make_article(author, title="Another one")
    with app.app_context():
        token = db.session.get(User, reader["id"]).get_auth_token()
    client = app.test_client()

    def like_and_unlike(article):
        liked = client.post(f"/api/article_likes/{article['id']}",
                            headers={"Authentication-Token": token, "Accept": "application/json"})
        assert liked.status_code == 202 and liked.get_json()["like_count"] == 1
        unliked = client.delete(f"/api/articles/{article['slug']}/favorite", headers={"Authorization": f"Token {token}"})
        assert unliked.status_code == 200 and unliked.get_json()["article"]["favoritesCount"] == 0

    warm = _statements(app, lambda: like_and_unlike(first))
    seen = _statements(app, lambda: like_and_unlike(second))
    ran = [sql[:100] for sql, _, _ in seen]
    assert sum("roles_users" in sql for sql, _, _ in seen) == 2, ran  # both token checks ran
    # (PostgreSQL: the change runs inside the count's statement, as a CTE)
    assert any('INSERT INTO "like"' in sql for sql, _, _ in seen) and any('DELETE FROM "like"' in sql for sql, _, _ in seen), ran
    hot = _hot(seen)
    assert len(hot) == len(_hot(warm)) >= 4, ran  # 2 user lookups + the like's and unlike's statements
    assert all(any(statement is before for before in _hot(warm)) for statement in hot), \
        "a statement of the token check or the like path was built again for the second request"
    compiled_again = [(sql[:200], outcome.name) for sql, outcome, _ in seen if outcome is not CacheStats.CACHE_HIT]
    assert not compiled_again, compiled_again
