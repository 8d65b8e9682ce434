"""Whole pages for anonymous readers, through the guarded store (leases, one flight per page).

A page is cached under a key from data_access.keys, with the groups of the data it shows,
so the writers' invalidation reaches it and a page rendered from data a writer has since
replaced is never stored (data_access/store.py). Only the parts of the URL that change the
page make the key: unknown query parameters are ignored, `?page=01` is page 1, and index
pages past CACHE_MAX_INDEX_PAGES are rendered but not stored. A non-200 answer (a page past
the end, a missing article) is never stored: only a brief "absent" marker (store.ABSENT_SECONDS,
revoked like the page) that sends concurrent readers to render it themselves from cached data.

Anyone logged in, or with pending flash messages, gets a page built for them (from cached
data) and never a stored page. The WSGI middleware answers a stored page (GET or HEAD, with
its ETag and a 304 for a matching If-None-Match) before Flask builds a request.
"""
import functools
import gzip
import hashlib
from urllib.parse import parse_qs

import brotli
from flask import current_app, make_response, request, session
from flask_security import current_user
from werkzeug.exceptions import HTTPException

from application.data import data_access
from application.data.data_access import keys, local_tier, store
from application.extensions import cache

from .http_cache import PUBLIC_VARY, credentials_in, etag_matches, public_headers  # noqa: F401 (credentials_in re-exported)

PAGE_TIMEOUT = 300  # seconds; writers revoke pages at once, this only bounds memory


def _personal_request() -> bool:
    # No cookie and no token: anonymous, and the session is never touched (no Vary: Cookie, no work).
    if not credentials_in(request.environ, current_app.config):
        return False
    return current_user.is_authenticated or "_flashes" in session


def page_number(raw: str | None) -> int | None:
    """The index page a `page` parameter asks for: absent is 1, `01` is 1; None if not a page number."""
    if raw is None or raw == "":
        return 1
    raw = raw.strip()
    if not raw.isdigit() or not raw.isascii() or len(raw) > 7 or int(raw) == 0:
        return None
    return int(raw)


def canonical_page(query_string: str) -> int | None:
    """The page number of a raw query string (other parameters ignored), or None if it names no page."""
    values = parse_qs(query_string, keep_blank_values=True).get("page")
    return page_number(values[0] if values else None)


def requested_page() -> int | None:
    """The page number this request asks for (see page_number), or None."""
    return page_number(request.args.get("page"))


def _entry(response, status: int = 200) -> dict:
    body = response.get_data(as_text=True)
    return {"body": body, "etag": hashlib.blake2b(body.encode(), digest_size=12).hexdigest(), "status": status}


def _serve(entry: dict):
    response = make_response(entry["body"], entry.get("status", 200))
    if response.status_code != 200:
        response.headers["Cache-Control"] = "public, max-age=0"
        return response
    response.headers.update(public_headers(entry["etag"]))
    if etag_matches(request.headers.get("If-None-Match", ""), entry["etag"]):
        return _not_modified(response)
    return response


def _not_modified(response):
    response.status_code = 304
    response.set_data(b"")
    response.headers.pop("Content-Type", None)
    return response


def _cached_page(key_for, groups, keep_not_found: bool = False):
    """Serve the view's page from the store for anonymous readers.

    key_for(**view_args) -> a key, (key, groups), or None (not stored: the view answers).

    keep_not_found: a 404 is kept briefly too (a missing article: revoked when the slug comes to
    exist), so a burst for a missing slug is answered like a hit.
    """
    def decorate(view):
        @functools.wraps(view)
        def wrapper(**kwargs):
            key = None if _personal_request() else key_for(**kwargs)
            if key is None:
                return view(**kwargs)
            key, page_groups = key if isinstance(key, tuple) else (key, groups)
            answered = []

            def render():
                try:
                    response = make_response(view(**kwargs))
                except HTTPException as exc:  # abort(404): the site's error page, as Flask would answer
                    response = make_response(current_app.handle_http_exception(exc))
                if response.status_code == 404 and keep_not_found:
                    return store.Brief(_entry(response, 404))
                if response.status_code != 200:
                    # Not stored: "absent" (None, kept briefly) sends concurrent readers to
                    # render their own from cached data instead of queueing behind the lease.
                    answered.append(response)
                    return None
                return _entry(response)
            found = store.read(key, render, page_groups, PAGE_TIMEOUT)
            if found is None:
                return answered[0] if answered else view(**kwargs)
            return _serve(found)
        return wrapper
    return decorate


def _index_key(**_):
    page = requested_page()
    if page is None or page > keys.max_cached_index_pages():
        return None
    return keys.index_page_key(page)


cache_index_page = _cached_page(_index_key, keys.INDEX_GROUPS)
def _author_key(username, **_):
    # The author's own generation (bumped by any change to their articles) is part of the
    # page's groups, so the profile is looked up first (a cached read; None for nobody: 404).
    author = data_access.get_author(username)
    if author is None:
        return None
    return keys.author_page_key(username), (*keys.ARTICLE_GROUPS, keys.author_group(author["id"]))


