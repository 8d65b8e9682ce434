"""Rate limits: Flask-Limiter on Redis, attached to endpoints by kind after every blueprint is registered.

| kind | endpoints | keyed by (each its own budget) |
|---|---|---|
| login | /login, /verify, POST /api/users/login | address, and the account named in the form |
| register | /register, POST /api/users | address, and the email named in the form |
| password reset | Flask-Security's forgot/reset/change password, if enabled | address, and account |
| webhooks | POST /webhooks/<source> | address, and source (deliveries that pass the signature) |
| writes | every other POST/PUT/PATCH/DELETE (articles, comments, likes, follows...) | signed-in user, else address |

Budgets are config keys (limits strings, "10 per 15 minutes"), read with app.config.get, see
DEFAULTS. A breach answers 429 with Retry-After: JSON {"errors": {"body": [...]}} for the API and
JSON clients, templates/error.html otherwise. Limits are off under TESTING unless
RATELIMIT_ENABLED says otherwise. If Redis is unreachable every limit is open (logged once per
outage) and Redis is not asked again for RATELIMIT_RETRY_AFTER_SECONDS.

A Limiter per app, not one in extensions.py: Flask-Limiter keeps its storage and the limits of
decorated views on the instance, and the tests build many apps with different settings.
"""
import functools
import hashlib
import logging
import math
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_security import current_user
from limits.storage import RedisStorage
from redis import BlockingConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import redis_db_url

log = logging.getLogger(__name__)

