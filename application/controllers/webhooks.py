"""POST /webhooks/<source>: signed JSON from partner machines, stored, then processed by a task.

Authentication is the HMAC only (no session, so no CSRF): header
X-Broadsheet-Signature: sha256=<hex HMAC-SHA256 of the raw body with WEBHOOK_SECRET>.
"""
import hashlib
import hmac
import json
import re

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from application.data import data_access
from application.extensions import csrf
from application.jobs import webhook_events
from application.jobs.tasks import process_webhook_delivery

from .errors import json_error

bp = Blueprint("webhooks", __name__)
SIGNATURE_HEADER = "X-Broadsheet-Signature"
SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def sign(secret: str, body: bytes) -> str:
    """The signature header value for a body (senders and tests use the same function)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _read_body(limit: int) -> bytes:
    """The raw body, or RequestEntityTooLarge past `limit` bytes."""
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    # Flask-Security's request loader may already have read (and cached) the body, bounded by the
    # app-wide MAX_CONTENT_LENGTH; otherwise this per-request limit also stops chunked bodies.
    request.max_content_length = limit
    body = request.get_data(cache=True)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    return body


@bp.post("/webhooks/<source>")
@csrf.exempt
def receive(source):
    if not SOURCE.match(source):
        return json_error(404, "unknown webhook source", "source")
    try:
        body = _read_body(current_app.config["WEBHOOK_MAX_BODY_BYTES"])
    except RequestEntityTooLarge:
        return json_error(413, f"body larger than {current_app.config['WEBHOOK_MAX_BODY_BYTES']} bytes")
    expected = sign(current_app.config["WEBHOOK_SECRET"], body)
    if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER, ""), expected):
        return json_error(401, f"missing or wrong {SIGNATURE_HEADER}", "signature")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, or absurdly deep nesting
        return json_error(400, "body is not valid JSON")
    try:
        delivery_id, event, _ = webhook_events.validate(payload)
    except webhook_events.PayloadError as exc:
        return json_error(exc.status, exc.message, exc.field)
    delivery, created = data_access.store_webhook_delivery(source, delivery_id, event, payload)
    if not created:  # a repeated delivery: acknowledged, not processed again
        return jsonify({"status": "duplicate", "delivery_id": delivery_id, "state": delivery["status"]}), 200
    task = process_webhook_delivery.delay(delivery["id"])
    return jsonify({"status": "accepted", "delivery_id": delivery_id, "task_id": task.id}), 202
