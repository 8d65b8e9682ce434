"""Headless Chromium under the real CSP (gunicorn): pages load their JS and CSS with no violation."""
import shutil
import tempfile

import pytest

from . import factories
from .processes import stack_app, web  # noqa: F401  (fixtures)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="chromium/chromedriver not installed (Debian: apt-get install chromium chromium-driver)")


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bs-chromium-csp-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(15)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_pages_run_under_the_csp_without_violations(stack_app, web, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    with stack_app.app_context():
        author = factories.make_user("cspauthor", roles=("author",))
        article = factories.make_article(author, title="Under policy")
    for path in ("/", f"/articles/{article['slug']}", "/login", "/register", "/feedback"):
        browser.get(web + path)
        # app.js ran (it is the only script) and Bootstrap's CSS applied (the navbar is dark, not default).
        WebDriverWait(browser, 10).until(lambda d: d.execute_script("return !!window.Broadsheet"),
                                         f"{path}: static/app.js did not run")
        background = browser.execute_script(
            "return getComputedStyle(document.querySelector('nav.navbar')).backgroundColor")
        assert background not in ("", "rgba(0, 0, 0, 0)"), (path, background)
        policy = browser.execute_script("return document.querySelector('meta[http-equiv]') === null")
        assert policy  # the policy comes from the header, not a meta tag a template could drop
        problems = [e["message"] for e in browser.get_log("browser")
                    if ("Content Security Policy" in e["message"] or e["level"] == "SEVERE") and "favicon" not in e["message"]]
        assert problems == [], (path, problems)
