"""No N+1: a page's query count does not grow with the number of rows it shows.

The test app uses NullCache, so every request builds the page from the database.
"""
import re

from .conftest import login


def queries(response) -> int:
    return int(re.search(r'(\d+) queries', response.headers["Server-Timing"]).group(1))


def _authors(make_user, n):
    return [make_user(f"writer{i}", roles=("author",)) for i in range(n)]


def test_index_same_queries_for_5_and_50_rows(app, client, make_user, make_article):
    authors = _authors(make_user, 5)
    for i in range(50):
        make_article(authors[i % 5], title=f"Row {i}", tags=[f"t{i % 7}", "common"])
    app.config["ARTICLES_PER_PAGE"] = 5
    few = client.get("/")
    app.config["ARTICLES_PER_PAGE"] = 50
    many = client.get("/")
    assert few.status_code == many.status_code == 200
    assert many.get_data(as_text=True).count("data-article-id=") == 50
    assert queries(few) == queries(many) <= 4


def test_author_page_same_queries_for_1_and_20_articles(client, make_user, make_article):
    one, twenty = make_user("solo", roles=("author",)), make_user("busy", roles=("author",))
    reader = make_user("reader")
    make_article(one, title="Only one")
    for i in range(20):
        make_article(twenty, title=f"Busy {i}", tags=["x", f"y{i}"])
    login(client, reader["email"])
    a = client.get("/authors/solo")
    b = client.get("/authors/busy")
    assert a.status_code == b.status_code == 200
    assert b.get_data(as_text=True).count("Busy ") == 20
    assert queries(a) == queries(b)


def test_anonymous_index_cache_off_within_four_queries(client, make_user, make_article):
    author = make_user("w", roles=("author",))
    for i in range(30):
        make_article(author, title=f"P {i}")
    assert queries(client.get("/")) <= 4  # page+total, authors, tags, most-liked


def test_logged_in_index_within_four_queries_with_the_cache(redis_app):
    from . import factories

    with redis_app.app_context():
        author = factories.make_user("w2", roles=("author",))
        for i in range(30):
            factories.make_article(author, title=f"Q {i}")
    client = redis_app.test_client()
    login(client, author["email"])
    first, second = client.get("/"), client.get("/")
    assert queries(first) <= 5 and queries(second) <= 2  # the user (+ roles); the listing comes from Redis


def test_the_guard_would_catch_a_lazy_loop(app, client, make_user, make_article):
    # The same measurement on the benchmark's naive page: queries grow with rows.
    from bench.naive import bp

    app.register_blueprint(bp)
    author = make_user(roles=("author",))
    for i in range(10):
        make_article(author, title=f"N {i}")
    app.config["ARTICLES_PER_PAGE"] = 2
    few = queries(client.get("/bench/naive?index=1"))
    app.config["ARTICLES_PER_PAGE"] = 10
    assert queries(client.get("/bench/naive?index=1")) > few