cache_author_page = _cached_page(_author_key, keys.ARTICLE_GROUPS)
cache_article_page = _cached_page(lambda slug, **_: keys.article_page_key(slug), keys.ARTICLE_GROUPS,
                                  keep_not_found=True)


class AnonymousPageMiddleware:
    """WSGI fast path: an anonymous GET/HEAD of a stored page is one Redis MGET, before Flask.

    Same keys, groups and rules as the views above (no cookie or token; only `page` counts in
    the query string), so the writers' invalidation applies. A miss goes to Flask.
    A page in this process's tier (data_access/local_tier.py) costs no Redis call at all, and
    keeps its encoded body and its br/gzip bodies with it; otherwise compressed bodies are
    kept per body hash, so a hot page is compressed once.
    The first request through here starts the tier's subscriber: only web processes do.
    """

    def __init__(self, wsgi_app, flask_app):
        self.wsgi_app, self.flask_app = wsgi_app, flask_app
        self.max_pages = flask_app.config.get("CACHE_MAX_INDEX_PAGES", 50)
        self.backend = flask_app.extensions.get("cache", {}).get(cache)
        self.tier = local_tier.of(self.backend)

    def _key_for(self, environ):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or credentials_in(environ, self.flask_app.config):
            return None
        path = environ.get("PATH_INFO", "")
        if path == "/":
            page = canonical_page(environ.get("QUERY_STRING", ""))
            if page is not None and page <= self.max_pages:
                return keys.index_page_key(page), keys.INDEX_GROUPS, "articles.index"
        elif path.startswith("/articles/"):
            slug = path[len("/articles/"):]
            if slug and "/" not in slug:
                return keys.article_page_key(slug), keys.ARTICLE_GROUPS, "articles.show"
        return None

    def __call__(self, environ, start_response):
        if self.tier is not None and self.tier.pid is None:
            self.tier.start()
        found = self._key_for(environ)
        if found is None:
            return self.wsgi_app(environ, start_response)
        hit, entry, local = store.peek_shared(found[0], found[1], self.backend)
        if not hit or not isinstance(entry, dict):
            return self.wsgi_app(environ, start_response)
        environ["bs.endpoint"] = found[2]
        return self._answer(environ, start_response, entry, local)

    def _answer(self, environ, start_response, entry, local=None):
        cfg = self.flask_app.config
        status = entry.get("status", 200)
        headers = [("Content-Type", "text/html; charset=utf-8")]
        encode = entry["body"].encode
        data = local.variant("identity", encode) if local is not None else encode()
        encoding = _pick_encoding(environ.get("HTTP_ACCEPT_ENCODING", ""))
        if encoding and len(data) >= cfg.get("COMPRESS_MIN_SIZE", 500):
            def pack(raw=data, encoding=encoding):
                return _compressed(self.flask_app, raw, encoding)
            data = local.variant(encoding, pack) if local is not None else pack()
            headers.append(("Content-Encoding", encoding))
        else:
            encoding = None
        if status != 200:  # a briefly kept 404: no validator
            headers += [("Cache-Control", "public, max-age=0"), ("Vary", PUBLIC_VARY)]
        else:
            headers += list(public_headers(entry["etag"], encoding, cfg).items())
            if etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), entry["etag"]):
                start_response("304 Not Modified",
                               [h for h in headers if h[0] not in ("Content-Type", "Content-Encoding")])
                return [b""]
        headers.append(("Content-Length", str(len(data))))
        start_response("200 OK" if status == 200 else "404 NOT FOUND", headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [data]


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

    packed_cache = compress.cache
    key = f"{encoding};{body_digest(data)}"  # the key Flask-Compress uses for the same body
    packed = packed_cache.get(key) if packed_cache is not None else None
    if packed is None:
        if encoding == "br":
            packed = brotli.compress(data, quality=app.config.get("COMPRESS_BR_LEVEL", 4))
        else:
            packed = gzip.compress(data, compresslevel=app.config.get("COMPRESS_LEVEL", 6))
        if packed_cache is not None:
            packed_cache.set(key, packed)
    return packed


class FragmentCache:
    """The `{% cache %}` tag's store, guarded like everything else: a miss takes the lease, the set uses it."""

    def __init__(self, app):
        self.app = app

    def get(self, key):
        hit, value = store.peek("fragment:" + key)
        if hit:
            return value
        lease = store.take_lease("fragment:" + key)
        if lease is not None:
            store.remember(key, lease)
        return None  # no lease: render without storing

    def set(self, key, value, timeout=None):
        lease = store.forget(key)
        if lease is None:
            return False
        try:
            return lease.store(value, timeout or PAGE_TIMEOUT)
        finally:
            lease.release()

    def delete(self, key):
        return None  # fragments are cleared by data_access.invalidate only


def init_app(app) -> None:
    """The fragment store for templates, the HTTP caching headers, the in-process tier and the WSGI fast path (innermost)."""
    from . import http_cache

    app.jinja_env._template_fragment_cache = FragmentCache(app)
    http_cache.init_app(app)
    local_tier.init_app(app, app.extensions.get("cache", {}).get(cache))
    app.wsgi_app = AnonymousPageMiddleware(app.wsgi_app, app)
