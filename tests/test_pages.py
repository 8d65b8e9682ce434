"""The public pages: index, pagination edges, article page, XSS, drafts, /hello, /healthz."""
from . import factories
from .conftest import login


def test_hello_is_the_plain_framework_floor(client):
    r = client.get("/hello")
    assert r.status_code == 200 and r.data == b"World"


def test_index_lists_published_newest_first_with_authors_and_likes(client, make_user, make_article):
    author = make_user("alice", roles=("author",))
    make_article(author, title="Older piece", minutes_ago=10)
    make_article(author, title="Newer piece", minutes_ago=1)
    make_article(author, title="Secret draft", status="draft")
    make_article(author, title="Future piece", status="scheduled")
    html = client.get("/").get_data(as_text=True)
    assert html.index("Newer piece") < html.index("Older piece")
    assert "alice" in html and "likes" in html
    assert "Secret draft" not in html and "Future piece" not in html


def test_pagination_edges(app, client, make_user, make_article):
    app.config["ARTICLES_PER_PAGE"] = 2
    author = make_user(roles=("author",))
    for i in range(5):
        make_article(author, title=f"Paged {i}", minutes_ago=10 - i)
    assert "Page 1 of 3" in client.get("/").get_data(as_text=True)
    last = client.get("/?page=3").get_data(as_text=True)
    assert "Paged 0" in last and "Page 3 of 3" in last
    for bad in ("0", "4", "-1", "abc", "1.5", "99999999999999999999"):
        assert client.get(f"/?page={bad}").status_code == 404, bad


def test_empty_site_index_is_ok(client):
    r = client.get("/")
    assert r.status_code == 200 and "No articles yet" in r.get_data(as_text=True)


def test_article_page_renders_markdown_and_strips_scripts(client, make_user, make_article):
    author = make_user(roles=("author",))
    body = "# Heading\n\n<script>alert('x')</script>\n\n[link](javascript:alert(1)) <img src=x onerror=alert(2)> **bold**"
    article = make_article(author, title="Markdown test", body=body)
    html = client.get(f"/articles/{article['slug']}").get_data(as_text=True)
    assert "<h1>Heading</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>alert" not in html and "onerror" not in html and "javascript:" not in html


def test_drafts_and_scheduled_are_hidden_from_readers_but_not_authors(client, make_user, make_article):
    author = make_user("writer", roles=("author",))
    reader = make_user("reader1")
    draft = make_article(author, title="Draft one", status="draft")
    scheduled = make_article(author, title="Later one", status="scheduled")
    for art in (draft, scheduled):
        assert client.get(f"/articles/{art['slug']}").status_code == 404
    login(client, reader["email"])
    assert client.get(f"/articles/{draft['slug']}").status_code == 404
    client.post("/logout")
    login(client, author["email"])
    assert client.get(f"/articles/{draft['slug']}").status_code == 200


def test_unknown_article_is_404_html(client):
    r = client.get("/articles/no-such-thing")
    assert r.status_code == 404 and "text/html" in r.content_type


def test_healthz_reports_each_dependency(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"db": "ok", "redis": "ok", "broker": "ok"}


def test_healthz_is_503_when_redis_is_down(app, client):
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    r = client.get("/healthz")
    assert r.status_code == 503 and r.get_json()["broker"] == "down"


def test_every_response_has_server_timing_and_request_id(client):
    r = client.get("/hello", headers={"X-Request-Id": "abc-123"})
    timing = r.headers["Server-Timing"]
    assert 'db;dur=' in timing and 'queries"' in timing and "cache;dur=" in timing and "app;dur=" in timing
    assert r.headers["X-Request-Id"] == "abc-123"
    assert len(client.get("/hello").headers["X-Request-Id"]) == 22


def test_html_is_compressed_when_accepted(client, make_user, make_article):
    author = make_user(roles=("author",))
    for i in range(3):
        make_article(author, title=f"Compressed {i}")
    for enc in ("br", "gzip"):
        r = client.get("/", headers={"Accept-Encoding": enc})
        assert r.headers.get("Content-Encoding") == enc


