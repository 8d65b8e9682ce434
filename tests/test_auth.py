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


# -- hardening (issue 13): CSRF, revocation on logout, no account enumeration -----------------
def _csrf_app(tmp_path):
    from .conftest import build_app, make_config

    return build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))


def _form_token(html: str) -> str:
    import re

    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def test_login_register_and_logout_need_a_csrf_token(tmp_path):
    app = _csrf_app(tmp_path)
    with app.app_context():
        user = factories.make_user("csrfuser")
    client = app.test_client()
    # A cross-site form post carries no token: refused, nobody logged in or registered.
    assert client.post("/login", data={"email": user["email"], "password": user["password"]}).status_code == 400
    assert client.get("/settings").status_code == 302  # not logged in
    r = client.post("/register", data={"email": "x@example.com", "username": "xuser",
                                       "password": "a-long-password-1", "password_confirm": "a-long-password-1"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.query(User).filter_by(email="x@example.com").count() == 0
    assert client.post("/login", json={"email": user["email"], "password": user["password"]}).status_code == 400
    # With the token from the form (or, for JSON clients, from GET /login) it works.
    token = _form_token(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": user["email"], "password": user["password"], "csrf_token": token})
    assert r.status_code == 302
    assert client.get("/settings").status_code == 200  # logged in
    # Logging out needs the token too (a foreign page cannot log the visitor out).
    assert client.post("/logout").status_code == 200  # the confirmation form, still logged in
    assert client.get("/settings").status_code == 200
    token = _form_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/settings").status_code == 302  # not logged in
    json_token = client.get("/login", headers={"Accept": "application/json"}).get_json()["response"]["csrf_token"]
    r = client.post("/login", json={"email": user["email"], "password": user["password"]},
                    headers={"X-CSRF-Token": json_token})
    assert r.status_code == 200


def _json_login(client, user):
    r = client.post("/login?include_auth_token", json={"email": user["email"], "password": user["password"]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["response"]["user"]["authentication_token"]


def test_logout_revokes_tokens_and_copied_cookies(app, client, make_user):
    user, other = make_user("leaver"), make_user("stayer")
    token = _json_login(client, user)
    other_token = _json_login(app.test_client(), other)
    copied = client.get_cookie("session").value
    api = app.test_client()
    assert api.get("/api/user", headers={"Authorization": f"Token {token}"}).status_code == 200
    assert client.post("/logout").status_code == 302
    # The token issued at login, and a copy of the session cookie taken before, no longer work.
    assert api.get("/api/user", headers={"Authorization": f"Token {token}"}).status_code == 401
    r = api.post("/api/article_likes/1", headers={"Authentication-Token": token, "Accept": "application/json"})
    assert r.status_code == 401
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/settings").status_code == 302
    # Nobody else is logged out.
    assert api.get("/api/user", headers={"Authorization": f"Token {other_token}"}).status_code == 200


def test_api_clients_log_out_with_their_token(app, client, rw):
    account = rw.register("apileaver")
    other = rw.register("apistayer")
    assert rw.call("GET", "/user", account).status_code == 200
    r = client.post("/logout", headers={"Authorization": f"Token {account['token']}", "Accept": "application/json"})
    assert r.status_code == 200
    assert rw.call("GET", "/user", account).status_code == 401
    assert rw.call("GET", "/user", other).status_code == 200
    # Logging in again gives a token that works.
    r = rw.call("POST", "/users/login", json={"user": {"email": "apileaver@example.com",
                                                       "password": "a-long-password-1"}})
    assert rw.call("GET", "/user", r.get_json()["user"]["token"]).status_code == 200


def test_one_generic_message_for_a_bad_email_or_a_bad_password(client, rw, make_user):
    user = make_user("enum")
    pages = [client.post("/login", data={"email": email, "password": "not-it"}).get_data(as_text=True)
             for email in (user["email"], "nobody@example.com")]
    for page in pages:
        assert "Invalid password" not in page and "does not exist" not in page
        assert "Authentication failed" in page
    assert pages[0].replace(user["email"], "") == pages[1].replace("nobody@example.com", "")
    answers = [client.post("/login", json={"email": email, "password": "not-it"}).get_json()
               for email in (user["email"], "nobody@example.com")]
    assert answers[0] == answers[1] and answers[0]["meta"]["code"] == 400
    api = [rw.call("POST", "/users/login", json={"user": {"email": email, "password": "not-it"}})
           for email in (user["email"], "nobody@example.com")]
    assert [r.status_code for r in api] == [401, 401] and api[0].get_json() == api[1].get_json()


def _median_gap(send, known, unknown, pairs=15) -> tuple[float, float, float]:
    """(wrong-password median, unknown-email median, relative gap) from interleaved samples."""
    import statistics
    import time

    wrong, missing = [], []
    for i in range(pairs):
        # Alternate which goes first so drift in machine load hits both alike.
        order = ((known, wrong), (unknown, missing)) if i % 2 == 0 else ((unknown, missing), (known, wrong))
        for email, samples in order:
            started = time.perf_counter()
            send(email)
            samples.append(time.perf_counter() - started)
    a, b = statistics.median(wrong), statistics.median(missing)
    return a, b, abs(a - b) / max(a, b)


def test_unknown_email_costs_the_same_time_as_a_wrong_password(tmp_path):
    """Medians of interleaved samples within 10%, with real argon2 hashing, pages and API."""
    from .conftest import build_app, make_config

    # argon2id with lighter parameters than production (same code paths, ~70 ms instead of ~500 ms here).
    app = build_app(make_config(tmp_path, SECURITY_PASSWORD_HASH="argon2", SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={
        "argon2__rounds": 2, "argon2__memory_cost": 16384, "argon2__parallelism": 1}))
    with app.app_context():
        user = factories.make_user("timing")
    client = app.test_client()
    senders = {
        "/login": lambda email: client.post("/login", data={"email": email, "password": "not-it"}),
        "/api/users/login": lambda email: client.post(
            "/api/users/login", json={"user": {"email": email, "password": "not-it"}}),
    }
    for name, send in senders.items():
        send(user["email"])  # warm up
        results = []
        for _ in range(3):  # a busy shared machine: the best of three measurements
            results.append(_median_gap(send, user["email"], "nobody@example.com"))
            if results[-1][2] < 0.10:
                break
        wrong, missing, gap = min(results, key=lambda r: r[2])
        assert wrong > 0.005, f"{name}: {wrong * 1000:.1f} ms is too fast for argon2"
        assert gap < 0.10, f"{name}: wrong password {wrong * 1000:.1f} ms, unknown email {missing * 1000:.1f} ms"
