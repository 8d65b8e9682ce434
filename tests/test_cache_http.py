"""HTTP caching: strong ETags and 304s from the cache, CDN directives when configured,
`private, no-store` for anything made for a session or token, one Vary on both paths."""
from application.controllers.http_cache import PUBLIC_VARY

from .conftest import login, query_count


def _published(redis_app, make_user, make_article):
    author = make_user("http_author", roles=("author",))
    return author, make_article(author, title="Conditional story", body="words " * 200)


def test_pages_carry_a_strong_etag_and_answer_304_from_the_cache(redis_app, make_user, make_article):
    _, article = _published(redis_app, make_user, make_article)
    client = redis_app.test_client()
    for path in ("/", f"/articles/{article['slug']}"):
        for accept in ("identity", "br", "gzip"):
            first = client.get(path, headers={"Accept-Encoding": accept})  # built by Flask (or cached)
            second = client.get(path, headers={"Accept-Encoding": accept})  # the WSGI fast path
            assert query_count(second) == 0
            for r in (first, second):
                assert r.headers["ETag"].startswith('"') and not r.headers["ETag"].startswith("W/"), path
                assert r.headers["Cache-Control"] == "public, max-age=0"
                assert r.headers["Vary"] == PUBLIC_VARY
            assert first.headers["ETag"] == second.headers["ETag"], (path, accept)
            cond = client.get(path, headers={"Accept-Encoding": accept, "If-None-Match": second.headers["ETag"]})
            assert cond.status_code == 304 and cond.get_data() == b"" and query_count(cond) == 0
        client.get("/?page=1")
        stale = client.get(path, headers={"If-None-Match": '"not-this-one"'})
        assert stale.status_code == 200


def test_an_edit_changes_the_etag(redis_app, make_user, make_article):
    from application.data import data_access

    _, article = _published(redis_app, make_user, make_article)
    client = redis_app.test_client()
    tag = client.get("/").headers["ETag"]
    with redis_app.app_context():
        data_access.update_article(article["id"], title="Edited story")
    r = client.get("/", headers={"If-None-Match": tag})
    assert r.status_code == 200 and "Edited story" in r.get_data(as_text=True) and r.headers["ETag"] != tag


def test_api_gets_answer_304_without_a_query(redis_app, make_user, make_article):
    _, article = _published(redis_app, make_user, make_article)
    client = redis_app.test_client()
    for path in ("/api/articles", f"/api/articles/{article['slug']}", "/api/tags", "/api/profiles/http_author",
                 f"/api/articles/{article['slug']}/comments", f"/api/article_likes/{article['id']}"):
        first = client.get(path)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=0", path
        assert first.headers["Vary"] == PUBLIC_VARY and not first.headers["ETag"].startswith("W/")
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and query_count(again) == 0, path


def test_cdn_directives_are_configurable(redis_app, make_user, make_article):
    _published(redis_app, make_user, make_article)
    redis_app.config.update(HTTP_CACHE_S_MAXAGE=120, HTTP_CACHE_STALE_WHILE_REVALIDATE=30)
    client = redis_app.test_client()
    want = "public, max-age=0, s-maxage=120, stale-while-revalidate=30"
    assert client.get("/").headers["Cache-Control"] == want  # Flask path
    assert client.get("/").headers["Cache-Control"] == want  # WSGI fast path
    assert client.get("/api/tags").headers["Cache-Control"] == want


def test_responses_for_a_session_or_token_are_private_no_store(redis_app, make_user, make_article, rw):
    author, article = _published(redis_app, make_user, make_article)
    client = redis_app.test_client()
    login(client, author["email"])
    for path in ("/", f"/articles/{article['slug']}", "/authors/http_author", "/api/tags"):
        r = client.get(path)
        assert r.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in r.headers or path.startswith("/api"), path
    api = redis_app.test_client()
    user = api.post("/api/users", json={"user": {"username": "tokenuser", "email": "tokenuser@example.com",
                                                 "password": "a-long-password-1"}}).get_json()["user"]
    headers = {"Authorization": f"Token {user['token']}"}
    for path in ("/api/user", "/api/articles", f"/api/articles/{article['slug']}"):
        assert api.get(path, headers=headers).headers["Cache-Control"] == "private, no-store", path


def test_login_page_sends_a_well_formed_private_header(redis_app):
    r = redis_app.test_client().get("/login")
    value = r.headers["Cache-Control"]
    assert "=True" not in value
    assert {v.strip() for v in value.split(",")} >= {"private", "no-store"}
