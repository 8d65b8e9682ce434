#!/usr/bin/env bash
# Seeding at scale: ./bench/seed_scale.sh  (prints wall s, CPU s, peak RSS and load per database)
# Sizes and databases: SEED_ARTICLES, SEED_USERS, SEED_LIKES, SEED_DBS="sqlite,postgresql",
# PG_ADMIN_URL (a PostgreSQL it may create and drop a database on). See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
ensure_venv
exec "$VENV/bin/python" -m bench.seed_scale
