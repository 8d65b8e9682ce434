"""Figures measured before a change, that a target compares the current run with.

Each says when and how it was measured; re-measure on the same machine when comparing across
machines (the target is a ratio, so both sides should share the machine's conditions).
"""

# Saturated likes/s on PostgreSQL before batched recounts (one recount task per article, main at
# c05ccaf), re-measured 2026-11-27 23:08 UTC on the 2-core VM of the last full run, quiet (load
# average 1.25 before, nothing else running), with `BENCH_ONLY="POST like,POST like paced"
# BENCH_SKIP_STALL=1 BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# ./bench/run.sh` in a worktree at c05ccaf: 3 rounds x 10 s, rounds 63.9, 64.7, 73.6, median 64.7.
# (The figure it replaces, 27.7, was measured on a CPU-starved machine, load average 6-12.)
# Re-measure it the same way when the bench moves to another machine: the target is a ratio.
POSTGRES_SATURATED_LIKES_BEFORE = 64.7
