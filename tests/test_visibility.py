"""One visibility rule (published: everyone; draft/scheduled: its authors, editors, admins) on every
route that reads or writes an article: pages, the HTML like, the original likes API, the RealWorld API."""
import pytest

from application.data import data_access

from .conftest import login

JSON = {"Accept": "application/json"}


def test_the_rule():
    see = data_access.may_see
    assert see("published", [], None)
    for status in ("draft", "scheduled"):
        assert not see(status, [1], None)
        assert not see(status, [1], 2, {"reader"})
        assert not see(status, [1], 2, {"author"})  # an author, but not of this article
        assert see(status, [1, 2], 2, {"reader"})  # a co-author, whatever the roles
        assert see(status, [1], 3, {"editor"}) and see(status, [1], 3, {"admin"})


@pytest.fixture
def people(make_user):
    return {"author": make_user(roles=("author",)), "reader": make_user(), "other_author": make_user(
        roles=("author",)), "editor": make_user(roles=("editor",)), "admin": make_user(roles=("admin",))}


@pytest.fixture(params=["draft", "scheduled"])
def hidden(request, people, make_article):
    return make_article(people["author"], title=f"Hidden {request.param}", status=request.param)


def _as(client, person):
    client.post("/logout")
    if person is not None:
        assert login(client, person["email"]).status_code == 302
    return client


WHO = [("anonymous", False), ("reader", False), ("other_author", False), ("author", True), ("editor", True),
       ("admin", True)]


@pytest.mark.parametrize("who,sees", WHO)
def test_pages_follow_the_rule(client, people, hidden, who, sees):
    c = _as(client, people.get(who))
    assert c.get(f"/articles/{hidden['slug']}").status_code == (200 if sees else 404)
    if who != "anonymous":
        page = c.get(f"/authors/{people['author']['username']}").get_data(as_text=True)
        assert (hidden["title"] in page) is sees


@pytest.mark.parametrize("who,sees", WHO)
def test_original_likes_api_follows_the_rule(client, app, people, hidden, who, sees):
    c = _as(client, people.get(who))
    r = c.get(f"/api/article_likes/{hidden['id']}")
    assert r.status_code == (200 if sees else 404)
    if not sees:  # indistinguishable from an id that does not exist: no enumeration of drafts
        missing = c.get(f"/api/article_likes/{hidden['id'] + 100000}").get_json()["errors"]["body"][0]
        assert r.get_json()["errors"]["body"][0] == missing.replace(str(hidden["id"] + 100000), str(hidden["id"]))
    if who == "anonymous":
        return
    r = c.post(f"/api/article_likes/{hidden['id']}", headers=JSON)
    assert r.status_code == (202 if sees else 404)
    with app.app_context():
        assert data_access.count_likes(hidden["id"]) == (1 if sees else 0)


def test_original_likes_api_with_a_token(client, app, people, hidden, rw):
    for who, sees in (("reader", False), ("author", True)):
        token = rw.client.post("/api/users/login", json={"user": {
            "email": people[who]["email"], "password": people[who]["password"]}}).get_json()["user"]["token"]
        headers = {"Authentication-Token": token, **JSON}
        assert client.get(f"/api/article_likes/{hidden['id']}", headers=headers).status_code == (200 if sees else 404)
        assert client.post(f"/api/article_likes/{hidden['id']}", headers=headers).status_code == (202 if sees else 404)


@pytest.mark.parametrize("who,sees", [w for w in WHO if w[0] != "anonymous"])
def test_html_like_follows_the_rule(client, app, people, hidden, who, sees):
    c = _as(client, people[who])
    for action in ("like", "unlike"):
        assert c.post(f"/articles/{hidden['slug']}/{action}", headers=JSON).status_code == (202 if sees else 404)
    with app.app_context():
        assert data_access.count_likes(hidden["id"]) == 0


@pytest.mark.parametrize("who,sees", WHO)
def test_realworld_api_follows_the_rule(client, rw, people, hidden, who, sees):
    token = None
    if who != "anonymous":
        token = client.post("/api/users/login", json={"user": {
            "email": people[who]["email"], "password": people[who]["password"]}}).get_json()["user"]["token"]
    status = 200 if sees else 404
    assert rw.call("GET", f"/articles/{hidden['slug']}", token).status_code == status
    assert rw.call("GET", f"/articles/{hidden['slug']}/comments", token).status_code == status
    if token is None:
        return
    assert rw.call("POST", f"/articles/{hidden['slug']}/favorite", token).status_code == status
    r = rw.call("POST", f"/articles/{hidden['slug']}/comments", token, json={"comment": {"body": "hi"}})
    assert r.status_code == status


def test_published_is_public_everywhere(client, rw, people, make_article, app):
    article = make_article(people["author"], title="Out in the open")
    assert client.get(f"/articles/{article['slug']}").status_code == 200
    assert client.get(f"/api/article_likes/{article['id']}").get_json()["like_count"] == 0
    assert rw.call("GET", f"/articles/{article['slug']}").status_code == 200
    c = _as(client, people["reader"])
    assert c.post(f"/api/article_likes/{article['id']}", headers=JSON).status_code == 202
    assert c.post(f"/articles/{article['slug']}/like", headers=JSON).status_code == 202
    with app.app_context():
        assert data_access.count_likes(article["id"]) == 1


def test_the_public_stream_names_no_draft(app, people, make_article, monkeypatch):
    from application import events

    sent = []
    monkeypatch.setattr(events, "publish", lambda event, payload, channel=None: sent.append((event, payload)))
    draft = make_article(people["author"], title="Secret draft", status="draft")
    public = make_article(people["author"], title="Public one")
    with app.app_context():
        for article in (draft, public):
            data_access.like_article(people["author"]["id"], article["id"])
            assert data_access.recount_article_likes(article["id"]) == 1
    assert [p["article_id"] for e, p in sent if e == "like_count"] == [public["id"]]
