"""Error pages: JSON ({"errors": {...}}) for the API and JSON clients, HTML otherwise."""
import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def json_error(status: int, message: str, field: str = "body"):
    return jsonify({"errors": {field: [message]}}), status


def _handle_http(exc: HTTPException):
    if wants_json():
        return json_error(exc.code or 500, exc.description or exc.name)
    return render_template("error.html", code=exc.code, name=exc.name, description=exc.description), exc.code


def _handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _handle_http(InternalServerError())


def register(app) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    if not app.debug:
        app.register_error_handler(Exception, _handle_unexpected)