def test_liker_sees_their_own_like_counted_at_once_on_the_page(app, client, make_user, make_article):
    author, fan = make_user(roles=("author",)), make_user()
    article = make_article(author)
    app.config["CELERY_TASK_ALWAYS_EAGER"] = False  # no aggregation has run yet
    app.extensions["celery"].conf.task_always_eager = False
    app.extensions["celery"].conf.broker_url = "redis://127.0.0.1:1/0"  # and none will: broker unreachable
    login(client, fan["email"])
    r = client.post(f"/articles/{article['slug']}/like", follow_redirects=True)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f'data-like-count="{article["id"]}">1<' in html and ">Unlike<" in html


# -- issue 12: publication pages ----------------------------------------------------------
def _timing(response) -> dict:
    import re

    header = response.headers["Server-Timing"]
    queries = int(re.search(r'db;dur=[\d.]+;desc="(\d+) queries"', header).group(1))
    hits = int(re.search(r'cache;dur=[\d.]+;desc="(\d+) hit', header).group(1))
    return {"queries": queries, "hits": hits}


def test_author_page_is_public_and_lists_only_published(client, make_user, make_article):
    author = make_user("pub.author", roles=("author",))
    make_article(author, title="Out in the open")
    make_article(author, title="Hidden draft", status="draft")
    r = client.get("/authors/pub.author")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Out in the open" in html and "Hidden draft" not in html
    assert "/login" not in r.headers.get("Location", "")
    assert client.get("/authors/nobody-by-that-name").status_code == 404


def test_author_page_is_page_cached_for_anonymous_readers_and_invalidated_exactly(redis_app, make_user, make_article):
    from application.data import data_access

    author = make_user("cached_author", roles=("author",))
    article = make_article(author, title="First headline")
    anon = redis_app.test_client()
    first = anon.get("/authors/cached_author")
    second = anon.get("/authors/cached_author")
    assert second.get_data() == first.get_data() and "First headline" in second.get_data(as_text=True)
    assert _timing(second)["queries"] == 0
    with redis_app.app_context():
        data_access.update_article(article["id"], title="Second headline")
    html = anon.get("/authors/cached_author").get_data(as_text=True)
    assert "Second headline" in html and "First headline" not in html
    with redis_app.app_context():
        data_access.update_profile(author["id"], bio="Writes about boats")
    assert "Writes about boats" in anon.get("/authors/cached_author").get_data(as_text=True)
    # Logged-in readers get their own page (drafts for the author), never the cached one.
    make_article(author, title="My own draft", status="draft")
    login(anon, author["email"])
    assert "My own draft" in anon.get("/authors/cached_author").get_data(as_text=True)


def test_log_in_to_like_carries_next_and_login_honours_it(client, make_user, make_article):
    author, reader = make_user(roles=("author",)), make_user("likes_later")
    article = make_article(author, title="Worth a like")
    path = f"/articles/{article['slug']}"
    html = client.get(path).get_data(as_text=True)
    assert f'href="/login?next={path}"' in html
    page = client.get(f"/login?next={path}").get_data(as_text=True)
    assert f'action="/login?next={path}"' in page
    r = client.post(f"/login?next={path}", data={"email": reader["email"], "password": factories.PASSWORD,
                                                 "next": path})
    assert r.status_code == 302 and r.headers["Location"].endswith(path)


