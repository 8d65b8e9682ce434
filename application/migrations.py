"""Flask-Migrate, bound only when something migrates: `flask db ...`, init-db, the seed, tests.

Importing Flask-Migrate imports alembic: half of the app's import time (~0.35 s of ~0.7 s measured),
paid at start-up by every gunicorn and Celery process, none of which ever migrates. create_app()
registers a `db` command group that binds Flask-Migrate when a command line reaches it;
code that migrates calls bound(app) (or upgrade()) first.
"""
import logging

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo

from . import ROOT
from .extensions import db


def bound(app: Flask | None = None) -> Flask:
    """Bind Flask-Migrate to app (the current app by default) once; the app."""
    app = app or current_app._get_current_object()
    if "migrate" not in app.extensions:
        # Imported after create_app() configured logging: alembic's INFO lines about loading its own
        # plugins would now be printed on every `flask db` command.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        from flask_migrate import Migrate

        # Migrations are the only way the schema changes (batch mode: SQLite cannot ALTER most things).
        Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    return app


def upgrade(revision: str = "head") -> None:
    """flask_migrate.upgrade on the current app: the schema to that revision."""
    bound()
    from flask_migrate import upgrade as migrate_upgrade

    migrate_upgrade(revision=revision)


class _LazyDbGroup(click.Group):
    """`flask db`: stands in for Flask-Migrate's own command group until the command line reaches it,
    then hands over (its options, subcommands and help are Flask-Migrate's)."""

    def make_context(self, info_name, args, parent=None, **extra):
        bound(parent.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as migrate_group

        return migrate_group.make_context(info_name, args, parent=parent, **extra)


def register_cli(app: Flask) -> None:
    app.cli.add_command(_LazyDbGroup("db", help="Perform database migrations (Flask-Migrate)."))
