"""Accounts: register, login, logout, roles, hashing, tokens and access control."""
from application.data.models import User
from application.extensions import db

from . import factories
from .conftest import login


def test_register_gives_reader_role_and_logs_in(app, client):
    r = client.post("/register", data={
        "email": "new@example.com", "username": "newbie", "password": "a-long-password-1",
        "password_confirm": "a-long-password-1",
    })
    assert r.status_code == 302
    with app.app_context():
        user = db.session.query(User).filter_by(email="new@example.com").one()
        assert [role.name for role in user.roles] == ["reader"]
    assert client.get("/authors/newbie").status_code == 200


def test_register_with_bad_input_rerenders_with_messages(app, client):
    r = client.post("/register", data={"email": "not-an-email", "username": "x", "password": "1",
                                       "password_confirm": "2"})
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert "Invalid email address" in text or "not a valid" in text.lower()
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_login_logout(client, make_user):
    user = make_user("bob", roles=("author",))
    assert login(client, user["email"], "wrong-password").status_code == 200
    assert client.get("/articles/new").status_code == 302
    assert login(client, user["email"]).status_code == 302
    assert client.get("/articles/new").status_code == 200
    client.post("/logout")
    assert client.get("/articles/new").status_code == 302


def test_passwords_are_stored_as_argon2_hashes(tmp_path):
    from flask_security import verify_password

    from .conftest import build_app, make_config

    app = build_app(make_config(tmp_path, SECURITY_PASSWORD_HASH="argon2"))
    with app.app_context():
        factories.make_user("hashme", password="s3cret-password")
        stored = db.session.query(User).filter_by(username="hashme").one().password
        assert stored.startswith("$argon2") and "s3cret-password" not in stored
        assert verify_password("s3cret-password", stored)
    client = app.test_client()
    assert login(client, "hashme@example.com", "s3cret-password").status_code == 302


def test_author_pages_are_public(client, make_user):
    make_user("carol", roles=("author",))
    r = client.get("/authors/carol")
    assert r.status_code == 200 and "carol" in r.get_data(as_text=True)
    assert client.get("/authors/nobody-here").status_code == 404


def test_writing_requires_author_or_editor(client, make_user, make_article):
    reader = make_user("dave")
    author = make_user("erin", roles=("author",))
    article = make_article(author)
    assert client.get("/articles/new").status_code == 302
    login(client, reader["email"])
    assert client.get("/articles/new").status_code == 403
    assert client.get(f"/articles/{article['slug']}/edit").status_code == 403
    assert client.post("/articles/new", data={"title": "x", "body": "y", "status": "published"}).status_code == 403


def test_authors_edit_only_their_own_but_editors_edit_all(client, make_user, make_article):
    owner = make_user("fay", roles=("author",))
    other = make_user("gus", roles=("author",))
    editor = make_user("hal", roles=("editor",))
    article = make_article(owner)
    login(client, other["email"])
    assert client.get(f"/articles/{article['slug']}/edit").status_code == 403
    client.post("/logout")
    login(client, editor["email"])
    assert client.get(f"/articles/{article['slug']}/edit").status_code == 200


def test_token_authentication_for_json_clients(client, make_user, make_article):
    author = make_user("ivy", roles=("author",))
    article = make_article(author)
    r = client.post("/login?include_auth_token", json={"email": author["email"], "password": author["password"]})
    token = r.get_json()["response"]["user"]["authentication_token"]
    fresh = client.application.test_client()
    r = fresh.post(f"/articles/{article['slug']}/like", headers={
        "Authentication-Token": token, "Accept": "application/json"})
    assert r.status_code == 202 and r.get_json()["liked"] is True


def test_users_and_roles_cli(app, runner):
    result = runner.invoke(args=["users", "create", "cli@example.com", "--username", "cliuser",
                                 "--password", "cli-password-123", "-a"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["roles", "add", "cli@example.com", "author"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.query(User).filter_by(email="cli@example.com").one()
        assert "author" in [r.name for r in user.roles]
