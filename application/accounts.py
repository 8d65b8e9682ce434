"""Flask-Security-Too wiring: the user datastore, the default role on register, and login hardening.

- Login, register and logout need a CSRF token (session clients): a page on another
  origin can neither log a visitor in to an account of its choosing nor log them out.
- One generic message for a bad email or a bad password; Flask-Security hashes the
  submitted password for an unknown email, so both cost one argon2 computation.
- Logging out revokes: the account's session identity and token identity are rotated, so
  a copied session or remember cookie and every auth token issued so far stop working.
  `POST /logout` takes the session cookie (with CSRF) or a token in `Authentication-Token`
  or `Authorization: Token <t>` (the RealWorld API's header).
- A request that carries nothing Flask-Security could log in with (no session or remember
  cookie, no `Authentication-Token` header, no `auth_token` argument, no JSON body) is made
  anonymous at once instead of loading the user (no session read, no token parse), and a
  request without a session cookie opens an empty session without building its signer.
"""
from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import user_logged_out
from flask_principal import AnonymousIdentity, Principal
from flask_security import user_registered

from application import password_hashing
from application.extensions import db, security

from .data.data_access.accounts import UserDatastore
from .data.models import Role, User


def init_app(app: Flask) -> None:
    app.config.setdefault("SECURITY_RETURN_GENERIC_RESPONSES", True)
    # Only with CSRF on: Flask-Security 5.9's logout view crashes on a form without a csrf field.
    app.config.setdefault("SECURITY_LOGOUT_CSRF", app.config.get("WTF_CSRF_ENABLED", True))
    datastore = UserDatastore(db, User, Role)
    security.init_app(app, datastore)
    password_hashing.install(app)  # argon2 off the gevent hub
    user_registered.connect(_give_reader_role, app)
    user_logged_out.connect(_revoke_sessions_and_tokens, app)
    # First of all hooks: Flask-Principal's before_request already loads the current user.
    app.before_request_funcs.setdefault(None, []).insert(0, _api_token_logs_out)
    app.session_interface = CookielessSessionInterface()
    _skip_identity_for_anonymous(app)


class CookielessSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; without a session cookie there is nothing to verify, so the
    empty session is made without building the signer (Flask builds it before looking at the cookie)."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def certainly_anonymous(environ, config) -> bool:
    """Whether nothing in the request could name a user to Flask-Security's loaders (from the
    raw environ): no session/remember cookie, no token header or `auth_token` argument, no JSON body
    (it may carry `auth_token`). `Authorization: Token` is the API's own, read by its views only."""
    header = "HTTP_" + config.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "Authentication-Token").upper().replace("-", "_")
    if environ.get(header) or "json" in environ.get("CONTENT_TYPE", ""):
        return False
    query = environ.get("QUERY_STRING", "")
    if query and config.get("SECURITY_TOKEN_AUTHENTICATION_KEY", "auth_token") in query:
        return False
    cookie = environ.get("HTTP_COOKIE", "")
    if not cookie:
        return True
    names = {config.get("SESSION_COOKIE_NAME", "session"), config.get("REMEMBER_COOKIE_NAME", "remember_token")}
    return not any(part.split("=", 1)[0].strip() in names for part in cookie.split(";"))


def _skip_identity_for_anonymous(app: Flask) -> None:
    """Flask-Principal's before_request loads the user (session, remember cookie, token) on every
    request; where certainly_anonymous() holds that load can only end anonymous, so answer that
    directly. The session is still read as Flask-Login reads it, so Vary: Cookie is unchanged."""
    hooks = app.before_request_funcs[None]
    for i, hook in enumerate(hooks):
        if getattr(hook, "__func__", None) is Principal._on_before_request:
            hooks[i] = _gated(hook, app)
            return
    raise RuntimeError("Flask-Principal's before_request hook was not found")


def _gated(load_identity, app: Flask):
    manager = app.login_manager

    def identity_unless_anonymous():
        if not certainly_anonymous(request.environ, current_app.config):
            return load_identity()
        session.get("_user_id")  # what Flask-Login reads first: marks the session accessed
        g.identity = AnonymousIdentity()
        manager._update_request_context_with_user()  # current_user: the anonymous user, not loaded
        return None
    return identity_unless_anonymous


def _give_reader_role(sender, user, **extra):
    datastore = sender.extensions["security"].datastore
    role = datastore.find_or_create_role(name="reader")
    datastore.add_role_to_user(user, role)
    datastore.commit()


def _revoke_sessions_and_tokens(sender, user, **extra):
    if not isinstance(user, User):  # an anonymous "logout" has nothing to revoke
        return
    datastore = sender.extensions["security"].datastore
    datastore.set_uniquifier(user)  # session and remember cookies name fs_uniquifier
    datastore.set_token_uniquifier(user)  # auth tokens name fs_token_uniquifier
    datastore.commit()


def _api_token_logs_out() -> None:
    # RealWorld clients hold their token in `Authorization: Token <t>`; hand it to Flask-Security's
    # loader under the header it reads, so the same /logout revokes it.
    if request.endpoint != "security.logout":
        return
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    header = "HTTP_" + current_app.config["SECURITY_TOKEN_AUTHENTICATION_HEADER"].upper().replace("-", "_")
    if scheme.lower() in ("token", "bearer") and token.strip() and not request.environ.get(header):
        request.environ[header] = token.strip()
