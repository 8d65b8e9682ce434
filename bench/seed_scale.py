"""Seeding at scale: `flask --app main seed` on a fresh SQLite file and a fresh PostgreSQL database.

Prints, per database: wall seconds, the seed process's CPU seconds and peak RSS (getrusage
of the child; the PostgreSQL server's own work and memory are not in it), and the load
average before and after, since a busy machine stretches the wall time. Run through
./bench/seed_scale.sh. Knobs: SEED_ARTICLES, SEED_USERS, SEED_LIKES (100k / 10k / 2M),
SEED_DBS ("sqlite,postgresql"), PG_ADMIN_URL (postgresql://postgres@127.0.0.1:5432/postgres).
Targets (issue: performance round 2): <= 30 s and <= 300 MB on each database.

Each run is appended to bench/results/seed_scale.json (the last RUNS_KEPT runs, with the commit
measured); `python -m bench.seed_scale --doc [--write]` prints that file as docs/performance.md's
seeding table (--write: between its markers), so the figures there are never retyped.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from .doc_section import replace_between

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "seed_scale.json"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench.seed_scale: start -->", "<!-- bench.seed_scale: end -->"
TARGET_SECONDS, TARGET_MB = 30, 300
RUNS_KEPT = 8


class ServerCpu:
    """CPU seconds of every PostgreSQL backend on one database (the seed's and its helpers'), sampled from
    /proc while the seed runs: the server's side of the work, which getrusage of the seed cannot see.
    Only meaningful when the server runs on this machine (else it stays None)."""

    def __init__(self, admin_url: str, database: str):
        self.admin_url, self.database, self.seen, self.stop = admin_url, database, {}, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self.stop.wait(0.2):
                for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)):
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue  # gone, or not on this machine
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    @property
    def seconds(self):
        return round(sum(self.seen.values()), 1) if self.seen else None


def _run_seed(database_url: str, sizes: dict) -> dict:
    env = {**os.environ, "ENV": "production", "DATABASE_URL": database_url,
           "SECRET_KEY": uuid.uuid4().hex * 2, "SECURITY_PASSWORD_SALT": uuid.uuid4().hex * 2,
           "WEBHOOK_SECRET": uuid.uuid4().hex * 2}
    args = [sys.executable, "-m", "flask", "--app", "main", "seed", "--articles", str(sizes["articles"]),
            "--users", str(sizes["users"]), "--likes", str(sizes["likes"])]
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    output = proc.stdout.read().decode(errors="replace").strip().splitlines()
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("seed failed:\n" + "\n".join(output[-20:]))
    return {"seconds": round(seconds, 1), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2), "output": output[-1] if output else ""}


def _sqlite(sizes: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="seed-scale-") as tmp:
        return _run_seed(f"sqlite:///{tmp}/seed.sqlite3", sizes)


def _postgresql(sizes: dict) -> dict:
    import psycopg

    admin_url = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"seed_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            with ServerCpu(admin_url, name) as server:
                result = _run_seed(f"{base}/{name}", sizes)
            # Sampled every 0.2 s: a backend's last fraction of a second before it exits can be missed.
            return {**result, "server_cpu_seconds": server.seconds}
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def main() -> int:
    sizes = {"articles": int(os.environ.get("SEED_ARTICLES", 100_000)),
             "users": int(os.environ.get("SEED_USERS", 10_000)),
             "likes": int(os.environ.get("SEED_LIKES", 2_000_000))}
    databases = [d.strip() for d in os.environ.get("SEED_DBS", "sqlite,postgresql").split(",") if d.strip()]
    print(f"seed_scale: {sizes['articles']:,} articles / {sizes['users']:,} users / {sizes['likes']:,} likes, "
          f"{os.cpu_count()} CPUs", flush=True)
    print(f"{'database':<11} {'wall s':>7} {'cpu s':>6} {'server cpu s':>12} {'peak RSS MB':>11} "
          f"{'load before/after':>18}  verdict")
    failed = False
    run = {"started": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "commit": _commit(), "cpus": os.cpu_count(),
           "results": []}
    for database in databases:
        result = {"sqlite": _sqlite, "postgresql": _postgresql}[database](sizes)
        ok = result["seconds"] <= TARGET_SECONDS and result["peak_rss_mb"] <= TARGET_MB
        failed |= not ok
        server = result.get("server_cpu_seconds")
        print(f"{database:<11} {result['seconds']:>7} {result['cpu_seconds']:>6} {'-' if server is None else server:>12} "
              f"{result['peak_rss_mb']:>11} "
              f"{result['load_before']:>8} / {result['load_after']:<7}  "
              f"[{'ok' if ok else 'MISS'}] (<= {TARGET_SECONDS} s, <= {TARGET_MB} MB)", flush=True)
        record = {"database": database, **sizes, **result, "met": ok}
        print("  " + json.dumps(record), flush=True)
        run["results"].append(record)
    _record(run)
    return 1 if failed else 0


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return done.stdout.strip() + ("+changes" if dirty else "")


def _record(run: dict) -> None:
    runs = json.loads(RESULTS.read_text())["runs"] if RESULTS.exists() else []
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": (runs + [run])[-RUNS_KEPT:]}, indent=1) + "\n")


def doc_table(data: dict) -> str:
    """Every recorded run, one row per database, as printed (docs/performance.md's seeding table)."""
    lines = ["| run (UTC) | commit | data set | database | wall s | CPU s (seed) | CPU s (server) | peak RSS MB | "
             f"load before / after | <= {TARGET_SECONDS} s, <= {TARGET_MB} MB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for run in data["runs"]:
        for r in run["results"]:
            size = f"{r['articles']:,} / {r['users']:,} / {r['likes']:,}"
            lines.append(f"| {run['started']} | `{run['commit']}` | {size} | {r['database']} | {r['seconds']} | "
                         f"{r['cpu_seconds']} | {r.get('server_cpu_seconds') or '-'} | {r['peak_rss_mb']} | "
                         f"{r['load_before']} / {r['load_after']} | "
                         f"{'ok' if r['met'] else 'MISS'} |")
    return "\n".join(lines)


def write_doc(text: str, doc: Path = DOC) -> None:
    doc.write_text(replace_between(doc.read_text(), text, START, END))


if __name__ == "__main__":
    if "--doc" in sys.argv:
        table = doc_table(json.loads(RESULTS.read_text()))
        write_doc(table) if "--write" in sys.argv else print(table)
        sys.exit(0)
    sys.exit(main())