DEFAULTS = {
    "RATELIMIT_LOGIN_PER_IP": "30 per minute",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "10 per 15 minutes",
    "RATELIMIT_REGISTER_PER_IP": "10 per hour",
    "RATELIMIT_REGISTER_PER_ACCOUNT": "3 per hour",
    "RATELIMIT_PASSWORD_RESET_PER_IP": "10 per hour",
    "RATELIMIT_PASSWORD_RESET_PER_ACCOUNT": "5 per hour",
    "RATELIMIT_WRITES_PER_USER": "120 per minute",
    "RATELIMIT_WEBHOOKS_PER_IP": "1200 per minute",
    "RATELIMIT_WEBHOOKS_PER_SOURCE": "600 per minute",
}
REDIS_DB = 4  # after cache 0, broker 1, results 2, SSE 3
LOGIN = ("security.login", "security.verify", "realworld.login")
REGISTER = ("security.register", "realworld.register")
PASSWORD_RESET = ("security.forgot_password", "security.reset_password", "security.change_password")
WEBHOOKS = ("webhooks.receive",)
NOT_WRITES = ("security.logout", "static")  # logging out must always work
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class FailOpenRedisStorage(RedisStorage):
    """Redis storage that counts nothing while Redis is unreachable (every limit open).

    After an error Redis is skipped for `retry_after` seconds, so an outage costs one
    socket timeout per interval, not one per request; logged once per outage.
    """

    STORAGE_SCHEME = ["failopen+redis", "failopen+rediss"]

    def __init__(self, uri: str, retry_after: float = 5.0, **options):
        self.retry_after, self._down_until, self._down = float(retry_after), 0.0, False
        super().__init__(uri.removeprefix("failopen+"), **options)

    def _went_down(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.retry_after
        if not self._down:
            self._down = True
            log.warning("rate limits are OFF: Redis unreachable (%s); retrying every %.0f s", exc, self.retry_after)

    def _answered(self) -> None:
        if self._down:
            self._down = False
            log.warning("rate limits are back on: Redis answers again")


def _open_when_down(fallback):
    """Run the storage call, or return fallback() (under the limit) while Redis is down."""
    def decorate(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return fallback()
            try:
                result = method(self, *args, **kwargs)
            except self.base_exceptions as exc:
                self._went_down(exc)
                return fallback()
            self._answered()
            return result
        return guarded
    return decorate


for _name, _fallback in {
    "incr": lambda: 0, "get": lambda: 0, "get_expiry": time.time, "clear": lambda: None,
    "acquire_entry": lambda: True, "get_moving_window": lambda: (time.time(), 0),
    "acquire_sliding_window_entry": lambda: True, "get_sliding_window": lambda: (0, 0.0, 0, 0.0),
    "clear_sliding_window": lambda: None,
}.items():
    setattr(FailOpenRedisStorage, _name, _open_when_down(_fallback)(getattr(RedisStorage, _name)))


# -- keys ------------------------------------------------------------------------
def ip_key() -> str:
    return "ip:" + (get_remote_address() or "-")


def _submitted_account() -> str | None:
    """The email or username a login/register/reset form or JSON body names (normalised), if any."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if isinstance(data, dict) and isinstance(data.get("user"), dict):  # RealWorld's {"user": {...}}
        data = data["user"]
    if not hasattr(data, "get"):
        return None
    for field in ("email", "username"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            # Hashed: any input (even a lone surrogate) makes a valid key, and Redis holds no addresses.
            return hashlib.sha256(value.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return None


def account_key() -> str:
    account = _submitted_account()
    if account is None and current_user.is_authenticated:
        account = str(current_user.id)
    return f"account:{account}" if account else ip_key()


def _user_id() -> int | None:
    if request.blueprint == "realworld":
        # The RealWorld API authenticates by its own header; resolve it as its views do (cached in g).
        from application.api.realworld.common import current_user_id

        try:
            return current_user_id()
        except Exception:  # a bad token: its view answers 401 anyway
            return None
    return current_user.id if current_user.is_authenticated else None


def user_key() -> str:
    user_id = _user_id()
    return f"user:{user_id}" if user_id is not None else ip_key()


def source_key() -> str:
    return "source:" + str((request.view_args or {}).get("source", "-"))


# -- the 429 answer ----------------------------------------------------------------
def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/webhooks/")) or request.is_json:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _retry_after(limiter: Limiter) -> int:
    limit = limiter.current_limit
    try:
        reset_at = limit.window[0] if limit is not None else time.time() + 60  # (reset time, remaining)
    except Exception:  # storage gone between the hit and now
        reset_at = time.time() + 60
    return max(1, math.ceil(reset_at - time.time()))


def too_many_requests(exc: RateLimitExceeded):
    retry = _retry_after(current_app.extensions["broadsheet_limiter"])
    message = f"too many requests (limit: {exc.description}); try again in {retry} seconds"
    if _wants_json():
        response = jsonify({"errors": {"body": [message]}})
    else:
        response = current_app.make_response(render_template(
            "error.html", code=429, name="Too Many Requests", description=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(retry)
    return response


# -- wiring --------------------------------------------------------------------------
def _setting(app: Flask, name: str) -> str:
    return app.config.get(name, DEFAULTS[name])


def _limiter(app: Flask) -> Limiter:
    uri = app.config.get("RATELIMIT_STORAGE_URI") or redis_db_url(
        app.config.get("REDIS_URL", "redis://127.0.0.1:6379"), REDIS_DB)
    options = {}
    if uri.startswith(("redis://", "rediss://")):
        # Short timeouts and no retries: a dead or stalled Redis costs 0.25 s, then the breaker opens.
        # A capped pool like the app's other Redis clients; a burst waits briefly for a connection.
        pool = BlockingConnectionPool.from_url(
            uri, max_connections=app.config.get("REDIS_MAX_CONNECTIONS", 20), timeout=1.0,
            socket_timeout=0.25, socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 0))
        uri = "failopen+" + uri
        options = {"connection_pool": pool, "retry_after": app.config.get("RATELIMIT_RETRY_AFTER_SECONDS", 5),
                   "key_prefix": app.config.get("RATELIMIT_KEY_PREFIX", f"bs:{app.config.get('ENV_NAME')}:limits")}
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing)
    return Limiter(get_remote_address, app=app, storage_uri=uri, storage_options=options,
                   strategy=app.config.get("RATELIMIT_STRATEGY", "fixed-window"), swallow_errors=True,
                   headers_enabled=app.config.get("RATELIMIT_HEADERS_ENABLED", False))


def _rules(app: Flask, limiter: Limiter) -> dict:
    """endpoint kind -> the limit decorators for it."""
    def shared(setting, scope, key, methods=("POST",), **kw):
        return limiter.shared_limit(_setting(app, setting), scope=scope, key_func=key, methods=list(methods), **kw)

    return {
        "login": [shared("RATELIMIT_LOGIN_PER_IP", "login-ip", ip_key),
                  shared("RATELIMIT_LOGIN_PER_ACCOUNT", "login-account", account_key)],
        "register": [shared("RATELIMIT_REGISTER_PER_IP", "register-ip", ip_key),
                     shared("RATELIMIT_REGISTER_PER_ACCOUNT", "register-account", account_key)],
        "reset": [shared("RATELIMIT_PASSWORD_RESET_PER_IP", "reset-ip", ip_key),
                  shared("RATELIMIT_PASSWORD_RESET_PER_ACCOUNT", "reset-account", account_key)],
        "webhooks": [shared("RATELIMIT_WEBHOOKS_PER_IP", "webhooks-ip", ip_key),
                     # Only deliveries that passed the signature spend a partner's budget.
                     shared("RATELIMIT_WEBHOOKS_PER_SOURCE", "webhooks-source", source_key,
                            deduct_when=lambda response: response.status_code != 401)],
        "writes": [shared("RATELIMIT_WRITES_PER_USER", "writes", user_key, methods=sorted(WRITE_METHODS))],
    }


def _kind(endpoint: str, methods: set) -> str | None:
    for kind, endpoints in (("login", LOGIN), ("register", REGISTER), ("reset", PASSWORD_RESET),
                            ("webhooks", WEBHOOKS)):
        if endpoint in endpoints:
            return kind
    if endpoint in NOT_WRITES or endpoint.endswith(".static") or not methods & WRITE_METHODS:
        return None
    return "writes"


def _hooks_only_where_limited(app: Flask, limiter: Limiter, limited: set[str]) -> None:
    """Flask-Limiter's request hooks cost ~0.1 ms on every request, limited or not (measured on
    /hello). Every limit here sits on its view (checked by the view's wrapper), so the
    before_request check has nothing to do, and the after_request/teardown hooks (conditional
    deductions, context) only matter on limited endpoints."""
    app.before_request_funcs[None].remove(limiter._check_request_limit)

    def gate(hook):
        @functools.wraps(hook)
        def gated(arg):
            return hook(arg) if request.endpoint in limited else arg
        return gated

    after = app.after_request_funcs[None]
    after[:] = [gate(f) if getattr(getattr(f, "func", None), "__name__", "") == "__inject_headers" else f
                for f in after]
    teardown = app.teardown_request_funcs[None]
    teardown[:] = [gate(f) if getattr(f, "__self__", None) is limiter else f for f in teardown]


def init_app(app: Flask) -> None:
    """Attach the limits to every registered endpoint by kind; call after all blueprints."""
    limiter = _limiter(app)
    app.extensions["broadsheet_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    if not limiter.enabled:
        return
    rules = _rules(app, limiter)
    methods: dict[str, set] = {}
    for rule in app.url_map.iter_rules():
        methods.setdefault(rule.endpoint, set()).update(rule.methods or ())
    limited = set()
    for endpoint, endpoint_methods in methods.items():
        kind = _kind(endpoint, endpoint_methods)
        if kind is None:
            continue
        view = app.view_functions[endpoint]
        for decorate in rules[kind]:
            view = decorate(view)
        app.view_functions[endpoint] = view
        limited.add(endpoint)
    _hooks_only_where_limited(app, limiter, limited)
