"""A fresh database per test, on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), made by the migrations.

Once per run a template database is migrated with `flask db upgrade` (so the suite goes through
Flask-Migrate, exactly as deployments do) and given the roles; each test then gets a copy of it:
a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL. PostgreSQL databases a test used
are reset for reuse or dropped after it (tests/conftest.py), and every database of this run at exit.

On PostgreSQL a copy and a drop take ~0.1-0.2 s of the server's time each (mostly I/O): a background
thread keeps one database ready ahead of the next test, and puts a finished test's database back into
the template's exact state for the next one (tests/pg_recycle.py: ~0.03 s), dropping it only when it
cannot be (its schema changed).

TEST_DATABASE_URL names a PostgreSQL *server* to work on, e.g.
`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`: its database part is only used to connect.
"""
import atexit
import itertools
import os
import queue
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from . import pg_recycle

RUN_ID = uuid.uuid4().hex[:10]
SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")
DIALECT = make_url(SERVER_URL).get_backend_name() if SERVER_URL else "sqlite"

_lock = threading.Lock()
_counter = itertools.count()
_template: str | None = None
_admin: sa.Engine | None = None
created: list[str] = []  # PostgreSQL databases made and not yet dropped
_by_folder: dict[str, str] = {}  # one database per test folder, as one SQLite file per tmp_path used to be
_chores: "queue.Queue[tuple[str, str] | None]" = queue.Queue()  # ("create" | "recycle" | "drop", name) for the helper
_spares: "queue.Queue[str]" = queue.Queue()  # template copies made ahead, not handed out yet
_helper: threading.Thread | None = None
_recyclable: set[str] = set()  # copies of the template handed out by fresh_database_url
_snapshot = None  # pg_recycle.Snapshot of the template
_undropped: list[str] = []  # kept templates and background drops that failed: drop_all drops them


def migrate(app) -> None:
    """Run the migrations and the role seeding on the app's (empty or older) database."""
    from application import migrations
    from application.data import data_access
    from application.extensions import db

    with app.app_context():
        migrations.upgrade()
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


def _libpq_dsn(name: str) -> str:
    return make_url(SERVER_URL).set(drivername="postgresql", database=name).render_as_string(hide_password=False)


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
                _undropped.append(name)  # dropped at exit even if what follows fails
                atexit.register(drop_all)
                _migrate(_pg_url(name))
                global _snapshot
                _snapshot = pg_recycle.snapshot(_libpq_dsn(name))
                _template = name
                _start_helper()
    return _template


def _copy_name() -> str:
    return f"bs_test_{RUN_ID}_{next(_counter)}"


def _start_helper() -> None:
    """The thread that makes the next test's copy ahead of time and drops finished tests' databases."""
    global _helper

    def work():
        while (chore := _chores.get()) is not None:
            kind, name = chore
            try:
                if kind == "create":
                    if _spares.empty():  # (a recycled one may already be waiting)
                        _execute(f'CREATE DATABASE "{name}" TEMPLATE "{_template}"')
                        _spares.put(name)
                elif kind == "recycle" and _recycled(name):
                    _spares.put(name)
                else:
                    drop([name])
            except Exception as exc:  # noqa: BLE001 - a test then makes its copy itself; drop_all retries drops
                print(f"tests/databases.py: {kind} {name} failed in the background: {exc}")
                if kind == "drop":
                    _undropped.append(name)
            finally:
                _chores.task_done()

    def _recycled(name: str) -> bool:
        _execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")  # whatever the test left open
        try:
            return pg_recycle.reset(_libpq_dsn(name), _snapshot)
        except Exception as exc:  # noqa: BLE001 - not reusable: dropped instead
            print(f"tests/databases.py: {name} not recycled ({exc}); dropping it")
            return False

    _helper = threading.Thread(target=work, name="bs-test-databases", daemon=True)
    _helper.start()
    _chores.put(("create", _copy_name()))


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
        try:
            name = _spares.get(timeout=30)  # the helper's copy (made while the last test ran)
        except queue.Empty:  # the helper failed or is stuck: copy here
            name = _copy_name()
            _execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        _chores.put(("create", _copy_name()))  # the next test's (unless a recycled one is ready)
        _recyclable.add(name)
        created.append(name)
        url = _pg_url(name)
    _by_folder[key] = url
    return url


def empty_database_url(folder: Path) -> str:
    """A new database with no tables at all (for migration tests)."""
    if DIALECT == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / f'empty-{next(_counter)}.sqlite3'}"
    name = _copy_name()
    _execute(f'CREATE DATABASE "{name}"')
    created.append(name)
    return _pg_url(name)


def keep_as_template(url: str) -> str:
    """A PostgreSQL database of this run, kept past its test to be copied (copy_of); dropped at exit."""
    name = make_url(url).database
    created.remove(name)
    _recyclable.discard(name)
    _undropped.append(name)  # drop_all's list
    return name


def copy_of(template: str, folder: Path) -> str:
    """A new PostgreSQL database copied from template, as this test folder's database."""
    name = _copy_name()
    _execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    created.append(name)
    _by_folder[str(folder)] = url = _pg_url(name)
    return url


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
    for name in names:  # the test's processes have stopped; any connection left is ended
        _chores.put(("recycle" if name in _recyclable else "drop", name))
        _recyclable.discard(name)


def drop_all() -> None:
    """Drop every database of this run: the helper's pending chores first, then the rest and the template."""
    if _helper is not None:
        _chores.put(None)
        _helper.join(timeout=120)
    names = list(created) + _undropped
    created.clear()
    while not _spares.empty():
        names.append(_spares.get_nowait())
    if _template and DIALECT != "sqlite":
        names.append(_template)
    drop(names)
