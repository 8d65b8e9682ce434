"""The application factory: create_app(config_class) binds extensions and blueprints."""
import logging
from pathlib import Path

from flask import Flask

from . import input_guard
from .config import Config, config_for_env, engine_options
from .extensions import cache, compress, csrf, db

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_for_env()
    _refuse_dev_secrets(config_class)
    app = Flask(__name__, static_folder=str(ROOT / "static"), template_folder=str(ROOT / "templates"))
    app.config.from_object(config_class)
    # Pool settings follow the database actually configured (tests and tools override the URL).
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    _configure_logging(app)
    _register_extensions(app)
    input_guard.init_app(app)  # before any route: it bounds the int converter
    _register_blueprints(app)
    _register_cli(app)
    _register_performance(app)
    _register_rate_limits(app)
    return app


def _refuse_dev_secrets(config_class: type[Config]) -> None:
    if config_class.ENV_NAME in ("stage", "production"):
        missing = config_class.missing_secrets()
        if missing:
            raise SystemExit(
                f"Refusing to start with ENV={config_class.ENV_NAME}: set {', '.join(missing)} "
                "in the environment (unset or left at a development default)."
            )


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _register_extensions(app: Flask) -> None:
    from . import accounts, db_tuning, migrations
    from .jobs.celery_app import celery_init_app

    (ROOT / "db_directory").mkdir(exist_ok=True)
    db_tuning.install()
    db.init_app(app)
    with app.app_context():
        db_tuning.tune_postgres(db.engine, app.config.get("POSTGRES_RANDOM_PAGE_COST"))
    migrations.register_cli(app)  # `flask db ...`: Flask-Migrate, bound when a command line uses it
    cache.init_app(app)
    compress.init_app(app)
    csrf.init_app(app)
    accounts.init_app(app)
    celery_init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .data import data_access
    from .controllers import articles, authors, errors, feedback, likes, site, stream

    app.register_blueprint(site.bp)
    app.register_blueprint(articles.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(authors.bp)
    app.register_blueprint(likes.bp)
    app.register_blueprint(stream.bp, url_prefix="/stream")
    app.register_blueprint(api_bp, url_prefix="/api")
    from .controllers import admin_digest, avatars, webhooks

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(admin_digest.bp)
    app.register_blueprint(avatars.bp)  # default avatars: the API's `image` is a working URL

    from .api import realworld  # the RealWorld (Conduit) API, also under /api, with CORS

    realworld.init_app(app)
    _register_page_parity(app)
    errors.register(app)
    app.jinja_env.globals["most_liked_this_week"] = data_access.most_liked_this_week


def _register_page_parity(app: Flask) -> None:
    from .controllers import article_delete, comments, feed, follows, search, settings, site_feeds, tags

    for module in (comments, tags, follows, feed, search, settings, site_feeds, article_delete):
        app.register_blueprint(module.bp)


def _register_performance(app: Flask) -> None:
    from . import instrumentation, profiling, security_headers, static_assets
    from .api.realworld import fast_reads
    from .controllers import admin_performance, page_cache

    static_assets.init_app(app)
    profiling.init_app(app)
    app.register_blueprint(admin_performance.bp)
    # WSGI middleware, innermost first: anonymous cached API reads and pages are answered before
    # Flask builds a request (cache peeks only); measurement wraps everything.
    fast_reads.init_app(app)
    page_cache.init_app(app)
    security_headers.init_app(app)  # around the page cache too: cached pages get the same headers
    instrumentation.init_app(app)
    _trust_proxies(app)


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client address, scheme and host from X-Forwarded-*."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)


def _register_rate_limits(app: Flask) -> None:
    from . import rate_limits

    rate_limits.init_app(app)  # last: limits attach to every endpoint registered by then


def _register_cli(app: Flask) -> None:
    from . import cli

    cli.register(app)
