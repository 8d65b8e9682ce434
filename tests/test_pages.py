"""The public pages: index, pagination edges, article page, XSS, drafts, /hello, /healthz."""
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
