"""Atom feeds (site, author, tag) and /sitemap.xml: valid XML, the right entries, cached and cleared exactly."""
import xml.etree.ElementTree as ET

from application.data import data_access
from application.data.data_access import keys

from .pages_helpers import stored, timing

A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _feed(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.content_type == "application/atom+xml; charset=utf-8", path
    return ET.fromstring(r.data)


def test_site_feed_is_atom_with_the_latest_published_articles(client, make_user, make_article):
    author = make_user("atomist", roles=("author",))
    make_article(author, title="Older <entry> & more", description="Summary one", tags=["xml"], minutes_ago=5)
    make_article(author, title="Newest entry", minutes_ago=1)
    make_article(author, title="Draft entry", status="draft")
    feed = _feed(client, "/atom.xml")
    assert feed.find(f"{A}title").text == "Broadsheet"
    assert feed.find(f"{A}link[@rel='self']").get("href") == "http://localhost/atom.xml"
    assert feed.find(f"{A}updated").text.endswith("Z")
    entries = feed.findall(f"{A}entry")
    assert [e.find(f"{A}title").text for e in entries] == ["Newest entry", "Older <entry> & more"]
    older = entries[1]
    assert older.find(f"{A}summary").text == "Summary one"
    assert older.find(f"{A}author/{A}name").text == "atomist"
    assert older.find(f"{A}category").get("term") == "xml"
    assert older.find(f"{A}link").get("href").startswith("http://localhost/articles/older-entry")
    assert older.find(f"{A}id").text.startswith("tag:localhost,2026:article:")
    assert len({e.find(f"{A}id").text for e in entries}) == 2


def test_author_and_tag_feeds(client, make_user, make_article):
    one, two = make_user("feedone", roles=("author",)), make_user("feedtwo", roles=("author",))
    make_article(one, title="One's piece", tags=["shared"])
    make_article(two, title="Two's piece", tags=["shared", "solo"])
    titles = lambda feed: [e.find(f"{A}title").text for e in feed.findall(f"{A}entry")]  # noqa: E731
    assert titles(_feed(client, "/authors/feedone/atom.xml")) == ["One's piece"]
    assert sorted(titles(_feed(client, "/tags/shared/atom.xml"))) == ["One's piece", "Two's piece"]
    assert titles(_feed(client, "/tags/solo/atom.xml")) == ["Two's piece"]
    assert _feed(client, "/authors/feedtwo/atom.xml").find(f"{A}link[@rel='alternate']").get("href") == \
        "http://localhost/authors/feedtwo"
    assert client.get("/authors/nobody-here/atom.xml").status_code == 404
    assert client.get("/authors/a%00b/atom.xml").status_code == 404
    assert client.get("/tags/unused-tag/atom.xml").status_code == 404


def test_feed_of_an_empty_site_is_valid(client):
    feed = _feed(client, "/atom.xml")
    assert feed.findall(f"{A}entry") == [] and feed.find(f"{A}updated").text


def test_sitemap_lists_published_articles_authors_and_tags(client, make_user, make_article):
    author = make_user("mapper", roles=("author",))
    make_user("noarticles", roles=("author",))
    article = make_article(author, title="On the map", tags=["maps"])
    make_article(author, title="Hidden draft", status="draft")
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.content_type == "application/xml; charset=utf-8"
    urls = {u.find(f"{SM}loc").text: u.find(f"{SM}lastmod") for u in ET.fromstring(r.data).findall(f"{SM}url")}
    assert set(urls) == {"http://localhost/", f"http://localhost/articles/{article['slug']}",
                         "http://localhost/authors/mapper", "http://localhost/tags/maps"}
    assert urls[f"http://localhost/articles/{article['slug']}"].text.endswith("Z")


def test_sitemap_is_cached_and_cleared_by_article_writes_only(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    reader = make_user()
    first = make_article(author, title="First on map")
    client = redis_app.test_client()
    client.get("/sitemap.xml")
    assert timing(client.get("/sitemap.xml"))["queries"] == 0
    with redis_app.app_context():
        data_access.like_article(reader["id"], first["id"])
        data_access.recount_article_likes(first["id"])
        data_access.follow_user(reader["id"], author["id"])
    assert stored(redis_app, keys.SITEMAP_KEY, keys.SEARCH_GROUPS) is not None  # likes and follows: kept
    second = make_article(author, title="Second on map")
    assert stored(redis_app, keys.SITEMAP_KEY, keys.SEARCH_GROUPS) is None
    assert second["slug"] in client.get("/sitemap.xml").get_data(as_text=True)
    draft = make_article(author, title="Draft on map", status="draft")  # an article write: cleared, still hidden
    assert draft["slug"] not in client.get("/sitemap.xml").get_data(as_text=True)
