"""RealWorld API: registration, login, tokens, the current user, profiles and follows."""
import time

import pytest

from application.data.models import User
from application.extensions import db

from .conftest import build_app, login, make_config


def errors(response):
    return response.get_json()["errors"]["body"]


def test_register_returns_user_with_token_in_the_spec_shape(rw, app):
    user = rw.register("jake")
    assert set(user) == {"email", "token", "username", "bio", "image"}
    assert user["username"] == "jake" and user["email"] == "jake@example.com"
    with app.app_context():  # the same Flask-Security user store, with the reader role
        row = db.session.query(User).filter_by(username="jake").one()
        assert [r.name for r in row.roles] == ["reader"]


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_422_names_each_missing_field(rw, field):
    user = {"username": "jake", "email": "jake@example.com", "password": "a-long-password-1"}
    del user[field]
    r = rw.call("POST", "/users", json={"user": user})
    assert r.status_code == 422
    assert any(m.startswith(f"{field}:") for m in errors(r)), errors(r)


def test_register_rejects_bad_values_and_duplicates(rw):
    rw.register("jake")
    bad = rw.call("POST", "/users", json={"user": {"username": "x y", "email": "nope", "password": "1"}})
    assert bad.status_code == 422
    assert {m.split(":")[0] for m in errors(bad)} == {"username", "email", "password"}
    dup = rw.call("POST", "/users", json={"user": {"username": "jake", "email": "JAKE@example.com",
                                                    "password": "a-long-password-1"}})
    assert dup.status_code == 422
    assert sorted(errors(dup)) == ["email: has already been taken", "username: has already been taken"]
    for payload in (None, [], {"user": "jake"}):
        assert rw.call("POST", "/users", json=payload).status_code == 422
    assert rw.call("POST", "/users", data="{not json", content_type="application/json").status_code == 422


def test_login_and_errors(rw):
    rw.register("jake", password="a-long-password-1")
    ok = rw.call("POST", "/users/login", json={"user": {"email": "jake@example.com", "password": "a-long-password-1"}})
    assert ok.status_code == 200 and ok.get_json()["user"]["username"] == "jake"
    wrong = rw.call("POST", "/users/login", json={"user": {"email": "jake@example.com", "password": "nope-nope"}})
    assert wrong.status_code == 401 and errors(wrong)
    missing = rw.call("POST", "/users/login", json={"user": {"email": "jake@example.com"}})
    assert missing.status_code == 422 and errors(missing) == ["password: Missing data for required field."]


def test_api_login_verifies_a_page_registered_account(client, rw):
    """One user store, one hash: an account made on the pages logs in through the API."""
    client.post("/register", data={"email": "page@example.com", "username": "pageuser",
                                   "password": "a-long-password-1", "password_confirm": "a-long-password-1"})
    client.post("/logout")
    r = rw.call("POST", "/users/login", json={"user": {"email": "page@example.com", "password": "a-long-password-1"}})
    assert r.status_code == 200 and r.get_json()["user"]["username"] == "pageuser"


def test_current_user_needs_a_valid_token(rw):
    user = rw.register("jake")
    assert rw.call("GET", "/user", user).get_json()["user"]["username"] == "jake"
    assert rw.call("GET", "/user").status_code == 401
    assert rw.call("GET", "/user", headers={"Authorization": "Token garbage"}).status_code == 401
    assert rw.call("GET", "/user", headers={"Authorization": user["token"]}).status_code == 401  # no scheme
    assert rw.call("PUT", "/user", json={"user": {"bio": "x"}}).status_code == 401


def test_update_user_and_password_change_invalidates_old_tokens(rw):
    user = rw.register("jake")
    r = rw.call("PUT", "/user", user, json={"user": {"bio": "I like to skateboard", "image": "https://i.test/j.png"}})
    assert r.status_code == 200
    assert r.get_json()["user"]["bio"] == "I like to skateboard"
    assert rw.call("GET", "/profiles/jake").get_json()["profile"]["image"] == "https://i.test/j.png"
    assert rw.call("PUT", "/user", user, json={"user": {}}).status_code == 422
    changed = rw.call("PUT", "/user", user, json={"user": {"password": "another-password-2"}})
    new_token = changed.get_json()["user"]["token"]
    assert rw.call("GET", "/user", user).status_code == 401  # the old token is dead
    assert rw.call("GET", "/user", new_token).status_code == 200
    assert rw.call("POST", "/users/login", json={"user": {"email": "jake@example.com",
                                                          "password": "another-password-2"}}).status_code == 200


