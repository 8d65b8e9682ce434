"""Follow/unfollow authors from their pages and the personal feed (/feed)."""
import re

from application.data import data_access

from .conftest import login


def _titles(html):
    return re.findall(r'<h2 class="h5 mb-1"><a href="/articles/[^"]+">([^<]+)</a>', html)


def test_follow_fills_the_feed_and_unfollow_empties_it(app, client, make_user, make_article):
    writer = make_user("writer", roles=("author",))
    other = make_user("otherwriter", roles=("author",))
    reader = make_user("follower")
    make_article(writer, title="Writer old", minutes_ago=5)
    make_article(writer, title="Writer new", minutes_ago=1)
    make_article(writer, title="Writer draft", status="draft")
    make_article(other, title="Not followed")
    login(client, reader["email"])
    assert "Nothing here yet" in client.get("/feed").get_data(as_text=True)
    page = client.get("/authors/writer").get_data(as_text=True)
    assert 'action="/authors/writer/follow"' in page and ">Follow writer<" in page
    r = client.post("/authors/writer/follow", follow_redirects=True)
    assert r.status_code == 200 and "You follow writer" in r.get_data(as_text=True)
    assert 'action="/authors/writer/unfollow"' in client.get("/authors/writer").get_data(as_text=True)
    assert client.post("/authors/writer/follow").status_code == 302  # twice is a no-op
    assert _titles(client.get("/feed").get_data(as_text=True)) == ["Writer new", "Writer old"]
    client.post("/authors/writer/unfollow")
    with app.app_context():
        assert not data_access.is_following(reader["id"], writer["id"])
    assert _titles(client.get("/feed").get_data(as_text=True)) == []


def test_feed_pages(app, client, make_user, make_article):
    app.config["ARTICLES_PER_PAGE"] = 2
    writer = make_user(roles=("author",))
    reader = make_user()
    for i in range(3):
        make_article(writer, title=f"Feed item {i}", minutes_ago=10 - i)
    with app.app_context():
        data_access.follow_user(reader["id"], writer["id"])
    login(client, reader["email"])
    assert _titles(client.get("/feed?page=2").get_data(as_text=True)) == ["Feed item 0"]
    for bad in ("3", "0", "abc"):
        assert client.get(f"/feed?page={bad}").status_code == 404


def test_follow_rules(client, make_user):
    author = make_user("selfish", roles=("author",))
    assert client.get("/feed").status_code == 302  # login first
    assert client.post("/authors/selfish/follow").status_code == 302
    login(client, author["email"])
    page = client.get("/authors/selfish").get_data(as_text=True)
    assert "/follow" not in page  # no button for yourself
    r = client.post("/authors/selfish/follow", follow_redirects=True)
    assert "You cannot follow yourself." in r.get_data(as_text=True)
    assert client.post("/authors/nobody-at-all/follow").status_code == 404
    assert client.post("/authors/a%00b/follow").status_code == 404
    # `next` only ever leads back into the site.
    r = client.post("/authors/selfish/unfollow", data={"next": "//evil.example/"})
    assert r.headers["Location"].endswith("/authors/selfish")
    r = client.post("/authors/selfish/unfollow", data={"next": "/feed"})
    assert r.headers["Location"].endswith("/feed")


def test_feeds_are_per_user_on_the_real_cache(redis_app, make_user, make_article):
    one, two = make_user("wone", roles=("author",)), make_user("wtwo", roles=("author",))
    make_article(one, title="By one")
    make_article(two, title="By two")
    a, b = make_user("ra"), make_user("rb")
    with redis_app.app_context():
        data_access.follow_user(a["id"], one["id"])
        data_access.follow_user(b["id"], two["id"])
    ca, cb = redis_app.test_client(), redis_app.test_client()
    login(ca, a["email"])
    login(cb, b["email"])
    for _ in range(2):
        assert _titles(ca.get("/feed").get_data(as_text=True)) == ["By one"]
        assert _titles(cb.get("/feed").get_data(as_text=True)) == ["By two"]
    cb.post("/authors/wone/follow")  # seen on the very next request
    assert _titles(cb.get("/feed").get_data(as_text=True)) == ["By two", "By one"]
