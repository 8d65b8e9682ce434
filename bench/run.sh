#!/usr/bin/env bash
# The benchmark: ./bench/run.sh  (see docs/performance.md for how to read it)
# Seeds its own SQLite file (bench/results/work/), uses Redis DBs 5-8 with its own
# key prefix, starts gunicorn (production settings, gevent) + a Celery worker on
# free loopback ports, loads each scenario with wrk, prints a table and writes
# bench/results/latest.json and latest.svg. Knobs: BENCH_DURATION, BENCH_ROUNDS,
# BENCH_WARMUP, BENCH_ONLY="name,name". Also measures the login stall (/hello on one gevent
# worker while 8 logins run; BENCH_SKIP_STALL=1 skips it). With BENCH_DATABASE_URL (a PostgreSQL
# server, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres) it also seeds a database of
# its own there, runs the like path and the cache-off page on it, prints both databases side by
# side and drops that database. BENCH_SCALE=N seeds N articles (users N/10, likes 20N);
# BENCH_SCALING=1 runs the scaling table instead (bench/scaling.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
trap stop_started EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing wrk (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
  command -v wrk >/dev/null 2>&1 || { log "wrk is required: apt-get install wrk (or put wrk 4.x on PATH)"; exit 1; }
fi
ensure_venv requirements-dev.txt
ensure_redis
export REDIS_URL
if [ "${BENCH_SCALING:-}" = "1" ]; then exec "$VENV/bin/python" -m bench.scaling; fi  # see bench/scaling.py
"$VENV/bin/python" -m bench.driver
