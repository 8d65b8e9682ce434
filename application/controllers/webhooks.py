"""POST /webhooks/<source>: signed JSON from partner machines, stored, then processed by a task.

Authentication is the HMAC only (no session, so no CSRF), as the big providers do it
(docs/webhooks.md): the signature covers `<timestamp>.<source>.<raw body>`, so a body
cannot be replayed to another source or, after WEBHOOK_TOLERANCE_SECONDS, at all;
within the window a repeated delivery id is acknowledged but never processed twice.
"""
import hashlib
import hmac
import json
import re
import time

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from application.data import data_access
from application.extensions import csrf
from application.jobs import webhook_events
from application.jobs.celery_app import own_task
from application.jobs.tasks import process_webhook_delivery

from .errors import json_error

bp = Blueprint("webhooks", __name__)
SIGNATURE_HEADER = "X-Broadsheet-Signature"
TIMESTAMP_HEADER = "X-Broadsheet-Timestamp"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")


def sign(secret: str, timestamp: int | str, source: str, body: bytes) -> str:
    """The signature header value for a delivery (senders and tests use the same function)."""
    signed = f"{timestamp}.{source}.".encode() + body
    return f"{SCHEME}=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_headers(secret: str, source: str, body: bytes, timestamp: int | None = None) -> dict:
    """Both headers a sender adds: timestamp (now unless given) and signature."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, source, body)}


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


def _authentication_error(source: str, body: bytes) -> tuple[str, str] | None:
    """(field, message) if the timestamp or signature is missing, stale or wrong; None if good."""
    raw = request.headers.get(TIMESTAMP_HEADER, "")
    if not TIMESTAMP.match(raw):
        return "timestamp", f"missing or malformed {TIMESTAMP_HEADER} (Unix seconds)"
    tolerance = current_app.config.get("WEBHOOK_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS)
    # Checked before the HMAC is trusted for anything, and symmetric: a clock ahead is as stale as one behind.
    if abs(time.time() - int(raw)) > tolerance:
        return "timestamp", f"{TIMESTAMP_HEADER} is more than {tolerance} seconds from our clock"
    expected = sign(current_app.config["WEBHOOK_SECRET"], raw, source, body)
    if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER, "").encode(), expected.encode()):
        return "signature", f"missing or wrong {SIGNATURE_HEADER}"
    return None


@bp.post("/webhooks/<source>")
@csrf.exempt
def receive(source):
    if not SOURCE.match(source):
        return json_error(404, "unknown webhook source", "source")
    try:
        body = _read_body(current_app.config["WEBHOOK_MAX_BODY_BYTES"])
    except RequestEntityTooLarge:
        return json_error(413, f"body larger than {current_app.config['WEBHOOK_MAX_BODY_BYTES']} bytes")
    refused = _authentication_error(source, body)
    if refused:
        return json_error(401, refused[1], refused[0])
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
    task = own_task(process_webhook_delivery).delay(delivery["id"])
    return jsonify({"status": "accepted", "delivery_id": delivery_id, "task_id": task.id}), 202
