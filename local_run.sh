#!/usr/bin/env bash
# Start everything locally: Redis (found or started), the database with demo data,
# the web server (gunicorn + gevent) on $PORT, one Celery worker and Celery beat.
# Ctrl-C stops everything this script started. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh
trap stop_started EXIT
trap 'exit 130' INT TERM

ensure_venv
ensure_redis
export REDIS_URL ENV="${ENV:-development}" PORT="${PORT:-5000}" FLASK_APP=main
FLASK="$VENV/bin/flask"

"$FLASK" init-db
if [ "$("$VENV/bin/python" -c 'from main import app
from application.data.models import User
with app.app_context(): print(User.query.first() is None)')" = "True" ]; then
  log "empty database: seeding a small demo data set"
  "$FLASK" seed --articles 200 --users 50 --likes 2000
fi
"$FLASK" demo-author

"$VENV/bin/celery" -A application.jobs.workers.celery_app worker --loglevel=INFO --concurrency=2 &
STARTED_PIDS+=($!)
# Beat (celery-redbeat): schedule and lock in Redis; a beat on another host would wait as standby.
"$VENV/bin/celery" -A application.jobs.workers.celery_app beat --loglevel=INFO &
STARTED_PIDS+=($!)
log "serving on http://127.0.0.1:$PORT (Ctrl-C stops everything)"
"$VENV/bin/gunicorn" main:app -c gunicorn.conf.py --bind "127.0.0.1:$PORT" &
STARTED_PIDS+=($!)
wait -n "${STARTED_PIDS[@]}"
