"""RealWorld API: articles, filters, pagination, feed, favorites, comments and tags."""
import re

import pytest

from application.data import data_access

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")
LIST_KEYS = {"slug", "title", "description", "tagList", "createdAt", "updatedAt", "favorited", "favoritesCount",
             "author"}


def errors(response):
    return response.get_json()["errors"]["body"]


@pytest.fixture
def jake(rw):
    return rw.register("jake")


@pytest.fixture
def jane(rw):
    return rw.register("jane")


def test_create_get_and_shapes(rw, jake):
    article = rw.create_article(jake, tags=("zebra", "apple", "mango"))
    assert set(article) == LIST_KEYS | {"body"}
    assert article["slug"] == "how-to-train-a-dragon"
    assert article["tagList"] == ["apple", "mango", "zebra"]
    assert ISO.match(article["createdAt"]) and ISO.match(article["updatedAt"])
    assert article["favorited"] is False and article["favoritesCount"] == 0
    assert article["author"] == {"username": "jake", "bio": "", "image": "", "following": False}
    got = rw.call("GET", f"/articles/{article['slug']}").get_json()["article"]
    assert got == article
    assert rw.call("GET", "/articles/no-such-slug").status_code == 404


def test_api_article_is_the_pages_article(rw, jake, client):
    article = rw.create_article(jake, title="Shared between both")
    page = client.get(f"/articles/{article['slug']}")
    assert page.status_code == 200 and "Shared between both" in page.get_data(as_text=True)


@pytest.mark.parametrize("field", ["title", "description", "body"])
def test_create_422_names_each_required_field(rw, jake, field):
    article = {"title": "T", "description": "D", "body": "B"}
    del article[field]
    r = rw.call("POST", "/articles", jake, json={"article": article})
    assert r.status_code == 422 and errors(r) == [f"{field}: Missing data for required field."]
    blank = rw.call("POST", "/articles", jake, json={"article": {**article, field: "   "}})
    assert blank.status_code == 422 and errors(blank)[0].startswith(f"{field}:")


def test_create_requires_auth_and_body(rw, jake):
    assert rw.call("POST", "/articles", json={"article": {"title": "T", "description": "D", "body": "B"}}
                   ).status_code == 401
    assert rw.call("POST", "/articles", jake, json={"title": "T"}).status_code == 422
    r = rw.call("POST", "/articles", jake, json={"article": {"title": "T", "description": "D", "body": "B",
                                                              "tagList": "notalist"}})
    assert r.status_code == 422 and errors(r)[0].startswith("tagList:")


def test_update_changes_slug_and_old_slug_404s(rw, jake, jane):
    article = rw.create_article(jake)
    assert rw.call("PUT", f"/articles/{article['slug']}", jane, json={"article": {"title": "x"}}).status_code == 403
    assert rw.call("PUT", f"/articles/{article['slug']}", json={"article": {"title": "x"}}).status_code == 401
    assert rw.call("PUT", f"/articles/{article['slug']}", jake, json={"article": {}}).status_code == 422
    assert rw.call("PUT", "/articles/nope", jake, json={"article": {"title": "x"}}).status_code == 404
    r = rw.call("PUT", f"/articles/{article['slug']}", jake, json={"article": {"title": "Did you train your dragon?",
                                                                              "body": "New body"}})
    updated = r.get_json()["article"]
    assert r.status_code == 200 and updated["slug"] == "did-you-train-your-dragon"
    assert updated["body"] == "New body" and updated["description"] == article["description"]
    assert rw.call("GET", f"/articles/{article['slug']}").status_code == 404
    assert rw.call("GET", f"/articles/{updated['slug']}").get_json()["article"]["title"] == "Did you train your dragon?"
    kept = rw.call("PUT", f"/articles/{updated['slug']}", jake, json={"article": {"description": "only this"}})
    assert kept.get_json()["article"]["slug"] == updated["slug"]


def test_delete_returns_204_and_removes(rw, jake, jane):
    article = rw.create_article(jake)
    slug = article["slug"]
    rw.call("POST", f"/articles/{slug}/comments", jane, json={"comment": {"body": "hi"}})
    rw.call("POST", f"/articles/{slug}/favorite", jane)
    assert rw.call("DELETE", f"/articles/{slug}", jane).status_code == 403
    assert rw.call("DELETE", f"/articles/{slug}").status_code == 401
    r = rw.call("DELETE", f"/articles/{slug}", jake)
    assert r.status_code == 204 and r.data == b""
    assert rw.call("GET", f"/articles/{slug}").status_code == 404
    assert rw.call("DELETE", f"/articles/{slug}", jake).status_code == 404
    # A new article (SQLite may reuse the id) starts with no comments or favorites.
    again = rw.create_article(jake)
    assert again["favoritesCount"] == 0
    assert rw.call("GET", f"/articles/{again['slug']}/comments").get_json() == {"comments": []}


