"""Comments on article pages: add, delete own, errors re-render the page, exact cache invalidation, SSE events."""
from application.data import data_access
from application.data.data_access import keys

from .conftest import login, logout
from .pages_helpers import EventCapture, stored, timing


def _setup(make_user, make_article):
    author = make_user("cauthor", roles=("author",))
    reader = make_user("creader")
    article = make_article(author, title="Talk about this")
    return author, reader, article


def test_reader_adds_a_comment_and_sees_it_on_the_page(client, make_user, make_article):
    _, reader, article = _setup(make_user, make_article)
    path = f"/articles/{article['slug']}"
    assert "Log in to comment" in client.get(path).get_data(as_text=True)
    login(client, reader["email"])
    r = client.post(f"{path}/comments", data={"body": "First!\nSecond line <b>bold?</b>"})
    assert r.status_code == 302 and r.headers["Location"].startswith(path + "#comment-")
    html = client.get(path).get_data(as_text=True)
    assert "First!\nSecond line &lt;b&gt;bold?&lt;/b&gt;" in html  # escaped text, line breaks kept by CSS
    assert "Comments (<span data-comment-count>1</span>)" in html
    assert "Delete my comment" in html and 'src="/static/comments.js?v=' in html


def test_empty_or_too_long_comment_re_renders_the_article_with_a_message(client, make_user, make_article):
    _, reader, article = _setup(make_user, make_article)
    login(client, reader["email"])
    path = f"/articles/{article['slug']}"
    for body, message in (("", "Write something first."), ("   \n ", "Write something first."),
                          ("x" * 5001, "Comments are at most 5000 characters.")):
        r = client.post(f"{path}/comments", data={"body": body})
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and message in html, body[:10]
        assert "Talk about this" in html and "is-invalid" in html
    # A NUL byte never reaches the form: the edge guard (application/input_guard.py) answers it.
    r = client.post(f"{path}/comments", data={"body": "nul\x00byte"})
    assert r.status_code == 422 and "must not contain NUL characters" in r.get_data(as_text=True)
    assert "No comments yet." in client.get(path).get_data(as_text=True)


def test_comments_need_a_login_and_a_published_article(client, make_user, make_article):
    author, reader, article = _setup(make_user, make_article)
    r = client.post(f"/articles/{article['slug']}/comments", data={"body": "anonymous?"})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    draft = make_article(author, title="Not out yet", status="draft")
    login(client, reader["email"])
    assert client.post(f"/articles/{draft['slug']}/comments", data={"body": "early"}).status_code == 404
    assert client.post("/articles/no-such-article/comments", data={"body": "hello"}).status_code == 404


def test_only_the_commenter_deletes_a_comment(app, client, make_user, make_article):
    author, reader, article = _setup(make_user, make_article)
    other = make_article(author, title="Another one")
    with app.app_context():
        comment = data_access.create_comment(article["id"], reader["id"], "mine")
    delete = f"/articles/{article['slug']}/comments/{comment['id']}/delete"
    login(client, author["email"])
    r = client.post(delete)
    assert r.status_code == 403 and "only delete your own" in r.get_data(as_text=True)
    assert "Delete my comment" not in client.get(f"/articles/{article['slug']}").get_data(as_text=True)
    logout(client)
    login(client, reader["email"])
    # The comment must belong to the article in the URL.
    assert client.post(f"/articles/{other['slug']}/comments/{comment['id']}/delete").status_code == 404
    assert client.post(delete).status_code == 302
    assert client.post(delete).status_code == 404  # already gone
    with app.app_context():
        assert data_access.list_comments(article["id"]) == []


def test_comment_clears_exactly_its_article_page_and_comment_list(redis_app, make_user, make_article):
    _, reader, article = _setup(make_user, make_article)
    other = make_article(make_user("cauthor2", roles=("author",)), title="Quiet article")
    anon, user = redis_app.test_client(), redis_app.test_client()
    for a in (article, other):
        anon.get(f"/articles/{a['slug']}")
        assert timing(anon.get(f"/articles/{a['slug']}"))["queries"] == 0  # whole page cached
    assert stored(redis_app, keys.comments_key(article["id"]), keys.COMMENT_GROUPS) == []
    login(user, reader["email"])
    user.post(f"/articles/{article['slug']}/comments", data={"body": "Fresh comment"})
    assert stored(redis_app, keys.article_page_key(article["slug"]), keys.ARTICLE_GROUPS) is None
    assert stored(redis_app, keys.comments_key(article["id"]), keys.COMMENT_GROUPS) is None
    assert stored(redis_app, keys.article_page_key(other["slug"]), keys.ARTICLE_GROUPS) is not None  # untouched
    assert stored(redis_app, keys.comments_key(other["id"]), keys.COMMENT_GROUPS) == []
    assert "Fresh comment" in anon.get(f"/articles/{article['slug']}").get_data(as_text=True)
    comment_id = stored(redis_app, keys.comments_key(article["id"]), keys.COMMENT_GROUPS)[0]["id"]
    user.post(f"/articles/{article['slug']}/comments/{comment_id}/delete")
    assert stored(redis_app, keys.article_page_key(article["slug"]), keys.ARTICLE_GROUPS) is None
    assert "Fresh comment" not in anon.get(f"/articles/{article['slug']}").get_data(as_text=True)


def test_posting_and_deleting_publish_live_events(redis_app, make_user, make_article):
    _, reader, article = _setup(make_user, make_article)
    events = EventCapture(redis_app)
    try:
        client = redis_app.test_client()
        login(client, reader["email"])
        client.post(f"/articles/{article['slug']}/comments", data={"body": "Live one"})
        added = events.next("comment_added")
        assert added["article_id"] == article["id"]
        assert added["comment"]["body"] == "Live one" and added["comment"]["author"]["username"] == "creader"
        client.post(f"/articles/{article['slug']}/comments/{added['comment']['id']}/delete")
        assert events.next("comment_deleted") == {"article_id": article["id"], "comment_id": added["comment"]["id"]}
    finally:
        events.close()
