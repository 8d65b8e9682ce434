"""Headless Chromium on the real stack: no stall over many pages in one tab, phone widths, live "New" items."""
import time

import pytest

from application.data import data_access

from . import factories
from .processes import stack_app, web, worker  # noqa: F401  (fixtures)
from .test_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium/chromedriver not installed")

LONG_TITLE = "An unusually long headline about supercalifragilisticexpialidocious infrastructure " * 2


def _content(app, n_articles=6):
    with app.app_context():
        author = factories.make_user("page.writer", roles=("author",))
        admin = factories.make_user("site_admin", roles=("admin", "author", "editor"))
        articles = [factories.make_article(author, title=f"Browsing story {i}", minutes_ago=i + 1)
                    for i in range(n_articles)]
        articles.append(factories.make_article(author, title=LONG_TITLE.strip(), minutes_ago=30,
                                               body="A [link](https://example.com/" + "x" * 120 + ")\n\n"
                                               "```\n" + "wide_code_line_" * 12 + "\n```"))
    return author, admin, articles


def _stream_open(driver) -> bool:
    return driver.execute_script(
        "return !!(window.Broadsheet && window.Broadsheet.source && window.Broadsheet.source.readyState === 1)")


def _wait(driver, check, what, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: check(d), what)


def _log_in(driver, base, email):
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(factories.PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[name=login_user_form] button[type=submit]").click()
    _wait(driver, lambda d: "/login" not in d.current_url, "login did not redirect")


def test_fifteen_pages_in_one_tab_never_stall(stack_app, worker, web, browser):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By

    author, _, articles = _content(stack_app)
    pages = ["/", *(f"/articles/{a['slug']}" for a in articles), f"/authors/{author['username']}", "/?page=1",
             "/login", "/register", "/feedback", f"/articles/{articles[0]['slug']}", "/"]
    assert len(pages) >= 15
    timings, restored = [], 0
    for i, path in enumerate(pages):
        started = time.monotonic()
        try:
            browser.get(web + path)
        except TimeoutException:
            pytest.fail(f"{path} (page {i + 1}) did not load within 10 s: the connection stall is back")
        _wait(browser, lambda d: d.execute_script("return document.readyState") == "complete", "page load")
        timings.append((path, time.monotonic() - started))
        _wait(browser, _stream_open, f"no open stream on {path}")
        browser.execute_script("window.bsMarker = arguments[0]", i)
        if i % 4 == 3:  # a trip back and forward: the pages come out of the back/forward cache
            browser.back()
            _wait(browser, _stream_open, "the stream did not reopen after Back")
            restored += browser.execute_script("return window.bsMarker") == i - 1
            browser.forward()
            _wait(browser, _stream_open, "the stream did not reopen after Forward")
    slow = [(p, round(s, 2)) for p, s in timings if s >= 2.0]
    assert not slow, f"pages that took 2 s or more: {slow}"
    assert restored >= 1, "no page came back from the back/forward cache (is it on?)"
    assert browser.find_element(By.ID, "article-list")


PHONE_WIDTHS = (360, 390, 414)


def _phone_pages(base, author, articles):
    return ["/", "/?page=2", f"/articles/{articles[0]['slug']}", f"/articles/{articles[-1]['slug']}",
            f"/authors/{author['username']}", "/feedback", "/articles/new", f"/articles/{articles[-1]['slug']}/edit",
            "/admin/performance", "/admin/digest", "/no-such-page"]


def test_no_horizontal_scroll_at_phone_widths(stack_app, worker, web, browser):
    from selenium.webdriver.common.by import By

    author, admin, articles = _content(stack_app, n_articles=stack_app.config["ARTICLES_PER_PAGE"] + 1)
    anonymous = ["/login", "/register", "/login?next=/admin/performance"]
    for width in PHONE_WIDTHS:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": 800, "deviceScaleFactor": 2, "mobile": True})
        browser.delete_all_cookies()
        for path in anonymous:
            browser.get(web + path)
            sizes = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert sizes[0] <= sizes[1], f"{path} at {width}px: {sizes}"
        _log_in(browser, web, admin["email"])
        for path in _phone_pages(web, author, articles):
            browser.get(web + path)
            if path == "/admin/performance":  # charts are drawn by script: wait for them
                _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-hits .uplot"), "no chart drawn")
            sizes = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert sizes[0] <= sizes[1], f"{path} at {width}px: {sizes}"
        # The menu is collapsed behind the toggler and opens with it.
        browser.get(web + "/")
        links = browser.find_element(By.ID, "site-nav")
        assert not links.is_displayed()
        browser.find_element(By.CSS_SELECTOR, "[data-nav-toggle]").click()
        _wait(browser, lambda d: links.is_displayed(), "the menu did not open")
        assert browser.find_element(By.LINK_TEXT, "Feedback").is_displayed()


def test_admin_performance_draws_charts_with_axes(stack_app, worker, web, browser):
    from selenium.webdriver.common.by import By

    _, admin, _ = _content(stack_app, n_articles=1)
    _log_in(browser, web, admin["email"])
    for _ in range(3):
        browser.get(web + "/")
    browser.get(web + "/admin/performance")
    for chart in ("chart-latency", "chart-hits", "chart-queue", "chart-requests"):
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#{chart} .uplot"), f"{chart} not drawn")
        axes = browser.find_elements(By.CSS_SELECTOR, f"#{chart} .u-axis")
        assert len(axes) == 2, chart
    options = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "#endpoint-select option")]
    assert "articles.index" in options and not any(o.startswith("debugtoolbar") for o in options)


def test_a_published_article_appears_as_a_full_item_only_on_page_one(stack_app, worker, web, browser):
    from selenium.webdriver.common.by import By

    with stack_app.app_context():
        author = factories.make_user("live.writer", roles=("author",))
        for i in range(stack_app.config["ARTICLES_PER_PAGE"] + 1):
            factories.make_article(author, title=f"Already here {i}", minutes_ago=10 + i)
        draft = factories.make_article(author, title="Fresh off the press", status="draft")
    # A second tab on page 2 must not change.
    browser.get(f"{web}/?page=2")
    _wait(browser, _stream_open, "no stream on page 2")
    page_two = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(f"{web}/")
    _wait(browser, _stream_open, "no stream on page 1")
    with stack_app.app_context():
        data_access.update_article(draft["id"], status="published")
    selector = f'#article-list > [data-article-id="{draft["id"]}"]'
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, selector), "the new article did not appear on page 1")
    item = browser.find_element(By.CSS_SELECTOR, selector)
    assert item.find_element(By.CSS_SELECTOR, "h2 a").text == "Fresh off the press"
    assert item.find_element(By.LINK_TEXT, "live.writer")  # the author, as on any item
    assert item.find_element(By.CSS_SELECTOR, f'[data-like-count="{draft["id"]}"]').text == "0"
    assert browser.find_elements(By.CSS_SELECTOR, "#article-list > li")[0] == item
    browser.switch_to.window(page_two)
    time.sleep(1)  # the event has reached both tabs by now; page 2 ignores it
    assert not browser.find_elements(By.CSS_SELECTOR, selector)
