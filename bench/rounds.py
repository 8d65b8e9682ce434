"""Targets over rounds, and the machine's load around each round.

A target is checked in every round on that round's own figures (the same target functions as
for the medians, so a target row added to report.targets() gets this for free). It is met only
if it is met in every round: a target met once and missed on a rerun is not met. Its value is
the median of the rounds, shown with the min and max (the spread).

The load average is read before and after each round (for the record). Whether a round starts on a
busy machine is measured, not inferred from it: the 1-minute load average still carries the previous
round's own load (wrk and the servers keep 2 cores busy, and it decays over minutes), so before each
round, with the bench's servers idle (drained), the machine's CPU busy share is sampled from
/proc/stat for BUSY_SAMPLE_SECONDS: above BUSY_SHARE, something else is running, and the run says so.
Where /proc/stat is missing, the load average decides (above BUSY_FACTOR x cores).
"""
import os
import statistics
import time

BUSY_FACTOR = 0.5
BUSY_SHARE = 0.25  # of all cores, busy while the bench itself is idle
BUSY_SAMPLE_SECONDS = 2.0
RULE = "a target is met only if it is met in every round; value = median of the rounds (min / max)"


def per_round(results: dict) -> list[dict]:
    """[{scenario: its figures in round i}] for each round every scenario has."""
    counts = [len(row.get("rounds") or []) for row in results.values()]
    return [{name: row["rounds"][i] for name, row in results.items()} for i in range(min(counts, default=0))]


def combine(checks_per_round: list[list[dict]]) -> list[dict]:
    """One line per target from its check in each round (report.targets() rows: target, value, limit, op, met)."""
    rounds = len(checks_per_round)
    by_target: dict[str, list[dict]] = {}
    for checks in checks_per_round:
        for check in checks:
            by_target.setdefault(check["target"], []).append(check)
    out = []
    for label, checks in by_target.items():
        values = [c["value"] for c in checks if c["value"] is not None]
        met_rounds = sum(1 for c in checks if c["met"])
        out.append({
            "target": label, "limit": checks[0]["limit"], "op": checks[0]["op"],
            "values": [c["value"] for c in checks],
            "value": statistics.median(values) if values else None,
            "min": min(values) if values else None, "max": max(values) if values else None,
            "rounds": rounds, "met_rounds": met_rounds,
            # Missing from a round (its scenario did not run) counts as missed there.
            "met": rounds > 0 and len(checks) == rounds and met_rounds == rounds,
        })
    return out


def over_rounds(target_fn, *results_per_pass) -> list[dict]:
    """combine() of target_fn(round i of each pass...) over the rounds all passes have."""
    split = [per_round(r) for r in results_per_pass]
    rounds = min(len(s) for s in split)
    return combine([target_fn(*(s[i] for s in split)) for i in range(rounds)])


def busy(loadavg: list[float], cores: int, cpu_busy: float | None = None) -> bool:
    if cpu_busy is not None:
        return cpu_busy > BUSY_SHARE
    return loadavg[0] > BUSY_FACTOR * cores


def load_now() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot, or None without /proc/stat."""
    try:
        fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy_now(seconds: float = BUSY_SAMPLE_SECONDS) -> float | None:
    """The machine's CPU busy share (0..1 of all cores) over the next few seconds, or None."""
    first = _cpu_times()
    time.sleep(seconds)
    second = _cpu_times()
    if first is None or second is None or second[1] == first[1]:
        return None
    return round((second[0] - first[0]) / (second[1] - first[1]), 3)


def warning(label: str, loadavg: list[float], cores: int, cpu_busy: float | None = None) -> str:
    if cpu_busy is not None:
        why = f"{cpu_busy:.0%} of the CPU busy with the bench idle (> {BUSY_SHARE:.0%})"
    else:
        why = f"1-min load average {loadavg[0]:.2f} > {BUSY_FACTOR} x {cores} cores"
    return f"WARNING: machine busy {label}: {why}; this round's figures are not those of a quiet machine"


def busy_lines(round_loads: list[dict], cores: int) -> list[str]:
    """A warning per round that started on a busy machine (round_loads: what the driver recorded)."""
    return [warning(f"before {r['pass']} round {r['round']}", r["before"], cores, r.get("cpu_busy"))
            for r in round_loads if busy(r["before"], cores, r.get("cpu_busy"))]


def load_lines(round_loads: list[dict]) -> list[str]:
    return [f"{r['pass']} round {r['round']}: load average (1/5/15 min) {r['before']} before, {r['after']} after"
            + (f"; CPU busy before (bench idle) {r['cpu_busy']:.0%}" if r.get("cpu_busy") is not None else "")
            for r in round_loads]


def spread_line(check: dict) -> str:
    """'[ok] label: median v (min a, max b; met in k/n rounds; limit l)'."""
    def fmt(v):
        return "-" if v is None else f"{v:.3f}"
    return (f"[{'ok' if check['met'] else 'MISSED'}] {check['target']}: {fmt(check['value'])} "
            f"(min {fmt(check.get('min'))}, max {fmt(check.get('max'))}; met in {check.get('met_rounds', 0)}/"
            f"{check.get('rounds', 0)} rounds; limit {check['limit']})")
