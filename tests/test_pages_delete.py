"""Deleting an article from the pages: authors and editors, a confirmation step, everything it showed on cleared."""
from application.data import data_access
from application.data.data_access import keys

from .conftest import login, logout
from .pages_helpers import stored


def test_author_confirms_then_deletes(app, client, make_user, make_article):
    author, reader = make_user("deleter", roles=("author",)), make_user()
    article = make_article(author, title="Soon gone")
    with app.app_context():
        data_access.create_comment(article["id"], reader["id"], "a comment")
        data_access.like_article(reader["id"], article["id"])
    login(client, author["email"])
    page = client.get(f"/articles/{article['slug']}").get_data(as_text=True)
    assert f'href="/articles/{article["slug"]}/delete"' in page
    confirm = client.get(f"/articles/{article['slug']}/delete")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete “Soon gone”?" in html and "cannot be undone" in html
    assert client.get(f"/articles/{article['slug']}").status_code == 200  # the GET changed nothing
    r = client.post(f"/articles/{article['slug']}/delete", follow_redirects=True)
    assert r.status_code == 200 and "Deleted “Soon gone”." in r.get_data(as_text=True)
    assert client.get(f"/articles/{article['slug']}").status_code == 404
    with app.app_context():
        assert data_access.list_comments(article["id"]) == [] and data_access.count_likes(article["id"]) == 0


def test_only_authors_and_editors_may_delete(app, client, make_user, make_article):
    author = make_user(roles=("author",))
    other_author, reader, editor = make_user(roles=("author",)), make_user(), make_user(roles=("editor",))
    article = make_article(author, title="Protected")
    path = f"/articles/{article['slug']}/delete"
    assert client.post(path).status_code == 302  # anonymous: to the login page
    for who in (reader, other_author):
        login(client, who["email"])
        assert client.get(path).status_code == 403 and client.post(path).status_code == 403
        assert "Delete</a>" not in client.get(f"/articles/{article['slug']}").get_data(as_text=True)
        logout(client)
    assert client.get("/articles/no-such/delete").status_code == 302
    login(client, editor["email"])
    assert client.get("/articles/no-such/delete").status_code == 404
    assert client.post(path).status_code == 302
    assert client.get(f"/articles/{article['slug']}").status_code == 404


def test_delete_needs_the_confirmation_token_when_csrf_is_on(app, client, make_user, make_article):
    author = make_user(roles=("author",))
    article = make_article(author, title="Token needed")
    login(client, author["email"])
    app.config["WTF_CSRF_ENABLED"] = True
    r = client.post(f"/articles/{article['slug']}/delete")
    assert r.status_code == 400 and "<!doctype html>" in r.get_data(as_text=True).lower()
    assert client.get(f"/articles/{article['slug']}").status_code == 200


def test_delete_clears_the_cached_pages_that_showed_it(redis_app, make_user, make_article):
    author = make_user("cachedel", roles=("author",))
    article = make_article(author, title="Cached then deleted", tags=["gone"])
    keep = make_article(author, title="Still here")
    anon = redis_app.test_client()
    for path in ("/", f"/articles/{article['slug']}", "/tags/gone", "/search?q=deleted", "/sitemap.xml"):
        assert "Cached then deleted" in anon.get(path).get_data(as_text=True) or path == "/sitemap.xml"
    assert stored(redis_app, keys.article_page_key(article["slug"]), keys.ARTICLE_GROUPS) is not None
    client = redis_app.test_client()
    login(client, author["email"])
    client.post(f"/articles/{article['slug']}/delete")
    assert stored(redis_app, keys.article_page_key(article["slug"]), keys.ARTICLE_GROUPS) is None
    assert anon.get(f"/articles/{article['slug']}").status_code == 404
    for path in ("/", "/search?q=deleted"):
        assert "Cached then deleted" not in anon.get(path).get_data(as_text=True), path
    assert anon.get("/tags/gone").status_code == 404
    sitemap = anon.get("/sitemap.xml").get_data(as_text=True)
    assert article["slug"] not in sitemap and keep["slug"] in sitemap
