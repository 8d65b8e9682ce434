"""Profile settings: display name, bio, avatar URL and password, with inline errors and exact invalidation."""
from application.data import data_access
from application.data.data_access import keys

from .conftest import login, logout
from .pages_helpers import stored


def test_settings_need_a_login(client):
    for method, path in (("get", "/settings"), ("post", "/settings"), ("post", "/settings/password")):
        r = getattr(client, method)(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_profile_is_saved_and_shown_on_the_author_page(app, client, make_user):
    user = make_user("setme", roles=("author",))
    login(client, user["email"])
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="display_name"' in page and "setme@example.com" in page
    r = client.post("/settings", data={"display_name": "  Set Me  ", "bio": "I write <things>.",
                                        "image": "https://img.example.com/me.png"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Profile saved." in html and 'value="Set Me"' in html
    assert 'src="https://img.example.com/me.png"' in html
    author_page = client.get("/authors/setme").get_data(as_text=True)
    assert '<p class="lead mb-1" id="display-name">Set Me</p>' in author_page and "I write &lt;things&gt;." in author_page
    client.post("/settings", data={"display_name": "", "bio": "", "image": ""})  # clearing is allowed
    with app.app_context():
        assert data_access.get_settings(user["id"]) == {
            "username": "setme", "email": "setme@example.com", "display_name": "", "bio": "", "image": ""}


def test_bad_profile_input_re_renders_the_form_and_saves_nothing(app, client, make_user):
    user = make_user("careful")
    login(client, user["email"])
    for data, message in (({"image": "javascript:alert(1)"}, "Give a full http(s) URL of an image."),
                          ({"image": "not a url"}, "Give a full http(s) URL of an image."),
                          ({"display_name": "x" * 65}, "64"),
                          ({"bio": "b" * 2001}, "2000")):
        r = client.post("/settings", data={"display_name": "Ok", "bio": "", "image": "", **data})
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and message in html and "Please correct the errors below." in html, data
    r = client.post("/settings", data={"display_name": "nul\x00byte", "bio": "", "image": ""})
    assert r.status_code == 422 and "must not contain NUL characters" in r.get_data(as_text=True)  # the edge guard
    with app.app_context():
        assert data_access.get_settings(user["id"])["display_name"] == ""


def test_password_change_keeps_this_session_and_ends_the_others(app, client, make_user):
    user = make_user("pwuser")
    other_session = app.test_client()
    login(other_session, user["email"])
    login(client, user["email"])
    cases = (({"current_password": "wrong-password", "new_password": "new-password-1", "confirm_password": "new-password-1"},
              "This is not your current password."),
             ({"current_password": user["password"], "new_password": "new-password-1", "confirm_password": "different-1"},
              "The two new passwords differ."),
             ({"current_password": user["password"], "new_password": "short", "confirm_password": "short"},
              "Use at least 8 characters."),
             ({}, "This field is required."))
    for data, message in cases:
        r = client.post("/settings/password", data=data)
        assert r.status_code == 422 and message in r.get_data(as_text=True), message
    r = client.post("/settings/password", data={"current_password": user["password"], "new_password": "new-password-1",
                                                 "confirm_password": "new-password-1"}, follow_redirects=True)
    assert r.status_code == 200 and "Password changed." in r.get_data(as_text=True)
    assert client.get("/settings").status_code == 200  # this session goes on
    assert other_session.get("/settings").status_code == 302  # the other one ended
    logout(client)
    assert login(client, user["email"]).status_code != 302  # old password refused
    assert login(client, user["email"], "new-password-1").status_code == 302


def test_profile_save_clears_exactly_the_user_keys(redis_app, make_user, make_article):
    user, other = make_user("keyed", roles=("author",)), make_user("untouched", roles=("author",))
    make_article(user, title="Keyed thoughts")
    client = redis_app.test_client()
    client.get("/search?q=thoughts")
    assert stored(redis_app, keys.search_key("thoughts", 1, 20), keys.SEARCH_GROUPS) is not None
    login(client, other["email"])
    for name in ("keyed", "untouched"):
        client.get(f"/authors/{name}")
    assert stored(redis_app, keys.author_key("keyed")) is not None
    assert stored(redis_app, keys.display_name_key(other["id"])) == ""  # unset, and cached
    logout(client)
    login(client, user["email"])
    client.post("/settings", data={"display_name": "Keyed Person", "bio": "new bio", "image": ""})
    assert stored(redis_app, keys.author_key("keyed")) is None
    assert stored(redis_app, keys.author_key("untouched")) is not None
    assert stored(redis_app, keys.search_key("thoughts", 1, 20), keys.SEARCH_GROUPS) is not None  # results show no display name
    page = client.get("/authors/keyed").get_data(as_text=True)
    assert "Keyed Person" in page and "new bio" in page
    assert stored(redis_app, keys.display_name_key(user["id"])) == "Keyed Person"
    assert stored(redis_app, keys.display_name_key(other["id"])) == ""  # still cached
