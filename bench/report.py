"""Benchmark output: the table, the target checks, latest.json and an SVG chart."""
import json
from pathlib import Path

from . import rounds
from .baselines import POSTGRES_SATURATED_LIKES_BEFORE


def _r(results, name, key):
    row = results.get(name)
    return row.get(key) if row else None


def _ratio(a, b):
    return a / b if a is not None and b else None


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with the measured value and whether it is met."""
    rps = lambda n: _r(results, n, "rps")  # noqa: E731
    checks = [
        ("/ cached >= 0.9x redis floor", _ratio(rps("/ cached"), rps("redis floor")), 0.9, ">="),
        ("/ cached >= 0.45x hello floor", _ratio(rps("/ cached"), rps("hello floor")), 0.45, ">="),
        ("/ logged in <= 4 queries", _r(results, "/ logged in", "queries_per_req"), 4, "<="),
        ("/ cache off <= 4 queries", _r(results, "/ cache off", "queries_per_req"), 4, "<="),
        ("/ logged in >= 20x naive", _ratio(rps("/ logged in"), rps("/ naive")), 20, ">="),
        ("/ cache off >= 20x naive", _ratio(rps("/ cache off"), rps("/ naive")), 20, ">="),
        ("POST like paced p99 <= 20 ms", _r(results, "POST like paced", "p99_ms"), 20, "<="),
        ("instrumentation overhead <= 5%",
         1 - _ratio(rps("/hello product"), rps("/hello no instr")) if rps("/hello no instr") else None, 0.05, "<="),
        # The in-process tier (issue "Performance round 2", item 2).
        ("/ cached >= 1.5x redis floor", _ratio(rps("/ cached"), rps("redis floor")), 1.5, ">="),
        ("/ cached >= 0.8x hello floor", _ratio(rps("/ cached"), rps("hello floor")), 0.8, ">="),
        *((f"{n} >= 0.5x hello floor", _ratio(rps(n), rps("hello floor")), 0.5, ">=")
          for n in ("api_list", "api_article", "api_tags", "api_profile") if n != "api_profile" or n in results),
    ]
    for name in ("api_list", "api_article", "api_tags", "api_profile"):  # a hit vs the same read, cache off
        checks.append((f"{name} >= 2x its cache-off", _ratio(rps(name), rps(f"{name} nocache")), 2, ">="))
    for name, row in results.items():
        checks.append((f"{name}: p99 <= 10x p50", _ratio(row["p99_ms"], row["p50_ms"]), 10, "<="))
        checks.append((f"{name}: no starved connection", row["starved_connections"], 0, "<="))
    out = []
    for label, value, limit, op in checks:
        ok = value is not None and (value >= limit if op == ">=" else value <= limit)
        out.append({"target": label, "value": value, "limit": limit, "op": op, "met": ok})
    return out


def _fmt(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def table(results: dict, meta: dict) -> str:
    hello = _r(results, "hello floor", "rps")
    lines = [f"{'scenario':20s} {'req/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'p99/p50':>7s} {'queries':>7s} "
             f"{'hit %':>6s} {'x hello':>7s} {'starved':>7s} {'errors':>6s}"]
    for name, r in results.items():
        hit = None if r["cache_hit_ratio"] is None else 100 * r["cache_hit_ratio"]
        lines.append(f"{name:20s} {r['rps']:9.1f} {_fmt(r['p50_ms'], 2):>8s} {_fmt(r['p99_ms'], 2):>8s} "
                     f"{_fmt(_ratio(r['p99_ms'], r['p50_ms'])):>7s} {_fmt(r['queries_per_req'], 2):>7s} "
                     f"{_fmt(hit, 0):>6s} {_fmt(_ratio(r['rps'], hello), 3):>7s} {r['starved_connections']:7d} "
                     f"{r['errors'] + r['bad_status']:6d}")
    lines.append(f"({meta['cores']} cores, {meta['rounds']} rounds x {meta['duration_s']} s, medians; "
                 f"index page {meta['page_bytes']} bytes; wall {meta['wall_s']} s)")
    return "\n".join(lines)


def svg_chart(results: dict) -> str:
    """Two horizontal bar charts side by side: req/s and p99 (ms) per scenario."""
    names = list(results)
    row_h, label_w, bar_w, top = 22, 170, 300, 40
    height = top + row_h * len(names) + 20
    width = label_w + 2 * (bar_w + 90)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">', '<rect width="100%" height="100%" fill="white"/>']
    for col, (key, title, color) in enumerate((("rps", "requests/s", "#2b6cb0"), ("p99_ms", "p99 latency (ms)", "#c05621"))):
        x0 = label_w + col * (bar_w + 90)
        top_value = max((results[n][key] or 0) for n in names) or 1
        parts.append(f'<text x="{x0}" y="20" font-weight="bold">{title}</text>')
        for i, n in enumerate(names):
            v = results[n][key] or 0
            y = top + i * row_h
            w = max(1, bar_w * v / top_value)
            parts.append(f'<rect x="{x0}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="{color}"/>')
            parts.append(f'<text x="{x0 + w + 4:.1f}" y="{y + 12}">{v:,.1f}</text>')
    for i, n in enumerate(names):
        parts.append(f'<text x="{label_w - 8}" y="{top + i * row_h + 12}" text-anchor="end">{n}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def database_table(sqlite: dict, postgres: dict) -> str:
    """The scenarios run on both databases, side by side (same code, same data, same run)."""
    pg = postgres["scenarios"]
    lines = [f"{'scenario':18s} {'SQLite req/s':>12s} {'p50 ms':>7s} {'p99 ms':>7s} {'queries':>7s}   "
             f"{'PostgreSQL req/s':>16s} {'p50 ms':>7s} {'p99 ms':>7s} {'queries':>7s}"]
    for name, p in pg.items():
        s = sqlite.get(name)
        left = (f"{s['rps']:12.1f} {_fmt(s['p50_ms'], 2):>7s} {_fmt(s['p99_ms'], 2):>7s} "
                f"{_fmt(s['queries_per_req'], 2):>7s}") if s else f"{'-':>12s} {'-':>7s} {'-':>7s} {'-':>7s}"
        lines.append(f"{name:18s} {left}   {p['rps']:16.1f} {_fmt(p['p50_ms'], 2):>7s} {_fmt(p['p99_ms'], 2):>7s} "
                     f"{_fmt(p['queries_per_req'], 2):>7s}")
    lines.append(f"(PostgreSQL {postgres['server_version']} on the same machine; like rows = req/s of the 202 "
                 "answers, aggregation by the Celery worker)")
    return "\n".join(lines)


def stall_table(stall: dict) -> str:
    lines = [f"{'password hashing':18s} {'idle p99':>9s} {'/hello p50':>10s} {'p99':>8s} {'max':>8s} "
             f"{'samples':>7s} {'login p50':>9s} {'login max':>9s}"]
    for name, r in stall.items():
        lines.append(f"{name:18s} {r['idle_hello_p99_ms']:9.1f} {r['hello_p50_ms']:10.1f} {r['hello_p99_ms']:8.1f} "
                     f"{r['hello_max_ms']:8.1f} {r['hello_samples']:7d} {r['login_p50_ms']:9.1f} "
                     f"{r['login_max_ms']:9.1f}")
    first = next(iter(stall.values()))
    lines.append(f"(ms; one gunicorn gevent worker, {first['logins_at_once']} argon2 logins at once x "
                 f"{first['rounds']} rounds, /hello back to back meanwhile)")
    return "\n".join(lines)


def instr_cost_table(instr: dict) -> str:
    """bench/instr_cost.py's rounds: CPU a request with and without the measuring middleware, same process."""
    lines = [f"{'instrumentation':18s} {'round':>5s} {'CPU us with':>11s} {'without':>8s} {'overhead':>8s} {'pairs':>5s}"]
    for i, rnd in enumerate(instr["rounds"], 1):
        for r in rnd:
            lines.append(f"{r['path']:18s} {i:5d} {r['us_with']:11.1f} {r['us_without']:8.1f} "
                         f"{100 * r['overhead']:7.1f}% {r['pairs']:5d}")
    lines.append(f"(in-process, the product app called through WSGI in alternating batches of {instr['rounds'][0][0]['batch']} "
                 "requests with and without the middleware; overhead = median pair ratio - 1; no target)")
    return "\n".join(lines)


