"""/admin/performance: per-endpoint p50/p99 over time, cache hit ratio, Celery queue and tasks (admins only).

The page is a shell; static/admin_performance.js draws the charts (uPlot,
vendored) from this same URL asked for as JSON, and refreshes them.
"""
import redis
from flask import Blueprint, current_app, jsonify, render_template, request
from flask_security import auth_required, roles_required

from application import metrics_store, redis_clients

bp = Blueprint("admin_performance", __name__)

# The debug toolbar's own requests (its panels, static files) would dominate the table.
OWN_TOOLING = ("debugtoolbar.", "_debug_toolbar")
TOP_ENDPOINTS = 8  # endpoints given per-minute series (the busiest)


def _queue_depth() -> int | None:
    cfg = current_app.config
    try:
        client = redis_clients.app_client(cfg, "CELERY_BROKER_URL", "queue-depth", socket_timeout=0.25,
                                          connect_timeout=0.25, max_connections=4)
        return client.llen(cfg.get("CELERY_TASK_DEFAULT_QUEUE", "celery"))
    except redis.RedisError:
        return None


def _without_tooling(data: dict) -> dict:
    endpoints = [e for e in data["endpoints"] if not e["endpoint"].startswith(OWN_TOOLING)]
    return {**data, "endpoints": endpoints}


def _charts(data: dict) -> dict:
    """Columns for the charts: x = minute start (epoch seconds), one array per series (null = no data)."""
    minutes = [s["minute"] for s in data["series"]]
    per_minute = data.get("endpoint_series", {})
    endpoints = {}
    for e in data["endpoints"][:TOP_ENDPOINTS]:
        points = per_minute.get(e["endpoint"], {})
        endpoints[e["endpoint"]] = {
            "p50_ms": [points.get(m, {}).get("p50_ms") for m in minutes],
            "p99_ms": [points.get(m, {}).get("p99_ms") for m in minutes],
        }
    hit_ratio = [round(100 * s["hits"] / (s["hits"] + s["misses"]), 1) if s["hits"] + s["misses"] else None
                 for s in data["series"]]
    return {"x": [m * 60 for m in minutes], "endpoints": endpoints, "hit_ratio_pct": hit_ratio,
            "requests": [s["requests"] for s in data["series"]], "tasks": [s["tasks"] for s in data["series"]]}


@bp.get("/admin/performance")
@auth_required()
@roles_required("admin")
def performance():
    minutes = request.args.get("minutes", 60, type=int)
    minutes = min(max(minutes or 60, 1), 120)
    recorder = current_app.extensions.get("bs_request_recorder")
    if recorder is not None:
        recorder.flush()  # this process's last second too
    data = metrics_store.summary(minutes, _queue_depth())
    if data:
        data = _without_tooling(data)
        data["charts"] = _charts(data)
        data.pop("endpoint_series", None)  # reshaped into charts
    if request.accept_mimetypes.best == "application/json":
        return jsonify(data or {"enabled": False})
    return render_template("admin_performance.html", data=data)
