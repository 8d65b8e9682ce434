"""Benchmark driver: seed, start the stack, load each scenario with wrk, report.

Run through ./bench/run.sh (it checks wrk, the venv and Redis first).
Knobs (env): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 2), BENCH_ROUNDS (3),
BENCH_ONLY (comma-separated scenario names), BENCH_ARTICLES/USERS/LIKES or BENCH_SCALE (articles;
users and likes scale with it),
BENCH_DATABASE_URL (a PostgreSQL *server*, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres:
the run also seeds a database of its own there, runs the like path and the cache-off page on it and
drops it), BENCH_SKIP_STALL=1 (no login-stall measurement).
Targets are checked per round (bench/rounds.py: met only if met in every round); the load average
is recorded around each round, with a warning when a round starts on a busy machine.
"""
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from . import login_stall, report
from . import rounds as bench_rounds
from .procs import ROOT, VENV_BIN, Processes, drain
from .scenarios import Scenario, scenarios as base_scenarios

BENCH = ROOT / "bench"
WORK = BENCH / "results" / "work"
REDIS_DBS = {"cache": 5, "broker": 6, "results": 7, "sse": 8}
# What the PostgreSQL pass measures (the rest is the same code over the same data).
POSTGRES_SCENARIOS = ("/ cache off", "POST like", "POST like paced", "POST like lockstep")
# Scenarios with the same Scenario.interleave run in this many slices each, alternating (see run_interleaved).
INTERLEAVE_SLICES = 5


@dataclass
class Context:
    urls: dict
    cookie: str = ""
    tokens: list = field(default_factory=list)
    article_ids: list = field(default_factory=list)
    slugs: list = field(default_factory=list)

    def url(self, server: str) -> str:
        return self.urls[server]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def base_env(run_id: str, database_url: str) -> dict:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    env = dict(os.environ)
    env.update({
        "ENV": "production", "BENCH_RUN_ID": run_id, "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url, "REDIS_URL": base,
        "CACHE_REDIS_URL": f"{base}/{REDIS_DBS['cache']}", "CELERY_BROKER_URL": f"{base}/{REDIS_DBS['broker']}",
        "CELERY_RESULT_BACKEND": f"{base}/{REDIS_DBS['results']}", "SSE_REDIS_URL": f"{base}/{REDIS_DBS['sse']}",
        "SECRET_KEY": "bench-secret-" + run_id, "SECURITY_PASSWORD_SALT": "bench-salt-" + run_id,
        "WEBHOOK_SECRET": "bench-webhook-" + run_id, "SESSION_COOKIE_SECURE": "0",
        "BENCH_FLOOR_REDIS_URL": f"{base}/{REDIS_DBS['cache']}", "BENCH_FLOOR_KEY": f"bench:{run_id}:floor",
    })
    return env


