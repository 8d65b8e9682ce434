#!/usr/bin/env bash
# Celery beat only. Run one per host if you like: celery-redbeat keeps exactly one active (a Redis
# lock) and the others wait as standbys; its schedule state lives in Redis (no schedule file).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh
trap stop_started EXIT
ensure_venv
ensure_redis
export REDIS_URL ENV="${ENV:-development}"
"$VENV/bin/celery" -A application.jobs.workers.celery_app beat --loglevel=INFO "$@" &
STARTED_PIDS+=($!)
wait "${STARTED_PIDS[@]}"
