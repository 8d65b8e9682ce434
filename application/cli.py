"""Flask CLI commands: init-db, seed, demo-author (the schema itself: `flask db upgrade`, Flask-Migrate)."""
import click
from flask import Flask

from application import migrations
from application.data import data_access
from application.data.seed import SeedError, seed

DEMO_EMAIL, DEMO_USERNAME, DEMO_PASSWORD = "author@example.com", "demo_author", "demo-password"


def ensure_schema() -> None:
    """Migrate the database to the newest revision and make sure the roles exist (idempotent)."""
    migrations.upgrade()
    data_access.ensure_roles()


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the schema (flask db upgrade) and the roles (idempotent)."""
        ensure_schema()
        click.echo("Database ready.")

    @app.cli.command("seed")
    @click.option("--articles", default=100, show_default=True, type=click.IntRange(0))
    @click.option("--users", default=20, show_default=True, type=click.IntRange(1))
    @click.option("--likes", default=500, show_default=True, type=click.IntRange(0))
    @click.option("--seed", "seed_value", default=1, show_default=True, type=int)
    @click.option("--follows", default=0, show_default=True, type=click.IntRange(0),
                  help="user-follows-author pairs (the RealWorld feed)")
    @click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="the day the dates count back from (default: today, UTC); same seed + day = same rows")
    def seed_command(articles, users, likes, seed_value, follows, as_of):
        """Insert deterministic demo data into an empty database."""
        ensure_schema()
        with click.progressbar(length=articles + users + likes + follows, label="Seeding") as bar:
            try:
                counts = seed(articles, users, likes, seed_value, progress=bar.update, follows_count=follows,
                              as_of=as_of)
            except SeedError as exc:
                raise click.ClickException(str(exc)) from exc
        extra = f", {counts['follows']} follows" if follows else ""
        click.echo(f"Seeded {counts['users']} users, {counts['articles']} articles, {counts['likes']} likes{extra}.")

    @app.cli.command("demo-author")
    def demo_author():
        """Create the demo author account if missing and print its login."""
        ensure_schema()
        if data_access.get_user_id_by_email(DEMO_EMAIL) is None:
            data_access.create_user(DEMO_EMAIL, DEMO_USERNAME, DEMO_PASSWORD, roles=("reader", "author"))
        click.echo(f"Demo author: {DEMO_EMAIL} / {DEMO_PASSWORD}")
