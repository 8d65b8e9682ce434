"""Real processes for tests: a Celery worker, Celery beat and gunicorn+gevent, on the test config.

Each stack gets its own queue, SSE client name and key prefix, so several test runs on one
machine never consume each other's tasks; processes are stopped by PID.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis

from application.config import redis_db_url

from .conftest import REDIS_BASE, RUN_ID, TEST_BROKER_DB, _dispose, build_app, free_port, make_config

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def config_overrides(config_class) -> dict:
    """The JSON-able settings a per-test config class adds (what make_config set)."""
    return {k: v for k, v in vars(config_class).items() if k.isupper()}


class Proc:
    """A started process with its log file; stop() by PID, then SIGKILL if it lingers."""

    def __init__(self, name, args, overrides, log_path, stop_signal=signal.SIGTERM):
        env = {**os.environ, "BS_TEST_CONFIG": json.dumps(overrides), "ENV": "test"}
        self.name, self.log_path, self.stop_signal = name, log_path, stop_signal
        self.stopping = False
        self.log = open(log_path, "wb")
        self.popen = subprocess.Popen(args, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def wait_for(self, check, what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.popen.returncode}) before {what}:\n{self.output()[-3000:]}")
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no {what} within {timeout}s:\n{self.output()[-3000:]}")

    def begin_stop(self) -> None:
        """Send the stop signal once, without waiting (stop() then only waits)."""
        if self.popen.poll() is None and not self.stopping:
            self.stopping = True
            self.popen.send_signal(self.stop_signal)

    def stop(self, timeout: float = 10) -> None:
        if self.popen.poll() is None:
            self.begin_stop()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self.log.close()


def start_worker(overrides, tmp_path, pool="solo", concurrency=1, wait=True) -> Proc:
    """A Celery worker on the stack's queue; with wait=False the caller waits for worker_ready(proc)."""
    proc = Proc("celery worker", [
        str(BIN / "celery"), "-A", "tests.process_app.celery_app", "worker", "--loglevel=INFO",
        f"--pool={pool}", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
        "--without-heartbeat", f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
    ], overrides, tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log")
    if wait:
        worker_ready(proc)
    return proc


def worker_ready(proc: Proc) -> None:
    proc.wait_for(lambda: " ready." in proc.output(), "'ready' line", timeout=60)


def start_beat(overrides, tmp_path, name="beat") -> Proc:
    """celery beat (RedBeat: schedule and lock under the stack's own key prefix); several may run."""
    return Proc(f"celery {name}", [
        str(BIN / "celery"), "-A", "tests.process_app.celery_app", "beat", "--loglevel=INFO",
    ], overrides, tmp_path / f"{name}-{uuid.uuid4().hex[:6]}.log")


def start_honcho(env: dict, tmp_path, port: int) -> Proc:
    """`honcho start` on the repo's Procfile with exactly these variables on top of ours (ENV included)."""
    env = {**env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    # `env` (the utility) sets them after Proc's test defaults and execs honcho under the same PID.
    return Proc("honcho", [
        "env", *[f"{k}={v}" for k, v in env.items()],
        str(BIN / "honcho"), "start", "-f", str(REPO / "Procfile"), "-d", str(REPO), "-p", str(port),
    ], {}, tmp_path / "honcho.log")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def stop_all(procs) -> None:
    """Stop these processes side by side: every signal first, then the waits."""
    for proc in procs:
        proc.begin_stop()
    for proc in procs:
        proc.stop()


def start_gunicorn(overrides, tmp_path, wait=True) -> tuple[Proc, str]:
    """gunicorn on a free port; with wait=False the caller waits for gunicorn_ready(proc, base)."""
    port = free_port()
    proc = Proc("gunicorn", [
        str(BIN / "gunicorn"), "tests.process_app:app", "-c", "gunicorn.conf.py", "--workers=1",
        f"--bind=127.0.0.1:{port}", "--no-control-socket", "--graceful-timeout=3",
    ], overrides, tmp_path / "gunicorn.log", stop_signal=signal.SIGQUIT)
    base = f"http://127.0.0.1:{port}"
    if wait:
        gunicorn_ready(proc, base)
    return proc, base


def gunicorn_ready(proc: Proc, base: str) -> None:
    proc.wait_for(lambda: _answers(base + "/hello"), "answer on /hello", timeout=60)


def start_worker_and_gunicorn(overrides, tmp_path, **worker_options) -> tuple[Proc, Proc, str]:
    """A Celery worker and a gunicorn started side by side (the worker imports while gunicorn starts),
    both ready: (worker, web, base). If either fails to come up, both are stopped."""
    procs = [start_worker(overrides, tmp_path, wait=False, **worker_options)]
    try:
        web, base = start_gunicorn(overrides, tmp_path)
        procs.append(web)
        worker_ready(procs[0])
    except BaseException:
        stop_all(procs)
        raise
    return procs[0], web, base


def _delete_queue_keys(queue: str) -> None:
    client = redis.Redis.from_url(redis_db_url(REDIS_BASE, TEST_BROKER_DB))
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


def stack_config(tmp_path, cache_prefix, **extra):
    """Config on real Redis with tasks sent to the broker (not eager), on a queue of its own."""
    suffix = uuid.uuid4().hex[:8]
    return make_config(
        tmp_path,
        CACHE_TYPE="application.data.cache_backend.ResilientRedisCache", CACHE_KEY_PREFIX=cache_prefix,
        CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE=f"test-{RUN_ID}-{suffix}",
        CELERY_RESULT_EXPIRES=600, CELERY_OPTIONS={"worker_enable_remote_control": False},
        SSE_CLIENT_NAME=f"bs-test-{RUN_ID}-{suffix}", **extra,
    )


def post_json(url: str, token: str, timeout: float = 30) -> dict:
    """POST with an auth token and no body (a like or unlike); asserts 202 and returns the JSON."""
    request = urllib.request.Request(url, method="POST", data=b"", headers={
        "Accept": "application/json", "Authentication-Token": token})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        assert response.status == 202
        return json.loads(response.read())


@pytest.fixture
def stack_app(tmp_path, cache_prefix):
    """App on real Redis with tasks sent to the broker (not eager), on a queue of its own."""
    cfg = stack_config(tmp_path, cache_prefix, SSE_HEARTBEAT_SECONDS=1)
    app = build_app(cfg)
    app.config["BS_OVERRIDES"] = config_overrides(cfg)
    yield app
    _dispose(app)
    _delete_queue_keys(cfg.CELERY_TASK_DEFAULT_QUEUE)


_web_procs: dict[str, Proc] = {}  # the web fixture's gunicorn by its base URL


@pytest.fixture
def worker(request, stack_app, tmp_path):
    proc = start_worker(stack_app.config["BS_OVERRIDES"], tmp_path, wait=False)
    try:
        if "web" in request.fixturenames:
            # Start gunicorn while the worker imports (~2-3 s each, on both cores instead of one after
            # the other); the test still begins with both answering.
            request.getfixturevalue("web")
        worker_ready(proc)
    except BaseException:
        proc.stop()
        raise
    yield proc
    if "web" in request.fixturenames:  # both shut down at once (~1.5 s each); web's teardown then waits
        _web_procs[request.getfixturevalue("web")].begin_stop()
    proc.stop()


@pytest.fixture
def web(stack_app, tmp_path):
    """A real gunicorn (gevent worker) on a free port: yields its base URL."""
    proc, base = start_gunicorn(stack_app.config["BS_OVERRIDES"], tmp_path)
    _web_procs[base] = proc
    yield base
    proc.stop()
    del _web_procs[base]
