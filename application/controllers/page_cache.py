"""Whole-page caching for anonymous readers (Flask-Caching @cached).

Keys come from data_access.keys, so the writers that change a page can delete
exactly that key. Anyone logged in, anyone with pending flash messages and any
non-canonical query string bypasses the page cache (they still get pages built
from cached data), so no personal content is ever stored or served to others.
"""
import gzip

import brotli
from flask import current_app, request, session
from flask_security import current_user

from application.data.data_access import keys
from application.extensions import cache

PAGE_TIMEOUT = 60  # seconds; writers delete pages at once, this only bounds memory


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


def _credentials_sent() -> bool:
    return credentials_in(request.environ, current_app.config)


def _personal_request() -> bool:
    # No cookie and no token: anonymous, and the session is never touched (no Vary: Cookie, no work).
    if not _credentials_sent():
        return False
    return current_user.is_authenticated or "_flashes" in session


def _only_ok(response) -> bool:
    return getattr(response, "status_code", 200) == 200


def canonical_page(query_string: str) -> int | None:
    """N for an empty query or exactly `page=N` (digits, no leading zero, at most 7), else None."""
    if not query_string:
        return 1
    name, _, raw = query_string.partition("=")
    if name == "page" and raw.isdigit() and raw[0] != "0" and len(raw) <= 7:
        return int(raw)
    return None


def requested_page() -> int | None:
    """The ?page=N of this request if it is canonical (see canonical_page), else None."""
    return canonical_page(request.query_string.decode("latin-1"))


def _index_uncacheable() -> bool:
    page = requested_page()
    return _personal_request() or page is None or page > keys.max_cached_index_pages()


def _article_uncacheable() -> bool:
    return _personal_request() or bool(request.args)


cache_index_page = cache.cached(
    timeout=PAGE_TIMEOUT,
    unless=_index_uncacheable,
    make_cache_key=lambda *a, **kw: keys.index_page_key(requested_page()),
    response_filter=_only_ok,
)

cache_article_page = cache.cached(
    timeout=PAGE_TIMEOUT,
    unless=_article_uncacheable,
    make_cache_key=lambda *a, slug, **kw: keys.article_page_key(slug),
    response_filter=_only_ok,
)


def cache_page(make_key):
    """@cached for another public page (anonymous, no query string), keyed by make_key(**view_args)."""
    return cache.cached(timeout=PAGE_TIMEOUT, unless=_article_uncacheable,
                        make_cache_key=lambda *a, **kw: make_key(**kw), response_filter=_only_ok)


class AnonymousPageMiddleware:
    """WSGI fast path: an anonymous GET of a cached page is one Redis GET, before Flask builds a request.

    Reads the same Flask-Caching entries the @cached views write (same keys, so
    writers' invalidation applies), under the same rules: no cookie or token,
    a canonical query string. Anything else, or a miss, goes to Flask.
    Compressed bodies are kept per body hash, so a hot page is compressed once.
    """

    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app, self.flask_app = wsgi_app, flask_app
        self.max_pages = flask_app.config.get("CACHE_MAX_INDEX_PAGES", 50)

    def _key_for(self, environ) -> tuple[str, str] | None:
        if environ.get("REQUEST_METHOD") != "GET" or credentials_in(environ, self.flask_app.config):
            return None
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        if path == "/":
            page = canonical_page(query)
            if page is not None and page <= self.max_pages:
                return keys.index_page_key(page), "articles.index"
        elif path.startswith("/articles/") and not query:
            slug = path[len("/articles/"):]
            if slug and "/" not in slug:
                return keys.article_page_key(slug), "articles.show"
        return None

    def __call__(self, environ, start_response):
        found = self._key_for(environ)
        backend = self.flask_app.extensions.get("cache", {}).get(cache) if found else None
        body = backend.get(found[0]) if backend is not None else None
        if not isinstance(body, str):
            return self.wsgi_app(environ, start_response)
        environ["bs.endpoint"] = found[1]
        data, headers = body.encode(), [("Content-Type", "text/html; charset=utf-8"), ("Vary", "Accept-Encoding")]
        encoding = _pick_encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        if encoding:
            data = _compressed(self.flask_app, data, encoding)
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(len(data))))
        start_response("200 OK", headers)
        return [data]


def _pick_encoding(accept: str) -> str | None:
    """br, else gzip, if the Accept-Encoding header allows it (q=0 refuses)."""
    allowed = set()
    for part in accept.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = params.strip().removeprefix("q=")
        try:
            if not params or float(q) > 0:
                allowed.add(name.strip())
        except ValueError:
            continue
    return next((name for name in ("br", "gzip") if name in allowed), None)


def _compressed(app, data: bytes, encoding: str) -> bytes:
    from application.extensions import compress
    from application.static_assets import body_digest

    store = compress.cache
    key = f"{encoding};{body_digest(data)}"  # the key Flask-Compress uses for the same body
    packed = store.get(key) if store is not None else None
    if packed is None:
        if encoding == "br":
            packed = brotli.compress(data, quality=app.config.get("COMPRESS_BR_LEVEL", 4))
        else:
            packed = gzip.compress(data, compresslevel=app.config.get("COMPRESS_LEVEL", 6))
        if store is not None:
            store.set(key, packed)
    return packed