def postgres_targets(pg_scenarios: dict) -> list[dict]:
    """Targets on the PostgreSQL pass's figures (one round's, or the medians)."""
    if not pg_scenarios:
        return []
    row = pg_scenarios.get("POST like paced")
    value = row["p99_ms"] if row else None
    checks = [{"target": "PostgreSQL: POST like paced p99 <= 20 ms", "value": value, "limit": 20, "op": "<=",
               "met": value is not None and value <= 20}]
    row = pg_scenarios.get("POST like")
    value = _ratio(row["rps"], POSTGRES_SATURATED_LIKES_BEFORE) if row else None
    checks.append({"target": "PostgreSQL: POST like >= 2x likes/s before batching (bench/baselines.py)",
                   "value": value, "limit": 2, "op": ">=", "met": value is not None and value >= 2})
    return checks


def stall_targets(stall: dict) -> list[dict]:
    """The login stall is one measurement (its own 3 rounds of 8 logins pooled), checked once."""
    if not stall.get("off hub"):
        return []
    value = stall["off hub"]["hello_p99_ms"]
    return [{"target": "login stall: /hello p99 <= 50 ms while 8 logins run", "value": value, "limit": 50,
             "op": "<=", "met": value <= 50}]


def checks(results: dict, postgres: dict, stall: dict, only: str = "") -> list[dict]:
    """Every target over the rounds (bench.rounds: met only if met in every round), with its spread."""
    pg = postgres.get("scenarios") or {}
    if pg:
        out = rounds.over_rounds(lambda r, p: targets(r) + postgres_targets(p), results, pg)
    else:
        out = rounds.over_rounds(targets, results)
    out += rounds.combine([stall_targets(stall)]) if stall_targets(stall) else []
    # BENCH_ONLY: targets whose scenarios did not run are left out, not reported as missed.
    return [c for c in out if not only or any(v is not None for v in c["values"])]


