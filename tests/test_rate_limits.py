"""Rate limits on real Redis (own DB number and key prefix): 429 with Retry-After in the usual
shape, budgets per address, account, user and webhook source, others unaffected, fail open."""
import json
import logging
import uuid

import pytest
import redis

from application.config import redis_db_url
from application.controllers.webhooks import signed_headers

from . import factories
from .conftest import REDIS_BASE, RUN_ID, RealWorldClient, _dispose, build_app, free_port, make_config

LIMITS_DB = 14  # the test run's rate-limit DB; keys also carry a per-test prefix
HIGH = "1000 per minute"


@pytest.fixture
def limited(tmp_path):
    """build(**limits) -> an app with rate limits on; its Redis keys are deleted afterwards."""
    prefix = f"bs:test:{RUN_ID}:{uuid.uuid4().hex[:8]}:limits"
    apps = []

    def build(**overrides):
        settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_db_url(REDIS_BASE, LIMITS_DB),
                    "RATELIMIT_KEY_PREFIX": prefix, "WEBHOOK_SECRET": "limit-secret",
                    **{k: HIGH for k in ("RATELIMIT_LOGIN_PER_IP", "RATELIMIT_LOGIN_PER_ACCOUNT",
                                         "RATELIMIT_REGISTER_PER_IP", "RATELIMIT_REGISTER_PER_ACCOUNT",
                                         "RATELIMIT_WRITES_PER_USER", "RATELIMIT_WEBHOOKS_PER_IP",
                                         "RATELIMIT_WEBHOOKS_PER_SOURCE")}}
        app = build_app(make_config(tmp_path, **{**settings, **overrides}))
        apps.append(app)
        return app

    yield build
    for app in apps:
        _dispose(app)
    client = redis.Redis.from_url(redis_db_url(REDIS_BASE, LIMITS_DB))
    found = list(client.scan_iter(match=prefix + "*", count=1000))
    if found:
        client.delete(*found)
    client.close()


def _users(app, *names, roles=("reader",)):
    with app.app_context():
        return [factories.make_user(name, roles=roles) for name in names]


def _login(client, email, password="wrong-password", **kw):
    return client.post("/login", data={"email": email, "password": password}, **kw)


def assert_429(response, as_json):
    assert response.status_code == 429, (response.status_code, response.get_data(as_text=True)[:300])
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 3600
    if as_json:
        body = response.get_json()
        assert list(body) == ["errors"] and list(body["errors"]) == ["body"]
        assert "too many requests" in body["errors"]["body"][0]
    else:
        html = response.get_data(as_text=True)
        assert response.mimetype == "text/html" and "429" in html and "Too Many Requests" in html


def test_login_per_account_429_and_other_accounts_unaffected(limited):
    app = limited(RATELIMIT_LOGIN_PER_ACCOUNT="3 per minute")
    victim, other = _users(app, "victim", "bystander")
    client = app.test_client()
    for _ in range(3):
        assert _login(client, victim["email"]).status_code == 200  # the form again, with the error
    assert_429(_login(client, victim["email"], victim["password"]), as_json=False)
    # The same account by JSON and through the RealWorld API: the same budget, JSON errors.
    assert_429(client.post("/login", json={"email": victim["email"], "password": "x"}), as_json=True)
    r = client.post("/api/users/login", json={"user": {"email": victim["email"].upper(), "password": "x"}})
    assert_429(r, as_json=True)
    # Another account from the same address logs in.
    assert _login(client, other["email"], other["password"]).status_code == 302


