"""WSGI fast path for anonymous cached API reads: GET /api/tags, /api/profiles/<u>, /api/articles/<slug>
and /api/articles?..., answered from the cache before Flask builds a request.

Profiled (pyinstrument, cProfile), a cached anonymous hit through Flask spent most of its time in
what the answer does not depend on: the request context, session and identity loading, URL
matching, the operation wrapper, the after_request hooks. Here a hit is the same cached reads
the views make (data_access.hits_only: peeks, no query, no lease), the views' own answer
functions (articles.list_answer, article_answer, users.profile_answer, comments.tags_answer) and
the headers those hooks would add: ETag, Cache-Control, Vary, Date, CORS, compression.

Anything else goes to Flask unchanged: a miss, a 404/422, a request that may belong to someone
(cookie, token, auth_token argument, JSON or any body), HEAD, conditional or range requests
(werkzeug's make_conditional and Flask-Compress answer those), `favorited=` lists (per user),
and apps configured with TRUSTED_HOSTS, SERVER_NAME or CORS origins other than "*".
tests/test_api_fast_reads.py compares the two paths' answers header by header.
"""
import hashlib

from flask import Flask
# Flask-Compress's own encoding choice and compressor, so both paths send the same bytes.
from flask_compress.flask_compress import _choose_algorithm, _compress_data
from marshmallow import ValidationError
from werkzeug.http import http_date
from werkzeug.wrappers import Request

from application import input_guard
from application.accounts import certainly_anonymous
from application.controllers.http_cache import PUBLIC_VARY, cache_control, credentials_in
from application.data import data_access
from application.extensions import compress
from application.static_assets import body_digest

from . import EXPOSE_HEADERS, articles, comments, present, schemas, users
from .common import ApiError

# Request headers that make werkzeug/Flask-Compress answer 304/412/206: left to the full path.
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE",
               "HTTP_IF_RANGE", "HTTP_RANGE")
MEMO_ENTRIES = 256  # parsed query strings and root URLs kept per process (both come from clients)


