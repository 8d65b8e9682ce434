"""Write/edit/schedule forms and the feedback form: validation, storage, no half-writes."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from application.data.models import Article, Feedback
from application.extensions import db

from .conftest import login


def _future(hours=2) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _articles(app):
    with app.app_context():
        return db.session.scalars(select(Article)).all()


def test_author_writes_and_publishes_an_article(app, client, make_user):
    author = make_user("writer", roles=("author",))
    login(client, author["email"])
    r = client.post("/articles/new", data={"title": "Hello world", "body": "**Hi**", "status": "published",
                                           "tags": "news, Tech"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/articles/hello-world")
    page = client.get("/articles/hello-world").get_data(as_text=True)
    assert "<strong>Hi</strong>" in page and "news" in page and "tech" in page
    assert "Hello world" in client.get("/").get_data(as_text=True)


def test_same_title_gets_a_unique_slug(app, client, make_user):
    author = make_user(roles=("author",))
    login(client, author["email"])
    for _ in range(2):
        client.post("/articles/new", data={"title": "Same", "body": "b", "status": "published"})
    assert sorted(a.slug for a in _articles(app)) == ["same", "same-2"]


def test_missing_fields_rerender_the_form_with_messages_and_save_nothing(app, client, make_user):
    author = make_user(roles=("author",))
    login(client, author["email"])
    r = client.post("/articles/new", data={"title": "", "body": "", "status": "published"})
    assert r.status_code == 422
    assert r.get_data(as_text=True).count("This field is required") == 2
    assert _articles(app) == []


def test_bad_status_and_bad_dates_are_validation_errors(app, client, make_user):
    author = make_user(roles=("author",))
    login(client, author["email"])
    r = client.post("/articles/new", data={"title": "t", "body": "b", "status": "bogus"})
    assert r.status_code == 422 and "Not a valid choice" in r.get_data(as_text=True)
    r = client.post("/articles/new", data={"title": "t", "body": "b", "status": "scheduled"})
    assert r.status_code == 422 and "needs a publish time" in r.get_data(as_text=True)
    r = client.post("/articles/new", data={"title": "t", "body": "b", "status": "scheduled",
                                           "publish_at": "2001-01-01T00:00"})
    assert r.status_code == 422 and "must be in the future" in r.get_data(as_text=True)
    r = client.post("/articles/new", data={"title": "t", "body": "b", "status": "scheduled", "publish_at": "soon"})
    assert r.status_code == 422
    assert _articles(app) == []


def test_scheduling_keeps_an_article_off_the_index(app, client, make_user):
    author = make_user(roles=("author",))
    login(client, author["email"])
    r = client.post("/articles/new", data={"title": "Tomorrow", "body": "b", "status": "scheduled",
                                           "publish_at": _future()}, follow_redirects=True)
    assert r.status_code == 200 and "Saved “Tomorrow” (scheduled)" in r.get_data(as_text=True)
    [article] = _articles(app)
    assert article.status == "scheduled" and article.publish_at is not None
    client.post("/logout")
    assert "Tomorrow" not in client.get("/").get_data(as_text=True)


def test_edit_updates_title_and_body_and_keeps_the_slug(app, client, make_user, make_article):
    author = make_user(roles=("author",))
    article = make_article(author, title="First title")
    login(client, author["email"])
    form = client.get(f"/articles/{article['slug']}/edit").get_data(as_text=True)
    assert "First title" in form
    r = client.post(f"/articles/{article['slug']}/edit", data={"title": "Second title", "body": "new body",
                                                               "status": "published"})
    assert r.status_code == 302
    page = client.get(f"/articles/{article['slug']}").get_data(as_text=True)
    assert "Second title" in page and "new body" in page


def test_edit_with_errors_changes_nothing(app, client, make_user, make_article):
    author = make_user(roles=("author",))
    article = make_article(author, title="Keep me", body="original")
    login(client, author["email"])
    r = client.post(f"/articles/{article['slug']}/edit", data={"title": "", "body": "changed", "status": "published"})
    assert r.status_code == 422
    with app.app_context():
        stored = db.session.get(Article, article["id"])
        assert (stored.title, stored.body) == ("Keep me", "original")


def test_feedback_is_validated_and_stored(app, client):
    r = client.post("/feedback", data={"name": "", "email": "nope", "message": "hi"})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "This field is required" in text and "Invalid email address" in text
    assert "Field must be between 5 and 5000 characters long" in text
    r = client.post("/feedback", data={"name": "Ann", "email": "ann@example.com", "message": "Great site!"})
    assert r.status_code == 302
    assert "Thank you" in client.get("/feedback").get_data(as_text=True)
    with app.app_context():
        [item] = db.session.scalars(select(Feedback)).all()
        assert (item.name, item.email, item.message) == ("Ann", "ann@example.com", "Great site!")


def test_oversized_body_is_413_not_500(client, make_user):
    r = client.post("/feedback", data={"name": "x", "email": "x@example.com", "message": "y" * (2 * 1024 * 1024)})
    assert r.status_code == 413
