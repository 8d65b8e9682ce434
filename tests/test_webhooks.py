"""POST /webhooks/<source>: HMAC over timestamp.source.body, a 5-minute window, stored then processed
once, replays refused, bad bodies refused."""
import json
import time

from application.controllers.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers
from application.data import data_access
from application.data.models import Article, Like, WebhookDelivery
from application.extensions import db

SECRET = "test-webhook-secret"


def _app(tmp_path, **overrides):
    from .conftest import build_app, make_config

    return build_app(make_config(tmp_path, WEBHOOK_SECRET=SECRET, WEBHOOK_MAX_BODY_BYTES=2048, **overrides))


def _send(client, payload, source="partner", secret=SECRET, body=None, headers=None, timestamp=None,
          signed_for=None):
    raw = body if body is not None else json.dumps(payload).encode()
    signed = signed_headers(secret, signed_for or source, raw, timestamp)
    return client.post(f"/webhooks/{source}", data=raw, content_type="application/json",
                       headers={**signed, **(headers or {})})


def _like(article, reader, delivery_id):
    return {"id": delivery_id, "event": "article.like",
            "data": {"article": article["slug"], "user_email": reader["email"]}}


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
    now = str(int(time.time()))
    r = client.post("/webhooks/partner", data=raw, content_type="application/json", headers={TIMESTAMP_HEADER: now})
    assert r.status_code == 401 and "signature" in r.get_json()["errors"]
    # A valid signature of another body does not fit this one.
    r = client.post("/webhooks/partner", data=raw + b" ", content_type="application/json",
                    headers={TIMESTAMP_HEADER: now, SIGNATURE_HEADER: sign(SECRET, now, "partner", raw)})
    assert r.status_code == 401
    # The old scheme (HMAC of the body alone) is refused.
    import hashlib
    import hmac

    old = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    r = client.post("/webhooks/partner", data=raw, content_type="application/json",
                    headers={TIMESTAMP_HEADER: now, SIGNATURE_HEADER: old})
    assert r.status_code == 401
    assert _deliveries(app) == []


def test_signature_binds_the_source_and_the_timestamp(tmp_path):
    app = _app(tmp_path)
    reader, article, _ = _setup(app)
    client = app.test_client()
    payload = _like(article, reader, "bind-1")
    # Signed for "partner", sent to "other-site": refused, nothing stored.
    r = _send(client, payload, source="other-site", signed_for="partner")
    assert r.status_code == 401 and "signature" in r.get_json()["errors"]
    # A signature made for one timestamp does not fit a fresher timestamp header.
    raw = json.dumps(payload).encode()
    then = int(time.time()) - 10
    headers = {TIMESTAMP_HEADER: str(then + 5), SIGNATURE_HEADER: sign(SECRET, then, "partner", raw)}
    r = client.post("/webhooks/partner", data=raw, content_type="application/json", headers=headers)
    assert r.status_code == 401
    assert _deliveries(app) == []
    assert _send(client, payload).status_code == 202


def test_timestamps_outside_five_minutes_are_refused(tmp_path):
    app = _app(tmp_path)
    reader, article, _ = _setup(app)
    client = app.test_client()
    now = int(time.time())
    # Margins of 30 s either side of the 300 s window: a slow machine must not move a case across it.
    for i, ts in enumerate((now - 330, now + 330, now - 86400 * 31)):
        r = _send(client, _like(article, reader, f"old-{i}"), timestamp=ts)
        assert r.status_code == 401, ts
        assert "timestamp" in r.get_json()["errors"]
    raw = json.dumps(_like(article, reader, "no-ts")).encode()
    for bad in ("", "soon", "-5", "1e9", "9" * 20):
        r = client.post("/webhooks/partner", data=raw, content_type="application/json",
                        headers={TIMESTAMP_HEADER: bad, SIGNATURE_HEADER: sign(SECRET, bad, "partner", raw)})
        assert r.status_code == 401 and "timestamp" in r.get_json()["errors"], bad
    assert _deliveries(app) == []
    # Inside the window, either side of our clock, is accepted.
    assert _send(client, _like(article, reader, "fresh-1"), timestamp=now - 240).status_code == 202
    assert _send(client, _like(article, reader, "fresh-2"), timestamp=now + 60).status_code == 202


def test_tolerance_is_configurable(tmp_path):
    app = _app(tmp_path, WEBHOOK_TOLERANCE_SECONDS=30)
    reader, article, _ = _setup(app)
    client = app.test_client()
    now = int(time.time())
    assert _send(client, _like(article, reader, "t-1"), timestamp=now - 60).status_code == 401
    assert _send(client, _like(article, reader, "t-2"), timestamp=now - 5).status_code == 202


def test_a_replay_inside_the_window_is_not_processed_even_after_a_purge(tmp_path):
    app = _app(tmp_path)
    reader, article, _ = _setup(app)
    client = app.test_client()
    payload = {"id": "re-1", "event": "article.like",
               "data": {"article": article["slug"], "user_email": reader["email"], "action": "like"}}
    assert _send(client, payload).status_code == 202
    unlike = {**payload, "data": {**payload["data"], "action": "unlike"}}
    assert _send(client, {**unlike, "id": "re-2"}).status_code == 202
    # The "like" delivery again (a captured request, or the sender retrying) after a zero-day purge.
    with app.app_context():
        assert data_access.purge_webhook_deliveries(0) == 0  # rows younger than the window are kept
    r = _send(client, payload)
    assert r.status_code == 200 and r.get_json()["status"] == "duplicate"
    with app.app_context():
        assert db.session.query(Like).filter_by(article_id=article["id"]).count() == 0


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
