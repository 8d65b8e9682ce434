"""POST /webhooks/<source>: HMAC signature, stored then processed once, bad bodies refused."""
import json

from application.controllers.webhooks import SIGNATURE_HEADER, sign
from application.data.models import Article, Like, WebhookDelivery
from application.extensions import db

SECRET = "test-webhook-secret"


def _app(tmp_path, **overrides):
    from .conftest import build_app, make_config

    return build_app(make_config(tmp_path, WEBHOOK_SECRET=SECRET, WEBHOOK_MAX_BODY_BYTES=2048, **overrides))


def _send(client, payload, source="partner", secret=SECRET, body=None, headers=None):
    raw = body if body is not None else json.dumps(payload).encode()
    return client.post(f"/webhooks/{source}", data=raw, content_type="application/json",
                       headers={SIGNATURE_HEADER: sign(secret, raw), **(headers or {})})


def _setup(app):
    from . import factories

    with app.app_context():
        author = factories.make_user("hookauthor", roles=("author",))
        reader = factories.make_user("hookreader")
        published = factories.make_article(author, title="Hooked")
        draft = factories.make_article(author, title="Draft one", status="draft")
    return reader, published, draft


def _deliveries(app):
    with app.app_context():
        return [(d.delivery_id, d.status, d.attempts) for d in db.session.query(WebhookDelivery).order_by("id")]


def test_signed_like_is_stored_processed_once_and_replays_ignored(tmp_path):
    app = _app(tmp_path)
    reader, article, _ = _setup(app)
    client = app.test_client()
    payload = {"id": "d-1", "event": "article.like",
               "data": {"article": article["slug"], "user_email": reader["email"]}}
    first = _send(client, payload)
    assert first.status_code == 202, first.get_json()
    assert first.get_json()["status"] == "accepted" and first.get_json()["task_id"]
    replay = _send(client, payload)
    assert replay.status_code == 200
    assert replay.get_json() == {"status": "duplicate", "delivery_id": "d-1", "state": "processed"}
    assert _deliveries(app) == [("d-1", "processed", 1)]
    with app.app_context():
        assert db.session.query(Like).filter_by(article_id=article["id"]).count() == 1
        assert db.session.get(Article, article["id"]).like_count == 1
    # Same id from another source is another delivery.
    assert _send(client, payload, source="other-site").status_code == 202


def test_publish_event_publishes_a_draft(tmp_path):
    app = _app(tmp_path)
    _, _, draft = _setup(app)
    client = app.test_client()
    r = _send(client, {"id": "pub-1", "event": "article.publish", "data": {"article": draft["id"]}})
    assert r.status_code == 202, r.get_json()
    with app.app_context():
        assert db.session.get(Article, draft["id"]).status == "published"
    assert client.get(f"/articles/{draft['slug']}").status_code == 200


def test_bad_or_missing_signature_is_401(tmp_path):
    app = _app(tmp_path)
    client = app.test_client()
    payload = {"id": "x", "event": "article.like", "data": {}}
    assert _send(client, payload, secret="wrong").status_code == 401
    raw = json.dumps(payload).encode()
    r = client.post("/webhooks/partner", data=raw, content_type="application/json")
    assert r.status_code == 401 and "signature" in r.get_json()["errors"]
    # A valid signature of another body does not fit this one.
    r = client.post("/webhooks/partner", data=raw + b" ", content_type="application/json",
                    headers={SIGNATURE_HEADER: sign(SECRET, raw)})
    assert r.status_code == 401
    assert _deliveries(app) == []


def test_bad_bodies_are_400_or_422_and_not_stored(tmp_path):
    app = _app(tmp_path)
    reader, article, draft = _setup(app)
    client = app.test_client()
    assert _send(client, None, body=b"{not json").status_code == 400
    assert _send(client, None, body=b"\xff\xfe").status_code == 400
    assert _send(client, None, body=b"[1, 2]").status_code == 400
    cases = [
        ({"event": "article.like", "data": {}}, "id"),
        ({"id": "a b", "event": "article.like", "data": {}}, "id"),
        ({"id": "u1", "event": "article.delete", "data": {}}, "event"),
        ({"id": "u2", "event": "article.like", "data": "x"}, "data"),
        ({"id": "u3", "event": "article.like", "data": {"article": 99999, "user_email": reader["email"]}},
         "data.article"),
        ({"id": "u4", "event": "article.like", "data": {"article": draft["slug"], "user_email": reader["email"]}},
         "data.article"),
        ({"id": "u5", "event": "article.like", "data": {"article": article["id"], "user_email": "no@x.org"}},
         "data.user_email"),
        ({"id": "u6", "event": "article.publish", "data": {"article": "nope"}}, "data.article"),
        ({"id": "u7", "event": "article.publish", "data": {"article": draft["id"], "publish_at": "soon"}},
         "data.publish_at"),
    ]
    for payload, field in cases:
        r = _send(client, payload)
        assert r.status_code == 422, (payload, r.status_code)
        assert field in r.get_json()["errors"], (payload, r.get_json())
    assert _send(client, {"id": "s", "event": "article.like", "data": {}}, source="Bad Source!").status_code == 404
    assert _deliveries(app) == []


def test_oversized_body_is_413(tmp_path):
    app = _app(tmp_path)
    client = app.test_client()
    payload = {"id": "big", "event": "article.like", "data": {"pad": "x" * 4096}}
    r = _send(client, payload)
    assert r.status_code == 413 and r.is_json
    assert _deliveries(app) == []
