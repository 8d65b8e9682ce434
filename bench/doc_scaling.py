"""The scaling table of docs/performance.md, from bench/results/scaling.json (as the run printed it, not retyped):
    python -m bench.doc_scaling [path/to/scaling.json]           # print it
    python -m bench.doc_scaling --write [path/to/scaling.json]   # replace it in docs/performance.md
Its own markers, apart from bench.doc_section's.
"""
import json
import sys
from pathlib import Path

from .doc_section import DOC, replace_between

DEFAULT = Path(__file__).resolve().parent / "results" / "scaling.json"
START, END = "<!-- bench.doc_scaling: start -->", "<!-- bench.doc_scaling: end -->"


def _num(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def section(data: dict) -> str:
    meta = data["meta"]
    sizes = ", ".join(f"{s:,}" for s in meta["scales"])
    order = ("sizes interleaved: every round loads each size in turn, alternating the order"
             if meta.get("interleaved") else "one size after the other")
    out = [f"Sizes {sizes} articles ({meta['seed_shape']}); {meta['cores']} cores, {meta['rounds']} rounds x "
           f"{meta['duration_s']} s per scenario and size ({order}), wall {meta['wall_s']} s; load average (1/5/15 min) "
           f"{meta['loadavg_before']} before, {meta['loadavg_after']} after.", "", "```", data["table"], "```", "",
           "req/s of each round:", ""]
    for db_name, by_scale in data["results"].items():
        for size, found in by_scale.items():
            for name, sc in found["scenarios"].items():
                out.append(f"- {db_name}, {int(size):,}, {name}: {', '.join(str(r) for r in sc['rounds_rps'])} "
                           f"({_num(sc['queries_per_req'])} queries, p99 {_num(sc['p99_ms'])} ms, errors {sc['errors']})")
    out += ["", "```"]
    out += [f"[{'ok' if t['met'] else 'MISSED'}] {t['target']}: {t['value']:.3f} (limit {t['limit']})"
            for t in data["targets"]]
    out += ["```"]
    return "\n".join(out)


def write(text: str, doc: Path = DOC) -> None:
    """Replace what stands between this section's two markers in doc."""
    doc.write_text(replace_between(doc.read_text(), text, START, END))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--write"]
    text = section(json.loads(Path(args[0] if args else DEFAULT).read_text()))
    if "--write" in sys.argv:
        write(text)
    else:
        print(text)
