"""Server-Timing, X-Request-Id, the per-request log line, the profiler and the dev-only toolbar."""
import io
import json
import re

from .conftest import login

TIMING = re.compile(r'db;dur=[\d.]+;desc="(\d+) queries", cache;dur=[\d.]+;desc="(\d+) hit (\d+) miss", app;dur=[\d.]+')


def test_every_response_has_server_timing_and_a_request_id(client):
    for path in ("/hello", "/", "/no-such-page", "/static/app.css"):
        r = client.get(path)
        assert TIMING.fullmatch(r.headers["Server-Timing"]), (path, r.headers.get("Server-Timing"))
        assert re.fullmatch(r"[0-9a-f]{22}", r.headers["X-Request-Id"])
    ids = {client.get("/hello").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


def test_request_id_is_echoed(client):
    assert client.get("/hello", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"


def test_identity_loading_queries_are_counted(client, make_user):
    user = make_user("counted")
    login(client, user["email"])
    queries = int(TIMING.fullmatch(client.get("/hello").headers["Server-Timing"]).group(1))
    assert queries >= 1  # the logged-in user is loaded before the view: measured from the first hook


def test_cache_hits_counted_with_redis(redis_app):
    client = redis_app.test_client()
    client.get("/")
    hit = TIMING.fullmatch(client.get("/").headers["Server-Timing"])
    assert int(hit.group(2)) >= 1 and hit.group(1) == "0"  # served from the page cache: no SQL


def test_one_json_log_line_per_request(tmp_path):
    from .conftest import build_app, make_config

    stream = io.StringIO()
    app = build_app(make_config(tmp_path, REQUEST_LOG_STREAM=stream))
    app.test_client().get('/hello?x="y"', headers={"X-Request-Id": 'rid-"1'})
    app.test_client().get("/no-such-page")
    app.extensions["bs_request_recorder"].flush()  # lines are written in a batch about once a second
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2 and lines[1]["status"] == 404 and lines[1]["path"] == "/no-such-page"
    assert lines[0] | {"ms": 0} == {"request_id": 'rid-"1', "method": "GET", "path": "/hello", "status": 200, "ms": 0,
                                   "queries": 0, "cache_hits": 0, "cache_misses": 0}


def test_profile_param_is_ignored_anonymously_even_in_development(tmp_path):
    from application import create_app
    from application.config import DevelopmentConfig

    dev = create_app(type("Dev", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"}))
    assert dev.test_client().get("/hello?profile=1").data == b"World"


def test_profile_param_is_admin_only(client, make_user):
    assert client.get("/hello?profile=1").data == b"World"
    admin = make_user("boss", roles=("admin",))
    login(client, admin["email"])
    r = client.get("/?profile=1")
    assert r.status_code == 200 and b"pyinstrument" in r.data.lower()


def test_profile_cli_prints_hottest_calls(runner):
    result = runner.invoke(args=["profile", "/"])  # the default: one warm-up request, then the profiled one
    assert result.exit_code == 0, result.output
    assert "/ -> 200" in result.output and "index" in result.output


def test_debug_toolbar_only_in_development_when_asked(app, tmp_path):
    from application import create_app
    from application.config import DevelopmentConfig

    assert "debugtoolbar" not in app.blueprints  # test config
    uri = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite3'}"}
    assert "debugtoolbar" not in create_app(type("Dev", (DevelopmentConfig,), uri)).blueprints  # not by default
    dev_app = create_app(type("Dev", (DevelopmentConfig,), {**uri, "DEBUG_TB_ENABLED": True}))  # DEBUG_TOOLBAR=1
    assert "debugtoolbar" in dev_app.blueprints
    assert dev_app.config["DEBUG_TB_INTERCEPT_REDIRECTS"] is False
