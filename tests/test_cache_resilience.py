"""No stampede on a cold key; Redis down or gone never breaks a page, and caching recovers."""
import logging
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest
from sqlalchemy import event

from application.data import data_access
from application.extensions import db

from .conftest import build_app, free_port, login, make_config


def _count_article_selects(app):
    counter = {"n": 0}
    lock = threading.Lock()

    def on_execute(conn, cursor, statement, *args):
        if re.search(r"FROM article\s+WHERE article.slug", statement):
            with lock:
                counter["n"] += 1
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", on_execute)
    return counter


def test_fifty_concurrent_cold_requests_compute_once(redis_app, make_user, make_article):
    author = make_user(roles=("author",))
    article = make_article(author, title="Hot key")
    counter = _count_article_selects(redis_app)
    barrier = threading.Barrier(50)
    results, errors = [], []

    def read():
        try:
            with redis_app.app_context():
                barrier.wait()
                results.append(data_access.get_article(article["slug"])["title"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert results == ["Hot key"] * 50
    assert counter["n"] == 1


def _app_on_redis(tmp_path, url, **extra):
    return build_app(make_config(
        tmp_path, CACHE_TYPE="application.data.cache_backend.ResilientRedisCache", CACHE_REDIS_URL=url,
        CACHE_KEY_PREFIX=f"bs:test:res{free_port()}:", **extra))


def test_redis_unreachable_pages_still_work_and_writes_are_saved(tmp_path, caplog):
    app = _app_on_redis(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        from tests import factories
        author = factories.make_user("nora", roles=("author",))
        article = factories.make_article(author, title="Still readable")
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="application.data.cache_backend"):
        for _ in range(3):
            r = client.get("/")
            assert r.status_code == 200 and "Still readable" in r.get_data(as_text=True)
            assert client.get(f"/articles/{article['slug']}").status_code == 200
    assert len([r for r in caplog.records if "Redis unavailable" in r.message]) == 1  # once, not per request
    login(client, author["email"])
    r = client.post("/articles/new", data={"title": "Written while down", "body": "b", "status": "published"})
    assert r.status_code == 302
    assert "Written while down" in client.get("/").get_data(as_text=True)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs a redis-server binary to stop and restart")
def test_cache_recovers_by_itself_when_redis_returns(tmp_path):
    port = free_port()
    start = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]

    def run_redis():
        proc = subprocess.Popen(start, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    proc = run_redis()
    try:
        app = _app_on_redis(tmp_path, f"redis://127.0.0.1:{port}/0", CACHE_RETRY_AFTER_SECONDS=0.5)
        with app.app_context():
            from tests import factories
            author = factories.make_user(roles=("author",))
            factories.make_article(author, title="Before outage")
        client = app.test_client()
        client.get("/")
        assert "1 hit" in client.get("/").headers["Server-Timing"]
        proc.terminate()
        proc.wait(10)
        with app.app_context():
            factories.make_article(author, title="During outage")  # its invalidation is lost
        assert "During outage" in client.get("/").get_data(as_text=True)
        proc = run_redis()  # an empty Redis: as after a restart
        time.sleep(0.6)
        html = client.get("/").get_data(as_text=True)
        assert "During outage" in html
        assert "1 hit" in client.get("/").headers["Server-Timing"]  # caching again
    finally:
        proc.terminate()
        proc.wait(10)
