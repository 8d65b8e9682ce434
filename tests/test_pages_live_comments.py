"""Headless Chromium: a comment posted in another session appears on an open article page, and goes when deleted."""
import http.cookiejar
import re
import urllib.parse
import urllib.request

from . import factories
from .processes import stack_app, web  # noqa: F401  (fixtures)
from .test_browser import browser, pytestmark  # noqa: F401  (fixture; skipped without chromium)


def _session(base: str, email: str):
    """A second browser-like client (its own cookies), logged in."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    data = urllib.parse.urlencode({"email": email, "password": factories.PASSWORD}).encode()
    with opener.open(f"{base}/login", data=data, timeout=10) as r:
        assert r.status == 200 and r.geturl().rstrip("/") == base, r.geturl()
    return opener


def test_comments_arrive_and_leave_live_in_another_window(stack_app, web, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with stack_app.app_context():
        author = factories.make_user("lcauthor", roles=("author",))
        commenter = factories.make_user("lccommenter")
        article = factories.make_article(author, title="Discuss live")
    path = f"{web}/articles/{article['slug']}"
    browser.get(path)
    assert browser.find_element(By.CSS_SELECTOR, "[data-comment-count]").text == "0"
    WebDriverWait(browser, 5).until(
        lambda d: d.execute_script("return !!(window.Broadsheet && window.Broadsheet.source"
                                   " && window.Broadsheet.source.readyState === 1)"),
        "the page's EventSource did not open within 5 s")
    browser.execute_script("window.bsMarker = 'same page'")  # gone if the page reloads

    other = _session(web, commenter["email"])
    body = urllib.parse.urlencode({"body": "Hello from <elsewhere>"}).encode()
    with other.open(f"{path}/comments", data=body, timeout=10) as r:
        comment_id = re.search(r"comment-(\d+)", r.geturl()).group(1)
    item = WebDriverWait(browser, 5).until(
        lambda d: d.find_elements(By.ID, f"comment-{comment_id}"), "the comment did not appear within 5 s")[0]
    assert item.find_element(By.CSS_SELECTOR, ".comment-body").text == "Hello from <elsewhere>"  # as text
    assert "lccommenter" in item.text
    assert browser.find_element(By.CSS_SELECTOR, "[data-comment-count]").text == "1"
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-no-comments]")

    with other.open(f"{path}/comments/{comment_id}/delete", data=b"", timeout=10) as r:
        assert r.status == 200
    WebDriverWait(browser, 5).until(lambda d: not d.find_elements(By.ID, f"comment-{comment_id}"),
                                    "the deleted comment was still shown 5 s later")
    assert browser.find_element(By.CSS_SELECTOR, "[data-comment-count]").text == "0"
    assert browser.execute_script("return window.bsMarker") == "same page"
