"""The username rule: letters, digits, _ . - (3-32), unique whatever the case, on the page, the API and the CLI."""
import pytest
from sqlalchemy.exc import IntegrityError

from application.data.models import User
from application.extensions import db
from application.usernames import username_problem

from . import factories

GOOD = ["celeb_jake", "demo_author", "jane.doe", "x-y-z", "abc", "a" * 32, "Zoë_99"]
BAD = ["ab", "a" * 33, "has space", "semi;colon", "slash/name", "at@sign", "...", "_-_", "<b>x</b>"]


@pytest.mark.parametrize("name", GOOD)
def test_rule_accepts(name):
    assert username_problem(name) is None


@pytest.mark.parametrize("name", BAD)
def test_rule_refuses(name):
    assert username_problem(name)


def _register_page(client, username, email=None):
    return client.post("/register", data={
        "email": email or f"{username.lower()}@example.com", "username": username,
        "password": "a-long-password-1", "password_confirm": "a-long-password-1"})


def test_register_page_accepts_punctuation_and_refuses_a_case_twin(app, client):
    assert _register_page(client, "celeb_jake").status_code == 302
    client.post("/logout")
    # Generic responses (no account enumeration): the twin gets the same answer as a success,
    # but no account is made - the name is taken whatever its case.
    r = _register_page(client, "Celeb_Jake", email="other@example.com")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_register_page_shows_the_rule_inline(client):
    html = _register_page(client, "no spaces").get_data(as_text=True)
    assert "letters, digits, _ . and -" in html and "invalid-feedback" in html


def test_api_accepts_punctuation_then_profile_and_follow_work(rw):
    jake = rw.register("celeb_jake")
    fan = rw.register("fan.one")
    assert rw.call("GET", "/profiles/celeb_jake").status_code == 200
    r = rw.call("POST", "/profiles/celeb_jake/follow", fan)
    assert r.status_code == 200 and r.get_json()["profile"]["following"] is True
    assert jake["username"] == "celeb_jake"


def test_api_refuses_bad_names_and_case_twins(rw):
    rw.register("jake-1")
    for name in ("JAKE-1", "Jake-1"):
        r = rw.client.post("/api/users", json={"user": {"username": name, "email": f"{name}x@example.com",
                                                        "password": "a-long-password-1"}})
        assert r.status_code == 422 and "username" in str(r.get_json()["errors"]), name
    r = rw.client.post("/api/users", json={"user": {"username": "a b", "email": "ab@example.com",
                                                    "password": "a-long-password-1"}})
    assert r.status_code == 422 and "username" in str(r.get_json()["errors"])


def test_api_update_to_a_case_twin_is_refused_but_own_recasing_is_fine(rw):
    rw.register("first_one")
    second = rw.register("second_one")
    r = rw.call("PUT", "/user", second, json={"user": {"username": "FIRST_ONE"}})
    assert r.status_code == 422 and "username" in str(r.get_json()["errors"])
    r = rw.call("PUT", "/user", second, json={"user": {"username": "Second_One"}})
    assert r.status_code == 200 and r.get_json()["user"]["username"] == "Second_One"


def test_cli_users_create_follows_the_rule(app, runner):
    ok = runner.invoke(args=["users", "create", "cli@example.com", "--username", "cli_user.1",
                             "--password", "a-long-password-1"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(args=["users", "create", "cli2@example.com", "--username", "bad name",
                              "--password", "a-long-password-1"])
    assert bad.exit_code != 0 or "letters, digits" in bad.output
    with app.app_context():
        assert db.session.query(User).filter_by(username="cli_user.1").count() == 1
        assert db.session.query(User).filter_by(email="cli2@example.com").count() == 0


def test_the_table_refuses_a_case_twin(app):
    with app.app_context():
        factories.make_user("Twin")
        with pytest.raises(IntegrityError):
            factories.make_user("twin")
        db.session.rollback()