class AnonymousApiReads:
    def __init__(self, wsgi_app, flask_app: Flask):
        self.wsgi_app, self.app = wsgi_app, flask_app
        cfg = flask_app.config
        self.enabled = (cfg.get("API_FAST_READS", True) and not cfg.get("TRUSTED_HOSTS")
                        and not cfg.get("SERVER_NAME") and cfg.get("API_CORS_ORIGINS", "*") == "*")
        self.expose = ", ".join(sorted(EXPOSE_HEADERS))  # as flask-cors writes it
        compact = flask_app.json.compact if hasattr(flask_app.json, "compact") else None
        indent = (compact is None and flask_app.debug) or compact is False
        self.dump_args = {"indent": 2} if indent else {"separators": (",", ":")}  # as app.json.response()
        self._queries: dict[str, dict | None] = {}  # query string -> _query()
        self._roots: dict[tuple, str] = {}

    def __call__(self, environ, start_response):
        route = self._route(environ) if self.enabled else None
        if route is None:
            return self.wsgi_app(environ, start_response)
        endpoint, answer, args = route
        root = self._root(environ)
        if root is None:
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            token = present.url_root.set(root)
            try:
                payload = data_access.hits_only(_declining_errors(answer), *args)
            finally:
                present.url_root.reset(token)
        if payload is None:
            return self.wsgi_app(environ, start_response)
        environ["bs.endpoint"] = endpoint  # the route name the metrics and log line record
        return self._answer(environ, start_response, payload)

    # -- which requests ---------------------------------------------------------------------
    def _route(self, environ):
        if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith("/api/"):
            return None
        cfg = self.app.config
        if (any(environ.get(h) for h in CONDITIONAL) or environ.get("CONTENT_LENGTH", "0") not in ("", "0")
                or environ.get("HTTP_TRANSFER_ENCODING") or credentials_in(environ, cfg)
                or not certainly_anonymous(environ, cfg) or environ.get("HTTP_ORIGIN") == ""):
            return None
        path = environ["PATH_INFO"].encode("latin1").decode(errors="replace")  # as werkzeug decodes it
        query = self._query(environ)  # input_guard checks every argument, whatever the route
        if query is None or not input_guard.clean(path):
            return None
        if path == "/api/tags":
            return "realworld.tags", comments.tags_answer, ()
        if path == "/api/articles":
            args = query.get("filters")
            return None if args is None else ("realworld.list_articles", articles.list_answer, (args, None))
        for prefix, endpoint, answer in (("/api/articles/", "realworld.get_article", _article),
                                         ("/api/profiles/", "realworld.get_profile", _profile)):
            if path.startswith(prefix):
                name = path[len(prefix):]
                if name and "/" not in name and name != "feed":
                    return endpoint, answer, (name,)
        return None

    def _query(self, environ) -> dict | None:
        """{"filters": ArticleFilters of the query string, or None if invalid or per user}, memoised;
        None if an argument is one input_guard would reject (the full path answers that)."""
        raw = environ.get("QUERY_STRING", "")
        if raw in self._queries:
            return self._queries[raw]
        args = Request(environ).args  # parsed exactly as Flask's request.args
        found = None
        if input_guard.clean(*[text for key, values in args.lists() for text in (key, *values)]):
            try:
                filters = schemas.ArticleFilters().load(args.to_dict())
            except ValidationError:
                filters = None
            found = {"filters": None if filters is None or filters.get("favorited") is not None else filters}
        _remember(self._queries, raw, found)
        return found

    def _root(self, environ) -> str | None:
        """request.url_root without its slash, as absolute_url() uses it (memoised); None if werkzeug
        cannot make one of this Host (the full path and its error handlers answer that)."""
        key = tuple(environ.get(k) for k in ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT",
                                             "SCRIPT_NAME"))
        root = self._roots.get(key)
        if root is None:
            try:
                root = Request(environ).url_root.rstrip("/")
            except ValueError:
                return None
            _remember(self._roots, key, root)
        return root

    # -- the answer, with the headers the full path's hooks add ------------------------------
    def _answer(self, environ, start_response, payload):
        cfg = self.app.config
        body = (self.app.json.dumps(payload, **self.dump_args) + "\n").encode()
        etag = hashlib.sha1(body).hexdigest()  # werkzeug's generate_etag, as Response.add_etag()
        encoding = _choose_algorithm(compress.enabled_algorithms, environ.get("HTTP_ACCEPT_ENCODING", ""))
        if encoding is None or len(body) < cfg["COMPRESS_MIN_SIZE"] or "application/json" not in compress.compress_mimetypes_set:
            encoding = None
        else:
            body = _compressed(self.app, body, encoding)
            etag = f"{etag}:{encoding}"
        origin = environ.get("HTTP_ORIGIN")
        headers = [("Content-Type", self.app.json.mimetype), ("Content-Length", str(len(body))),
                   ("ETag", f'"{etag}"'), ("Cache-Control", cache_control(cfg)), ("Vary", PUBLIC_VARY),
                   ("Date", http_date()), ("Access-Control-Allow-Origin", origin or "*"),
                   ("Access-Control-Expose-Headers", self.expose)]
        if origin:
            headers.append(("Vary", "Origin"))
        if encoding:
            headers.append(("Content-Encoding", encoding))
        start_response("200 OK", headers)
        return [body]


def _article(slug: str):
    return articles.article_answer(slug, None, (None, set()))


def _profile(username: str):
    return users.profile_answer(username, None)


def _declining_errors(answer):
    """A 404 or 422 is the full path's to answer (its error handlers, its headers)."""
    def run(*args):
        try:
            return answer(*args)
        except ApiError:
            return None
    return run


def _compressed(app: Flask, data: bytes, encoding: str) -> bytes:
    """The body compressed as Flask-Compress would, through the same per-process cache and key
    (static_assets: the algorithm and a digest of the uncompressed body)."""
    key = f"{encoding};{body_digest(data)}"
    packed = compress.cache.get(key) if compress.cache is not None else None
    if packed is None:
        packed = _compress_data(app, data, encoding)
        if compress.cache is not None:
            compress.cache.set(key, packed)
    return packed


def _remember(memo: dict, key, value) -> None:
    if len(memo) >= MEMO_ENTRIES:
        memo.clear()  # client-chosen keys: bounded, and rebuilt cheaply
    memo[key] = value


def init_app(app: Flask) -> None:
    """Wrap app.wsgi_app (before the page cache and the security and measuring middleware, which wrap it)."""
    middleware = AnonymousApiReads(app.wsgi_app, app)
    app.extensions["bs_api_fast_reads"] = middleware
    app.wsgi_app = middleware
