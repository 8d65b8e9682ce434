"""The seed on both databases: same seed -> same content hash, and the rows are consistent and readable.

"default" is a fresh database of the suite's own kind (SQLite, or PostgreSQL with
TEST_DATABASE_URL); "postgresql" is always a fresh PostgreSQL database (skipped if none answers).
"""
import hashlib
import os
import re
import uuid
from datetime import date, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import func, select, text

from application import migrations
from application.data import data_access
from application.data.data_access import week_likes
from application.data.models import Article, Like, Role, Tag, User, WeekLikes, article_authors, article_tags
from application.data.seed import SeedError, seed
from application.data.seed_vocab import TAGS
from application.extensions import db

from .conftest import build_app, make_config
from .databases import migrate as migrate_database

PG_ADMIN = os.environ.get("TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
AS_OF = date(2026, 11, 20)
SIZES = ["--articles", "240", "--users", "30", "--likes", "1500"]
USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")


class _Databases:
    """Fresh apps on the parametrised database; drops the PostgreSQL databases it created."""

    def __init__(self, kind, tmp_path):
        self.kind, self.tmp_path, self.created, self.apps = kind, tmp_path, [], []
        if kind == "postgresql":
            try:
                self.admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2)
            except psycopg.OperationalError:
                pytest.skip("no PostgreSQL server answers")

    def app(self):
        folder = self.tmp_path / f"db{len(self.apps)}"
        folder.mkdir(parents=True)
        if self.kind == "default":  # the suite's own fresh database (SQLite unless TEST_DATABASE_URL)
            app = build_app(make_config(folder))
        else:
            name = f"broadsheet_seed_{uuid.uuid4().hex[:10]}"
            self.admin.execute(f'CREATE DATABASE "{name}"')
            self.created.append(name)
            base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            app = build_app(make_config(folder, SQLALCHEMY_DATABASE_URI=f"{base}/{name}"))
            migrate_database(app)
        self.apps.append(app)
        return app

    def close(self):
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        for name in self.created:
            self.admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if self.kind == "postgresql":
            self.admin.close()




@pytest.fixture(params=["default", "postgresql"])
def databases(request, tmp_path):
    dbs = _Databases(request.param, tmp_path)
    yield dbs
    dbs.close()


def _seeded(databases, *extra):
    app = databases.app()
    result = app.test_cli_runner().invoke(args=["seed", *SIZES, "--as-of", AS_OF.isoformat(), *extra])
    assert result.exit_code == 0, result.output
    return app


def _content_hash(app) -> str:
    """sha256 over every seeded row in id order; datetimes as ISO text so both databases agree."""
    queries = [
        'SELECT id, email, username, password IS NOT NULL, active, fs_uniquifier, bio, image, create_datetime '
        'FROM "user" ORDER BY id',
        "SELECT id, title, slug, description, body, status, publish_at, created_at, updated_at, like_count "
        "FROM article ORDER BY id",
        'SELECT id, user_id, article_id, created_at FROM "like" ORDER BY id',
        "SELECT article_id, user_id FROM article_authors ORDER BY article_id, user_id",
        "SELECT article_tags.article_id, tag.name FROM article_tags JOIN tag ON tag.id = article_tags.tag_id "
        "ORDER BY article_tags.article_id, tag.name",
        "SELECT roles_users.user_id, role.name FROM roles_users JOIN role ON role.id = roles_users.role_id "
        "ORDER BY roles_users.user_id, role.name",
    ]
    digest = hashlib.sha256()
    with app.app_context():
        for query in queries:
            for row in db.session.execute(text(query)):
                values = [_plain(v) for v in row]
                digest.update(repr(values).encode())
    return digest.hexdigest()


def _plain(value):
    # SQLite hands back raw text for DATETIME and 0/1 for BOOLEAN in a text() query; PostgreSQL typed values.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return int(value) if isinstance(value, bool) else value


def test_same_seed_gives_the_same_rows_and_another_seed_does_not(databases):
    first, second = _seeded(databases), _seeded(databases)
    assert _content_hash(first) == _content_hash(second)
    assert _content_hash(_seeded(databases, "--seed", "2")) != _content_hash(first)


def test_the_default_database_and_postgresql_get_identical_rows(tmp_path):
    hashes = []
    for kind in ("default", "postgresql"):
        dbs = _Databases(kind, tmp_path / kind)
        try:
            hashes.append(_content_hash(_seeded(dbs)))
        finally:
            dbs.close()
    assert hashes[0] == hashes[1]


