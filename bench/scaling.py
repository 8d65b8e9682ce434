"""Scaling run: does a page cost the same at 1k, 100k and 1M articles?

    ./bench/scaling.sh        (or BENCH_SCALING=1 ./bench/run.sh)

For each database (SQLite under bench/results/work/; with BENCH_DATABASE_URL also PostgreSQL, in
databases of its own, dropped afterwards) it seeds a fresh database of each size in BENCH_SCALES
(default "1000,100000"; add 1000000 for the full table: the seed then takes minutes and a few GB),
starts the product with the cache off (NullCache: every request reads the database) on each, all
at once, and loads the uncached `/api/articles?limit=20` and the cache-off `/` with wrk,
BENCH_ROUNDS x BENCH_DURATION s (defaults 4 x 5) per scenario and size. The sizes are interleaved:
each round loads every size in turn, in the opposite order from the round before (A B C, C B A),
so the machine's drift over the run hits every size alike (measured one size after the other,
minutes apart, a slow spell of this VM during the 1k rounds moved a ratio by 40%). Users are a
tenth of the articles and likes twenty times them (the main bench's 10k / 1k / 200k shape). Prints
a table with the ratio largest / smallest size and the target (largest >= 0.8x smallest, on each
database), writes bench/results/scaling.json.
"""
import json
import os
import statistics
import subprocess
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .driver import BENCH, WORK, Context, base_env, cleanup_redis, env_int, remove_sqlite, run_wrk, seed_counts
from .procs import ROOT, VENV_BIN, Processes, drain
from .scenarios import Scenario

SCENARIOS = [Scenario("api list uncached", "nocache", ["/api/articles?limit=20"],
                      note="RealWorld list, first page, NullCache"),
             Scenario("/ cache off", "nocache", ["/"], note="the index page, NullCache")]
TARGET = 0.8
DRAIN_S = 120
OUT = BENCH / "results" / "scaling.json"


def scales() -> list[int]:
    return [int(s) for s in os.environ.get("BENCH_SCALES", "1000,100000").split(",") if s.strip()]


