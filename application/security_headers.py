"""Security headers and cookie flags on every response, set once at the WSGI level.

A WSGI wrapper rather than an after_request hook, so pages the anonymous page cache answers
before Flask runs (controllers/page_cache.py) carry exactly the same headers. It sits inside
ProxyFix (if enabled), so wsgi.url_scheme already says whether the client used HTTPS.

- Content-Security-Policy: scripts, styles and fonts only from our own static/ (no inline
  script or style anywhere in templates/), nothing may frame us, forms post only to us.
- X-Content-Type-Options, X-Frame-Options (for browsers without frame-ancestors), Referrer-Policy.
- Strict-Transport-Security on HTTPS responses when HSTS_SECONDS > 0 (default: stage/production).
- Every Set-Cookie gets SameSite=Lax if it names none, and Secure when SESSION_COOKIE_SECURE.
"""
from datetime import timedelta

from flask import Flask

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Flask-DebugToolbar (development only) injects inline script and style.
DEBUG_TOOLBAR_CSP = STRICT_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'")
REMEMBER_ME_MAX = timedelta(days=30)
HSTS_DEFAULT_SECONDS = 365 * 24 * 3600


def _default_csp(app: Flask) -> str:
    toolbar = app.config.get("ENV_NAME") == "development" and app.config.get("DEBUG_TB_ENABLED") and not app.testing
    return DEBUG_TOOLBAR_CSP if toolbar else STRICT_CSP


def headers_for(app: Flask) -> list[tuple[str, str]]:
    """The fixed headers every response gets (HSTS is added per request, on HTTPS only)."""
    return [
        ("Content-Security-Policy", app.config.get("CONTENT_SECURITY_POLICY") or _default_csp(app)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", app.config.get("REFERRER_POLICY", "strict-origin-when-cross-origin")),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]


def harden_cookie(value: str, secure: bool) -> str:
    """A Set-Cookie value with SameSite=Lax unless it names a SameSite, and Secure if asked."""
    attributes = {part.strip().split("=", 1)[0].lower() for part in value.split(";")[1:]}
    if "samesite" not in attributes:
        value += "; SameSite=Lax"
    if secure and "secure" not in attributes:
        value += "; Secure"
    return value


class SecurityHeadersMiddleware:
    """Adds the security headers (unless the response set its own) and hardens every cookie."""

    def __init__(self, wsgi_app, flask_app: Flask):
        self.wsgi_app = wsgi_app
        self.fixed = headers_for(flask_app)
        self.secure_cookies = bool(flask_app.config.get("SESSION_COOKIE_SECURE"))
        default_hsts = HSTS_DEFAULT_SECONDS if flask_app.config.get("ENV_NAME") in ("stage", "production") else 0
        seconds = int(flask_app.config.get("HSTS_SECONDS", default_hsts))
        self.hsts = f"max-age={seconds}; includeSubDomains" if seconds > 0 else None

    def __call__(self, environ, start_response):
        https = environ.get("wsgi.url_scheme") == "https"

        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            out = [(n, harden_cookie(v, self.secure_cookies)) if n.lower() == "set-cookie" else (n, v)
                   for n, v in headers]
            out += [(n, v) for n, v in self.fixed if n.lower() not in present]
            if https and self.hsts and "strict-transport-security" not in present:
                out.append(("Strict-Transport-Security", self.hsts))
            return start_response(status, out, exc_info)

        return self.wsgi_app(environ, start)


def _configure_cookies(app: Flask) -> None:
    config = app.config
    # Flask's own default for SESSION_COOKIE_SAMESITE is None (no attribute): treat that as unset.
    if not config.get("SESSION_COOKIE_SAMESITE"):
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    config.setdefault("REMEMBER_COOKIE_SECURE", bool(config.get("SESSION_COOKIE_SECURE")))
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    # Flask-Login's default is 365 days; a stolen remember cookie must not outlive a month.
    duration = config.get("REMEMBER_COOKIE_DURATION") or REMEMBER_ME_MAX
    if not isinstance(duration, timedelta):
        duration = timedelta(seconds=int(duration))
    config["REMEMBER_COOKIE_DURATION"] = min(duration, REMEMBER_ME_MAX)


def init_app(app: Flask) -> None:
    """Cookie flags in config, and the header middleware around the WSGI app as it is now."""
    _configure_cookies(app)
    app.wsgi_app = SecurityHeadersMiddleware(app.wsgi_app, app)
