"""Migrations (Flask-Migrate/Alembic) are how every database is made, and they never drift from the models."""
import os
import subprocess
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from application import ROOT
from application.data.data_access.search import include_schema_name
from application.extensions import db

from . import databases
from .conftest import build_app, make_config


def _drift(app, metadata) -> list:
    with app.app_context(), db.engine.connect() as conn:
        # The full-text search objects are not models (revision 0002): left out, as in migrations/env.py.
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                         "include_name": include_schema_name})
        return compare_metadata(context, metadata)


def test_migrated_schema_matches_the_models(app):
    """What autogenerate would write for the current models against a migrated database: nothing."""
    assert _drift(app, db.metadata) == []


def test_every_model_index_exists_in_the_migrated_database(app):
    """Autogenerate cannot see expression indexes (lower(username)): check every index by name."""
    catalog = {"sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t",
               "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = :t"}
    with app.app_context():
        for table in db.metadata.tables.values():
            have = set(db.session.execute(sa.text(catalog[db.engine.dialect.name]), {"t": table.name}).scalars())
            assert {ix.name for ix in table.indexes} <= have, table.name


def test_drift_check_sees_a_column_the_migrations_lack(app):
    """The check above can fail: a model column with no migration shows up as add_column."""
    metadata = sa.MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["article"].append_column(sa.Column("subtitle", sa.String(100)))
    diffs = _drift(app, metadata)
    assert [(d[0], d[3].name) for d in diffs] == [("add_column", "subtitle")]


def test_init_db_upgrades_an_empty_database_and_is_idempotent(tmp_path):
    app = build_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=databases.empty_database_url(tmp_path)))
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"article", "user", "like", "alembic_version"} <= tables
        head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
        assert db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head
        roles = db.session.execute(sa.text("SELECT name FROM role ORDER BY name")).scalars().all()
        assert roles == ["admin", "author", "editor", "reader"]
        db.engine.dispose()


def test_existing_database_joins_with_stamp_head(tmp_path):
    """A database made by db.create_all() before migrations existed: `flask db stamp head`, then upgrades work."""
    app = build_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=databases.empty_database_url(tmp_path)))
    with app.app_context():
        db.create_all()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "stamp", "head"]).exit_code == 0
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert _drift(app, db.metadata) == []
    with app.app_context():
        db.engine.dispose()


def test_serving_processes_do_not_import_alembic_and_flask_db_still_migrates(tmp_path):
    """create_app() leaves Flask-Migrate (and alembic, half of the app's import time) unimported, as
    every gunicorn and Celery process does; `flask db upgrade` from the real command line binds it and
    migrates, and `flask db current` then names the head revision."""
    url = databases.empty_database_url(tmp_path)
    env = dict(os.environ, DATABASE_URL=url, ENV="development", PYTHONPATH=str(ROOT))
    probe = ("import sys, main; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'flask_migrate')))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().splitlines()[-1] == "[]"
    flask = [sys.executable, "-m", "flask", "--app", "main", "db"]
    upgraded = subprocess.run(flask + ["upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run(flask + ["current"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert current.returncode == 0 and f"{head} (head)" in current.stdout, current.stdout + current.stderr
