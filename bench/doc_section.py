"""The docs/performance.md figures for the databases and the login stall, from
bench/results/latest.json (as the run printed them, not retyped):
    python -m bench.doc_section [path/to/latest.json]           # print them
    python -m bench.doc_section --write [path/to/latest.json]   # replace them in docs/performance.md
"""
import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "results" / "latest.json"
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START, END = "<!-- bench.doc_section: start -->", "<!-- bench.doc_section: end -->"


def section(data: dict) -> str:
    meta = data["meta"]
    out = [f"Run `{meta['run_id']}`: {meta['cores']} cores, {meta['rounds']} rounds x {meta['duration_s']} s "
           f"per scenario, wall {meta['wall_s']} s"
           + (f", scenarios `{meta['only']}`" if meta.get("only") else "")
           + (f"; load average (1/5/15 min) {meta['loadavg_before']} before, {meta['loadavg_after']} after"
              if meta.get("loadavg_before") else "") + ".", ""]
    if data.get("databases_table"):
        out += ["SQLite and PostgreSQL side by side (same code, same seeded data, same run):", "", "```",
                data["databases_table"], "```", "", "req/s of each round (the medians above are of these):", ""]
        for label, rows in (("SQLite", data["scenarios"]), ("PostgreSQL", data["postgresql"]["scenarios"])):
            for name in data["postgresql"]["scenarios"]:
                if name in rows:
                    rounds = ", ".join(f"{r['rps']:.1f}" for r in rows[name]["rounds"])
                    out.append(f"- {label}, {name}: {rounds}")
        out.append("")
    if data.get("login_stall_table"):
        out += ["Login stall (`bench/login_stall.py`):", "", "```", data["login_stall_table"], "```", ""]
    out += ["Target checks of this run:", "", "```"]
    out += [f"[{'ok' if c['met'] else 'MISSED'}] {c['target']}: "
            f"{'-' if c['value'] is None else format(c['value'], '.3f')} (limit {c['limit']})" for c in data["targets"]]
    out += ["```"]
    return "\n".join(out)


def write(text: str, doc: Path = DOC) -> None:
    """Replace what stands between the two markers in doc."""
    current = doc.read_text()
    head, rest = current.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--write"]
    text = section(json.loads(Path(args[0] if args else DEFAULT).read_text()))
    if "--write" in sys.argv:
        write(text)
    else:
        print(text)
