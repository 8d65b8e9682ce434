"""/admin/performance: admins only; per-endpoint counts and percentiles, cache hit ratio, queue depth."""
import redis

from application import metrics_store
from application.config import redis_db_url

from . import factories
from .conftest import REDIS_BASE, TEST_CACHE_DB, login


def _users(app):
    with app.app_context():
        return factories.make_user("root", roles=("admin",)), factories.make_user("plain")


def test_admins_see_endpoint_stats(redis_app):
    admin, _ = _users(redis_app)
    client = redis_app.test_client()
    for _ in range(3):
        client.get("/hello")
    client.get("/")
    client.get("/")
    login(client, admin["email"])
    data = client.get("/admin/performance", headers={"Accept": "application/json"}).get_json()
    hello = next(e for e in data["endpoints"] if e["endpoint"] == "site.hello")
    assert hello["count"] == 3 and hello["p50_ms"] is not None and hello["p99_ms"] >= hello["p50_ms"]
    assert data["cache_hits"] >= 1 and 0 < data["cache_hit_ratio"] <= 1
    assert data["queue_depth"] == 0
    html = client.get("/admin/performance").get_data(as_text=True)
    assert "site.hello" in html and 'id="hit-ratio"' in html
    # Charts: the vendored uPlot and the page's script, no inline script (a strict CSP is coming).
    assert "vendor/uplot/uPlot.iife.min.js" in html and "admin_performance.js" in html
    assert "<script>" not in html and "<script " not in html.replace('<script src=', '')


def test_chart_data_has_per_endpoint_percentiles_per_minute(redis_app):
    admin, _ = _users(redis_app)
    client = redis_app.test_client()
    for _ in range(4):
        client.get("/hello")
    login(client, admin["email"])
    data = client.get("/admin/performance?minutes=5", headers={"Accept": "application/json"}).get_json()
    charts = data["charts"]
    assert len(charts["x"]) == 5 and charts["x"] == sorted(charts["x"])
    hello = charts["endpoints"]["site.hello"]
    assert len(hello["p50_ms"]) == len(hello["p99_ms"]) == 5
    now = [(p50, p99) for p50, p99 in zip(hello["p50_ms"], hello["p99_ms"]) if p50 is not None]
    assert now and all(p99 >= p50 > 0 for p50, p99 in now)
    assert len(charts["hit_ratio_pct"]) == 5 and sum(charts["requests"]) >= 4


def test_debug_toolbar_routes_are_left_out(redis_app):
    admin, _ = _users(redis_app)
    metrics_store.record_requests([("debugtoolbar.static", 1.0, 0, 0), ("debugtoolbar.sql_select", 2.0, 0, 0),
                                   ("site.hello", 1.0, 0, 0)])
    client = redis_app.test_client()
    login(client, admin["email"])
    data = client.get("/admin/performance", headers={"Accept": "application/json"}).get_json()
    names = [e["endpoint"] for e in data["endpoints"]]
    assert "site.hello" in names and not any(n.startswith("debugtoolbar") for n in names)
    assert not any(n.startswith("debugtoolbar") for n in data["charts"]["endpoints"])


def test_non_admins_are_refused(redis_app):
    _, plain = _users(redis_app)
    client = redis_app.test_client()
    assert client.get("/admin/performance").status_code in (302, 401)
    login(client, plain["email"])
    assert client.get("/admin/performance").status_code == 403


def test_keys_expire_so_memory_is_bounded(redis_app, cache_prefix):
    redis_app.test_client().get("/hello")
    redis_app.extensions["bs_request_recorder"].flush()
    client = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_CACHE_DB))
    keys = list(client.scan_iter(match=cache_prefix + "perf:*"))
    assert keys and all(0 < client.ttl(k) <= metrics_store.KEEP_SECONDS for k in keys)


def test_quantiles_from_histogram():
    b = metrics_store.bucket_of
    hist = {b(1): 98, b(300): 2}
    assert metrics_store._quantile(hist, 0.5) == 1 and metrics_store._quantile(hist, 0.99) == 300