def _seed(env: dict, scale: int) -> float:
    articles, users, likes = seed_counts(scale)  # BENCH_SCALE's shape (bench/driver.py)
    started = time.monotonic()
    subprocess.run([str(VENV_BIN / "flask"), "--app", "bench.bench_app", "seed", "--articles", str(articles),
                    "--users", str(users), "--likes", str(likes)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return round(time.monotonic() - started, 1)


def _settle(server: sa.Engine | None = None) -> float:
    """After a seed, before the rounds: its writes out of memory, so the rounds do not pay for them.

    A seed's dirty pages, written out by the kernel (and PostgreSQL's checkpoint, spread over
    minutes) in the background, would share the two cores the rounds load. sync(), and on
    PostgreSQL a CHECKPOINT first (cluster-wide, on the server connection; superuser or pg_checkpoint;
    skipped if refused). Seconds taken
    (0.0-0.8 s after the 1M seeds of 2026-11-28: little was pending; kept so it stays that way).
    """
    started = time.monotonic()
    if server is not None:
        try:
            with server.connect() as con:
                con.execute(sa.text("CHECKPOINT"))
        except sa.exc.DBAPIError as exc:
            print(f"bench: no CHECKPOINT before the rounds ({exc.orig})", flush=True)
    os.sync()
    return round(time.monotonic() - started, 1)


def _measure(envs: dict[int, dict], label: str) -> dict[int, dict]:
    """{size: {scenario: figures}}: one cache-off server per size, all up, loaded in turn every round."""
    procs = Processes(WORK)
    duration, rounds, warmup = env_int("BENCH_DURATION", 5), env_int("BENCH_ROUNDS", 4), env_int("BENCH_WARMUP", 2)
    sizes = sorted(envs)
    runs = {size: {s.name: [] for s in SCENARIOS} for size in sizes}
    try:
        ctxs = {size: Context(urls={"nocache": procs.gunicorn(f"scale-{label}-{size}", "bench.bench_app:app",
                                                               dict(env, BENCH_VARIANT="nocache"))})
                for size, env in envs.items()}
        for rnd in range(1, rounds + 1):
            for sc in SCENARIOS if rnd % 2 else SCENARIOS[::-1]:
                for size in sizes if rnd % 2 else sizes[::-1]:
                    # A slow page leaves requests queued past wrk's end: wait them out (up to DRAIN_S), or
                    # they eat the next load (seen at 100k: the API list at 0 req/s after "/").
                    drain(procs.pids(), DRAIN_S)
                    if rnd == 1 and warmup:
                        run_wrk(ctxs[size], sc, warmup)
                        drain(procs.pids(), DRAIN_S)
                    runs[size][sc.name].append(run_wrk(ctxs[size], sc, duration))
    finally:
        procs.stop()
    return {size: _summary(by_name, f"{label} {size}") for size, by_name in runs.items()}


def _summary(runs: dict, label: str) -> dict:
    out = {}
    for name, results in runs.items():
        # a round where nothing came back within wrk's timeout has no latency figures: 0 req/s, None
        out[name] = {key: statistics.median(values) if (values := [r[key] for r in results if r[key] is not None])
                     else None for key in ("rps", "p50_ms", "p99_ms", "queries_per_req")}
        out[name]["errors"] = max(r["errors"] + r["bad_status"] for r in results)
        out[name]["rounds_rps"] = [round(r["rps"], 1) for r in results]
        print(f"bench: {label:22s} {name:18s} {out[name]['rps']:8.1f} req/s  rounds {out[name]['rounds_rps']}",
              flush=True)
    return out


def _seed_then_measure(envs: dict[int, dict], label: str, create, server: sa.Engine | None = None) -> dict:
    """Seed every size (create(size) first), settle, then measure all sizes interleaved: {size: figures}."""
    out = {}
    for size, env in envs.items():
        create(size)
        out[size] = {"seed_s": _seed(env, size), "settle_s": _settle(server)}
    for size, figures in _measure(envs, label).items():
        out[size]["scenarios"] = figures
    return {str(size): v for size, v in out.items()}


def _sqlite(sizes: list[int], run_id: str) -> dict:
    files = {size: WORK / f"scaling-{size}.sqlite3" for size in sizes}
    envs = {size: base_env(f"{run_id}{size}", f"sqlite:///{path}") for size, path in files.items()}
    try:
        return _seed_then_measure(envs, "sqlite", lambda size: remove_sqlite(files[size]))
    finally:
        for size in sizes:
            cleanup_redis(envs[size], f"{run_id}{size}")
            remove_sqlite(files[size])


def _postgres(server_url: str, sizes: list[int], run_id: str) -> dict:
    names = {size: f"bench_scale_{run_id}_{size}" for size in sizes}
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    envs = {size: base_env(f"{run_id}{size}", make_url(server_url).set(database=name).render_as_string(hide_password=False))
            for size, name in names.items()}

    def create(size: int) -> None:
        with admin.connect() as con:
            con.execute(sa.text(f'CREATE DATABASE "{names[size]}"'))

    try:
        return _seed_then_measure(envs, "postgresql", create, admin)
    finally:
        with admin.connect() as con:
            for size in sizes:
                cleanup_redis(envs[size], f"{run_id}{size}")
                con.execute(sa.text(f'DROP DATABASE IF EXISTS "{names[size]}" WITH (FORCE)'))
        admin.dispose()


def targets(results: dict, sizes: list[int]) -> list[dict]:
    """Largest size >= TARGET x smallest, per database and scenario."""
    out = []
    small, large = str(min(sizes)), str(max(sizes))
    for db_name, by_scale in results.items():
        for sc in SCENARIOS:
            ratio = by_scale[large]["scenarios"][sc.name]["rps"] / by_scale[small]["scenarios"][sc.name]["rps"]
            out.append({"target": f"{db_name}: {sc.name} at {int(large):,} articles >= {TARGET}x its req/s at "
                                  f"{int(small):,}", "value": round(ratio, 3), "limit": TARGET, "met": ratio >= TARGET})
    return out


def table(data: dict) -> str:
    sizes = data["meta"]["scales"]
    head = f"{'database':11s} {'scenario':18s}" + "".join(f"{f'{s:,}':>11s}" for s in sizes) + f"{'ratio':>8s}"
    lines = [head + "   (req/s by articles seeded; ratio = largest / smallest)"]
    for db_name, by_scale in data["results"].items():
        for sc in SCENARIOS:
            rps = [by_scale[str(s)]["scenarios"][sc.name]["rps"] for s in sizes]
            lines.append(f"{db_name:11s} {sc.name:18s}" + "".join(f"{r:11.1f}" for r in rps) + f"{rps[-1] / rps[0]:8.2f}")
    seeds = "; ".join(f"{db} " + ", ".join(f"{int(s):,}: {v['seed_s']} s" for s, v in by_scale.items())
                      for db, by_scale in data["results"].items())
    lines.append(f"(seed wall time: {seeds})")
    settles = "; ".join(f"{db} " + ", ".join(f"{int(s):,}: {v['settle_s']} s" for s, v in by_scale.items())
                        for db, by_scale in data["results"].items()
                        if all("settle_s" in v for v in by_scale.values()))
    if settles:  # runs before the settle step have none
        lines.append(f"(sync / CHECKPOINT after each seed, before its rounds: {settles})")
    return "\n".join(lines)


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = sorted(scales())
    server = os.environ.get("BENCH_DATABASE_URL", "")
    started, load_before = time.monotonic(), os.getloadavg()
    results: dict = {"sqlite": _sqlite(sizes, uuid.uuid4().hex[:8])}
    if server:
        results["postgresql"] = _postgres(server, sizes, uuid.uuid4().hex[:8])
    data = {"meta": {"scales": sizes, "cores": os.cpu_count(), "duration_s": env_int("BENCH_DURATION", 5),
                     "rounds": env_int("BENCH_ROUNDS", 4), "interleaved": True,
                     "wall_s": round(time.monotonic() - started, 1),
                     "seed_shape": "users = articles / 10, likes = articles x 20",
                     "loadavg_before": [round(x, 1) for x in load_before],
                     "loadavg_after": [round(x, 1) for x in os.getloadavg()]},
            "results": results}
    data["targets"] = targets(results, sizes)
    data["table"] = table(data)
    OUT.write_text(json.dumps(data, indent=2))
    print(data["table"])
    for t in data["targets"]:
        print(f"[{'ok' if t['met'] else 'MISSED'}] {t['target']}: {t['value']:.3f} (limit {t['limit']})")
    print(f"bench: wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
