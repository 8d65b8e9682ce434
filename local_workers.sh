#!/usr/bin/env bash
# Celery worker(s) only: ./local_workers.sh [extra celery worker args], e.g. --concurrency=4
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh
trap stop_started EXIT
ensure_venv
ensure_redis
export REDIS_URL ENV="${ENV:-development}"
"$VENV/bin/celery" -A application.jobs.workers.celery_app worker --loglevel=INFO "$@" &
STARTED_PIDS+=($!)
wait "${STARTED_PIDS[@]}"
