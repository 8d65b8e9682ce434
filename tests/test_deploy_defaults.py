"""Safe defaults for deployment: production config, proxies, bounded pools."""
import threading
import uuid

import redis

from application import redis_clients
from application.config import ProductionConfig, config_for_env, engine_options, redis_db_url

from .conftest import REDIS_BASE, TEST_CACHE_DB, build_app, make_config


def _whoami(app):
    from flask import request

    app.add_url_rule("/_whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme} {request.host}")
    return app.test_client()


def test_forwarded_headers_are_ignored_without_trusted_proxies(app):
    client = _whoami(app)
    r = client.get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert r.get_data(as_text=True) == "127.0.0.1 http localhost"


def test_trusted_proxy_sets_client_address_scheme_and_host(tmp_path):
    app = build_app(make_config(tmp_path, TRUSTED_PROXIES=1))
    client = _whoami(app)
    r = client.get("/_whoami", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9",
                                        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "news.example"})
    # Only the last hop (the one trusted proxy) is believed.
    assert r.get_data(as_text=True) == "203.0.113.9 https news.example"


def test_production_is_the_default_and_serves_with_secrets_ignoring_anonymous_profile(tmp_path, monkeypatch):
    monkeypatch.delenv("ENV", raising=False)
    assert config_for_env() is ProductionConfig
    secrets = {"SECRET_KEY": "k" * 40, "SECURITY_PASSWORD_SALT": "s" * 40, "WEBHOOK_SECRET": "w" * 40}
    test_cfg = make_config(tmp_path)
    overrides = {k: v for k, v in vars(test_cfg).items() if k.isupper() and k.startswith(("SQLALCHEMY", "CACHE", "SSE",
                                                                                             "CELERY", "REDIS"))}
    prod = type("Prod", (ProductionConfig,), {**overrides, **secrets, "CACHE_TYPE": "NullCache",
                                              "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False}})
    app = build_app(prod)
    assert "debugtoolbar" not in app.blueprints
    r = app.test_client().get("/feedback?profile=1")
    assert r.status_code == 200 and b"pyinstrument" not in r.data.lower() and b"<html" in r.data.lower()


def test_database_pool_is_sized_from_the_environment(monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "2")
    options = engine_options("postgresql+psycopg://u@h/db")
    assert (options["pool_size"], options["max_overflow"]) == (7, 2)
    assert "pool_size" not in engine_options("sqlite:///x.sqlite3")  # SQLite: one file, no server budget


def test_redis_clients_are_shared_and_their_pool_is_capped():
    url = redis_db_url(REDIS_BASE, TEST_CACHE_DB)
    name = f"bs-test-cap-{uuid.uuid4().hex[:8]}"
    client = redis_clients.client_for(url, name, max_connections=3, client_name=name, socket_timeout=5)
    assert redis_clients.client_for(url, name) is client
    errors, barrier = [], threading.Barrier(20)

    def slow_call():
        try:
            barrier.wait()
            client.blpop([f"{name}:nothing"], timeout=0.2)  # holds a connection for 0.2 s
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=slow_call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []  # the burst waited for free connections instead of failing
    observer = redis.Redis.from_url(url)
    try:
        mine = [c for c in observer.client_list() if c.get("name") == name]
        assert 1 <= len(mine) <= 3
    finally:
        observer.close()
        client.connection_pool.disconnect()
