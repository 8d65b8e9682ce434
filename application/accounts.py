"""Flask-Security-Too wiring: the user datastore, the default role on register, and login hardening.

- Login, register and logout need a CSRF token (session clients): a page on another
  origin can neither log a visitor in to an account of its choosing nor log them out.
- One generic message for a bad email or a bad password; Flask-Security hashes the
  submitted password for an unknown email, so both cost one argon2 computation.
- Logging out revokes: the account's session identity and token identity are rotated, so
  a copied session or remember cookie and every auth token issued so far stop working.
  `POST /logout` takes the session cookie (with CSRF) or a token in `Authentication-Token`
  or `Authorization: Token <t>` (the RealWorld API's header).
"""
from flask import Flask, current_app, request
from flask_login import user_logged_out
from flask_security import SQLAlchemyUserDatastore, user_registered

from application import password_hashing
from application.extensions import db, security

from .data.models import Role, User


def init_app(app: Flask) -> None:
    app.config.setdefault("SECURITY_RETURN_GENERIC_RESPONSES", True)
    # Only with CSRF on: Flask-Security 5.9's logout view crashes on a form without a csrf field.
    app.config.setdefault("SECURITY_LOGOUT_CSRF", app.config.get("WTF_CSRF_ENABLED", True))
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(app, datastore)
    password_hashing.install(app)  # argon2 off the gevent hub
    user_registered.connect(_give_reader_role, app)
    user_logged_out.connect(_revoke_sessions_and_tokens, app)
    # First of all hooks: Flask-Principal's before_request already loads the current user.
    app.before_request_funcs.setdefault(None, []).insert(0, _api_token_logs_out)


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
