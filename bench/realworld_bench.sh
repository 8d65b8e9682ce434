#!/usr/bin/env bash
# RealWorld API benchmark: seeds the reference shape (1,000 users, 10,000 articles, 50 tags,
# 200,000 favorites, 10,000 follows) into a throwaway SQLite file, serves it with gunicorn +
# gevent on loopback, and measures with wrk: list (limit=20), one article, tags, the
# authenticated feed and the bare /hello floor; first with no cache (NullCache), then with Redis.
# Usage: bench/realworld_bench.sh [seconds per run, default 10]   (bounded: ~3 minutes in all)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
DURATION="${1:-10}"
CONNECTIONS="${RW_BENCH_CONNECTIONS:-32}"
WRK="${WRK:-/usr/bin/wrk}"
[ -x "$WRK" ] || { log "wrk not found at $WRK (apt-get install wrk)"; exit 1; }
trap stop_started EXIT
ensure_venv requirements-dev.txt
ensure_redis
export REDIS_URL

WORK="$(mktemp -d "$REPO_ROOT/db_directory/bench-rw.XXXXXX")"
export DATABASE_URL="sqlite:///$WORK/realworld.sqlite3"
export RW_BENCH_PREFIX="bs:bench-rw:$$:"
cleanup() {
  stop_started
  "$VENV/bin/python" - "$REDIS_URL" "$RW_BENCH_PREFIX" <<'PY' || true
import sys, redis
from application.config import redis_db_url
client = redis.Redis.from_url(redis_db_url(sys.argv[1], 0))
keys = list(client.scan_iter(match=sys.argv[2] + "*", count=1000))
if keys:
    client.delete(*keys)
PY
  rm -rf "$WORK"
}
trap cleanup EXIT

SEED_ARGS=$("$VENV/bin/python" -c 'from bench.scenarios_api import SEED_ARGS; print(" ".join(SEED_ARGS))')
log "seeding: $SEED_ARGS"
"$VENV/bin/flask" --app main init-db >/dev/null
( time "$VENV/bin/flask" --app main seed $SEED_ARGS ) 2>&1 | grep -E "Seeded|real" >&2

RESULTS="$WORK/results.tsv"
: > "$RESULTS"

start_server() {  # start_server CACHE_MODE -> sets PORT, SERVER_PID
  PORT="$(free_port)"
  RW_BENCH_CACHE="$1" WEB_CONCURRENCY=2 "$VENV/bin/gunicorn" -c gunicorn.conf.py --bind "127.0.0.1:$PORT" \
    bench.realworld_app:app >"$WORK/gunicorn-$1.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/hello" >/dev/null && return; sleep 0.1; done
  log "server did not start"; cat "$WORK/gunicorn-$1.log" >&2; exit 1
}

stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }

measure() {  # measure MODE NAME PATH [HEADER]
  local mode=$1 name=$2 path=$3 header=${4:-} url="http://127.0.0.1:$PORT$3" out queries status
  local hargs=(); [ -n "$header" ] && hargs=(-H "$header")
  status=$(curl -s -o /dev/null -w '%{http_code}' "${hargs[@]}" "$url")
  [ "$status" = 200 ] || { log "$name: $url answered $status"; exit 1; }
  "$WRK" -t2 -c"$CONNECTIONS" -d2s "${hargs[@]}" "$url" >/dev/null  # warm up (and fill the cache)
  queries=$(curl -s -D - -o /dev/null "${hargs[@]}" "$url" | sed -n 's/.*desc="\([0-9]*\) queries".*/\1/p' | head -1)
  out=$("$WRK" -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${hargs[@]}" "$url")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$name" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" "$(echo "$out" | awk '$1 == "99%" {print $2}')" \
    "${queries:-?}" "$(echo "$out" | awk '/Non-2xx/ {print $NF}')" >> "$RESULTS"
  sleep 1  # drain: queued requests of one run must not leak into the next
}

run_all() {  # run_all MODE
  start_server "$1"
  local token slug
  token=$(curl -s -H 'Content-Type: application/json' -d '{"user": {"email": "user500@example.com", "password": "password123"}}' \
    "http://127.0.0.1:$PORT/api/users/login" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["user"]["token"])')
  slug=$(curl -s "http://127.0.0.1:$PORT/api/articles?limit=1" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["articles"][0]["slug"])')
  measure "$1" hello /hello
  measure "$1" api_list "/api/articles?limit=20"
  measure "$1" api_article "/api/articles/$slug"
  measure "$1" api_tags /api/tags
  measure "$1" api_feed "/api/articles/feed?limit=20" "Authorization: Token $token"
  stop_server
}

run_all off
run_all on

"$VENV/bin/python" - "$RESULTS" <<'PY'
import json, sys
from pathlib import Path
from bench.scenarios_api import REFERENCE, REFERENCE_FLOOR_RPS
rows = [line.split("\t") for line in Path(sys.argv[1]).read_text().splitlines()]
floors = {mode: float(rps) for mode, name, rps, *_ in rows if name == "hello"}
print(f"\n{'cache':6} {'scenario':12} {'req/s':>9} {'p50':>9} {'p99':>9} {'queries':>7} {'% floor':>8}"
      f" {'vs ref':>8} {'vs ref, floor-normalised':>25}")
out = []
for mode, name, rps, p50, p99, queries, non2xx in rows:
    rps, ref = float(rps), REFERENCE.get(name, {}).get("rps")
    share = rps / floors[mode]
    raw = f"x{rps / ref:,.0f}" if ref else ""
    # The machine may be busier now than when the reference ran: compare shares of each run's floor too.
    norm = f"x{share / (ref / REFERENCE_FLOOR_RPS):,.0f}" if ref else ""
    print(f"{mode:6} {name:12} {rps:>9,.0f} {p50:>9} {p99:>9} {queries:>7} {share:>8.1%} {raw:>8} {norm:>25}"
          + (f"  NON-2XX: {non2xx}" if non2xx.strip() else ""))
    out.append({"cache": mode, "scenario": name, "rps": rps, "p50": p50, "p99": p99, "queries": queries,
                "floor_rps": floors[mode], "reference_rps": ref})
results = Path("bench/results"); results.mkdir(parents=True, exist_ok=True)
(results / "realworld.json").write_text(json.dumps(out, indent=2))
print(f"\nreference floor: {REFERENCE_FLOOR_RPS} req/s. p50/p99 from wrk: under gevent its p99 includes"
      " coordinated-omission samples (see PERFORMANCE.md).")
PY
