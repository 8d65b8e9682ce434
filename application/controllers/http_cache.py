"""HTTP caching headers, the same on the WSGI fast path and the Flask path.

- Anonymous cacheable answers (the index and article pages, the JSON API's GETs) carry a
  strong ETag and `Cache-Control: public, max-age=0` (browsers revalidate and get a 304),
  plus `s-maxage` and `stale-while-revalidate` for a CDN when HTTP_CACHE_S_MAXAGE > 0.
- Anything made for a session or a token (a cookie or token was sent, the session was
  changed, or a cookie is set) is `private, no-store`.
- Vary is PUBLIC_VARY on both paths for cacheable answers: the body depends on them.
"""
from flask import current_app, request, session

PUBLIC_VARY = "Accept-Encoding, Cookie, Authorization"
PRIVATE = "private, no-store"
CACHEABLE_ENDPOINTS = {"articles.index", "articles.show", "api.get_article_likes"}


def credentials_in(environ, config) -> bool:
    """Whether the request could belong to someone (a session/remember cookie or a token), from the raw environ."""
    token_header = "HTTP_" + config.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "Authentication-Token").upper().replace("-", "_")
    if environ.get(token_header) or environ.get("HTTP_AUTHORIZATION"):
        return True
    cookie = environ.get("HTTP_COOKIE", "")
    if not cookie:
        return False
    names = {config.get("SESSION_COOKIE_NAME", "session"), config.get("REMEMBER_COOKIE_NAME", "remember_token")}
    return any(part.split("=", 1)[0].strip() in names for part in cookie.split(";"))


def cache_control(config) -> str:
    """The Cache-Control of anonymous cacheable answers (CDN directives only when configured)."""
    s_maxage = int(config.get("HTTP_CACHE_S_MAXAGE", 0) or 0)
    if s_maxage <= 0:
        return "public, max-age=0"
    swr = int(config.get("HTTP_CACHE_STALE_WHILE_REVALIDATE", 0) or 0)
    return f"public, max-age=0, s-maxage={s_maxage}" + (f", stale-while-revalidate={swr}" if swr > 0 else "")


def public_headers(etag: str, encoding: str | None = None, config=None) -> dict:
    """ETag (":br"/":gzip" per encoding, as Flask-Compress marks it), Cache-Control and Vary."""
    tag = f"{etag}:{encoding}" if encoding else etag
    return {"ETag": f'"{tag}"', "Cache-Control": cache_control(config or current_app.config), "Vary": PUBLIC_VARY}


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names this body (in any of its encodings) or is `*`."""
    if not if_none_match:
        return False
    for part in if_none_match.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        if tag == "*" or tag.split(":", 1)[0] == etag:
            return True
    return False


def _cacheable() -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    return request.endpoint in CACHEABLE_ENDPOINTS or (request.blueprint == "realworld")


def _personal(response) -> bool:
    # An empty session that was only read (e.g. by the login manager) makes nothing personal.
    return credentials_in(request.environ, current_app.config) or session.modified or "Set-Cookie" in response.headers


def _after_request(response):
    if _personal(response):
        response.headers["Cache-Control"] = PRIVATE
        return response
    if response.status_code != 200 or not _cacheable() or response.is_streamed:
        return response
    if response.get_etag()[0] is None:
        response.add_etag()
    response.headers["Cache-Control"] = cache_control(current_app.config)
    response.headers["Vary"] = PUBLIC_VARY
    return response.make_conditional(request)


def init_app(app) -> None:
    """Register the header hook (after Flask-Compress, so it runs before it and sees the plain body)."""
    app.after_request(_after_request)
