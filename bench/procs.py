"""Start and stop the benchmark's own processes (by PID), on free loopback ports."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.started.append(proc)
        return proc

    def gunicorn(self, name: str, app: str, env: dict) -> str:
        port = free_port()
        self.start(name, [str(VENV_BIN / "gunicorn"), app, "-c", "gunicorn.conf.py",
                          "--bind", f"127.0.0.1:{port}"], env)
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/hello", name, self.workdir / f"{name}.log")
        return url

    def pids(self) -> list[int]:
        """The PIDs of everything started, with their children (workers)."""
        out = []
        for p in self.started:
            out.append(p.pid)
            children = Path(f"/proc/{p.pid}/task/{p.pid}/children")
            if children.exists():
                out += [int(x) for x in children.read_text().split()]
        return out

    def stop(self) -> None:
        for p in self.started:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.started:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)  # its own session: only what we started
                p.wait()


def wait_http(url: str, name: str, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise SystemExit(f"bench: {name} did not answer at {url} within {seconds}s\n{tail}")


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def drain(pids: list[int], timeout: float = 10.0) -> bool:
    """Wait until the servers and the worker are idle, so one run does not leak into the next;
    False if they were still busy when the timeout ran out."""
    deadline = time.monotonic() + timeout
    before = cpu_ticks(pids)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_ticks(pids)
        if now - before <= 2:
            return True
        before = now
    return False
