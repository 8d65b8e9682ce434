"""A fresh database per test, on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), made by the migrations.

Once per run a template database is migrated with `flask db upgrade` (so the suite goes through
Flask-Migrate, exactly as deployments do) and given the roles; each test then gets a copy of it:
a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL. PostgreSQL copies made during
a test are dropped after it (tests/conftest.py), and every database of this run at exit.

TEST_DATABASE_URL names a PostgreSQL *server* to work on, e.g.
`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`: its database part is only used to connect.
"""
import atexit
import itertools
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

RUN_ID = uuid.uuid4().hex[:10]
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")
DIALECT = make_url(SERVER_URL).get_backend_name() if SERVER_URL else "sqlite"

_lock = threading.Lock()
_counter = itertools.count()
_template: str | None = None
_admin: sa.Engine | None = None
created: list[str] = []  # PostgreSQL databases made and not yet dropped
_by_folder: dict[str, str] = {}  # one database per test folder, as one SQLite file per tmp_path used to be


def migrate(app) -> None:
    """Run the migrations and the role seeding on the app's (empty or older) database."""
    from flask_migrate import upgrade

    from application.data import data_access
    from application.extensions import db

    with app.app_context():
        upgrade()
        data_access.ensure_roles()
        db.session.remove()


def _migrate(url: str) -> None:
    """migrate() an empty database at url, then let it go (it becomes the template)."""
    from application import create_app
    from application.config import TestConfig
    from application.extensions import db

    app = create_app(type("TemplateConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    migrate(app)
    with app.app_context():
        db.engine.dispose()


def _admin_engine() -> sa.Engine:
    global _admin
    if _admin is None:
        _admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    return _admin


def _pg_url(name: str) -> str:
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def _execute(sql: str) -> None:
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(sql))


def _ensure_template() -> str:
    """The migrated template: a SQLite file path, or a PostgreSQL database name."""
    global _template
    with _lock:
        if _template is None:
            if DIALECT == "sqlite":
                folder = tempfile.mkdtemp(prefix=f"bs-test-{RUN_ID}-")
                atexit.register(shutil.rmtree, folder, True)
                path = str(Path(folder) / "template.sqlite3")
                _migrate(f"sqlite:///{path}")
                _template = path
            else:
                name = f"bs_test_{RUN_ID}_template"
                _execute(f'CREATE DATABASE "{name}"')
                atexit.register(drop_all)
                _migrate(_pg_url(name))
                _template = name
    return _template


def fresh_database_url(folder: Path) -> str:
    """The database of this test folder (made on first use, with the current schema and roles).

    Apps built for the same folder share it (a test's fixtures and the processes it starts);
    a test that wants two databases passes two folders."""
    key = str(folder)
    if key in _by_folder:
        return _by_folder[key]
    template = _ensure_template()
    if DIALECT == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "test.sqlite3"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
    else:
        name = f"bs_test_{RUN_ID}_{next(_counter)}"
        _execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        created.append(name)
        url = _pg_url(name)
    _by_folder[key] = url
    return url


def empty_database_url(folder: Path) -> str:
    """A new database with no tables at all (for migration tests)."""
    if DIALECT == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / f'empty-{next(_counter)}.sqlite3'}"
    name = f"bs_test_{RUN_ID}_{next(_counter)}"
    _execute(f'CREATE DATABASE "{name}"')
    created.append(name)
    return _pg_url(name)


def drop(names: list[str]) -> None:
    """Drop these PostgreSQL databases, whoever is still connected."""
    for name in names:
        _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_created_since(mark: int) -> None:
    """Drop the databases made after created[mark] (one test's)."""
    if DIALECT == "sqlite":
        return
    names = created[mark:]
    del created[mark:]
    for folder in [f for f, url in _by_folder.items() if url.rsplit("/", 1)[-1] in names]:
        del _by_folder[folder]
    drop(names)


def drop_all() -> None:
    """Drop every database of this run, the template included."""
    names = list(created)
    created.clear()
    if _template and DIALECT != "sqlite":
        names.append(_template)
    drop(names)