def test_seeded_rows_are_consistent(databases):
    app = _seeded(databases)
    as_of = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
    with app.app_context():
        s = db.session
        assert (s.scalar(select(func.count()).select_from(User)), s.scalar(select(func.count()).select_from(Article)),
                s.scalar(select(func.count()).select_from(Like))) == (30, 240, 1500)
        # Article.like_count is exactly the number of like rows, article by article.
        actual = dict(s.execute(select(Like.article_id, func.count()).group_by(Like.article_id)).all())
        stored = dict(s.execute(select(Article.id, Article.like_count)).all())
        assert stored == {aid: actual.get(aid, 0) for aid in stored}
        usernames = list(s.scalars(select(User.username)))
        assert len({u.lower() for u in usernames}) == 30 and all(USERNAME.fullmatch(u) for u in usernames)
        assert len(set(s.scalars(select(Article.slug)))) == 240
        articles = {a.id: a for a in s.scalars(select(Article))}
        for a in articles.values():
            if a.status == "published":
                assert as_of - timedelta(days=90) <= a.publish_at < as_of and a.created_at <= a.publish_at
            elif a.status == "scheduled":
                assert a.publish_at > as_of
            else:
                assert a.publish_at is None
            assert a.updated_at >= a.created_at and a.title and a.description and a.body.count("\n## ") >= 2
        for like in s.scalars(select(Like)):
            article = articles[like.article_id]
            assert article.status == "published"  # nobody likes what they cannot see
            assert max(article.publish_at, as_of - timedelta(days=28)) <= like.created_at < as_of
        week = s.scalar(select(func.count()).select_from(Like).where(Like.created_at >= as_of - timedelta(days=7)))
        assert week >= 1500 * 0.3  # recent weeks carry more likes: "Most liked this week" is full
        assert set(s.scalars(select(Tag.name))) <= set(TAGS)
        assert s.scalar(select(func.count(func.distinct(article_tags.c.tag_id)))) >= 10
        authors = set(s.scalars(select(article_authors.c.user_id)))
        role_of_authors = set(s.scalars(select(User.id).join(User.roles).where(Role.name == "author")))
        assert authors and authors <= role_of_authors
        assert s.scalar(select(func.count()).select_from(Article).where(
            ~Article.id.in_(select(article_authors.c.article_id)))) == 0
        assert all(re.fullmatch(r"/avatars/[A-Z]{2}-[0-7]\.svg", i) for i in s.scalars(select(User.image)))
        if "display_name" in User.__table__.c:  # the schema has display names (migration 0003)
            assert all(re.fullmatch(r"[A-Z]\S+ [A-Z]\S+", n) for n in s.scalars(select(User.display_name)))


def test_a_failed_seed_leaves_nothing_behind(databases):
    app = databases.app()
    with app.app_context():
        data_access.create_user("user3@example.com", "someone_else", "a-long-password-1")  # the seed's 4th email
        with pytest.raises(SeedError, match="clash"):
            seed(50, 10, 100, 1)
        assert db.session.scalar(select(func.count()).select_from(Article)) == 0
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        with db.engine.connect() as conn:  # the dropped indexes came back with the rollback
            names = {i["name"] for i in db.inspect(conn).get_indexes("like")}
        assert {"ix_like_article_id_created_at", "ix_like_created_at_article_id"} <= names


def test_sqlite_pragmas_are_restored_after_seeding(app):
    with app.app_context():
        seed(20, 5, 10, 1)
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL, from db_tuning
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_most_liked_this_week_is_populated_by_default(app):
    with app.app_context():
        seed(60, 12, 300, 3)  # dates count back from today
        top = data_access.most_liked_this_week()
        assert top and all(item["week_likes"] >= 1 for item in top)


def test_the_week_tally_counted_while_seeding_is_what_a_rebuild_counts_from_the_rows(databases):
    """The seed counts week_likes as it generates the likes instead of grouping them afterwards: a rebuild
    from the rows, as of the tally's own counted_at, finds nothing to change on either database."""
    app = databases.app()
    result = app.test_cli_runner().invoke(args=["seed", *SIZES])  # as of today: the week has likes
    assert result.exit_code == 0, result.output
    with app.app_context():
        tally = dict(db.session.execute(select(WeekLikes.article_id, WeekLikes.n)).all())
        (counted_at,) = set(db.session.scalars(select(WeekLikes.counted_at)))
        from_rows = dict(db.session.execute(select(Like.article_id, func.count()).where(
            Like.created_at >= counted_at - timedelta(days=7)).group_by(Like.article_id)).all())
        assert tally and tally == from_rows
        assert sum(tally.values()) >= 1500 * 0.3
        week_likes.rebuild_week_likes(now=counted_at)
        assert dict(db.session.execute(select(WeekLikes.article_id, WeekLikes.n)).all()) == tally
        db.session.rollback()


def test_too_many_likes_for_the_published_articles_is_a_clear_error(runner):
    result = runner.invoke(args=["seed", "--articles", "3", "--users", "2", "--likes", "7"])
    assert result.exit_code != 0 and "more likes than (user, published article) pairs" in result.output


