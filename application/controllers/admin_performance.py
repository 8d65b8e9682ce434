"""/admin/performance: per-endpoint p50/p99 and counts, cache hit ratio, Celery queue and tasks (admins only)."""
import redis
from flask import Blueprint, current_app, jsonify, render_template, request
from flask_security import auth_required, roles_required

from application import metrics_store, redis_clients

bp = Blueprint("admin_performance", __name__)


def _queue_depth() -> int | None:
    cfg = current_app.config
    try:
        client = redis_clients.app_client(cfg, "CELERY_BROKER_URL", "queue-depth", socket_timeout=0.25,
                                          connect_timeout=0.25, max_connections=4)
        return client.llen(cfg.get("CELERY_TASK_DEFAULT_QUEUE", "celery"))
    except redis.RedisError:
        return None


def _bars(series: list[dict], key: str, height: int = 80) -> list[dict]:
    """Per-minute bars scaled to `height` pixels (drawn as inline SVG: no chart library, no CDN)."""
    top = max((s[key] or 0) for s in series) or 1
    return [{"x": i * 8, "h": round(height * (s[key] or 0) / top, 1), "v": s[key]} for i, s in enumerate(series)]


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
    if request.accept_mimetypes.best == "application/json":
        return jsonify(data or {"enabled": False})
    charts = None
    if data:
        charts = {"requests": _bars(data["series"], "requests"), "p99": _bars(data["series"], "p99_ms"),
                  "tasks": _bars(data["series"], "tasks")}
    return render_template("admin_performance.html", data=data, charts=charts)
