"""The product as the benchmark serves it: production settings, its own Redis DBs and key prefix.

BENCH_VARIANT picks one of: full (the product + the naive page + a cold-cache
hook), nocache (NullCache: every page built from the database), noinstr
(instrumentation off, to measure its overhead on /hello).
"""
import os

from flask import request

from application import create_app
from application.config import ProductionConfig
from application.data.data_access import keys

VARIANT = os.environ.get("BENCH_VARIANT", "full")
RUN = os.environ.get("BENCH_RUN_ID", "local")

overrides = {
    "CACHE_KEY_PREFIX": f"bs:bench:{RUN}:",
    "CELERY_TASK_DEFAULT_QUEUE": f"bench-{RUN}",
    "SSE_CHANNEL": f"sse-bench-{RUN}",
    "SESSION_COOKIE_SECURE": False,  # plain http on loopback
    "CELERY_RESULT_EXPIRES": 600,
}
if VARIANT == "nocache":
    overrides["CACHE_TYPE"] = "NullCache"
if VARIANT == "noinstr":
    overrides["INSTRUMENTATION_ENABLED"] = False

BenchConfig = type("BenchConfig", (ProductionConfig,), overrides)
app = create_app(BenchConfig)
celery_app = app.extensions["celery"]

if VARIANT == "full":
    from .naive import bp as naive_bp

    app.register_blueprint(naive_bp)

    @app.before_request
    def _cold_cache():
        # X-Bench-Cold: forget this index page (whole page + its data) first, so
        # every request pays the full miss path: build, single-flight lock, store.
        if request.headers.get("X-Bench-Cold") and request.path == "/":
            keys.invalidate_index_page(request.args.get("page", 1, type=int), app.config["ARTICLES_PER_PAGE"])

    # Run the cold hook before Flask-Security and the page cache look at the request.
    app.before_request_funcs[None].insert(0, app.before_request_funcs[None].pop())
