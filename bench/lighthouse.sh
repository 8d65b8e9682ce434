#!/usr/bin/env bash
# Real Lighthouse (not CI): ./bench/lighthouse.sh
# Installs lighthouse@12.2.3 with npm into bench/.lighthouse/ (git-ignored; 13.x needs Node 22),
# seeds its own SQLite file under bench/results/lighthouse/, starts gunicorn in production
# config on a free loopback port (Redis DBs 14-15, cleaned afterwards), and runs Lighthouse
# with Debian's Chromium on desktop and mobile for: /, an article, an author page, a tag page,
# search results and the login page (a tag page that lists no article, or a search query that
# finds nothing, is skipped with a message rather than measured).
# Prints a table of scores (performance / accessibility / best practices / SEO), the date and
# load average, and the audits under a full score. Reports: bench/results/lighthouse/*.json.
# Each page is measured LIGHTHOUSE_RUNS times (default 3) and the median run is reported, as
# Lighthouse's docs advise (a shared 2-core machine makes single runs noisy).
# Knobs: LIGHTHOUSE_ONLY="desktop" or "mobile", LIGHTHOUSE_RUNS, CHROME_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
trap stop_started EXIT
trap 'exit 130' INT TERM

LH_DIR="$REPO_ROOT/bench/.lighthouse"
OUT="$REPO_ROOT/bench/results/lighthouse"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
[ -x "$CHROME_PATH" ] || { log "Chromium not found at $CHROME_PATH (apt-get install chromium)"; exit 1; }
command -v npm >/dev/null || { log "npm is required (Node 20: apt-get install nodejs npm)"; exit 1; }
if [ ! -x "$LH_DIR/node_modules/.bin/lighthouse" ]; then
  log "installing lighthouse@12.2.3 into bench/.lighthouse/"
  mkdir -p "$LH_DIR"
  npm install --prefix "$LH_DIR" --no-audit --no-fund --silent -E lighthouse@12.2.3
fi
LIGHTHOUSE="$LH_DIR/node_modules/.bin/lighthouse"

ensure_venv
ensure_redis
BASE_REDIS="${REDIS_URL%/}"
RUN_ID="lh$$"
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/lighthouse.sqlite3*
export ENV=production FLASK_APP=main PYTHONPATH="$REPO_ROOT" \
  DATABASE_URL="sqlite:///$OUT/lighthouse.sqlite3" REDIS_URL="$BASE_REDIS" \
  CACHE_REDIS_URL="$BASE_REDIS/14" CELERY_BROKER_URL="$BASE_REDIS/15" CELERY_RESULT_BACKEND="$BASE_REDIS/15" \
  SSE_REDIS_URL="$BASE_REDIS/15" CELERY_QUEUE="lighthouse-$RUN_ID" \
  SECRET_KEY="lighthouse-secret-$RUN_ID-$RANDOM$RANDOM" SECURITY_PASSWORD_SALT="lighthouse-salt-$RUN_ID-$RANDOM" \
  WEBHOOK_SECRET="lighthouse-webhook-$RUN_ID-$RANDOM" SESSION_COOKIE_SECURE=0

cleanup_redis() {
  "$VENV/bin/python" - "$CACHE_REDIS_URL" <<'PY' || true
import sys, redis
client = redis.Redis.from_url(sys.argv[1])
keys = list(client.scan_iter(match="bs:prod:*", count=1000))
if keys:
    client.delete(*keys)
PY
}
trap 'stop_started; cleanup_redis' EXIT
cleanup_redis

log "seeding a demo data set"
"$VENV/bin/flask" init-db >/dev/null
"$VENV/bin/flask" seed --articles 300 --users 40 --likes 3000 --seed 12 >/dev/null
"$VENV/bin/flask" demo-author >/dev/null

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
"$VENV/bin/gunicorn" main:app -c gunicorn.conf.py --bind "127.0.0.1:$PORT" --workers 1 --no-control-socket \
  >"$OUT/gunicorn.log" 2>&1 &
STARTED_PIDS+=($!)
for _ in $(seq 1 100); do
  curl -fs "$BASE/hello" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "$BASE/hello" >/dev/null || { log "the server did not start: see $OUT/gunicorn.log"; exit 1; }

