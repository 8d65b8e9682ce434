"""The Redis cache layer against real Redis: exact invalidation per writer, isolation, zero-query hits."""
import re
from datetime import timedelta

from application.data import data_access
from application.data.models import utcnow

from .conftest import login


def timing(response) -> dict:
    header = response.headers["Server-Timing"]
    queries = int(re.search(r'db;dur=[\d.]+;desc="(\d+) queries"', header).group(1))
    hits, misses = map(int, re.search(r'cache;dur=[\d.]+;desc="(\d+) hit (\d+) miss"', header).groups())
    return {"queries": queries, "hits": hits, "misses": misses}


def _page(client, path="/"):
    r = client.get(path)
    return r.status_code, r.get_data(as_text=True)


def test_cached_anonymous_page_is_served_with_zero_queries(redis_app, make_user, make_article):
    author = make_user("wanda", roles=("author",))
    article = make_article(author, title="Zero query story")
    client = redis_app.test_client()
    for path in ("/", f"/articles/{article['slug']}"):
        first = client.get(path)
        assert timing(first)["misses"] >= 1 and timing(first)["queries"] >= 1
        second = client.get(path)
        assert second.get_data() == first.get_data()
        assert timing(second) == {"queries": 0, "hits": 1, "misses": 0}


def test_cached_reads_hit_redis_the_second_time(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    article = make_article(author)
    with redis_app.app_context():
        assert data_access.get_article(article["slug"])["title"] == article["title"]
    with redis_app.test_request_context():
        from application import request_stats

        stats = request_stats.start()
        data_access.get_article(article["slug"])
        data_access.list_published_page(1, 20)
        data_access.list_published_page(1, 20)
        assert stats.db_queries == 3  # the page once: rows with total, authors, tags; the article was cached
        assert stats.cache_hits == 2 and stats.cache_misses == 1


def _stale_check(client, path, before, after, write):
    status, html = _page(client, path)
    assert before in html
    write()
    status, html = _page(client, path)
    assert after in html and (before == after or before not in html), f"stale {path}"


def test_create_and_publish_show_at_once_on_cached_index(redis_app, make_user, make_article):
    author = make_user("olga", roles=("author",))
    make_article(author, title="Existing one")
    client = redis_app.test_client()
    assert "Brand new" not in _page(client)[1]
    make_article(author, title="Brand new")
    assert "Brand new" in _page(client)[1]
    draft = make_article(author, title="Draft to publish", status="draft")
    assert "Draft to publish" not in _page(client)[1]
    with redis_app.app_context():
        data_access.update_article(draft["id"], status="published")
    assert "Draft to publish" in _page(client)[1]
    assert _page(client, f"/articles/{draft['slug']}")[0] == 200


def test_edit_shows_at_once_on_index_article_and_author_pages(redis_app, make_user, make_article):
    author = make_user("petra", roles=("author",))
    article = make_article(author, title="Old headline", body="old body")
    anon = redis_app.test_client()
    reader = redis_app.test_client()
    login(reader, author["email"])
    pages = [(anon, "/"), (anon, f"/articles/{article['slug']}"), (reader, "/authors/petra"), (reader, "/")]
    for c, path in pages:
        assert "Old headline" in _page(c, path)[1]
    with redis_app.app_context():
        data_access.update_article(article["id"], title="New headline", body="new body")
    for c, path in pages:
        html = _page(c, path)[1]
        assert "New headline" in html and "Old headline" not in html, path
    assert "new body" in _page(anon, f"/articles/{article['slug']}")[1]


def test_unpublish_schedule_and_delete_remove_at_once(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    one = make_article(author, title="Going to schedule")
    two = make_article(author, title="Going to delete")
    client = redis_app.test_client()
    html = _page(client)[1]
    assert "Going to schedule" in html and "Going to delete" in html
    _page(client, f"/articles/{two['slug']}")
    with redis_app.app_context():
        data_access.update_article(one["id"], status="scheduled", publish_at=utcnow() + timedelta(days=1))
        data_access.delete_article(two["id"])
    html = _page(client)[1]
    assert "Going to schedule" not in html and "Going to delete" not in html
    assert _page(client, f"/articles/{two['slug']}")[0] == 404
    assert _page(client, f"/articles/{one['slug']}")[0] == 404


def test_scheduled_publish_job_shows_at_once(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    article = make_article(author, title="Timed piece", status="scheduled")
    client = redis_app.test_client()
    assert "Timed piece" not in _page(client)[1]
    with redis_app.app_context():
        published = data_access.publish_due_articles(now=utcnow() + timedelta(days=2))
        assert [a["slug"] for a in published] == [article["slug"]]
        assert data_access.publish_due_articles(now=utcnow() + timedelta(days=2)) == []  # idempotent
    assert "Timed piece" in _page(client)[1]


def test_like_aggregation_updates_every_cached_count(redis_app, make_user, make_article):
    author = make_user("quinn", roles=("author",))
    fans = [make_user() for _ in range(3)]
    article = make_article(author, title="Likeable")
    anon, reader = redis_app.test_client(), redis_app.test_client()
    login(reader, author["email"])
    pattern = re.compile(rf'data-like-count="{article["id"]}">(\d+)<')
    pages = [(anon, "/"), (anon, f"/articles/{article['slug']}"), (reader, "/authors/quinn")]
    for c, path in pages:
        assert pattern.findall(_page(c, path)[1]) == ["0"], path
    assert anon.get(f"/api/article_likes/{article['id']}").get_json()["like_count"] == 0
    with redis_app.app_context():
        for fan in fans:
            data_access.like_article(fan["id"], article["id"])
        data_access.recount_article_likes(article["id"])
    for c, path in pages:
        assert pattern.findall(_page(c, path)[1]) == ["3"], path
    assert anon.get(f"/api/article_likes/{article['id']}").get_json()["like_count"] == 3
    assert "Likeable</a> (3)" in _page(anon)[1] or "Likeable</a> (3)" in _page(reader)[1]
    with redis_app.app_context():
        data_access.unlike_article(fans[0]["id"], article["id"])
        data_access.reconcile_all_like_counts()
    for c, path in pages:
        assert pattern.findall(_page(c, path)[1]) == ["2"], path


def test_like_count_change_clears_only_the_index_page_showing_it(redis_app, make_user, make_article):
    redis_app.config["ARTICLES_PER_PAGE"] = 2
    author = make_user(roles=("author",))
    fan = make_user()
    articles = [make_article(author, title=f"Row {i}", minutes_ago=10 - i) for i in range(4)]
    client = redis_app.test_client()
    client.get("/?page=1"), client.get("/?page=2")
    with redis_app.app_context():
        data_access.like_article(fan["id"], articles[0]["id"])  # the oldest: shown on page 2
        data_access.recount_article_likes(articles[0]["id"])
    assert timing(client.get("/?page=1"))["queries"] == 0  # untouched page still cached
    assert timing(client.get("/?page=2"))["queries"] > 0   # its page was rebuilt


def test_profile_change_shows_at_once(redis_app, make_user, make_article):
    author = make_user("rosa", roles=("author",))
    make_article(author)
    reader = redis_app.test_client()
    login(reader, author["email"])
    assert "Writes about cats" not in _page(reader, "/authors/rosa")[1]
    with redis_app.app_context():
        data_access.update_profile(author["id"], bio="Writes about cats")
    assert "Writes about cats" in _page(reader, "/authors/rosa")[1]


def test_anonymous_pages_never_show_a_logged_in_user_and_vice_versa(redis_app, make_user, make_article):
    author = make_user("ulla", roles=("author",))
    article = make_article(author, title="Shared story")
    secret = make_user("zelda_private")
    paths = ["/", f"/articles/{article['slug']}", "/?page=1"]
    user = redis_app.test_client()
    login(user, secret["email"])
    for path in paths:
        html = _page(user, path)[1]
        assert "zelda_private" in html and "Log out" in html
    anon = redis_app.test_client()
    for path in paths:
        html = _page(anon, path)[1]
        assert "zelda_private" not in html and "Log out" not in html and secret["email"] not in html
        assert 'name="csrf-token"' not in html
    for path in paths:  # and back: pages now cached for anonymous readers are not served to the user
        html = _page(user, path)[1]
        assert "zelda_private" in html and "Log out" in html


def test_a_like_is_not_an_edit(redis_app, make_user, make_article):
    author, fan = make_user(roles=("author",)), make_user()
    article = make_article(author)
    with redis_app.app_context():
        before = data_access.get_article_for_edit(article["slug"])["updated_at"]
        data_access.like_article(fan["id"], article["id"])
        assert data_access.recount_article_likes(article["id"]) == 1
        after = data_access.get_article_for_edit(article["slug"])
        assert after["like_count"] == 1 and after["updated_at"] == before


def test_cached_page_fast_path_compresses_and_honours_q_zero(redis_app, make_user, make_article):
    import brotli
    import gzip

    author = make_user(roles=("author",))
    for i in range(5):
        make_article(author, title=f"Compressible story {i}", body="words " * 200)
    client = redis_app.test_client()
    plain = client.get("/").get_data()
    for accept, encoding, unpack in (("br", "br", brotli.decompress), ("gzip, deflate", "gzip", gzip.decompress),
                                     ("br;q=0, gzip", "gzip", gzip.decompress)):
        r = client.get("/", headers={"Accept-Encoding": accept})
        assert timing(r)["queries"] == 0 and r.headers["Content-Encoding"] == encoding, accept
        assert unpack(r.get_data()) == plain
    r = client.get("/", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in r.headers and r.get_data() == plain


def test_deleting_an_article_deletes_its_likes_and_comments(app, make_user, make_article):
    from sqlalchemy import func, select

    from application.data.models import Comment, Like
    from application.extensions import db

    author, fan = make_user(roles=("author",)), make_user()
    article = make_article(author)
    with app.app_context():
        data_access.like_article(fan["id"], article["id"])
        db.session.add(Comment(article_id=article["id"], author_id=fan["id"], body="hi"))
        db.session.commit()
        assert data_access.delete_article(article["id"])
        assert db.session.scalar(select(func.count()).select_from(Like)) == 0
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
