#!/usr/bin/env bash
# The whole test suite: ./local_test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")"
source scripts/common.sh
trap stop_started EXIT
ensure_venv requirements-dev.txt
ensure_redis
export REDIS_URL
"$VENV/bin/python" -m pytest "$@"