# The pages: found through the public API, so the script follows whatever the seed wrote.
mapfile -t PAGES < <("$VENV/bin/python" - "$BASE" <<'PY'
import json, re, sys, urllib.error, urllib.parse, urllib.request
base = sys.argv[1]

def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""

article = json.loads(get("/api/articles?limit=1")[1])["articles"][0]
pages = [("index", "/"), ("article", f"/articles/{article['slug']}"),
         ("author", f"/authors/{urllib.parse.quote(article['author']['username'])}")]
# A tag that has articles: the newest article's own, else the first of /api/tags.
tags = article["tagList"] or json.loads(get("/api/tags")[1] or b'{"tags": []}').get("tags", [])
if not tags:
    print("skip: tag page (no tags in this data set)", file=sys.stderr)
else:
    tag = f"/tags/{urllib.parse.quote(tags[0])}"
    status, body = get(tag)
    if status == 200 and b"data-article-id=" in body:
        pages.append(("tag", tag))
    else:
        print(f"skip: tag page {tag} answers {status} or lists no article", file=sys.stderr)
# A query that finds something: words of the newest article's title, longest first,
# until the results page counts at least one match (id="result-count" says "N results").
words = sorted({w.strip(".,:;!?'\"()").lower() for w in article["title"].split()}, key=lambda w: (-len(w), w))
for word in [w for w in words if len(w) >= 4] + tags[:1]:
    search = f"/search?q={urllib.parse.quote(word)}"
    status, body = get(search)
    found = re.search(rb'id="result-count">(\d+) result', body)
    if status == 200 and found and int(found.group(1)) > 0:
        pages.append(("search", search))
        break
else:
    print("skip: search page (no query from the newest article's title found a match)", file=sys.stderr)
pages.append(("login", "/login"))
for name, path in pages:
    print(f"{name} {path}")
PY
)

# Warm the caches once, as a reader who came before would have.
for page in "${PAGES[@]}"; do curl -fs -o /dev/null "$BASE${page#* }" || true; done

RUNS="${LIGHTHOUSE_RUNS:-3}"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
FORMS=(desktop mobile)
[ -n "${LIGHTHOUSE_ONLY:-}" ] && FORMS=("$LIGHTHOUSE_ONLY")
for form in "${FORMS[@]}"; do
  for page in "${PAGES[@]}"; do
    name="${page%% *}" path="${page#* }"
    for run in $(seq 1 "$RUNS"); do
      args=(--quiet --output=json --output-path="$OUT/$form-$name-$run.json"
            --only-categories=performance,accessibility,best-practices,seo
            --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage")
      [ "$form" = desktop ] && args+=(--preset=desktop)
      log "lighthouse $form $path (run $run of $RUNS)"
      # A run whose trace failed (e.g. NO_NAVSTART) has no performance score: run it again, twice at most.
      for attempt in 1 2 3; do
        "$LIGHTHOUSE" "$BASE$path" "${args[@]}" || log "lighthouse failed on $form $path"
        grep -q '"runtimeError"' "$OUT/$form-$name-$run.json" 2>/dev/null || break
        log "  no complete trace ($(grep -o '"code": *"[A-Z_]*"' "$OUT/$form-$name-$run.json" | head -1)); again"
      done
    done
  done
done

LOAD_BEFORE="$LOAD_BEFORE" "$VENV/bin/python" - "$OUT" "${PAGES[@]}" <<'PY'
import datetime, json, os, sys
from pathlib import Path

out, pages = Path(sys.argv[1]), [p.split(" ", 1) for p in sys.argv[2:]]
cats = ("performance", "accessibility", "best-practices", "seo")
print(f"\n{'form':8} {'page':8} {'path':40} perf a11y best  seo  (median of runs)")
problems = []
for form in ("desktop", "mobile"):
    for name, path in pages:
        runs = [json.loads(f.read_text()) for f in sorted(out.glob(f"{form}-{name}-*.json"))]
        runs = [r for r in runs if all(r["categories"][c]["score"] is not None for c in cats)]
        if not runs:
            continue
        scores = lambda r: [round(100 * r["categories"][c]["score"]) for c in cats]
        runs.sort(key=lambda r: scores(r)[0])
        median = runs[len(runs) // 2]
        every = " ".join(str(scores(r)[0]) for r in runs)
        print(f"{form:8} {name:8} {path[:40]:40} " + " ".join(f"{s:4}" for s in scores(median))
              + f"  (performance of each run: {every})")
        for c in cats:
            for ref in median["categories"][c]["auditRefs"]:
                audit = median["audits"][ref["id"]]
                if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                    problems.append(f"{form} {name} {c}: {audit['id']} ({audit['title']}) score {audit['score']}")
print(f"\n{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores,"
      f" load average (1/5/15 min) {os.environ['LOAD_BEFORE']} before the runs,"
      f" {' '.join(f'{x:.2f}' for x in os.getloadavg())} after")
if problems:
    print("\nAudits under a full score in the median runs (a category shows 100 from 99.5 up):")
    print("\n".join(sorted(set(problems))))
PY
