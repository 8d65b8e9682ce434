#!/usr/bin/env bash
# Celery beat only (run exactly one per deployment). Its schedule file lives in db_directory/.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh
trap stop_started EXIT
ensure_venv
ensure_redis
export REDIS_URL ENV="${ENV:-development}"
"$VENV/bin/celery" -A application.jobs.workers.celery_app beat --loglevel=INFO \
  -s "$REPO_ROOT/db_directory/celerybeat-schedule" "$@" &
STARTED_PIDS+=($!)
wait "${STARTED_PIDS[@]}"