def test_list_filters_count_order_and_no_body(rw, jake, jane):
    for i in range(5):
        rw.create_article(jake, title=f"Jake {i}", tags=("dragons", "odd") if i % 2 else ("dragons",))
    for i in range(3):
        rw.create_article(jane, title=f"Jane {i}", tags=("cats",))
    rw.call("POST", "/articles/jake-1/favorite", jane)
    rw.call("POST", "/articles/jane-0/favorite", jane)

    def listing(qs, user=None):
        r = rw.call("GET", f"/articles{qs}", user)
        assert r.status_code == 200
        return r.get_json()

    everything = listing("")
    assert everything["articlesCount"] == 8
    assert [a["slug"] for a in everything["articles"]] == [
        "jane-2", "jane-1", "jane-0", "jake-4", "jake-3", "jake-2", "jake-1", "jake-0"]
    assert all(set(a) == LIST_KEYS for a in everything["articles"])
    assert listing("?tag=dragons")["articlesCount"] == 5
    assert [a["slug"] for a in listing("?tag=odd")["articles"]] == ["jake-3", "jake-1"]
    assert listing("?author=jane")["articlesCount"] == 3
    assert [a["slug"] for a in listing("?favorited=jane")["articles"]] == ["jane-0", "jake-1"]
    assert listing("?favorited=jane&author=jake")["articlesCount"] == 1
    assert listing("?tag=dragons&author=jane") == {"articles": [], "articlesCount": 0}
    assert listing("?author=nobody") == {"articles": [], "articlesCount": 0}
    page = listing("?limit=2&offset=1&tag=dragons")
    assert page["articlesCount"] == 5 and [a["slug"] for a in page["articles"]] == ["jake-3", "jake-2"]
    assert listing("?limit=3&offset=7") == {"articles": [listing("")["articles"][7]], "articlesCount": 8}
    assert listing("?offset=8") == {"articles": [], "articlesCount": 8}
    assert listing("?offset=1000") == {"articles": [], "articlesCount": 8}
    assert len(listing("?limit=1")["articles"]) == 1
    mine = {a["slug"]: a["favorited"] for a in listing("", jane)["articles"]}
    assert mine["jake-1"] and mine["jane-0"] and not mine["jake-0"]
    assert not any(a["favorited"] for a in listing("")["articles"])


@pytest.mark.parametrize("qs", ["limit=0", "limit=-1", "limit=abc", "offset=-1", "offset=x", "limit=101"])
def test_list_rejects_bad_pagination(rw, qs):
    r = rw.call("GET", f"/articles?{qs}")
    assert r.status_code == 422 and errors(r)[0].split(":")[0] in qs


def test_drafts_from_the_pages_stay_hidden(rw, jake, make_user, make_article):
    author = make_user("penny", roles=("reader", "author"))
    make_article(author, title="A secret draft", status="draft")
    make_article(author, title="A public one", status="published")
    assert [a["title"] for a in rw.call("GET", "/articles?author=penny").get_json()["articles"]] == ["A public one"]
    assert rw.call("GET", "/articles/a-secret-draft").status_code == 404


def test_feed_shows_followed_authors_only(rw, jake, jane):
    reader = rw.register("reader")
    assert rw.call("GET", "/articles/feed").status_code == 401
    rw.create_article(jake, title="By jake")
    rw.create_article(jane, title="By jane")
    assert rw.call("GET", "/articles/feed", reader).get_json() == {"articles": [], "articlesCount": 0}
    rw.call("POST", "/profiles/jake/follow", reader)
    feed = rw.call("GET", "/articles/feed", reader).get_json()
    assert feed["articlesCount"] == 1 and feed["articles"][0]["title"] == "By jake"
    assert feed["articles"][0]["author"]["following"] is True and "body" not in feed["articles"][0]
    assert rw.call("GET", "/articles/feed?limit=0", reader).status_code == 422


def test_favorite_and_unfavorite(rw, jake, jane, app):
    slug = rw.create_article(jake)["slug"]
    assert rw.call("POST", f"/articles/{slug}/favorite").status_code == 401
    assert rw.call("POST", "/articles/nope/favorite", jane).status_code == 404
    fav = rw.call("POST", f"/articles/{slug}/favorite", jane).get_json()["article"]
    assert fav["favorited"] is True and fav["favoritesCount"] == 1
    assert rw.call("POST", f"/articles/{slug}/favorite", jane).get_json()["article"]["favoritesCount"] == 1
    both = rw.call("POST", f"/articles/{slug}/favorite", jake).get_json()["article"]
    assert both["favoritesCount"] == 2
    # Same Like rows as the pages, aggregated by the same task (eager in tests) into like_count.
    with app.app_context():
        assert data_access.get_like_count(data_access.get_api_article(slug)["id"]) == 2
    assert rw.call("GET", f"/articles/{slug}", jane).get_json()["article"]["favorited"] is True
    assert rw.call("GET", f"/articles/{slug}").get_json()["article"]["favorited"] is False
    un = rw.call("DELETE", f"/articles/{slug}/favorite", jane).get_json()["article"]
    assert un["favorited"] is False and un["favoritesCount"] == 1
    assert rw.call("DELETE", f"/articles/{slug}/favorite").status_code == 401


