"""A liker sees their like on every read at once (before the recount); co-authors are presented
as the author an article was matched by (issue "A site people would choose", items 5 and 6)."""
import re

import pytest

from application.data import data_access

from .conftest import login


@pytest.fixture
def no_recount(monkeypatch):
    """The worker has not run yet: the stored like_count (and every cached copy) is still old."""
    import application.jobs.dispatch as dispatch

    # Pages, the likes API and RealWorld favorites all queue through dispatch.recount_after.
    monkeypatch.setattr(dispatch, "queue_like_aggregation", lambda article_id: None)


def test_a_favorite_shows_on_every_api_read_by_that_user(redis_app, no_recount):
    client = redis_app.test_client()

    def register(name):
        r = client.post("/api/users", json={"user": {"username": name, "email": f"{name}@example.com",
                                                     "password": "a-long-password-1"}})
        return {"Authorization": f"Token {r.get_json()['user']['token']}"}
    jake, jane = register("jakeryw"), register("janeryw")
    slug = client.post("/api/articles", headers=jake, json={"article": {
        "title": "Liked at once", "description": "d", "body": "b", "tagList": ["ryw"]}}).get_json()["article"]["slug"]
    client.post("/api/profiles/jakeryw/follow", headers=jane)
    reads = ["/api/articles", "/api/articles?tag=ryw", "/api/articles?author=jakeryw",
             "/api/articles?favorited=janeryw", "/api/articles/feed"]
    for path in reads:  # cache everything with the old count first
        client.get(path, headers=jane), client.get(path)
    assert client.post(f"/api/articles/{slug}/favorite", headers=jane).get_json()["article"]["favoritesCount"] == 1
    for path in reads:
        items = client.get(path, headers=jane).get_json()["articles"]
        assert [a["favoritesCount"] for a in items] == [1], path
    assert client.get(f"/api/articles/{slug}", headers=jane).get_json()["article"]["favoritesCount"] == 1
    # Others see the stored count until the recount (the worker's job) clears the caches.
    assert client.get("/api/articles").get_json()["articles"][0]["favoritesCount"] == 0
    with redis_app.app_context():
        data_access.recount_article_likes(data_access.get_api_article(slug)["id"])
    assert client.get("/api/articles").get_json()["articles"][0]["favoritesCount"] == 1


def test_a_like_shows_on_every_page_for_that_reader(redis_app, make_user, make_article, no_recount):
    author = make_user("pagesryw", roles=("author",))
    article = make_article(author, title="Liked on pages")
    reader = redis_app.test_client()
    login(reader, author["email"])
    pattern = re.compile(rf'data-like-count="{article["id"]}">(\d+)<')
    pages = ["/", f"/articles/{article['slug']}", "/authors/pagesryw"]
    for path in pages:
        assert pattern.findall(reader.get(path).get_data(as_text=True)) == ["0"], path
    assert reader.post(f"/articles/{article['slug']}/like").status_code == 302
    for path in pages:
        assert pattern.findall(reader.get(path).get_data(as_text=True)) == ["1"], path


def test_co_authors_are_presented_as_the_author_matched(app, make_user, rw):
    first, second = make_user("firstco", roles=("author",)), make_user("secondco", roles=("author",))
    with app.app_context():
        data_access.create_article([first["id"], second["id"]], "Written together", "b", status="published")
    reader = rw.register("coreader")
    assert rw.call("POST", "/profiles/secondco/follow", reader).status_code == 200
    feed = rw.call("GET", "/articles/feed", reader).get_json()["articles"]
    assert [(a["author"]["username"], a["author"]["following"]) for a in feed] == [("secondco", True)]
    for name in ("firstco", "secondco"):
        listed = rw.call("GET", f"/articles?author={name}").get_json()["articles"]
        assert [a["author"]["username"] for a in listed] == [name]
    assert rw.call("GET", "/articles").get_json()["articles"][0]["author"]["username"] == "firstco"
