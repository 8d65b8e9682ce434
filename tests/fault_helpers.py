"""Real processes to break: a private redis-server and a private PostgreSQL cluster, a stack
(gunicorn + Celery worker) wired to them, and a load that records every answer.

Nothing here touches the shared Redis on 6379 or the shared PostgreSQL: each fault test starts
its own server on a free port, in its own temp dir, and stops it by PID.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from . import databases
from .conftest import build_app, free_port, make_config
from .processes import config_overrides, stop_all

REDIS_SERVER = shutil.which("redis-server")
PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)


def wait_until(check, what: str, timeout: float = 30, every: float = 0.1):
    """Poll check() until it is truthy; its value. Fails with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout}s: {what}")


def _port_open(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class RedisServer:
    """A redis-server of our own (no persistence: a restart starts empty, like a crashed cache box)."""

    def __init__(self, tmp_path: Path):
        if REDIS_SERVER is None:
            pytest.skip("no redis-server binary on this machine")
        self.port, self.dir, self.proc = free_port(), tmp_path, None
        self.start()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _port_open(self.port), "redis-server listening", timeout=10)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class PostgresCluster:
    """A throwaway PostgreSQL cluster run as the postgres user (initdb + pg_ctl), trust auth, a free port."""

    def __init__(self):
        if PG_BIN is None or os.geteuid() != 0 or shutil.which("runuser") is None:
            pytest.skip("needs root, runuser and /usr/lib/postgresql/*/bin to run a private cluster")
        self.port = free_port()
        # Not under pytest's tmp_path: root's 0700 pytest dirs are closed to the postgres user.
        self.dir = Path(tempfile.mkdtemp(prefix="bs-fault-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "faults")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/faults"

    def _as_postgres(self, tool: str, *args: str) -> None:
        done = subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/{tool}", *args], cwd=self.dir,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
        if done.returncode:
            raise AssertionError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class Stack:
    """gunicorn (gevent) + a Celery worker on one database and one Redis of the test's own."""

    def __init__(self, tmp_path: Path, redis_server: RedisServer, database_url: str | None = None, **extra):
        from .processes import start_worker, start_worker_and_gunicorn

        self.tmp_path, self.start_worker = tmp_path, start_worker
        cfg = make_config(
            tmp_path,
            **({"SQLALCHEMY_DATABASE_URI": database_url} if database_url else {}),
            CACHE_TYPE="application.data.cache_backend.ResilientRedisCache", CACHE_KEY_PREFIX="bs:fault:",
            CACHE_REDIS_URL=redis_server.url(0), CELERY_BROKER_URL=redis_server.url(1),
            CELERY_RESULT_BACKEND=redis_server.url(2), SSE_REDIS_URL=redis_server.url(3),
            CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE="faults", CACHE_RETRY_AFTER_SECONDS=1,
            CELERY_OPTIONS={"worker_enable_remote_control": False},
            **extra,
        )
        sqlite = cfg.SQLALCHEMY_DATABASE_URI.startswith("sqlite")  # several processes share the file
        cfg.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, **({"connect_args": {"timeout": 15}} if sqlite else {})}
        self.app = build_app(cfg)
        databases.migrate(self.app)
        self.overrides = config_overrides(cfg)
        worker, self.web, self.base = start_worker_and_gunicorn(self.overrides, tmp_path)
        self.worker = _killable(worker)

    def _worker(self):
        return _killable(self.start_worker(self.overrides, self.tmp_path))

    def supervise(self, broker_url: str, stuck_after: float = 10) -> bool:
        """Restart the worker if it leaves tasks queued for stuck_after seconds (as a liveness check
        would); True if it had to. Celery's Redis consumer can stay alive but consume nothing after
        a broker restart that lands mid-ack (celery/celery#8082); nothing in the app can fix that."""
        import redis

        client = redis.Redis.from_url(broker_url)
        try:
            def drained():
                return client.llen(self.overrides["CELERY_TASK_DEFAULT_QUEUE"]) == 0
            try:
                wait_until(drained, "queue drained", timeout=stuck_after, every=0.2)
                return False
            except AssertionError:
                self.worker.kill_all()
                self.restart_worker()
                return True
        finally:
            client.close()

    def restart_worker(self) -> None:
        self.worker = self._worker()

    def stop(self) -> None:
        stop_all((self.web, self.worker))  # both shut down at once
        from .conftest import _dispose

        _dispose(self.app)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _killable(proc):
    """The worker Proc, with kill_all(): SIGKILL it and its pool processes."""
    proc.kill_all = lambda: _sigkill_tree(proc)
    return proc


def _sigkill_tree(proc) -> None:
    """SIGKILL a worker and its pool processes, by PID (as a crash or the OOM killer would)."""
    for pid in [*_children(proc.popen.pid), proc.popen.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.popen.wait(10)
    proc.log.close()




class Load:
    """Threads sending requests until stopped; every answer's status is kept (0 = no answer)."""

    def __init__(self, base: str):
        self.base, self.statuses, self.accepted = base, Counter(), []
        self.lock, self.stopping, self.threads = threading.Lock(), threading.Event(), []

    def call(self, method: str, path: str, headers=None, body=None, timeout: float = 15):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Accept": "application/json", **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode(errors="replace")
        except OSError:
            status, text = 0, ""
        with self.lock:
            self.statuses[status] += 1
        return status, text

    def run(self, jobs, threads: int = 4) -> None:
        """Start `threads` threads taking jobs (callables) from the iterator until it ends or stop()."""
        jobs, take = iter(jobs), threading.Lock()

        def loop():
            while not self.stopping.is_set():
                with take:
                    job = next(jobs, None)
                if job is None:
                    return
                job(self)

        self.threads = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def join(self, timeout: float = 60) -> None:
        for t in self.threads:
            t.join(timeout)
        assert not any(t.is_alive() for t in self.threads), "load threads did not finish"

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def server_errors(self) -> dict:
        """Answers 500-599 other than 503 (a 503 with Retry-After is the honest answer in an outage)."""
        return {s: n for s, n in self.statuses.items() if 500 <= s < 600 and s != 503}
