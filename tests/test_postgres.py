"""The same app on PostgreSQL (psycopg 3): schema, seed, pages, writes. Skipped if none answers."""
import os
import uuid

import psycopg
import pytest

from application.extensions import db

from .conftest import build_app, login, make_config

PG_ADMIN = os.environ.get("TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_url():
    name = f"broadsheet_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server answers")
    admin.execute(f'CREATE DATABASE "{name}"')
    host = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{host}/{name}"
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


def test_site_runs_on_postgresql(tmp_path, pg_url):
    app = build_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=pg_url))
    try:
        result = app.test_cli_runner().invoke(args=["seed", "--articles", "60", "--users", "10", "--likes", "100"])
        assert result.exit_code == 0, result.output
        assert app.test_cli_runner().invoke(args=["demo-author"]).exit_code == 0  # sequences moved past seeded ids
        client = app.test_client()
        assert client.get("/").status_code == 200 and client.get("/?page=3").status_code == 200
        assert client.get("/articles/article-0").status_code in (200, 404)  # 404 only if it is a draft
        login(client, "author@example.com", "demo-password")
        r = client.post("/articles/new", data={"title": "On Postgres", "body": "b", "status": "published"})
        assert r.status_code == 302
        assert "On Postgres" in client.get("/").get_data(as_text=True)
        like = client.post("/articles/on-postgres/like", headers={"Accept": "application/json"})
        assert like.status_code == 202 and like.get_json()["like_count"] == 1
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