def seed_counts(scale: int = 0) -> tuple[int, int, int]:
    """(articles, users, likes): N articles (scale, else BENCH_SCALE) with N/10 users and 20N likes,
    else BENCH_ARTICLES/USERS/LIKES."""
    scale = scale or env_int("BENCH_SCALE", 0)
    if scale:
        return scale, max(20, scale // 10), scale * 20
    return env_int("BENCH_ARTICLES", 10_000), env_int("BENCH_USERS", 1_000), env_int("BENCH_LIKES", 200_000)


def remove_sqlite(db_file: Path) -> None:
    """Delete a SQLite database with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_file) + suffix).unlink(missing_ok=True)


def seed(env: dict, db_file: Path | None) -> None:
    if db_file:
        remove_sqlite(db_file)
    started = time.monotonic()
    articles, users, likes = seed_counts()
    subprocess.run([str(VENV_BIN / "flask"), "--app", "bench.bench_app", "seed", "--articles", str(articles),
                    "--users", str(users), "--likes", str(likes)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"bench: seeded {make_url(env['DATABASE_URL']).get_backend_name()} in "
          f"{time.monotonic() - started:.1f}s", flush=True)


def login(url: str, email: str) -> tuple[str, str]:
    """(session cookie header, auth token) for a seeded user."""
    # Login needs a CSRF token: a JSON client gets one (and its session cookie) from GET /login.
    with urllib.request.urlopen(urllib.request.Request(url + "/login", headers={"Accept": "application/json"}),
                                timeout=10) as r:
        csrf = json.load(r)["response"]["csrf_token"]
        session = "; ".join(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or [])
    body = json.dumps({"email": email, "password": "password123"}).encode()
    req = urllib.request.Request(url + "/login?include_auth_token", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json",
                                          "X-CSRF-Token": csrf, "Cookie": session})
    with urllib.request.urlopen(req, timeout=10) as r:
        data = json.load(r)
        cookies = [c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies), data["response"]["user"]["authentication_token"]


def prepare(ctx: Context, env: dict) -> None:
    engine = sa.create_engine(env["DATABASE_URL"], poolclass=sa.pool.NullPool)
    with engine.connect() as con:
        rows = con.execute(sa.text("SELECT id, slug FROM article WHERE status='published' "
                                   "ORDER BY publish_at DESC, id DESC LIMIT 1000")).fetchall()
    engine.dispose()
    ctx.article_ids, ctx.slugs = [r[0] for r in rows], [r[1] for r in rows]
    for i in range(32):
        cookie, token = login(ctx.url("product"), f"user{100 + i}@example.com")
        ctx.tokens.append(token)
        ctx.cookie = ctx.cookie or cookie
    with urllib.request.urlopen(ctx.url("product") + "/", timeout=10) as r:
        page = r.read()
    redis.Redis.from_url(env["BENCH_FLOOR_REDIS_URL"]).set(env["BENCH_FLOOR_KEY"], page)
    ctx.page_bytes = len(page)


def all_scenarios(ctx: Context) -> list[Scenario]:
    found = base_scenarios(ctx)
    if (BENCH / "scenarios_api.py").exists():
        found += importlib.import_module("bench.scenarios_api").scenarios(ctx)
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
    return [s for s in found if not only or s.name in only]


def run_wrk(ctx: Context, sc: Scenario, seconds: int) -> dict:
    return summarize([wrk_lines(ctx, sc, seconds)], sc.connections)


def wrk_lines(ctx: Context, sc: Scenario, seconds: int) -> list[str]:
    """What timed.lua wrote for one wrk run of this scenario."""
    out = WORK / "wrk.out"
    out.unlink(missing_ok=True)
    env = dict(os.environ, BENCH_METHOD=sc.method, BENCH_BODY=sc.body, BENCH_PATHS=",".join(sc.paths),
               BENCH_HEADERS="\n".join(f"{k}: {v}" for k, v in sc.headers.items()),
               BENCH_TOKENS=",".join(ctx.tokens) if sc.tokens else "", BENCH_DELAY_MS=str(sc.delay_ms),
               BENCH_THINK=sc.think,
               BENCH_COUNT_TIMING="1" if sc.count_timing else "0",
               BENCH_OUT=str(out))
    c = sc.connections
    subprocess.run(["wrk", f"-t{c}", f"-c{c}", f"-d{seconds}s", "--timeout", "10s", "-s", str(BENCH / "timed.lua"),
                    ctx.url(sc.server)], env=env, check=True, stdout=subprocess.DEVNULL, cwd=WORK)
    return out.read_text().splitlines()


def summarize(outputs: list[list[str]], connections: int) -> dict:
    """One result from one or more wrk runs of the same scenario (the slices of an interleaved
    measurement): their requests over their summed duration, percentiles over all samples, and a
    connection starved only if it got nothing in any of them."""
    duration_s, errors, queries, hits, misses, bad, samples = 0.0, 0, 0, 0, 0, 0, []
    per_conn: list[int] = []
    for lines in outputs:
        head = lines[0].split()
        duration_s += int(head[1]) / 1e6
        errors += sum(int(x) for x in head[2:7])
        for k, i in enumerate(range(1, len(lines), 2)):  # k: the connection, i: its counts line
            n, q, h, m, b = (int(x) for x in lines[i].split()[1:])
            if k < len(per_conn):
                per_conn[k] += n
            else:
                per_conn.append(n)
            queries, hits, misses, bad = queries + q, hits + h, misses + m, bad + b
            samples += [float(x) / 1000 for x in lines[i + 1].split()] if i + 1 < len(lines) else []
    samples.sort()
    total = len(samples)
    pct = lambda p: samples[min(total - 1, int(p * total))] if total else None  # noqa: E731
    return {
        "requests": total, "rps": total / duration_s, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
        "max_ms": samples[-1] if samples else None, "queries_per_req": queries / total if total else None,
        "cache_hit_ratio": hits / (hits + misses) if hits + misses else None,
        "starved_connections": sum(1 for n in per_conn if n == 0) + max(0, connections - len(per_conn)),
        "errors": errors, "bad_status": bad,
    }


def run_interleaved(ctx: Context, procs: Processes, group: list[Scenario], seconds: float, slices: int) -> dict:
    """{name: result} for scenarios compared with each other (a ratio target): each runs in `slices`
    slices of seconds/slices, alternating with the others (A B, B A, ...), so the machine's drift
    over a round falls on all of them alike instead of on whichever ran in the worse 10 s."""
    outputs = {sc.name: [] for sc in group}
    length = max(1, round(seconds / slices))  # wrk takes whole seconds
    for i in range(max(1, round(seconds / length))):
        for sc in (group if i % 2 == 0 else list(reversed(group))):
            drain(procs.pids())
            outputs[sc.name].append(wrk_lines(ctx, sc, length))
    return {sc.name: summarize(outputs[sc.name], sc.connections) for sc in group}


def median_of(runs: list[dict]) -> dict:
    merged = {}
    for key in runs[0]:
        values = [r[key] for r in runs if r[key] is not None]
        if key in ("starved_connections", "errors", "bad_status"):
            merged[key] = max(values)  # the worst round counts
        else:
            merged[key] = statistics.median(values) if values else None
    merged["rounds"] = runs
    return merged


def run_all(ctx: Context, procs: Processes, chosen: list[Scenario], label: str = "sqlite") -> tuple[dict, list]:
    """(median figures per scenario with each round's, the load average before/after each round)."""
    duration, warmup, rounds = env_int("BENCH_DURATION", 10), env_int("BENCH_WARMUP", 2), env_int("BENCH_ROUNDS", 3)
    cores = os.cpu_count() or 1
    runs = {s.name: [] for s in chosen}
    loads = []
    for rnd in range(1, rounds + 1):
        drain(procs.pids())
        before, cpu_busy = bench_rounds.load_now(), bench_rounds.cpu_busy_now()
        if bench_rounds.busy(before, cores, cpu_busy):
            print("bench: " + bench_rounds.warning(f"before {label} round {rnd}", before, cores, cpu_busy), flush=True)
        # Alternate scenarios so drift hits them all alike, and reverse the order every other round
        # (A B B A): the first of a pair (e.g. /hello with and without instrumentation) is not always first.
        done = set()
        for sc in (chosen if rnd % 2 else list(reversed(chosen))):
            if sc.name in done:
                continue
            group = [g for g in chosen if sc.interleave and g.interleave == sc.interleave] or [sc]
            if not drain(procs.pids()):  # e.g. the worker still recounting the likes of a scenario before
                print(f"bench: the servers or the worker were still busy 10 s later, before {sc.name} "
                      f"(round {rnd}): its figures share the CPU with that work", flush=True)
            if rnd == 1 and warmup:
                for g in group:
                    run_wrk(ctx, g, warmup)
                drain(procs.pids())
            if len(group) > 1:
                results = run_interleaved(ctx, procs, group if rnd % 2 else group[::-1], duration, INTERLEAVE_SLICES)
            else:
                results = {sc.name: run_wrk(ctx, sc, duration)}
            for name, result in results.items():
                done.add(name)
                runs[name].append(result)
                print(f"bench: round {rnd} {name:18s} {result['rps']:9.1f} req/s  p50 {report._fmt(result['p50_ms'], 2)} ms"
                      f"  p99 {report._fmt(result['p99_ms'], 2)} ms", flush=True)
        loads.append({"pass": label, "round": rnd, "before": before, "cpu_busy": cpu_busy,
                      "after": bench_rounds.load_now()})
    return {name: median_of(r) for name, r in runs.items()}, loads


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    db_file = WORK / "bench.sqlite3"
    env = base_env(run_id, f"sqlite:///{db_file}")
    started, load_before = time.monotonic(), os.getloadavg()
    seed(env, db_file)
    procs = Processes(WORK)
    stall, round_loads, instr = {}, [], {}
    try:
        urls = {"product": procs.gunicorn("product", "bench.bench_app:app", dict(env, BENCH_VARIANT="full")),
                "nocache": procs.gunicorn("nocache", "bench.bench_app:app", dict(env, BENCH_VARIANT="nocache")),
                "noinstr": procs.gunicorn("noinstr", "bench.bench_app:app", dict(env, BENCH_VARIANT="noinstr")),
                "floor": procs.gunicorn("floor", "bench.floor_app:app", env)}
        procs.start("celery", [str(VENV_BIN / "celery"), "-A", "bench.bench_app.celery_app", "worker",
                               "--loglevel=WARNING", "--concurrency=1", "-Q", f"bench-{run_id}"],
                    dict(env, BENCH_VARIANT="full"))
        ctx = Context(urls=urls)
        prepare(ctx, env)
        chosen = all_scenarios(ctx)
        results, round_loads = run_all(ctx, procs, chosen)
        if os.environ.get("BENCH_SKIP_STALL") != "1":
            stall = measure_login_stall(procs, env)
        instr = measure_instr_cost(procs, env)
    finally:
        procs.stop()
        cleanup_redis(env, run_id)
    postgres = run_postgres(os.environ.get("BENCH_DATABASE_URL", ""))
    meta = {"run_id": run_id, "cores": os.cpu_count(), "page_bytes": ctx.page_bytes,
            "duration_s": env_int("BENCH_DURATION", 10), "rounds": env_int("BENCH_ROUNDS", 3),
            "wall_s": round(time.monotonic() - started, 1),
            "only": os.environ.get("BENCH_ONLY", ""),
            # The machine may be shared: its load average (1, 5, 15 min) before and after the run.
            "loadavg_before": [round(x, 1) for x in load_before], "loadavg_after": [round(x, 1) for x in os.getloadavg()],
            "round_loads": round_loads, "busy_factor": bench_rounds.BUSY_FACTOR,
            "notes": {s.name: s.note for s in chosen}, "connections": {s.name: s.connections for s in chosen}}
    report.write_all(results, meta, BENCH / "results", postgres=postgres, login_stall=stall, instr_cost=instr)


def measure_instr_cost(procs: Processes, env: dict) -> dict:
    """The instrumentation's CPU a request in-process (bench/instr_cost.py), with the servers idle."""
    if os.environ.get("BENCH_ONLY") and "/hello" not in os.environ["BENCH_ONLY"]:
        return {}
    drain(procs.pids())
    rounds = env_int("BENCH_ROUNDS", 3)
    with open(WORK / "instr_cost.log", "w") as log:  # its request log lines, as a worker's go to its log
        done = subprocess.run([str(VENV_BIN / "python"), "-m", "bench.instr_cost", "--rounds", str(rounds)],
                              cwd=ROOT, env=dict(env, BENCH_VARIANT="full"), stdout=subprocess.PIPE, stderr=log,
                              text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_login_stall(procs: Processes, env: dict) -> dict:
    """/hello on one gevent worker while 8 logins run: password hashing off the hub, and inline (before)."""
    out = {}
    for name, variant, first_user in (("off hub", "full", 200), ("inline (before)", "inline-hash", 300)):
        url = procs.gunicorn(f"stall-{variant}", "bench.bench_app:app",
                             dict(env, BENCH_VARIANT=variant, WEB_CONCURRENCY="1"))
        out[name] = login_stall.measure(url, first_user)
        print(f"bench: login stall, {name}: /hello p99 {out[name]['hello_p99_ms']} ms while "
              f"{out[name]['logins_at_once']} logins ran", flush=True)
    return out


def run_postgres(server_url: str) -> dict:
    """The like path and the cache-off page on a PostgreSQL database made (and dropped) for this run."""
    if not server_url:
        return {}
    run_id = uuid.uuid4().hex[:8]
    name = f"bench_{run_id}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    env = base_env(run_id, make_url(server_url).set(database=name).render_as_string(hide_password=False))
    procs = Processes(WORK)
    try:
        seed(env, None)
        urls = {"product": procs.gunicorn("pg-product", "bench.bench_app:app", dict(env, BENCH_VARIANT="full")),
                "nocache": procs.gunicorn("pg-nocache", "bench.bench_app:app", dict(env, BENCH_VARIANT="nocache"))}
        procs.start("pg-celery", [str(VENV_BIN / "celery"), "-A", "bench.bench_app.celery_app", "worker",
                                  "--loglevel=WARNING", "--concurrency=1", "-Q", f"bench-{run_id}"],
                    dict(env, BENCH_VARIANT="full"))
        ctx = Context(urls=urls)
        prepare(ctx, env)
        only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
        chosen = [s for s in base_scenarios(ctx) if s.name in POSTGRES_SCENARIOS and (not only or s.name in only)]
        results, round_loads = run_all(ctx, procs, chosen, "postgresql")
        with admin.connect() as con:
            version = con.execute(sa.text("SHOW server_version")).scalar()
    finally:
        procs.stop()
        cleanup_redis(env, run_id)
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {"server_version": version, "scenarios": results, "round_loads": round_loads}


def cleanup_redis(env: dict, run_id: str) -> None:
    """Delete only this run's keys (other people's Redis DBs are never flushed)."""
    for url, pattern in ((env["CACHE_REDIS_URL"], f"bs:bench:{run_id}:*"), (env["CACHE_REDIS_URL"], f"bench:{run_id}:*"),
                         (env["CELERY_BROKER_URL"], f"*bench-{run_id}*")):
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=pattern, count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])


if __name__ == "__main__":
    sys.exit(main())