def test_comments(rw, jake, jane):
    slug = rw.create_article(jake)["slug"]
    assert rw.call("POST", f"/articles/{slug}/comments", json={"comment": {"body": "x"}}).status_code == 401
    assert rw.call("POST", f"/articles/{slug}/comments", jane, json={"comment": {}}).status_code == 422
    assert errors(rw.call("POST", f"/articles/{slug}/comments", jane, json={"comment": {}})) == [
        "body: Missing data for required field."]
    assert rw.call("POST", "/articles/nope/comments", jane, json={"comment": {"body": "x"}}).status_code == 404
    first = rw.call("POST", f"/articles/{slug}/comments", jane, json={"comment": {"body": "First!"}})
    assert first.status_code == 200
    c1 = first.get_json()["comment"]
    assert set(c1) == {"id", "createdAt", "updatedAt", "body", "author"} and ISO.match(c1["createdAt"])
    c2 = rw.call("POST", f"/articles/{slug}/comments", jake, json={"comment": {"body": "Second"}}).get_json()["comment"]
    rw.call("POST", "/profiles/jane/follow", jake)
    listed = rw.call("GET", f"/articles/{slug}/comments", jake).get_json()["comments"]
    assert [c["id"] for c in listed] == [c2["id"], c1["id"]]  # newest first
    assert listed[1]["author"] == {"username": "jane", "bio": "", "image": "", "following": True}
    assert rw.call("GET", f"/articles/{slug}/comments").get_json()["comments"][1]["author"]["following"] is False
    assert rw.call("GET", "/articles/nope/comments").status_code == 404
    assert rw.call("DELETE", f"/articles/{slug}/comments/{c1['id']}", jake).status_code == 403
    assert rw.call("DELETE", f"/articles/{slug}/comments/{c1['id']}").status_code == 401
    assert rw.call("DELETE", f"/articles/{slug}/comments/999999", jane).status_code == 404
    other = rw.create_article(jane, title="Other")["slug"]
    assert rw.call("DELETE", f"/articles/{other}/comments/{c1['id']}", jane).status_code == 404
    assert rw.call("DELETE", f"/articles/{slug}/comments/{c1['id']}", jane).status_code == 204
    assert [c["id"] for c in rw.call("GET", f"/articles/{slug}/comments").get_json()["comments"]] == [c2["id"]]


def test_tags_sorted_and_follow_articles(rw, jake):
    assert rw.call("GET", "/tags").get_json() == {"tags": []}
    rw.create_article(jake, title="One", tags=("zeta", "alpha"))
    rw.create_article(jake, title="Two", tags=("beta", "alpha"))
    assert rw.call("GET", "/tags").get_json() == {"tags": ["alpha", "beta", "zeta"]}
    rw.call("DELETE", "/articles/one", jake)
    assert rw.call("GET", "/tags").get_json() == {"tags": ["alpha", "beta"]}


def test_unknown_api_route_and_method_are_json(rw):
    r = rw.call("GET", "/nope")
    assert r.status_code == 404 and "errors" in r.get_json()
    assert rw.call("PATCH", "/articles").status_code == 405


def test_original_endpoints_still_served(rw, jake, app):
    slug = rw.create_article(jake)["slug"]
    with app.app_context():
        article_id = data_access.get_api_article(slug)["id"]
    r = rw.call("GET", f"/article_likes/{article_id}")
    assert r.get_json() == {"article_id": article_id, "like_count": 0}
    assert rw.call("GET", "/tasks/some-id").get_json()["state"] == "PENDING"


def test_hostile_ids_and_strings_are_4xx_not_500(rw, jake):
    slug = rw.create_article(jake)["slug"]
    assert rw.call("DELETE", f"/articles/{slug}/comments/99999999999999999999", jake).status_code == 404
    assert rw.call("DELETE", f"/articles/{slug}/comments/-1", jake).status_code == 404
    assert rw.call("GET", "/profiles/a%00b").status_code == 404
    assert rw.call("GET", "/articles?tag=a%00").status_code == 422
    r = rw.call("POST", "/articles", jake, json={"article": {"title": "a\x00", "description": "d", "body": "b"}})
    assert r.status_code == 422 and errors(r) == ["title: must not contain NUL characters"]
    assert rw.call("GET", "/articles?offset=99999999999999999999").status_code == 422


def test_an_oversized_body_is_a_documented_413_in_the_usual_shape(rw, jake, client):
    """MAX_CONTENT_LENGTH answers 413 as JSON errors, and the API document lists it for every body route."""
    article = rw.create_article(jake)
    body = b'{"article": {"body": "' + b"a" * (client.application.config["MAX_CONTENT_LENGTH"] + 1) + b'"}}'
    r = client.put(f"/api/articles/{article['slug']}", data=body, content_type="application/json",
                   headers={"Authorization": f"Token {jake['token']}"})
    assert r.status_code == 413 and r.get_json()["errors"]["body"]
    assert rw.call("GET", f"/articles/{article['slug']}").get_json()["article"]["body"] == article["body"]
    doc = client.get("/api/openapi.json").get_json()
    with_body = [(path, method) for path, ops in doc["paths"].items() for method, op in ops.items()
                 if "requestBody" in op]
    assert with_body and all("413" in doc["paths"][p][m]["responses"] for p, m in with_body)
