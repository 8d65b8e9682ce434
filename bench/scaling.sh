#!/usr/bin/env bash
# The scaling run (bench/scaling.py): the uncached API list and the cache-off index at each size in
# BENCH_SCALES (default 1000,100000; add 1000000 for the full table), on SQLite and, with
# BENCH_DATABASE_URL, PostgreSQL. Writes bench/results/scaling.json. Same as BENCH_SCALING=1 ./bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
trap stop_started EXIT
trap 'exit 130' INT TERM
command -v wrk >/dev/null 2>&1 || { log "wrk is required: apt-get install wrk (or run ./bench/run.sh once)"; exit 1; }
ensure_venv requirements-dev.txt
ensure_redis
export REDIS_URL
"$VENV/bin/python" -m bench.scaling
