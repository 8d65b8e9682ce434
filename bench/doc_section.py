"""The benchmark figures in README.md and docs/performance.md, generated from
bench/results/latest.json (as the run printed them, never retyped):
    python -m bench.doc_section [path/to/latest.json]           # print both sections
    python -m bench.doc_section --write [path/to/latest.json]   # replace them between their markers
tests/test_bench_report.py checks that README.md's section is what the committed latest.json gives.
"""
import json
import sys
from pathlib import Path

from . import rounds as bench_rounds

DEFAULT = Path(__file__).resolve().parent / "results" / "latest.json"
ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
README = ROOT / "README.md"
START, END = "<!-- bench.doc_section: start -->", "<!-- bench.doc_section: end -->"
README_START, README_END = "<!-- bench.readme_table: start -->", "<!-- bench.readme_table: end -->"


def _run_line(meta: dict) -> str:
    return (f"Run `{meta['run_id']}`: {meta['cores']} cores, {meta['rounds']} rounds x {meta['duration_s']} s "
            f"per scenario, wall {meta['wall_s']} s"
            + (f", scenarios `{meta['only']}`" if meta.get("only") else "")
            + (f"; load average (1/5/15 min) {meta['loadavg_before']} before, {meta['loadavg_after']} after"
               if meta.get("loadavg_before") else "") + ".")


def _round_loads(data: dict) -> list[dict]:
    return data["meta"].get("round_loads", []) + (data.get("postgresql") or {}).get("round_loads", [])


def _targets(data: dict) -> list[str]:
    out = [f"Target checks of this run ({bench_rounds.RULE}):", "", "```"]
    out += [bench_rounds.spread_line(c) for c in data["targets"]]
    out += ["```"]
    warnings = bench_rounds.busy_lines(_round_loads(data), data["meta"]["cores"])
    if warnings:
        out += ["", "**This run shared the machine** (load average before each round, busy above "
                f"{bench_rounds.BUSY_FACTOR} x cores):", ""] + [f"- {w}" for w in warnings]
    return out


def readme_section(data: dict) -> str:
    """README.md's benchmark table: the medians of every scenario and each target with its spread."""
    out = [_run_line(data["meta"]), "", "```", data["table"], "```", ""]
    if data.get("databases_table"):
        out += ["The PostgreSQL pass, side by side:", "", "```", data["databases_table"], "```", ""]
    return "\n".join(out + _targets(data))


def section(data: dict) -> str:
    """docs/performance.md's section: the databases side by side, the login stall, loads and targets."""
    out = [_run_line(data["meta"]), ""]
    if data.get("databases_table"):
        out += ["SQLite and PostgreSQL side by side (same code, same seeded data, same run):", "", "```",
                data["databases_table"], "```", "", "req/s of each round (the medians above are of these):", ""]
        for label, rows in (("SQLite", data["scenarios"]), ("PostgreSQL", data["postgresql"]["scenarios"])):
            for name in data["postgresql"]["scenarios"]:
                if name in rows:
                    per_round = ", ".join(f"{r['rps']:.1f}" for r in rows[name]["rounds"])
                    out.append(f"- {label}, {name}: {per_round}")
        out.append("")
    if data.get("login_stall_table"):
        out += ["Login stall (`bench/login_stall.py`):", "", "```", data["login_stall_table"], "```", ""]
    if data.get("instr_cost_table"):
        out += ["The instrumentation's CPU a request, in-process (`bench/instr_cost.py`):", "", "```",
                data["instr_cost_table"], "```", ""]
    loads = bench_rounds.load_lines(_round_loads(data))
    if loads:
        out += ["Load average around each round:", ""] + [f"- {line}" for line in loads] + [""]
    return "\n".join(out + _targets(data))


def replace_between(current: str, text: str, start: str = START, end: str = END) -> str:
    """current with what stands between the two markers replaced by text."""
    head, rest = current.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}\n{end}{tail}"


def write(text: str, doc: Path = DOC, start: str = START, end: str = END) -> None:
    doc.write_text(replace_between(doc.read_text(), text, start, end))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--write"]
    data = json.loads(Path(args[0] if args else DEFAULT).read_text())
    if "--write" in sys.argv:
        write(section(data))
        write(readme_section(data), README, README_START, README_END)
    else:
        print(readme_section(data) + "\n\n" + section(data))