def test_login_per_address_and_other_addresses_unaffected(limited):
    app = limited(RATELIMIT_LOGIN_PER_IP="4 per minute")
    (user,) = _users(app, "spray")
    attacker = app.test_client()
    assert all(attacker.get("/login").status_code == 200 for _ in range(10))  # showing the form is free
    for i in range(2):  # odd input (a lone surrogate) is refused at the edge: it tries no password
        r = attacker.post("/login", json={"email": f"guess{i}\ud800@example.com", "password": "x"})
        assert r.status_code == 422
    for i in range(4):
        assert _login(attacker, f"guess{i}@example.com").status_code == 200
    assert_429(_login(attacker, "guess9@example.com"), as_json=False)
    assert_429(_login(attacker, user["email"], user["password"]), as_json=False)
    elsewhere = app.test_client()
    r = _login(elsewhere, user["email"], user["password"], environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert r.status_code == 302


def test_register_per_address_and_per_email(limited):
    app = limited(RATELIMIT_REGISTER_PER_IP="3 per minute", RATELIMIT_REGISTER_PER_ACCOUNT="2 per minute")
    client = app.test_client()

    def register(email, address, username="x", password="short"):
        return client.post("/api/users", environ_base={"REMOTE_ADDR": address},
                           json={"user": {"username": username, "email": email, "password": password}})

    assert register("taken@example.com", "10.0.0.1").status_code == 422
    assert register("taken@example.com", "10.0.0.2").status_code == 422
    assert_429(register("taken@example.com", "10.0.0.3"), as_json=True)  # this email: 2 per minute
    for i in range(3):  # one address, new emails: 3 per minute
        assert register(f"new{i}@example.com", "10.0.0.9", f"new{i}", "a-long-password-1").status_code == 201
    assert_429(register("new9@example.com", "10.0.0.9", "new9", "a-long-password-1"), as_json=True)
    r = client.post("/register", environ_base={"REMOTE_ADDR": "10.1.1.1"}, data={
        "email": "page@example.com", "username": "pageuser", "password": "a-long-password-1",
        "password_confirm": "a-long-password-1"})
    assert r.status_code == 302


def test_password_reset_is_limited(limited):
    app = limited(SECURITY_RECOVERABLE=True, RATELIMIT_PASSWORD_RESET_PER_ACCOUNT="2 per hour")
    client = app.test_client()
    for _ in range(2):
        assert client.post("/reset", json={"email": "nobody@example.com"}).status_code == 200
    assert_429(client.post("/reset", json={"email": "nobody@example.com"}), as_json=True)
    assert client.post("/reset", json={"email": "someone@example.com"}).status_code == 200


def test_writes_per_user_pages_and_api_and_others_unaffected(limited):
    app = limited(RATELIMIT_WRITES_PER_USER="4 per minute")
    author, reader, other = _users(app, "wauthor", "wreader", "wother")
    with app.app_context():
        article = factories.make_article(author, title="Limited likes")
    reader_client, other_client = app.test_client(), app.test_client()
    for client, user in ((reader_client, reader), (other_client, other)):
        assert _login(client, user["email"], user["password"]).status_code == 302
    path = f"/articles/{article['slug']}"
    for i in range(4):
        r = reader_client.post(path + ("/like" if i % 2 == 0 else "/unlike"), headers={"Accept": "application/json"})
        assert r.status_code in (200, 202), r.status_code
    assert_429(reader_client.post(path + "/like", headers={"Accept": "application/json"}), as_json=True)
    assert_429(reader_client.post(f"/api/article_likes/{article['id']}", headers={"Accept": "application/json"}),
               as_json=True)  # one budget for every kind of write
    assert_429(reader_client.post(path + "/like"), as_json=False)  # a browser gets the site's page
    assert other_client.post(path + "/like", headers={"Accept": "application/json"}).status_code == 202
    # Reads stay open to the limited user.
    assert reader_client.get(path).status_code == 200


def test_realworld_writes_per_user(limited):
    app = limited(RATELIMIT_WRITES_PER_USER="3 per minute")
    rw = RealWorldClient(app.test_client())
    writer, bystander = rw.register("rwwriter"), rw.register("rwbystander")
    for i in range(3):
        rw.create_article(writer, title=f"Limited {i}")
    r = rw.call("POST", "/articles", writer, json={"article": {"title": "One more", "description": "d",
                                                               "body": "b"}})
    assert_429(r, as_json=True)
    rw.create_article(bystander, title="Not limited")


def test_webhooks_per_source_count_only_signed_deliveries(limited):
    app = limited(RATELIMIT_WEBHOOKS_PER_SOURCE="2 per minute")
    client = app.test_client()

    def deliver(source, n, secret="limit-secret"):
        body = json.dumps({"id": f"{source}-{n}", "event": "article.publish", "data": {"article": "nope"}}).encode()
        return client.post(f"/webhooks/{source}", data=body, content_type="application/json",
                           headers=signed_headers(secret, source, body))

    for n in range(3):
        assert deliver("partner", n, secret="forged").status_code == 401  # not the partner's budget
    assert deliver("partner", 10).status_code == 422  # signed, processed as far as validation
    assert deliver("partner", 11).status_code == 422
    assert_429(deliver("partner", 12), as_json=True)
    assert deliver("another", 1).status_code == 422


def test_limits_fail_open_when_redis_is_down_logged_once(limited, caplog):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = limited(RATELIMIT_STORAGE_URI=dead, RATELIMIT_LOGIN_PER_ACCOUNT="1 per minute",
                  RATELIMIT_RETRY_AFTER_SECONDS=0)
    (user,) = _users(app, "failopen")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="application.rate_limits"):
        for _ in range(5):
            assert _login(client, user["email"]).status_code == 200
        assert _login(client, user["email"], user["password"]).status_code == 302
    off = [r for r in caplog.records if r.name == "application.rate_limits" and "OFF" in r.getMessage()]
    assert len(off) == 1, [r.getMessage() for r in caplog.records]


def test_default_test_config_has_limits_off(app, client, make_user):
    user = make_user("unlimited")
    assert all(_login(client, user["email"]).status_code == 200 for _ in range(40))
    assert app.config["RATELIMIT_ENABLED"] is False
