"""Figures measured before a change, that a target compares the current run with.

Each says when and how it was measured; re-measure on the same machine when comparing across
machines (the target is a ratio, so both sides should share the machine's conditions).
"""

# Saturated likes/s on PostgreSQL before batched recounts (one recount task per article, main at
# c05ccaf), measured 2026-11-27 with `BENCH_ONLY="POST like,POST like paced" BENCH_SKIP_STALL=1
# BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres ./bench/run.sh`
# (3 rounds x 10 s, median; rounds 27.7, 31.7, 22.4) on the 2-core machine while other work ran
# (load average 6 before, 12 after: CPU-starved, so this figure is low). Re-measure it on a quiet
# machine (same command on c05ccaf) before reading the target row as met or missed.
POSTGRES_SATURATED_LIKES_BEFORE = 27.7
