"""Headless Chromium, one reader's whole visit on the real stack (gunicorn + gevent, a Celery worker):
register -> log out -> "Log in to like" (next= honoured) -> comment -> like -> follow -> feed -> search
-> settings, then the author deletes the article with its confirmation step."""
import pytest

from . import factories
from .processes import stack_app, web, worker  # noqa: F401  (fixtures)
from .test_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401  (fixture)
from .test_browser_pages import _log_in, _wait

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium/chromedriver not installed")


def _submit(driver, form_selector):
    from selenium.webdriver.common.by import By

    button = driver.find_element(By.CSS_SELECTOR, f"{form_selector} button[type=submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def _text(driver):
    return driver.execute_script("return document.body ? document.body.innerText : ''")


def test_a_readers_whole_visit(stack_app, worker, web, browser):
    from selenium.webdriver.common.by import By

    with stack_app.app_context():
        author = factories.make_user("jo.writer", roles=("author",))
        article = factories.make_article(author, title="Lighthouse keepers of the north",
                                         body="Keepers lived on the rocks.", tags=["coasts"])
    slug = article["slug"]
    browser.set_window_size(1366, 900)

    # Register (username with punctuation), then log out.
    browser.get(f"{web}/register")
    for field, value in (("email", "kim@example.com"), ("username", "kim_reader"),
                         ("password", "a-long-password-1"), ("password_confirm", "a-long-password-1")):
        browser.find_element(By.ID, field).send_keys(value)
    _submit(browser, "form[name=register_user_form]")
    _wait(browser, lambda d: "/register" not in d.current_url, "register did not redirect")
    assert "kim_reader" in _text(browser)  # the nav shows the new account
    browser.find_element(By.XPATH, "//button[normalize-space()='Log out']").click()
    _wait(browser, lambda d: "Log in" in _text(d), "not logged out")

    # "Log in to like" on the article comes back to the article.
    browser.get(f"{web}/articles/{slug}")
    browser.find_element(By.LINK_TEXT, "Log in to like").click()
    _wait(browser, lambda d: "/login" in d.current_url and "next=" in d.current_url, "no login page with next=")
    browser.find_element(By.ID, "email").send_keys("kim@example.com")
    browser.find_element(By.ID, "password").send_keys("a-long-password-1")
    _submit(browser, "form[name=login_user_form]")
    _wait(browser, lambda d: d.current_url.endswith(f"/articles/{slug}"), "next= was not honoured")

    # Comment, then like.
    _wait(browser, lambda d: d.find_elements(By.ID, "comment-body"), "no comment form for a signed-in reader")
    browser.find_element(By.ID, "comment-body").send_keys("Were the winters long?")
    _submit(browser, f"form[action='/articles/{slug}/comments']")
    _wait(browser, lambda d: "Were the winters long?" in _text(d), "the comment is not on the page")
    _submit(browser, "form[data-like-form]")
    _wait(browser, lambda d: d.find_element(By.ID, "like-count").text == "1", "the like is not counted")

    # Follow the author; the feed then shows their article.
    browser.get(f"{web}/authors/{author['username']}")
    _submit(browser, f"form[action='/authors/{author['username']}/follow']")
    _wait(browser, lambda d: "Unfollow" in _text(d), "not following")
    browser.get(f"{web}/feed")
    assert "Lighthouse keepers of the north" in _text(browser)

    # Search, from the nav.
    browser.find_element(By.LINK_TEXT, "Search").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "q"), "no search page")
    browser.find_element(By.ID, "q").send_keys("keepers")
    _submit(browser, "form[role=search]")
    _wait(browser, lambda d: "1 result" in _text(d), "no search result")
    assert "Lighthouse keepers of the north" in _text(browser)

    # Settings: a display name and a bio, shown on the public page.
    browser.find_element(By.LINK_TEXT, "Settings").click()
    _wait(browser, lambda d: d.find_elements(By.ID, "display_name"), "no settings page")
    browser.find_element(By.ID, "display_name").send_keys("Kim R.")
    browser.find_element(By.ID, "bio").send_keys("Reads about coasts.")
    _submit(browser, "#profile-form")
    _wait(browser, lambda d: "saved" in _text(d).lower(), "the profile was not saved")
    browser.get(f"{web}/authors/kim_reader")
    assert "Kim R." in _text(browser) and "Reads about coasts." in _text(browser)

    # The author deletes the article, after the confirmation page.
    browser.find_element(By.XPATH, "//button[normalize-space()='Log out']").click()
    _wait(browser, lambda d: "Log in" in _text(d), "not logged out")
    _log_in(browser, web, author["email"])
    browser.get(f"{web}/articles/{slug}/delete")
    assert "Lighthouse keepers of the north" in _text(browser)  # the confirmation names it
    _submit(browser, f"form[action='/articles/{slug}/delete']")
    _wait(browser, lambda d: f"/articles/{slug}/delete" not in d.current_url, "no redirect after delete")
    browser.get(f"{web}/articles/{slug}")
    assert "404" in browser.title or "not found" in _text(browser).lower()
