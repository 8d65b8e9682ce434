"""The read-then-invalidate race, made deterministic, on every cached read path.

A reader misses and reads the database (v1); a writer commits v2 and invalidates; only then
does the reader store. With leases the late set is dropped: each case ends with the cache
holding the new value or nothing, and the next read shows v2.
"""
import pytest

from application.data import data_access
from application.data.data_access import keys

from .cache_helpers import entry, write_between_read_and_set


def _setup(make_user, make_article):
    author = make_user("race_author", roles=("author",))
    article = make_article(author, title="Version one", tags=["old"])
    return author, article


def _retitle(article):
    return lambda: data_access.update_article(article["id"], title="Version two")


CASES = {
    # name: (key, groups, read(ctx), write(ctx), shows_new(value))
    "article": (lambda c: keys.article_key(c["article"]["slug"]), keys.ARTICLE_GROUPS,
                lambda c: data_access.get_article(c["article"]["slug"]), lambda c: _retitle(c["article"])(),
                lambda v: v["title"] == "Version two"),
    "index data": (lambda c: keys.index_data_key(1, 20), keys.INDEX_GROUPS,
                   lambda c: data_access.list_published_page(1, 20), lambda c: _retitle(c["article"])(),
                   lambda v: v["items"][0]["title"] == "Version two"),
    "author list": (lambda c: keys.author_articles_key(c["author"]["id"]), keys.ARTICLE_GROUPS,
                    lambda c: data_access.list_author_articles(c["author"]["id"]), lambda c: _retitle(c["article"])(),
                    lambda v: v[0]["title"] == "Version two"),
    "api list": (lambda c: keys.api_block_key(None, None, 0), keys.API_LIST_GROUPS,
                 lambda c: data_access.list_api_articles(None, None, 20, 0), lambda c: _retitle(c["article"])(),
                 lambda v: v["cards"][0]["title"] == "Version two"),
    "tags": (lambda c: keys.TAGS_LIST_KEY, (keys.API_LISTS,), lambda c: data_access.list_tag_names(),
             lambda c: data_access.update_article(c["article"]["id"], tags=["new"]), lambda v: v == ["new"]),
    "comments": (lambda c: keys.comments_key(c["article"]["id"]), keys.COMMENT_GROUPS,
                 lambda c: data_access.list_comments(c["article"]["id"]),
                 lambda c: data_access.create_comment(c["article"]["id"], c["author"]["id"], "First!"),
                 lambda v: [x["body"] for x in v] == ["First!"]),
    "profile": (lambda c: keys.author_key("race_author"), (), lambda c: data_access.get_author("race_author"),
                lambda c: data_access.update_profile(c["author"]["id"], bio="Now with a bio"),
                lambda v: v["bio"] == "Now with a bio"),
    "like count": (lambda c: keys.like_count_key(c["article"]["id"]), (),
                   lambda c: data_access.get_like_count(c["article"]["id"]),
                   lambda c: (data_access.like_article(c["fan"]["id"], c["article"]["id"]),
                              data_access.recount_article_likes(c["article"]["id"])),
                   lambda v: v == 1),
    "missing slug": (lambda c: keys.article_key("comes-later"), keys.ARTICLE_GROUPS,
                     lambda c: data_access.get_article("comes-later"),
                     lambda c: data_access.create_article([c["author"]["id"]], "Comes later", "b", status="published"),
                     lambda v: v is not None and v["title"] == "Comes later"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_set_after_an_invalidation_is_dropped(name, redis_app, make_user, make_article, monkeypatch):
    author, article = _setup(make_user, make_article)
    ctx = {"author": author, "article": article, "fan": make_user()}
    key_of, groups, read, write, shows_new = CASES[name]
    key = key_of(ctx)
    with redis_app.app_context():
        with write_between_read_and_set(monkeypatch, key, lambda: write(ctx)) as race:
            read(ctx)  # computes the old value; the writer commits and invalidates before the set
        assert race["fired"], f"{name}: the reader never reached its set"
        assert race["dropped"] == 1, f"{name}: the stale set was stored"
    hit, value = entry(redis_app, key, groups)
    assert not hit or shows_new(value), f"{name}: cache holds the old value"
    with redis_app.app_context():
        assert shows_new(read(ctx)), f"{name}: the next read is stale"
    hit, value = entry(redis_app, key, groups)
    assert hit and shows_new(value)  # and it is cached again


@pytest.mark.parametrize("path_of, key_of, groups", [
    (lambda a: "/", lambda a: keys.index_page_key(1), keys.INDEX_GROUPS),
    (lambda a: f"/articles/{a['slug']}", lambda a: keys.article_page_key(a["slug"]), keys.ARTICLE_GROUPS),
], ids=["index page", "article page"])
def test_a_page_rendered_before_an_edit_is_not_stored(path_of, key_of, groups, redis_app, make_user, make_article,
                                                      monkeypatch):
    author, article = _setup(make_user, make_article)
    client = redis_app.test_client()
    with write_between_read_and_set(monkeypatch, key_of(article), _retitle(article)) as race:
        first = client.get(path_of(article))
    assert first.status_code == 200 and "Version one" in first.get_data(as_text=True)  # built before the edit
    assert race["fired"] and race["dropped"] == 1
    hit, value = entry(redis_app, key_of(article), groups)
    assert not hit or "Version two" in value["body"]
    again = client.get(path_of(article)).get_data(as_text=True)
    assert "Version two" in again and "Version one" not in again


def test_the_sidebar_fragment_is_guarded_too(redis_app, make_user, make_article, monkeypatch):
    from application.data.data_access.invalidate import fragment_key

    author, article = _setup(make_user, make_article)
    fan = make_user()
    with redis_app.app_context():
        data_access.like_article(fan["id"], article["id"])
    client = redis_app.test_client()
    key = fragment_key(keys.MOST_LIKED_FRAGMENT)
    with write_between_read_and_set(monkeypatch, key, _retitle(article)) as race:
        assert "Version one" in client.get("/").get_data(as_text=True)
    assert race["fired"] and race["dropped"] >= 1
    hit, value = entry(redis_app, key)
    assert not hit or "Version two" in value
    html = client.get("/").get_data(as_text=True)
    assert "Version two" in html and "Version one" not in html


def test_a_lease_is_released_only_by_its_owner(redis_app):
    from application.data.data_access import store

    with redis_app.app_context():
        first = store.take_lease("owner-test")
        assert first is not None and store.take_lease("owner-test") is None  # held
        store.revoke("owner-test")  # an invalidation revokes it ...
        second = store.take_lease("owner-test")  # ... and another reader takes a new one
        assert second is not None
        first.release()  # the first holder finishing late must not free the second's lease
        assert store.take_lease("owner-test") is None
        assert first.store("late", 60) is False  # nor store with its revoked token
        assert second.store("fresh", 60) is True
        assert store.peek("owner-test") == (True, "fresh")


def test_author_pages_are_stored_and_invalidated_for_anonymous_readers(redis_app, make_user, make_article,
                                                                       monkeypatch):
    """The author page decorator (the route itself still asks for a login): stored, invalidated
    by an edit, a like recount or a profile change, and guarded against the late set."""
    from flask import render_template_string

    from application.controllers.page_cache import cache_author_page

    from .conftest import query_count

    def page(username):
        author = data_access.get_author(username)
        if author is None:
            return "nobody", 404
        titles = [a["title"] for a in data_access.list_author_articles(author["id"])]
        return render_template_string("{{ bio or '' }}|{{ titles|join(',') }}", bio=author["bio"], titles=titles)
    redis_app.add_url_rule("/test-authors/<username>", "test_author", cache_author_page(page))
    author, article = _setup(make_user, make_article)
    client = redis_app.test_client()
    assert client.get("/test-authors/race_author").get_data(as_text=True) == "|Version one"
    assert query_count(client.get("/test-authors/race_author")) == 0
    with redis_app.app_context():
        data_access.update_article(article["id"], title="Version two")
    assert client.get("/test-authors/race_author").get_data(as_text=True) == "|Version two"
    with redis_app.app_context():
        data_access.update_profile(author["id"], bio="Bio")
    assert client.get("/test-authors/race_author").get_data(as_text=True) == "Bio|Version two"
    key = keys.author_page_key("race_author")
    retitle = lambda: data_access.update_article(article["id"], title="Version three")  # noqa: E731
    with write_between_read_and_set(monkeypatch, key, retitle) as race:
        with redis_app.app_context():
            data_access.update_profile(author["id"], bio="Bio 2")  # drop the stored page first
        assert client.get("/test-authors/race_author").get_data(as_text=True) == "Bio 2|Version two"
    assert race["fired"] and race["dropped"] == 1
    assert client.get("/test-authors/race_author").get_data(as_text=True) == "Bio 2|Version three"
    assert client.get("/test-authors/nobody_at_all").status_code == 404
