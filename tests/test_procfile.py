"""The Procfile, as `honcho start` runs it in production config: web answers, worker ready, beat active."""
import json
import os
import re
import signal
import urllib.request
import uuid

import redis

from application.config import redis_db_url

from . import databases
from .conftest import REDIS_BASE, RUN_ID, TEST_BROKER_DB, TEST_CACHE_DB, TEST_RESULT_DB, TEST_SSE_DB, free_port
from .processes import start_honcho


def _healthz(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200 and json.load(r) == {"db": "ok", "redis": "ok", "broker": "ok"}
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_honcho_runs_web_worker_and_beat_from_the_procfile(tmp_path):
    port, queue = free_port(), f"test-{RUN_ID}-honcho-{uuid.uuid4().hex[:8]}"
    env = {
        # Production config (what the Procfile is for), on this test's database and Redis DBs.
        "ENV": "production", "SECRET_KEY": "t-" + uuid.uuid4().hex, "SECURITY_PASSWORD_SALT": "t-" + uuid.uuid4().hex,
        "WEBHOOK_SECRET": "t-" + uuid.uuid4().hex, "DATABASE_URL": databases.fresh_database_url(tmp_path),
        "REDIS_URL": REDIS_BASE, "CACHE_REDIS_URL": redis_db_url(REDIS_BASE, TEST_CACHE_DB),
        "SSE_REDIS_URL": redis_db_url(REDIS_BASE, TEST_SSE_DB),
        "CELERY_BROKER_URL": redis_db_url(REDIS_BASE, TEST_BROKER_DB),
        "CELERY_RESULT_BACKEND": redis_db_url(REDIS_BASE, TEST_RESULT_DB), "CELERY_QUEUE": queue,
        "WEB_HOST": "127.0.0.1", "WEB_CONCURRENCY": "1", "WORKER_CONCURRENCY": "1",
        # Beat's first send comes one interval after it starts: 3 s instead of the shipped 30 s.
        "BEAT_PUBLISH_SCHEDULED_SECONDS": "3",
    }
    honcho = start_honcho(env, tmp_path, port)
    try:
        honcho.wait_for(lambda: _healthz(f"http://127.0.0.1:{port}/healthz"), "web answering /healthz", timeout=60)
        honcho.wait_for(lambda: re.search(r"worker\.1\s+\|.* ready\.", honcho.output()), "worker ready", timeout=60)
        honcho.wait_for(lambda: "beat: Acquired lock" in honcho.output(), "beat holding the lock", timeout=60)
        honcho.wait_for(lambda: re.search(r"beat\.1\s+\|.*Sending due task", honcho.output()), "beat sending",
                        timeout=60)
        # What beat sent, the worker ran: the three are wired to the same broker and queue.
        honcho.wait_for(lambda: re.search(r"worker\.1\s+\|.*Task beat\.\w+\[[^]]+\] succeeded", honcho.output()),
                        "a beat job run by the worker", timeout=60)
        pids = [int(p) for p in re.findall(r"started \(pid=(\d+)\)", honcho.output())]
        assert len(pids) == 3, honcho.output()[-3000:]
        running = honcho.output()
    finally:
        honcho.stop(timeout=30)
        _cleanup(queue)
    # (Stopping may log a WorkerLostError: honcho signals each process group, so the worker's
    # children get SIGTERM too; a task is acknowledged late, so it is re-queued, not lost.)
    assert "Refusing" not in running and "Traceback" not in running, running[-3000:]
    output = honcho.output()
    assert not [pid for pid in pids if _alive(pid)], "honcho left processes behind"
    assert honcho.popen.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM), output[-2000:]


def _cleanup(queue: str) -> None:
    """Delete what this test's processes made in the test Redis DBs (production key names)."""
    broker = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_BROKER_DB))
    keys = [queue, f"_kombu.binding.{queue}"] + list(broker.scan_iter(match=f"bs:beat:{queue}:*", count=1000))
    broker.delete(*keys)
    broker.close()
    cache = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_CACHE_DB))
    keys = list(cache.scan_iter(match="bs:prod:*", count=1000))
    if keys:
        cache.delete(*keys)
    cache.close()