def write_all(results: dict, meta: dict, out_dir: Path, postgres: dict | None = None,
              login_stall: dict | None = None, instr_cost: dict | None = None) -> None:
    postgres, login_stall, instr_cost = postgres or {}, login_stall or {}, instr_cost or {}
    checked = checks(results, postgres, login_stall, meta.get("only", ""))
    text = table(results, meta)
    print("\n" + text + "\n")
    db_text = database_table(results, postgres) if postgres else ""
    stall_text = stall_table(login_stall) if login_stall else ""
    instr_text = instr_cost_table(instr_cost) if instr_cost else ""
    for extra in (db_text, stall_text, instr_text):
        if extra:
            print(extra + "\n")
    round_loads = meta.get("round_loads", []) + postgres.get("round_loads", [])
    print("\n".join(rounds.load_lines(round_loads)))
    print(f"Targets ({rounds.RULE}):")
    for c in checked:
        print("  " + rounds.spread_line(c))
    for line in rounds.busy_lines(round_loads, meta["cores"]):
        print(line)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(
        {"meta": meta, "scenarios": results, "targets": checked, "table": text,
         "postgresql": postgres, "databases_table": db_text, "login_stall": login_stall, "login_stall_table": stall_text,
         "instr_cost": instr_cost, "instr_cost_table": instr_text},
        indent=1))
    (out_dir / "latest.svg").write_text(svg_chart(results))
    print(f"\nwrote {out_dir / 'latest.json'} and {out_dir / 'latest.svg'}")