def test_login_page_is_styled_with_inline_errors_and_one_message(client, make_user):
    user = make_user("inline_err")
    r = client.post("/login", data={"email": user["email"], "password": "wrong-password"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'class="alert alert-danger"' in html  # the site's alert, in the site's layout
    assert "fs-error-msg" not in html and "<h3>or</h3>" not in html  # not Flask-Security's defaults
    # One generic message, said once: a bad email and a bad password look alike (docs/security.md).
    assert html.count("identity or password/passcode invalid") == 1 and "Invalid password" not in html
    r = client.get("/articles/new", follow_redirects=True)  # "You must sign in" once, not twice
    assert r.get_data(as_text=True).count("sign in to view") <= 1


def test_register_page_is_styled_and_rerenders_with_inline_errors(client):
    r = client.post("/register", data={"email": "nope", "username": "ok_name", "password": "1",
                                       "password_confirm": "2"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Create an account" in html
    assert html.count("is-invalid") >= 2 and "bootstrap.min.css" in html


def test_password_pages_are_styled_when_enabled(tmp_path):
    from .conftest import build_app, make_config

    app = build_app(make_config(tmp_path, SECURITY_CHANGEABLE=True, SECURITY_RECOVERABLE=True,
                                SECURITY_SEND_PASSWORD_CHANGE_EMAIL=False))
    client = app.test_client()
    forgot = client.get("/reset").get_data(as_text=True)
    assert "Reset your password" in forgot and "form-control" in forgot
    assert 'href="/reset"' in client.get("/login").get_data(as_text=True)  # linked from the login page
    with app.app_context():
        user = factories.make_user("changer")
    login(client, user["email"])
    page = client.get("/change").get_data(as_text=True)
    assert "Change your password" in page and "form-control" in page
    r = client.post("/change", data={"password": factories.PASSWORD, "new_password": "x",
                                     "new_password_confirm": "y"})
    assert r.status_code == 200 and "is-invalid" in r.get_data(as_text=True)


def test_error_pages_are_in_the_sites_style(client, make_user, make_article):
    r = client.get("/no/such/page")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "navbar" in html and "find that page" in html
    assert "requested URL was not found" not in html
    reader = make_user("not_an_author")
    login(client, reader["email"])
    r = client.get("/articles/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and "open to you" in html and "You don't have the permission" not in html


def test_only_page_one_takes_live_new_articles(app, client, make_user, make_article):
    app.config["ARTICLES_PER_PAGE"] = 1
    author = make_user(roles=("author",))
    make_article(author, minutes_ago=5)
    make_article(author, minutes_ago=1)
    assert 'id="article-list" data-live' in client.get("/").get_data(as_text=True)
    page2 = client.get("/?page=2").get_data(as_text=True)
    assert 'id="article-list"' in page2 and "data-live" not in page2


def test_every_page_links_a_favicon_and_has_a_collapsing_nav(client):
    html = client.get("/").get_data(as_text=True)
    assert 'rel="icon"' in html and "favicon.svg" in html
    assert "navbar-expand-lg" in html and "navbar-toggler" in html and 'aria-controls="site-nav"' in html
    assert client.get("/static/favicon.svg").status_code == 200


def test_admin_digest_builds_today_on_demand(app, client, make_user, make_article):
    from application.data import data_access

    admin = make_user("digest_admin", roles=("admin",))
    author = make_user("digest_author", roles=("author",))
    article = make_article(author, title="Liked today")
    with app.app_context():
        data_access.like_article(admin["id"], article["id"])
        assert data_access.list_daily_digests() == []
    login(client, admin["email"])
    html = client.get("/admin/digest").get_data(as_text=True)
    assert "Liked today" in html and "No digest stored yet" not in html


def test_server_errors_and_unavailable_pages_are_kind(app):
    from flask import render_template
    from werkzeug.exceptions import InternalServerError, ServiceUnavailable, TooManyRequests

    with app.test_request_context("/"):
        for exc, kind in ((InternalServerError, "went wrong on our side"), (ServiceUnavailable, "briefly unavailable"),
                          (TooManyRequests, "Slow down")):
            html = render_template("error.html", code=exc.code, name=exc.name, description=exc.description)
            assert kind in html and exc.description not in html and "navbar" in html, exc.code
        custom = render_template("error.html", code=403, name="Forbidden", description="Only editors may do that.")
        assert "Only editors may do that." in custom


def test_an_unexpected_exception_is_a_kind_500_page(app, client):
    def boom():
        raise RuntimeError("bug")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    app.debug = False
    r = client.get("/boom-for-test")
    assert r.status_code == 500 and "went wrong on our side" in r.get_data(as_text=True)
