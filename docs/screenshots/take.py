"""Retake the README's screenshots: .venv/bin/python docs/screenshots/take.py

Seeds a throwaway SQLite file (under bench/results/, git-ignored), starts gunicorn in
production config on a free loopback port (Redis DBs 14-15, its keys removed after),
and saves PNGs of the main pages at 1366x900 and 390x844 with headless Chromium.
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WORK = ROOT / "bench" / "results" / "screenshots"
BIN = Path(sys.executable).parent
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
ADMIN_EMAIL, ADMIN_PASSWORD = "shots-admin@example.com", "screenshots-password-1"


def _env() -> dict:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    return dict(os.environ, ENV="production", FLASK_APP="main", PYTHONPATH=str(ROOT),
                DATABASE_URL=f"sqlite:///{WORK / 'shots.sqlite3'}", REDIS_URL=base,
                CACHE_REDIS_URL=f"{base}/14", CELERY_BROKER_URL=f"{base}/15", CELERY_RESULT_BACKEND=f"{base}/15",
                SSE_REDIS_URL=f"{base}/15", CELERY_QUEUE="screenshots", SESSION_COOKIE_SECURE="0",
                SECRET_KEY=secrets.token_hex(16), SECURITY_PASSWORD_SALT=secrets.token_hex(16),
                WEBHOOK_SECRET=secrets.token_hex(16))


def _flask(env, *args):
    subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _prepare(env) -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    _flask(env, "init-db")
    _flask(env, "seed", "--articles", "120", "--users", "30", "--likes", "1500", "--seed", "7")
    _flask(env, "demo-author")
    _flask(env, "users", "create", ADMIN_EMAIL, "--username", "site_admin", "--password", ADMIN_PASSWORD, "-a")
    _flask(env, "roles", "add", ADMIN_EMAIL, "admin")


def _serve(env) -> tuple[subprocess.Popen, str]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([str(BIN / "gunicorn"), "main:app", "-c", "gunicorn.conf.py", "--workers=1",
                             f"--bind=127.0.0.1:{port}", "--no-control-socket"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/hello", timeout=1)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def _browser(width, height):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--hide-scrollbars", f"--user-data-dir={tempfile.mkdtemp(prefix='bs-shots-')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    mobile = width < 600
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    return driver


def _get(base, path) -> bytes:
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.read()


def _search_query(base, article) -> str:
    """A word of the newest article's title that the search page finds (longest first)."""
    import re

    words = sorted({w.strip(".,:;!?'\"()").lower() for w in article["title"].split()}, key=lambda w: (-len(w), w))
    for word in [w for w in words if len(w) >= 4] + article["tagList"][:1]:
        found = re.search(rb'id="result-count">(\d+) result', _get(base, f"/search?q={quote(word)}"))
        if found and int(found.group(1)) > 0:
            return word
    raise SystemExit("no word of the newest article's title finds anything on /search")


def _pages(base) -> list[tuple[str, str, bool]]:
    """(name, path, logged in as admin)."""
    import json

    article = json.loads(_get(base, "/api/articles?limit=1"))["articles"][0]
    author = quote(article["author"]["username"])
    pages = [("index", "/", False), ("article", f"/articles/{article['slug']}", False),
             ("author", f"/authors/{author}", False), ("liked", f"/authors/{author}/liked", False)]
    if article["tagList"]:
        pages.append(("tag", f"/tags/{quote(article['tagList'][0])}", False))
    pages += [("search", f"/search?q={quote(_search_query(base, article))}", False),
              ("login", "/login", False), ("register", "/register", False), ("not-found", "/no-such-page", False),
              ("write", "/articles/new", True), ("feed", "/feed", True), ("settings", "/settings", True),
              ("admin-performance", "/admin/performance", True)]
    return pages


def _follow_some(driver, base, count=3) -> None:
    """Follow the authors of the newest articles, so the feed screenshot has something in it."""
    import json

    from selenium.webdriver.common.by import By

    articles = json.loads(_get(base, "/api/articles?limit=20"))["articles"]
    for username in list(dict.fromkeys(a["author"]["username"] for a in articles))[:count]:
        driver.get(base + f"/authors/{quote(username)}")
        buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "form button[type=submit]")
                   if b.text.startswith("Follow ")]
        if buttons:  # already followed in an earlier browser session otherwise
            buttons[0].click()
            time.sleep(0.3)


def _log_in(driver, base):
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.ID, "email").send_keys(ADMIN_EMAIL)
    driver.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[name=login_user_form] button[type=submit]").click()
    time.sleep(0.5)


def shoot(base) -> list[Path]:
    saved = []
    for size_name, (width, height) in SIZES.items():
        driver = _browser(width, height)
        try:
            logged_in = False
            for name, path, as_admin in _pages(base):
                if as_admin and not logged_in:
                    _log_in(driver, base)
                    _follow_some(driver, base)
                    for _ in range(5):  # some traffic for the performance charts
                        urllib.request.urlopen(base + "/").read()
                    logged_in = True
                driver.get(base + path)
                time.sleep(1.0)  # charts drawn, fonts settled
                target = HERE / f"{name}-{size_name}.png"
                driver.save_screenshot(str(target))
                saved.append(target)
            if size_name == "phone":  # the collapsed menu, opened
                from selenium.webdriver.common.by import By

                driver.get(base + "/")
                driver.find_element(By.CSS_SELECTOR, "[data-nav-toggle]").click()
                time.sleep(0.3)
                target = HERE / "menu-phone.png"
                driver.save_screenshot(str(target))
                saved.append(target)
        finally:
            driver.quit()
    return saved


def _clean_redis(env) -> None:
    import redis

    client = redis.Redis.from_url(env["CACHE_REDIS_URL"])
    keys = list(client.scan_iter(match="bs:prod:*", count=1000))
    if keys:
        client.delete(*keys)


def main() -> None:
    env = _env()
    _clean_redis(env)
    _prepare(env)
    proc, base = _serve(env)
    try:
        for path in shoot(base):
            print(path.relative_to(ROOT))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        _clean_redis(env)


if __name__ == "__main__":
    main()
