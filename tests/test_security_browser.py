"""Headless Chromium under the real CSP (gunicorn): pages load their JS and CSS with no violation."""
import pytest

from . import factories
from .processes import stack_app, web  # noqa: F401  (fixtures)
from .test_browser import CHROMEDRIVER, CHROMIUM, chromium

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="chromium/chromedriver not installed (Debian: apt-get install chromium chromium-driver)")


@pytest.fixture
def browser():
    """Chromium with its console log kept: CSP violations are reported there."""
    yield from chromium(page_load_timeout=15, browser_log=True)


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
