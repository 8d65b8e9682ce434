"""Figures measured before a change, that a target compares the current run with.

Each says when and how it was measured; re-measure on the same machine when comparing across
machines (the target is a ratio, so both sides should share the machine's conditions).
"""

# Saturated likes/s on PostgreSQL before batched recounts (one recount task per article, main at
# c05ccaf), re-measured 2026-11-28 15:32 UTC on the 2-core VM on a slow afternoon (a 10M-iteration Python
# loop 0.77 s against 0.55 s at 14:40), minutes before the full run it is compared with, with
# `BENCH_ONLY="POST like,POST like paced" BENCH_SKIP_STALL=1
# BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres ./bench/run.sh` in a
# worktree at c05ccaf: 3 rounds x 10 s, rounds 50.7, 62.6, 59.2, median 59.2. This VM's speed moves
# from hour to hour (the same measurement gave 114.3 at 13:41 UTC the same day, 47.9 that morning,
# 64.7 on 2026-11-27 23:08, and 27.7 on a CPU-starved machine before that), so re-measure it the same
# way, within minutes of a run that compares.
POSTGRES_SATURATED_LIKES_BEFORE = 59.2
