"""Whole-page caching for anonymous readers (Flask-Caching @cached).

Keys come from data_access.keys, so the writers that change a page can delete
exactly that key. Anyone logged in, anyone with pending flash messages and any
non-canonical query string bypasses the page cache (they still get pages built
from cached data), so no personal content is ever stored or served to others.
"""
from flask import current_app, request, session
from flask_security import current_user

from application.data.data_access import keys
from application.extensions import cache

PAGE_TIMEOUT = 60  # seconds; writers delete pages at once, this only bounds memory


def _credentials_sent() -> bool:
    """Whether the request could belong to someone (cookie or token), judged without loading the session."""
    cfg = current_app.config
    cookies = request.cookies
    return bool(
        cookies.get(cfg.get("SESSION_COOKIE_NAME", "session"))
        or cookies.get(cfg.get("REMEMBER_COOKIE_NAME", "remember_token"))
        or request.headers.get(cfg.get("SECURITY_TOKEN_AUTHENTICATION_HEADER", "Authentication-Token"))
        or request.headers.get("Authorization")
    )


def _personal_request() -> bool:
    # No cookie and no token: anonymous, and the session is never touched (no Vary: Cookie, no work).
    if not _credentials_sent():
        return False
    return current_user.is_authenticated or "_flashes" in session


def _only_ok(response) -> bool:
    return getattr(response, "status_code", 200) == 200


def requested_page() -> int | None:
    """The ?page=N of this request if it is canonical (digits only, nothing else), else None."""
    if not request.args:
        return 1
    raw = request.args.get("page", "")
    if len(request.args) == 1 and raw.isdigit() and raw[0] != "0" and len(raw) <= 7:
        return int(raw)
    return None


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


def serve_anonymous_hit():
    """before_request: answer an anonymous GET of a cached page with one Redis GET, before any other hook.

    Skips identity loading and CSRF setup, which an anonymous cached page does
    not need. On a miss (or anything personal) it returns None and the normal
    view, with its @cached decorator, runs.
    """
    if request.method != "GET" or _credentials_sent():
        return None
    if request.endpoint == "articles.index":
        page = requested_page()
        if page is None or page > keys.max_cached_index_pages():
            return None
        key = keys.index_page_key(page)
    elif request.endpoint == "articles.show" and not request.args:
        key = keys.article_page_key(request.view_args["slug"])
    else:
        return None
    body = cache.get(key)
    if not isinstance(body, str):
        return None
    return current_app.response_class(body, mimetype="text/html")
