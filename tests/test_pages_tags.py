"""Tag pages /tags/<tag>: published articles with that tag, paginated, cached and exactly invalidated; tags on articles."""
import re

from application.data import data_access
from application.data.data_access import keys

from .pages_helpers import stored, timing


def _titles(html):
    return re.findall(r'<h2 class="h5 mb-1"><a href="/articles/[^"]+">([^<]+)</a>', html)


def test_tag_page_lists_published_articles_with_the_tag_newest_first(client, make_user, make_article):
    author = make_user("tagger", roles=("author",))
    make_article(author, title="Old rust", tags=["rust", "systems"], minutes_ago=10)
    make_article(author, title="New rust", tags=["Rust"], minutes_ago=1)
    make_article(author, title="Draft rust", tags=["rust"], status="draft")
    make_article(author, title="Python only", tags=["python"])
    r = client.get("/tags/rust")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and _titles(html) == ["New rust", "Old rust"]
    assert "2 articles" in html and 'href="/tags/rust/atom.xml"' in html
    assert 'href="/tags/systems" rel="tag"' in html  # every item shows its tags


def test_tags_link_from_the_article_page(client, make_user, make_article):
    article = make_article(make_user(roles=("author",)), title="Tagged piece", tags=["go", "web dev"])
    html = client.get(f"/articles/{article['slug']}").get_data(as_text=True)
    assert 'href="/tags/go" rel="tag"' in html and 'href="/tags/web%20dev" rel="tag"' in html
    assert _titles(client.get("/tags/web%20dev").get_data(as_text=True)) == ["Tagged piece"]


def test_unknown_tag_upper_case_and_bad_pages(app, client, make_user, make_article):
    app.config["ARTICLES_PER_PAGE"] = 1
    author = make_user(roles=("author",))
    make_article(author, title="One", tags=["css"], minutes_ago=2)
    make_article(author, title="Two", tags=["css"], minutes_ago=1)
    assert client.get("/tags/nothing-here").status_code == 404
    assert client.get("/tags/a%00b").status_code == 404 and client.get("/tags/a%00b/atom.xml").status_code == 404
    r = client.get("/tags/CSS")
    assert r.status_code == 301 and r.headers["Location"].endswith("/tags/css")
    assert _titles(client.get("/tags/css?page=2").get_data(as_text=True)) == ["One"]
    for bad in ("0", "3", "x", "-1"):
        assert client.get(f"/tags/css?page={bad}").status_code == 404, bad


def test_tag_pages_are_cached_and_cleared_by_article_writes(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    article = make_article(author, title="Cached tag piece", tags=["cache"])
    client = redis_app.test_client()
    client.get("/tags/cache")
    assert timing(client.get("/tags/cache"))["queries"] == 0
    size = redis_app.config["ARTICLES_PER_PAGE"]
    assert stored(redis_app, keys.api_block_key("cache", None, 0), keys.API_LIST_GROUPS) is not None
    with redis_app.app_context():
        data_access.update_article(article["id"], tags=["other"])
    assert stored(redis_app, keys.api_block_key("cache", None, 0), keys.API_LIST_GROUPS) is None
    assert client.get("/tags/cache").status_code == 404
    assert _titles(client.get("/tags/other").get_data(as_text=True)) == ["Cached tag piece"]
