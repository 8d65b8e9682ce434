#!/usr/bin/env bash
# The whole test suite: ./local_test.sh [pytest args]
# On SQLite by default; TEST_DB=postgresql ./local_test.sh runs it on PostgreSQL (TEST_DATABASE_URL, else
# 127.0.0.1:5432, else a private cluster started here), each test on a fresh database of its own.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh
trap stop_started EXIT
ensure_venv requirements-dev.txt
ensure_redis
export REDIS_URL ENV="${ENV:-development}"
case "${TEST_DB:-sqlite}" in
  sqlite) unset TEST_DATABASE_URL ;;
  postgresql) ensure_postgres ;;
  *) log "TEST_DB must be sqlite or postgresql"; exit 2 ;;
esac
log "running the suite on ${TEST_DB:-sqlite}"
"$VENV/bin/python" -m pytest "$@"
