"""Error pages: JSON ({"errors": {...}}) for the API and JSON clients, HTML otherwise.

Degrade, never lie: with the database away every request that needs it answers
503 with Retry-After (never a 500, and never a 401 for a token that could not
be checked); cached pages keep being served before any of this runs.
"""
import logging

from flask import current_app, g, has_app_context, jsonify, render_template, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, ServiceUnavailable

from application.extensions import db

log = logging.getLogger(__name__)

DB_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def json_error(status: int, message: str, field: str = "body"):
    return jsonify({"errors": {field: [message]}}), status


def _anonymous_if_unloaded() -> None:
    # The page template reads current_user; with the database away, loading it would fail again.
    manager = getattr(current_app, "login_manager", None)
    if manager is not None and "_login_user" not in g:
        manager._update_request_context_with_user()


def _handle_http(exc: HTTPException):
    code = exc.code or 500
    if wants_json():
        response, _ = json_error(code, exc.description or exc.name)
    else:
        if code == 503:
            _anonymous_if_unloaded()
        response = current_app.make_response(
            render_template("error.html", code=code, name=exc.name, description=exc.description))
    response.status_code = code
    for name, value in exc.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


class DatabaseUnavailable(ServiceUnavailable):
    description = "The database is not answering right now. Please try again in a few seconds."

    def __init__(self):
        super().__init__(retry_after=current_app.config.get("DB_RETRY_AFTER_SECONDS", RETRY_AFTER_SECONDS))


def _handle_db_down(exc: Exception):
    log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__)
    return _handle_http(DatabaseUnavailable())


def _handle_data_error(exc: DataError):
    # The database refused a value the request carried (out of range, malformed): bad input, not a fault.
    log.warning("database refused a value on %s %s: %s", request.method, request.path, exc.orig)
    return _handle_http(BadRequest("A value in the request is out of range or malformed."))


def _handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _handle_http(InternalServerError())


# -- token and session checks hit the database: an outage there is a 503, not "logged out" -----
def _note_db_error(context) -> None:
    if has_app_context() and isinstance(context.sqlalchemy_exception, DB_UNAVAILABLE):
        g.bs_db_error = True


def _outage_aware(loader):
    """Wrap a Flask-Login loader: None because the database failed (Flask-Security swallows the
    error in its token check) becomes a 503 instead of an anonymous user."""
    def load(*args):
        g.pop("bs_db_error", None)
        try:
            user = loader(*args)
        except DB_UNAVAILABLE:
            user, g.bs_db_error = None, True
        if user is None and g.pop("bs_db_error", False):
            current_app.login_manager._update_request_context_with_user()  # anonymous from now on
            raise DatabaseUnavailable()
        return user
    return load


def _guard_login_loaders(app) -> None:
    manager = getattr(app, "login_manager", None)
    if manager is None:
        return
    if manager._user_callback is not None:
        manager._user_callback = _outage_aware(manager._user_callback)
    if manager._request_callback is not None:
        manager._request_callback = _outage_aware(manager._request_callback)


def _end_session_quietly(exc) -> None:
    # The database went mid-request: ending the session ROLLBACKs on a dead connection, which raises
    # after the answer (503) was made, and a teardown error reaches the client as a bare 500.
    try:
        db.session.remove()
    except DB_UNAVAILABLE as error:
        log.warning("database unavailable while ending the session: %s", error.__class__.__name__)
        db.session.registry.clear()


def register(app) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    for exc in DB_UNAVAILABLE:
        app.register_error_handler(exc, _handle_db_down)
    app.register_error_handler(DataError, _handle_data_error)
    if not event.contains(Engine, "handle_error", _note_db_error):
        event.listen(Engine, "handle_error", _note_db_error)
    _guard_login_loaders(app)
    app.teardown_appcontext(_end_session_quietly)  # runs before Flask-SQLAlchemy's own (reverse order)
    if not app.debug:
        app.register_error_handler(Exception, _handle_unexpected)
