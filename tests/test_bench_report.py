"""The benchmark's report: targets over rounds (met only if met in every round), the spread, busy-machine
warnings, and the README/docs sections generated from bench/results/latest.json. Synthetic figures, no load."""
import json
from pathlib import Path

import pytest

from bench import doc_section, report, rounds

LATEST = Path(__file__).resolve().parent.parent / "bench" / "results" / "latest.json"
FIGURES = ("rps", "p50_ms", "p99_ms", "queries_per_req", "cache_hit_ratio", "starved_connections", "errors",
           "bad_status")


def _row(rps_per_round, p99=5.0, p50=2.0, queries=0.0, starved=(0, 0, 0)):
    """A scenario as driver.median_of leaves it: medians plus each round's figures."""
    runs = [{"rps": r, "p50_ms": p50, "p99_ms": p99, "queries_per_req": queries, "cache_hit_ratio": 1.0,
             "starved_connections": s, "errors": 0, "bad_status": 0, "requests": int(r), "max_ms": p99}
            for r, s in zip(rps_per_round, starved)]
    merged = {k: sorted(x[k] for x in runs)[len(runs) // 2] for k in FIGURES}
    return {**merged, "rounds": runs}


def _results(cached=(950, 800, 1000), floor=(1000, 1000, 1000)):
    return {"redis floor": _row(floor), "/ cached": _row(cached), "hello floor": _row((2000, 2000, 2000))}


def _check(checks, label):
    return next(c for c in checks if c["target"] == label)


def test_a_target_missed_in_one_round_is_not_met_even_if_its_median_is():
    checks = report.checks(_results(cached=(950, 800, 1000)), {}, {})
    c = _check(checks, "/ cached >= 0.9x redis floor")
    assert c["values"] == [0.95, 0.8, 1.0]
    assert (c["min"], c["value"], c["max"]) == (0.8, 0.95, 1.0)
    assert c["met_rounds"] == 2 and c["rounds"] == 3 and c["met"] is False
    hello = _check(checks, "/ cached >= 0.45x hello floor")  # 0.475, 0.4, 0.5: missed in round 2
    assert hello["met"] is False and hello["met_rounds"] == 2


def test_a_target_met_in_every_round_is_met():
    c = _check(report.checks(_results(cached=(950, 920, 1000)), {}, {}), "/ cached >= 0.9x redis floor")
    assert c["met"] is True and c["met_rounds"] == 3


def test_a_starved_connection_in_one_round_fails_that_target():
    results = _results()
    results["/ cached"] = _row((950, 950, 950), starved=(0, 2, 0))
    c = _check(report.checks(results, {}, {}), "/ cached: no starved connection")
    assert c["met"] is False and c["max"] == 2


def test_new_target_rows_get_rounds_without_changes(monkeypatch):
    """Targets other people add to report.targets() are checked per round by the same code."""
    original = report.targets

    def with_extra(results):
        row = results.get("/ cached")
        value = row["rps"] if row else None
        extra = {"target": "/ cached >= 900 req/s", "value": value, "limit": 900, "op": ">=",
                 "met": value is not None and value >= 900}
        return original(results) + [extra]

    monkeypatch.setattr(report, "targets", with_extra)
    c = _check(report.checks(_results(cached=(950, 800, 1000)), {}, {}), "/ cached >= 900 req/s")
    assert c["values"] == [950, 800, 1000] and c["met"] is False


def test_a_target_absent_from_a_round_counts_as_missed_there():
    checks = rounds.combine([[{"target": "t", "value": 1, "limit": 2, "op": "<=", "met": True}], []])
    assert checks[0]["met"] is False and checks[0]["rounds"] == 2


def test_postgresql_targets_are_checked_per_round_and_the_login_stall_once():
    pg = {"scenarios": {"POST like paced": _row((30, 30, 30))}}
    pg["scenarios"]["POST like paced"]["rounds"][1]["p99_ms"] = 25.0
    stall = {"off hub": {"hello_p99_ms": 12.0}}
    checks = report.checks(_results(), pg, stall)
    paced = _check(checks, "PostgreSQL: POST like paced p99 <= 20 ms")
    assert paced["values"] == [5.0, 25.0, 5.0] and paced["met"] is False
    login = _check(checks, "login stall: /hello p99 <= 50 ms while 8 logins run")
    assert login["rounds"] == 1 and login["met"] is True


def test_bench_only_leaves_out_targets_whose_scenarios_did_not_run():
    labels = {c["target"] for c in report.checks(_results(), {}, {}, only="/ cached,redis floor")}
    assert "/ cached >= 0.9x redis floor" in labels
    assert "/ logged in <= 4 queries" not in labels
    assert "/ logged in <= 4 queries" in {c["target"] for c in report.checks(_results(), {}, {})}


def test_busy_rounds_are_flagged_from_the_load_before_each_round():
    loads = [{"pass": "sqlite", "round": 1, "before": [0.4, 0.5, 0.5], "after": [1.8, 0.9, 0.6]},
             {"pass": "sqlite", "round": 2, "before": [1.2, 1.0, 0.7], "after": [1.5, 1.1, 0.8]}]
    lines = rounds.busy_lines(loads, cores=2)
    assert len(lines) == 1 and "before sqlite round 2" in lines[0] and "1.20 > 0.5 x 2 cores" in lines[0]
    assert rounds.busy_lines(loads, cores=8) == []


def test_busy_is_the_cpu_share_measured_with_the_bench_idle_when_there_is_one():
    """The load average lags (the previous round's own load): a measured CPU share decides when recorded."""
    after_a_round = [{"pass": "sqlite", "round": 2, "before": [2.0, 2.0, 1.5], "cpu_busy": 0.03, "after": [2.1, 2.0, 1.6]}]
    assert rounds.busy_lines(after_a_round, cores=2) == []
    shared = [{"pass": "sqlite", "round": 2, "before": [0.2, 0.2, 0.2], "cpu_busy": 0.6, "after": [0.9, 0.4, 0.3]}]
    lines = rounds.busy_lines(shared, cores=2)
    assert len(lines) == 1 and "60% of the CPU busy" in lines[0]
    assert "CPU busy before (bench idle) 60%" in rounds.load_lines(shared)[0]
    assert rounds.cpu_busy_now(0.2) is None or 0 <= rounds.cpu_busy_now(0.2) <= 1


def _data(loads):
    results = _results()
    meta = {"run_id": "abc", "cores": 2, "rounds": 3, "duration_s": 2, "wall_s": 10.0, "only": "", "page_bytes": 1,
            "loadavg_before": [0.1, 0.1, 0.1], "loadavg_after": [0.2, 0.2, 0.2], "round_loads": loads}
    return {"meta": meta, "scenarios": results, "targets": report.checks(results, {}, {}),
            "table": report.table(results, meta), "postgresql": {}}


def test_sections_show_the_rule_the_spread_and_a_busy_warning():
    busy = [{"pass": "sqlite", "round": 1, "before": [3.0, 2.0, 1.0], "after": [3.0, 2.0, 1.0]}]
    text = doc_section.readme_section(_data(busy))
    assert rounds.RULE in text
    assert "[MISSED] / cached >= 0.9x redis floor: 0.950 (min 0.800, max 1.000; met in 2/3 rounds; limit 0.9)" in text
    assert "This run shared the machine" in text and "before sqlite round 1" in text
    quiet = [{"pass": "sqlite", "round": 1, "before": [0.2, 0.2, 0.2], "after": [0.3, 0.2, 0.2]}]
    assert "shared the machine" not in doc_section.readme_section(_data(quiet))
    assert "sqlite round 1: load average" in doc_section.section(_data(quiet))


def test_replace_between_keeps_what_is_outside_the_markers():
    doc = f"intro\n{doc_section.README_START}\nold\n{doc_section.README_END}\noutro\n"
    out = doc_section.replace_between(doc, "new", doc_section.README_START, doc_section.README_END)
    assert out == f"intro\n{doc_section.README_START}\nnew\n{doc_section.README_END}\noutro\n"


def test_readme_table_is_generated_from_the_committed_latest_json():
    if not LATEST.exists():
        pytest.fail("bench/results/latest.json is not committed")
    expected = doc_section.readme_section(json.loads(LATEST.read_text()))
    readme = doc_section.README.read_text()
    current = readme.split(doc_section.README_START, 1)[1].split(doc_section.README_END, 1)[0]
    assert current.strip("\n") == expected, "run: python -m bench.doc_section --write"


def test_scaling_section_is_generated_from_the_committed_scaling_json():
    """docs/performance.md's scaling table is bench/results/scaling.json as the run printed it."""
    from bench import doc_scaling

    if not doc_scaling.DEFAULT.exists():
        pytest.skip("no committed scaling run")
    expected = doc_scaling.section(json.loads(doc_scaling.DEFAULT.read_text()))
    current = doc_section.DOC.read_text().split(doc_scaling.START, 1)[1].split(doc_scaling.END, 1)[0]
    assert current.strip("\n") == expected, "run: python -m bench.doc_scaling --write"


def test_instr_cost_rounds_are_tabled_and_shown_in_the_docs_section():
    instr = {"rounds": [[{"path": "/hello", "pairs": 50, "batch": 100, "us_with": 310.0, "us_without": 300.0,
                          "overhead": 0.031}],
                        [{"path": "/hello", "pairs": 48, "batch": 100, "us_with": 320.5, "us_without": 301.0,
                          "overhead": 0.064}]]}
    text = report.instr_cost_table(instr)
    assert "/hello                 1       310.0    300.0     3.1%    50" in text
    assert "/hello                 2       320.5    301.0     6.4%    48" in text
    data = json.loads(LATEST.read_text()) | {"instr_cost": instr, "instr_cost_table": text}
    assert text in doc_section.section(data)
