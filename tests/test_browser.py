"""Headless Chromium: an open article page shows a like made by someone else, without a reload."""
import shutil
import tempfile
import urllib.request

import pytest

from application.data.models import User
from application.extensions import db

from . import factories
from .processes import stack_app, web, worker  # noqa: F401  (fixtures)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="chromium/chromedriver not installed (Debian: apt-get install chromium chromium-driver)")


def chromium(page_load_timeout: float = 10, browser_log: bool = False):
    """A headless Debian Chromium on a fresh profile (closed network flags); yields the driver, then quits."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(page_load_timeout)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser():
    yield from chromium()


def _like(base: str, slug: str, token: str) -> None:
    request = urllib.request.Request(f"{base}/articles/{slug}/like", method="POST", data=b"",
                                     headers={"Accept": "application/json", "Authentication-Token": token})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202


def test_like_count_updates_live_in_the_browser(stack_app, worker, web, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with stack_app.app_context():
        author = factories.make_user("bauthor", roles=("author",))
        reader = factories.make_user("breader")
        article = factories.make_article(author, title="Watch this count")
        token = db.session.get(User, reader["id"]).get_auth_token()
    browser.get(f"{web}/articles/{article['slug']}")
    count = browser.find_element(By.ID, "like-count")
    assert count.text == "0"
    WebDriverWait(browser, 5).until(
        lambda d: d.execute_script("return !!(window.Broadsheet && window.Broadsheet.source"
                                   " && window.Broadsheet.source.readyState === 1)"),
        "the page's EventSource did not open within 5 s")
    browser.execute_script("window.bsMarker = 'same page'")  # gone if the page reloads
    _like(web, article["slug"], token)  # a second client, not the browser
    WebDriverWait(browser, 5).until(lambda d: count.text == "1",
                                    f"like count still {count.text!r} 5 s after the like")
    assert browser.execute_script("return window.bsMarker") == "same page"
