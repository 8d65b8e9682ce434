"""Site-wide routes: the framework floor and the health probe."""
from flask import Blueprint, current_app, jsonify

from application.data import data_access

bp = Blueprint("site", __name__)


@bp.get("/hello")
def hello():
    return "World", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/healthz")
def healthz():
    cfg = current_app.config
    status = {
        "db": "ok" if data_access.check_database() else "down",
        "redis": "ok" if data_access.check_redis(cfg["CACHE_REDIS_URL"]) else "down",
        "broker": "ok" if data_access.check_redis(cfg["CELERY_BROKER_URL"]) else "down",
    }
    code = 200 if all(v == "ok" for v in status.values()) else 503
    return jsonify(status), code
