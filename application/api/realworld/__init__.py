"""RealWorld (Conduit) JSON API under /api, on the same users, articles, likes and caches as the pages.

init_app registers the blueprint, CORS for browser front ends, the CSRF exemption
(token-only auth: session cookies are never read here) and the hook that makes a
password change on the pages invalidate API tokens.
"""
from flask import Blueprint, Flask
from flask_cors import CORS
from flask_security import password_changed

bp = Blueprint("realworld", __name__)
EXPOSE_HEADERS = ["Server-Timing", "X-Request-Id"]  # what a browser front end on another origin may read

from . import articles, comments, openapi, users  # noqa: E402,F401  (routes register on bp)
from .common import ApiError, handle_api_error  # noqa: E402

bp.register_error_handler(ApiError, handle_api_error)


def _rotate_token_identity(sender, user, **extra) -> None:
    from application.data import data_access

    data_access.rotate_token_identity(user.id)


def init_app(app: Flask) -> None:
    from application.extensions import csrf

    app.register_blueprint(bp, url_prefix="/api")
    csrf.exempt(bp)
    # Browser front ends on another origin send Authorization: no cookies, so no credentials mode.
    CORS(app, resources={r"/api/*": {"origins": app.config.get("API_CORS_ORIGINS", "*")}},
         allow_headers=["Authorization", "Content-Type", "X-Request-Id"], expose_headers=EXPOSE_HEADERS,
         methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"], max_age=600)
    password_changed.connect(_rotate_token_identity, app)