# The SQLite half of migration 0003 (full-text search): created here when the schema lacks it.
FTS_DDL = [
    "CREATE VIRTUAL TABLE article_fts USING fts5(title, description, body, content='article', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN INSERT INTO article_fts(rowid, title, "
    "description, body) VALUES (new.id, new.title, new.description, new.body); END",
]


def test_sqlite_full_text_index_is_complete_after_seeding_and_its_trigger_is_back(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's FTS5 triggers; PostgreSQL's search column is generated by COPY")
        master = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'article'"
        if not db.session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'article_fts'")).first():
            for ddl in FTS_DDL:
                db.session.execute(text(ddl))
            db.session.commit()
        triggers = set(db.session.scalars(text(master)))
        seed(80, 10, 100, 6, as_of=AS_OF)
        assert set(db.session.scalars(text(master))) == triggers  # the insert trigger is back
        db.session.execute(text("INSERT INTO article_fts(article_fts) VALUES ('integrity-check')"))  # raises if stale
        word = db.session.scalar(select(Article.title).order_by(Article.id)).split()[-1].lower()
        found = db.session.scalar(text("SELECT count(*) FROM article_fts WHERE article_fts MATCH :w"), {"w": word})
        assert found >= 1


def _pg_app(tmp_path):
    dbs = _Databases("postgresql", tmp_path)
    return dbs, dbs.app()


VECTOR_CHECK = ("SELECT count(*), count(*) FILTER (WHERE search_vector IS DISTINCT FROM "
                "article_search_vector(title, description, body)) FROM article")
TRIGGER_STATE = "SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'article'::regclass AND tgname = 'article_search_vector'"


def test_postgresql_search_vectors_from_the_helpers_equal_the_trigger_and_search_finds_articles(tmp_path):
    dbs, app = _pg_app(tmp_path)
    try:
        with app.app_context():
            seed(300, 20, 500, 4, as_of=AS_OF)
            assert tuple(db.session.execute(text(VECTOR_CHECK)).one()) == (300, 0)
            assert db.session.scalar(text(TRIGGER_STATE)) == "O"  # enabled again after the load
            # The trigger keeps the column right for ordinary writes after the seed.
            article = db.session.scalar(select(Article).order_by(Article.id).limit(1))
            article.body = "zymurgy and quasicrystals"
            db.session.commit()
            assert tuple(db.session.execute(text(VECTOR_CHECK)).one()) == (300, 0)
            assert db.session.scalar(text("SELECT count(*) FROM article WHERE search_vector @@ "
                                          "websearch_to_tsquery('english', 'quasicrystal')")) == 1
            # The GIN index and the like table's keys are back.
            indexes = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename IN "
                                                  "('article', 'like')")))
            assert {"ix_article_search_vector", "like_pkey", "uq_like_user_article", "article_slug_key"} <= indexes
    finally:
        dbs.close()


def test_postgresql_seed_failing_after_the_articles_leaves_trigger_keys_and_no_rows(tmp_path, monkeypatch):
    from application.data import seed as seed_module

    def fail(*args):
        raise RuntimeError("likes failed")

    monkeypatch.setattr(seed_module, "_write_likes", fail)  # after the articles' trigger-off load
    dbs, app = _pg_app(tmp_path)
    try:
        with app.app_context():
            with pytest.raises(RuntimeError, match="likes failed"):
                seed(50, 10, 100, 1)
            assert db.session.scalar(select(func.count()).select_from(Article)) == 0
            assert db.session.scalar(text(TRIGGER_STATE)) == "O"
            names = set(db.session.scalars(text("SELECT conname FROM pg_constraint WHERE conrelid = 'article'::regclass")))
            assert "article_slug_key" in names
    finally:
        dbs.close()


def test_postgresql_revision_0004_down_and_up_keeps_every_vector_right(tmp_path):
    from flask_migrate import downgrade, upgrade

    generated = "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'article'::regclass AND attname = 'search_vector'"
    dbs, app = _pg_app(tmp_path)
    migrations.bound(app)
    try:
        with app.app_context():
            seed(40, 5, 30, 2, as_of=AS_OF)
            db.session.remove()
            downgrade(revision="0003")  # back to the generated column, recomputed for every row
            assert db.session.scalar(text(generated)) == "s"
            assert db.session.scalar(text("SELECT count(*) FROM article WHERE search_vector IS NULL")) == 0
            db.session.remove()
            upgrade()
            assert db.session.scalar(text(generated)) == ""
            assert tuple(db.session.execute(text(VECTOR_CHECK)).one()) == (40, 0)
            db.session.remove()
    finally:
        dbs.close()
