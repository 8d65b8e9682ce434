"""RealWorld API: constant queries per list (N+1 guard) and the caching rules on real Redis."""
import pytest

from .conftest import RealWorldClient, query_count


def _seed(rw, n_articles=12):
    authors = [rw.register(f"author{i}") for i in range(3)]
    reader = rw.register("reader")
    for i in range(n_articles):
        author = authors[i % 3]
        rw.create_article(author, title=f"Article {i}", tags=(f"t{i % 4}", f"u{i % 5}", "all"))
    for author in authors:
        rw.call("POST", f"/profiles/{author['username']}/follow", reader)
    for i in range(0, n_articles, 2):
        rw.call("POST", f"/articles/article-{i}/favorite", reader)
    return reader


@pytest.mark.parametrize("path", ["/articles?limit={n}", "/articles?tag=all&limit={n}", "/articles/feed?limit={n}",
                                  "/articles?favorited=reader&limit={n}", "/articles?author=author1&limit={n}"])
def test_list_queries_do_not_grow_with_limit(rw, path):
    reader = _seed(rw)
    counts = []
    for n in (1, 2, 12):
        r = rw.call("GET", path.format(n=n) + "&offset=0", reader)
        assert r.status_code == 200 and len(r.get_json()["articles"]) >= 1
        counts.append(query_count(r))
    assert counts[0] == counts[1] >= counts[2], counts  # one fewer when the page holds everything (no count)
    assert counts[0] <= 9, counts  # token user + page + count + authors + tags + favorited + following


def test_cached_list_is_shared_but_per_user_fields_are_not(redis_app):
    rw = RealWorldClient(redis_app.test_client())
    reader = _seed(rw, n_articles=4)
    other = rw.register("other")
    anon_first = rw.call("GET", "/articles?limit=2")
    anon_again = rw.call("GET", "/articles?limit=2")
    assert query_count(anon_again) == 0  # shared cards from Redis, anonymous: no per-user query
    mine = rw.call("GET", "/articles?limit=2", reader).get_json()["articles"]
    theirs = rw.call("GET", "/articles?limit=2", other).get_json()["articles"]
    assert [a["favorited"] for a in mine] == [False, True]  # reader favorited article-2, not article-3
    assert not any(a["favorited"] or a["author"]["following"] for a in theirs)
    assert all(a["author"]["following"] for a in mine)
    assert anon_first.get_json() == anon_again.get_json()


def test_writes_invalidate_cached_reads(redis_app):
    rw = RealWorldClient(redis_app.test_client())
    jake = rw.register("jake")
    fan = rw.register("fanatic")
    art = rw.create_article(jake, title="Original", tags=("one",))
    assert rw.call("GET", "/articles").get_json()["articlesCount"] == 1
    assert rw.call("GET", "/tags").get_json()["tags"] == ["one"]
    rw.call("GET", f"/articles/{art['slug']}")
    rw.call("PUT", f"/articles/{art['slug']}", jake, json={"article": {"title": "Renamed", "tagList": ["two"]}})
    assert rw.call("GET", "/articles").get_json()["articles"][0]["title"] == "Renamed"
    assert rw.call("GET", "/tags").get_json()["tags"] == ["two"]
    assert rw.call("GET", f"/articles/{art['slug']}").status_code == 404
    rw.call("POST", "/articles/renamed/favorite", fan)  # the eager aggregation task invalidates
    assert rw.call("GET", "/articles").get_json()["articles"][0]["favoritesCount"] == 1
    assert rw.call("GET", "/articles/renamed").get_json()["article"]["favoritesCount"] == 1
    rw.call("POST", "/articles/renamed/comments", fan, json={"comment": {"body": "hello"}})
    assert len(rw.call("GET", "/articles/renamed/comments").get_json()["comments"]) == 1
    rw.call("PUT", "/user", jake, json={"user": {"bio": "new bio"}})
    rw.call("PUT", "/user", fan, json={"user": {"image": "https://i.test/fanatic.png"}})
    assert rw.call("GET", "/articles").get_json()["articles"][0]["author"]["bio"] == "new bio"
    assert rw.call("GET", "/articles/renamed").get_json()["article"]["author"]["bio"] == "new bio"
    comment = rw.call("GET", "/articles/renamed/comments").get_json()["comments"][0]
    assert comment["author"]["image"] == "https://i.test/fanatic.png"
    rw.create_article(jake, title="Second")
    assert rw.call("GET", "/articles").get_json()["articlesCount"] == 2
    rw.call("DELETE", "/articles/second", jake)
    assert rw.call("GET", "/articles").get_json()["articlesCount"] == 1


def test_profile_lookup_is_not_stale_after_registration(redis_app):
    rw = RealWorldClient(redis_app.test_client())
    assert rw.call("GET", "/profiles/latecomer").status_code == 404  # caches "no such user"
    rw.register("latecomer")
    assert rw.call("GET", "/profiles/latecomer").status_code == 200
