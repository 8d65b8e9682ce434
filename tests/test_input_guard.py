"""Regression tests for every 500-from-input reproduction of issue #13, and the guard's own rules.

Each case answered 500 on SQLite or PostgreSQL before application/input_guard.py; now a 4xx
in the usual shape. Database-agnostic: run them with TEST_DATABASE_URL as well.
"""
import json
import uuid

import pytest

from application.data import data_access
from application.input_guard import DB_INT_MAX

from .conftest import login

SURROGATE = '"\\ud800"'  # a JSON escape for a lone surrogate: valid JSON, not encodable UTF-8


def raw_json(client, method, path, text, token=None):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return client.open(path, method=method, data=text, content_type="application/json", headers=headers)


def assert_json_error(response, status, field=None):
    """The usual shape, {"errors": {"body": ["<field>: <message>"]}}, naming the field if given."""
    assert response.status_code == status, response.get_data(as_text=True)
    messages = response.get_json()["errors"]["body"]
    assert messages and all(isinstance(m, str) and m for m in messages)
    if field:
        assert messages[0].startswith(f"{field}: "), messages
    return messages[0]


@pytest.fixture
def jake(rw):
    return rw.register(f"jake{uuid.uuid4().hex[:8]}")  # unique: the database may be shared


@pytest.mark.parametrize("path,method,template,field", [
    ("/api/users", "POST",
     '{"user": {"username": %s, "email": "s@example.com", "password": "a-long-password-1"}}', "username"),
    ("/api/users/login", "POST", '{"user": {"email": "jake@example.com", "password": %s}}', "password"),
    ("/api/articles", "POST", '{"article": {"title": %s, "description": "d", "body": "b"}}', "title"),
    ("/api/user", "PUT", '{"user": {"bio": %s}}', "bio"),
])
def test_lone_surrogate_in_json_is_422_not_500(client, jake, path, method, template, field):
    r = raw_json(client, method, path, template % SURROGATE, token=jake["token"])
    assert "surrogate" in assert_json_error(r, 422, field)


def test_lone_surrogate_in_a_comment_and_in_a_key(client, rw, jake):
    slug = rw.create_article(jake)["slug"]
    r = raw_json(client, "POST", f"/api/articles/{slug}/comments", '{"comment": {"body": %s}}' % SURROGATE,
                 token=jake["token"])
    assert_json_error(r, 422, "body")
    r = raw_json(client, "POST", f"/api/articles/{slug}/comments", '{"comment": {%s: "x"}}' % SURROGATE,
                 token=jake["token"])
    assert_json_error(r, 422)
    assert rw.call("GET", f"/articles/{slug}/comments").get_json()["comments"] == []


def test_nul_in_json_is_422_and_nothing_is_stored(client, rw, jake):
    r = raw_json(client, "POST", "/api/articles", json.dumps({"article": {
        "title": "Nul\x00title", "description": "d", "body": "b"}}), token=jake["token"])
    assert_json_error(r, 422, "title")
    assert rw.call("GET", f"/articles?author={jake['username']}").get_json()["articlesCount"] == 0


@pytest.mark.parametrize("article_id", ["9223372036854775808", str(2**31), str(DB_INT_MAX + 1), "1" + "0" * 30, "9" * 5000])
def test_ids_past_the_integer_range_are_404(client, make_user, article_id):
    user = make_user()
    r = client.get(f"/api/article_likes/{article_id}")
    assert_json_error(r, 404)
    login(client, user["email"])
    assert_json_error(client.post(f"/api/article_likes/{article_id}", headers={"Accept": "application/json"}), 404)


def test_largest_integer_id_still_routes(client):
    assert_json_error(client.get(f"/api/article_likes/{DB_INT_MAX}"), 404)  # routed, no such article
    assert "not found" in client.get(f"/api/article_likes/{DB_INT_MAX}").get_json()["errors"]["body"][0]


def test_delete_comment_id_past_the_range_is_404(client, rw, jake):
    slug = rw.create_article(jake)["slug"]
    for comment_id in (2**31, 2**63 - 1, 2**63):
        r = rw.call("DELETE", f"/articles/{slug}/comments/{comment_id}", jake)
        assert_json_error(r, 404)


def _author_client(client, make_user):
    author = make_user(roles=("author",))
    login(client, author["email"])
    return author


def test_nul_in_the_new_article_form_is_422_and_not_stored(client, make_user, app):
    author = _author_client(client, make_user)
    r = client.post("/articles/new", data={"title": "Null\x00byte", "body": "b", "status": "published"})
    assert r.status_code == 422
    assert "NUL" in r.get_data(as_text=True) and "<html" in r.get_data(as_text=True)
    with app.app_context():
        assert data_access.list_author_articles(author["id"]) == []


def test_nul_in_the_edit_form_is_422_and_the_article_unchanged(client, make_user, make_article, app):
    author = _author_client(client, make_user)
    article = make_article(author, title="Clean title")
    r = client.post(f"/articles/{article['slug']}/edit", data={
        "title": "Clean title", "body": "dirty\x00body", "status": "published"})
    assert r.status_code == 422
    with app.app_context():
        assert "\x00" not in data_access.get_article_for_edit(article["slug"])["body"]


def test_nul_in_the_feedback_form_is_422(client):
    r = client.post("/feedback", data={"name": "N\x00", "email": "n@example.com", "message": "hello there"})
    assert r.status_code == 422
    assert "name" in r.get_data(as_text=True)
    r = client.post("/feedback", data={"name": "N", "email": "n@example.com", "message": "hello there"},
                    headers={"Accept": "application/json"})
    assert r.status_code in (200, 302)  # the same form without the NUL goes through


@pytest.mark.parametrize("path", ["/articles/%00", "/authors/a%00b", "/api/articles/%00",
                                  "/api/profiles/a%00b", "/articles/a%00/edit"])
def test_nul_in_a_path_is_404(client, make_user, path):
    login(client, make_user()["email"])
    r = client.get(path)
    assert r.status_code == 404


def test_nul_in_a_query_string_is_422(client):
    r = client.get("/api/articles?tag=a%00b")
    assert_json_error(r, 422, "tag")
    assert client.get("/?page=%00").status_code in (404, 422)


def test_json_nested_too_deeply_is_422(client):
    r = raw_json(client, "POST", "/api/users", "[" * 100_000 + "]" * 100_000)
    assert_json_error(r, 422)


def test_html_client_gets_the_error_page_json_client_the_shape(client):
    html = client.get("/articles/x?q=%00")
    assert html.status_code == 422 and html.mimetype == "text/html"
    as_json = client.get("/articles/x?q=%00", headers={"Accept": "application/json"})
    assert_json_error(as_json, 422, "q")


@pytest.mark.parametrize("body", ["null", "[1, 2]", '"text"', "3", "[[1]]"])
@pytest.mark.parametrize("path", ["/register", "/login", "/api/users", "/feedback", "/settings", "/search"])
def test_a_json_body_that_is_not_an_object_is_4xx(client, path, body):
    # Flask-WTF builds every form (Flask-Security's, the pages') with MultiDict(<body>): a TypeError,
    # a 500, for these (the fuzzer found /settings).
    status = 422 if path.startswith("/api/") else 400  # the API's own rule; Flask-Security's 400s
    assert_json_error(client.post(path, data=body, content_type="application/json"), status)
    if not path.startswith("/api/"):
        assert_json_error(client.get(path, data=body, content_type="application/json"), 400)
