"""The product as the benchmark serves it: production settings, its own Redis DBs and key prefix.

BENCH_VARIANT picks one of: full (the product + the naive page + a cold-cache
hook), nocache (NullCache: every page built from the database), noinstr
(instrumentation off, to measure its overhead on /hello), inline-hash (password
hashing back on the gevent hub, as before application/password_hashing.py: the
login-stall "before" figure).
"""
import os

from application import create_app
from application.config import ProductionConfig
from application.controllers.page_cache import canonical_page
from application.data.data_access import invalidate

VARIANT = os.environ.get("BENCH_VARIANT", "full")
RUN = os.environ.get("BENCH_RUN_ID", "local")

overrides = {
    "CACHE_KEY_PREFIX": f"bs:bench:{RUN}:",
    "CELERY_TASK_DEFAULT_QUEUE": f"bench-{RUN}",
    "SSE_CHANNEL": f"sse-bench-{RUN}",
    "SESSION_COOKIE_SECURE": False,  # plain http on loopback
    "CELERY_RESULT_EXPIRES": 600,
    # Limits stay on (their Redis hit is part of the measured cost) but far above the offered load:
    # 32 logins from one address, and each connection liking as fast as it can.
    "RATELIMIT_KEY_PREFIX": f"bs:bench:{RUN}:limits",
    "RATELIMIT_LOGIN_PER_IP": "10000 per minute",
    "RATELIMIT_WRITES_PER_USER": "1000000 per minute",
}
if VARIANT == "nocache":
    overrides["CACHE_TYPE"] = "NullCache"
if VARIANT == "noinstr":
    overrides["INSTRUMENTATION_ENABLED"] = False

BenchConfig = type("BenchConfig", (ProductionConfig,), overrides)
app = create_app(BenchConfig)
celery_app = app.extensions["celery"]
if VARIANT == "inline-hash":
    security = app.extensions["security"]
    security.pwd_context = security.pwd_context.wrapped  # undo password_hashing.install

# Every variant gets the naive page and the cold-cache hook, so full and noinstr differ only
# by the instrumentation when its overhead is measured.
from .naive import bp as naive_bp

app.register_blueprint(naive_bp)

class ColdCache:
    """X-Bench-Cold: forget this index page (whole page + its data) before anything else sees the
    request, so every request pays the full miss path: build, single-flight lock, store."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_BENCH_COLD") and environ.get("PATH_INFO") == "/":
            with app.app_context():
                page = canonical_page(environ.get("QUERY_STRING", "")) or 1
                invalidate.index_page_changed(page, app.config["ARTICLES_PER_PAGE"])
        return self.wsgi_app(environ, start_response)

app.wsgi_app = ColdCache(app.wsgi_app)
