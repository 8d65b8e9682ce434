"""The application factory: create_app(config_class) binds extensions and blueprints."""
import logging
from pathlib import Path

from flask import Flask

from . import input_guard
from .config import Config, config_for_env
from .extensions import cache, compress, csrf, db

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_for_env()
    _refuse_dev_secrets(config_class)
    app = Flask(__name__, static_folder=str(ROOT / "static"), template_folder=str(ROOT / "templates"))
    app.config.from_object(config_class)
    _configure_logging(app)
    _register_extensions(app)
    input_guard.init_app(app)  # before any route: it bounds the int converter
    _register_blueprints(app)
    _register_cli(app)
    _register_performance(app)
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
    from . import accounts, db_tuning
    from .jobs.celery_app import celery_init_app

    (ROOT / "db_directory").mkdir(exist_ok=True)
    db_tuning.install()
    db.init_app(app)
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
    from .controllers import admin_digest, webhooks

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(admin_digest.bp)

    from .api import realworld  # the RealWorld (Conduit) API, also under /api, with CORS

    realworld.init_app(app)
    errors.register(app)
    app.jinja_env.globals["most_liked_this_week"] = data_access.most_liked_this_week


def _register_performance(app: Flask) -> None:
    from . import instrumentation, profiling, static_assets
    from .controllers import admin_performance, page_cache

    static_assets.init_app(app)
    profiling.init_app(app)
    app.register_blueprint(admin_performance.bp)
    # WSGI middleware, innermost first: anonymous cached pages are answered before Flask
    # builds a request (one Redis GET); measurement wraps everything.
    app.wsgi_app = page_cache.AnonymousPageMiddleware(app.wsgi_app, app)
    instrumentation.init_app(app)


def _register_cli(app: Flask) -> None:
    from . import cli

    cli.register(app)
