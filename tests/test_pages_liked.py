"""A reader's liked articles: /authors/<username>/liked (public), newest article first, live after a like."""
import re

from application.data import data_access

from .conftest import login


def _titles(html):
    return re.findall(r'<h2 class="h5 mb-1"><a href="/articles/[^"]+">([^<]+)</a>', html)


def test_liked_page_lists_what_the_reader_liked(app, client, make_user, make_article):
    author = make_user(roles=("author",))
    fan = make_user("fanny")
    liked_old = make_article(author, title="Liked old", minutes_ago=5)
    liked_new = make_article(author, title="Liked new", minutes_ago=1)
    make_article(author, title="Not liked")
    assert "fanny has not liked any article yet." in client.get("/authors/fanny/liked").get_data(as_text=True)
    login(client, fan["email"])
    for article in (liked_old, liked_new):
        assert client.post(f"/articles/{article['slug']}/like").status_code == 302
    html = client.get("/authors/fanny/liked").get_data(as_text=True)
    assert _titles(html) == ["Liked new", "Liked old"]
    client.post(f"/articles/{liked_new['slug']}/unlike")
    client.post("/logout")
    assert _titles(client.get("/authors/fanny/liked").get_data(as_text=True)) == ["Liked old"]


def test_liked_page_edges(app, client, make_user, make_article):
    app.config["ARTICLES_PER_PAGE"] = 1
    author = make_user(roles=("author",))
    fan = make_user("pager")
    for i in range(2):
        article = make_article(author, title=f"Page like {i}", minutes_ago=5 - i)
        with app.app_context():
            data_access.like_article(fan["id"], article["id"])
    assert _titles(client.get("/authors/pager/liked?page=2").get_data(as_text=True)) == ["Page like 0"]
    assert client.get("/authors/pager/liked?page=3").status_code == 404
    assert client.get("/authors/pager/liked?page=zero").status_code == 404
    assert client.get("/authors/no-such-reader/liked").status_code == 404
    assert client.get("/authors/a%00b/liked").status_code == 404  # a NUL names nobody (and PostgreSQL refuses it)


def test_liked_list_is_never_shared_stale_on_the_real_cache(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    fan = make_user("livefan")
    article = make_article(author, title="Like me now")
    anon = redis_app.test_client()
    assert _titles(anon.get("/authors/livefan/liked").get_data(as_text=True)) == []
    with redis_app.app_context():
        data_access.like_article(fan["id"], article["id"])  # before any aggregation
    assert _titles(anon.get("/authors/livefan/liked").get_data(as_text=True)) == ["Like me now"]
