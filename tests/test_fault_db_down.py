"""Database down, in process: cached pages still serve, everything else is 503 with Retry-After
(HTML: the site's error page; JSON: the usual shape), never a 500, never a 401 for a valid token.

The outage is made by refusing every new connection at the driver (and closing the pool), so this
runs the same on SQLite and PostgreSQL; tests/test_fault_processes.py stops a real PostgreSQL.
"""
import contextlib

import pytest
from sqlalchemy import event

from application.extensions import db

from .conftest import login

JSON = {"Accept": "application/json"}


@contextlib.contextmanager
def database_down(app):
    """Every new connection fails as a dead server's would (the DB-API's OperationalError)."""
    with app.app_context():
        engine = db.engine
    dbapi = engine.dialect.dbapi

    def refuse(*args, **kwargs):
        raise dbapi.OperationalError("connection refused (test outage)")

    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)


@pytest.fixture
def seeded(app, make_user, make_article, rw):
    author = make_user(roles=("author",))
    article = make_article(author, title="Written before the outage")
    token = rw.client.post("/api/users/login", json={"user": {
        "email": author["email"], "password": author["password"]}}).get_json()["user"]["token"]
    return {"author": author, "article": article, "token": token}


def assert_503(response, html=False):
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    if html:
        body = response.get_data(as_text=True)
        assert response.mimetype == "text/html" and "503" in body and "Service Unavailable" in body
    else:
        assert response.get_json()["errors"]["body"][0].startswith("The database is not answering")


def test_pages_and_api_answer_503_with_retry_after(app, seeded):
    client, slug, art_id = app.test_client(), seeded["article"]["slug"], seeded["article"]["id"]
    with database_down(app):
        assert_503(client.get("/"), html=True)
        assert_503(client.get(f"/articles/{slug}"), html=True)
        assert_503(client.get("/api/articles"))
        assert_503(client.get(f"/api/article_likes/{art_id}"))
        assert_503(client.get(f"/articles/{slug}", headers=JSON))
        assert_503(client.post("/api/users/login", json={"user": {
            "email": seeded["author"]["email"], "password": seeded["author"]["password"]}}))
    assert client.get(f"/articles/{slug}").status_code == 200  # and back by itself


def test_a_valid_token_is_503_not_401(app, seeded):
    client, token = app.test_client(), seeded["token"]
    with database_down(app):
        assert_503(client.get("/api/user", headers={"Authorization": f"Token {token}"}))
        assert_503(client.post(f"/api/article_likes/{seeded['article']['id']}",
                               headers={"Authentication-Token": token, **JSON}))
    assert client.get("/api/user", headers={"Authorization": f"Token {token}"}).status_code == 200
    assert client.get("/api/user", headers={"Authorization": "Token not-a-token"}).status_code == 401


def test_a_logged_in_session_is_503_not_logged_out(app, seeded):
    client = app.test_client()
    login(client, seeded["author"]["email"])
    with database_down(app):
        assert_503(client.get("/"), html=True)  # not a redirect to /login
        assert_503(client.post(f"/articles/{seeded['article']['slug']}/like", headers=JSON))
        assert_503(client.post("/articles/new", data={"title": "t", "body": "b", "status": "draft"}), html=True)
    assert "Written before the outage" in client.get("/").get_data(as_text=True)


def test_cached_pages_still_serve(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    unread = make_article(author, title="Never read before the outage")
    article = make_article(author, title="Cached before the outage")
    client = redis_app.test_client()
    index, page = client.get("/").get_data(), client.get(f"/articles/{article['slug']}").get_data()
    with database_down(redis_app):
        assert client.get("/").get_data() == index
        r = client.get(f"/articles/{article['slug']}")
        assert r.status_code == 200 and r.get_data() == page
        assert client.get(f"/articles/{article['slug']}?utm=x").status_code == 200  # built from cached data
        assert_503(client.get(f"/articles/{unread['slug']}"), html=True)  # nothing cached: no guess