def test_username_change_moves_the_profile(rw):
    user = rw.register("jake")
    rw.register("taken")
    assert rw.call("PUT", "/user", user, json={"user": {"username": "taken"}}).status_code == 422
    assert rw.call("PUT", "/user", user, json={"user": {"username": "jacob"}}).status_code == 200
    assert rw.call("GET", "/profiles/jake").status_code == 404
    assert rw.call("GET", "/profiles/jacob").status_code == 200


def test_password_change_on_the_pages_invalidates_api_tokens(tmp_path):
    app = build_app(make_config(tmp_path, SECURITY_CHANGEABLE=True, SECURITY_SEND_PASSWORD_CHANGE_EMAIL=False))
    client = app.test_client()
    r = client.post("/api/users", json={"user": {"username": "jake", "email": "jake@example.com",
                                                 "password": "a-long-password-1"}})
    token = r.get_json()["user"]["token"]
    login(client, "jake@example.com", "a-long-password-1")
    changed = client.post("/change", data={"password": "a-long-password-1", "new_password": "brand-new-pass-2",
                                           "new_password_confirm": "brand-new-pass-2"})
    assert changed.status_code in (200, 302)
    assert client.get("/api/user", headers={"Authorization": f"Token {token}"}).status_code == 401


def test_tokens_expire(tmp_path):
    app = build_app(make_config(tmp_path, SECURITY_TOKEN_MAX_AGE=1))
    client = app.test_client()
    r = client.post("/api/users", json={"user": {"username": "jake", "email": "jake@example.com",
                                                 "password": "a-long-password-1"}})
    headers = {"Authorization": f"Token {r.get_json()['user']['token']}"}
    assert client.get("/api/user", headers=headers).status_code == 200
    time.sleep(2.1)
    assert client.get("/api/user", headers=headers).status_code == 401


def test_profiles_follow_and_unfollow(rw):
    jake, celeb = rw.register("jake"), rw.register("celeb")
    assert rw.call("GET", "/profiles/celeb").get_json() == {
        "profile": {"username": "celeb", "bio": "", "image": "", "following": False}}
    assert rw.call("POST", "/profiles/celeb/follow", jake).get_json()["profile"]["following"] is True
    assert rw.call("POST", "/profiles/celeb/follow", jake).status_code == 200  # twice is a no-op
    assert rw.call("GET", "/profiles/celeb", jake).get_json()["profile"]["following"] is True
    assert rw.call("GET", "/profiles/celeb", celeb).get_json()["profile"]["following"] is False
    assert rw.call("GET", "/profiles/celeb").get_json()["profile"]["following"] is False
    assert rw.call("DELETE", "/profiles/celeb/follow", jake).get_json()["profile"]["following"] is False
    assert rw.call("GET", "/profiles/celeb", jake).get_json()["profile"]["following"] is False


def test_profile_errors(rw):
    jake = rw.register("jake")
    assert rw.call("GET", "/profiles/nobody").status_code == 404
    assert rw.call("POST", "/profiles/nobody/follow", jake).status_code == 404
    assert rw.call("DELETE", "/profiles/nobody/follow", jake).status_code == 404
    assert rw.call("POST", "/profiles/jake/follow").status_code == 401
    assert rw.call("DELETE", "/profiles/jake/follow").status_code == 401
    assert rw.call("POST", "/profiles/jake/follow", jake).status_code == 422


def test_cors_preflight_allows_browser_front_ends(client):
    r = client.options("/api/articles", headers={"Origin": "http://localhost:4100",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:4100")
    assert "authorization" in r.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": "http://x.test"}).headers
