"""Security headers and cookies, read in the production config (test secrets, test Redis DB and prefix)."""
import io
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from application.config import ProductionConfig
from application.data.data_access import keys

from . import factories
from .conftest import build_app, make_config, _dispose

HTTPS = "https://broadsheet.test"
REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def production_app(tmp_path, cache_prefix, **overrides):
    """The app on ProductionConfig, with this test's database, Redis DB numbers and key prefix."""
    per_test = {k: v for k, v in vars(make_config(tmp_path)).items() if k.isupper()}
    per_test.pop("TESTING", None)
    attrs = {**per_test, "CACHE_KEY_PREFIX": cache_prefix, "CELERY_TASK_ALWAYS_EAGER": True,
             "SECRET_KEY": "prod-test-secret", "SECURITY_PASSWORD_SALT": "prod-test-salt",
             "WEBHOOK_SECRET": "prod-test-webhook", "SESSION_COOKIE_SECURE": True, "RATELIMIT_ENABLED": False,
             "REQUEST_LOG_STREAM": io.StringIO(),  # not the process's stderr (closed under pytest at exit)
             **overrides}
    return build_app(type("ProductionTestConfig", (ProductionConfig,), attrs))


@pytest.fixture
def prod(tmp_path, cache_prefix):
    app = production_app(tmp_path, cache_prefix)
    yield app
    _dispose(app)


def csp_directives(response) -> dict:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def assert_hardened(response, https=True):
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    csp = csp_directives(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]  # no inline, no nonce needed
    hsts = response.headers.get("Strict-Transport-Security")
    if https:
        assert hsts and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600
    else:
        assert hsts is None  # HSTS over plain HTTP means nothing and is not sent


def test_every_kind_of_response_carries_the_headers_in_production(prod, make_user, make_article):
    author = make_user("hdr", roles=("author",))
    make_article(author, title="Headed")
    client = prod.test_client()
    for path in ("/", "/hello", "/login", "/register", "/api/articles", "/healthz", "/no-such-page",
                 "/static/app.js", "/api/article_likes/1"):
        assert_hardened(client.get(path, base_url=HTTPS), https=True)
    assert_hardened(client.post("/webhooks/partner", data=b"{}", base_url=HTTPS))  # a 401 JSON error
    assert_hardened(client.get("/", base_url="http://broadsheet.test"), https=False)


def test_pages_from_the_anonymous_page_cache_carry_them_too(prod, make_user, make_article):
    author = make_user("cached", roles=("author",))
    make_article(author, title="Cached page")
    client = prod.test_client()
    assert client.get("/", base_url=HTTPS).status_code == 200
    with prod.app_context():
        from application.data.data_access import store

        assert store.peek(keys.index_page_key(1), keys.INDEX_GROUPS)[0]  # the page is stored
    # Flask's view would now fail: a 200 can only come from the page-cache middleware.
    prod.view_functions["articles.index"] = lambda: 1 / 0
    r = client.get("/", base_url=HTTPS)
    assert r.status_code == 200 and "Cached page" in r.get_data(as_text=True)
    assert_hardened(r, https=True)


def test_hsts_follows_x_forwarded_proto_behind_proxyfix(prod):
    prod.wsgi_app = ProxyFix(prod.wsgi_app, x_proto=1)
    client = prod.test_client()
    assert_hardened(client.get("/hello", headers={"X-Forwarded-Proto": "https"}), https=True)
    assert_hardened(client.get("/hello", headers={"X-Forwarded-Proto": "http"}), https=False)


def _cookies(response) -> dict:
    out = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        out[name] = {p.strip().split("=", 1)[0].lower(): (p.strip().split("=", 1) + [""])[1]
                     for p in header.split(";")[1:]}
    return out


def test_cookies_are_secure_lax_and_remember_me_lasts_at_most_30_days(prod):
    with prod.app_context():
        user = factories.make_user("cookie")
    client = prod.test_client()
    form = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    r = client.post("/login", base_url=HTTPS, headers={"Referer": HTTPS + "/login"}, data={
        "email": user["email"], "password": user["password"], "remember": "y", "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    cookies = _cookies(r)
    assert {"session", "remember_token"} <= set(cookies), cookies
    for name, attrs in cookies.items():
        assert "secure" in attrs and attrs.get("samesite") == "Lax" and "httponly" in attrs, (name, attrs)
    expires = parsedate_to_datetime(cookies["remember_token"]["expires"])
    assert (expires - datetime.now(timezone.utc)).days <= 30


def test_cookies_in_development_are_lax_but_not_forced_secure(app, client, make_user):
    user = make_user("devcookie")
    r = client.post("/login", data={"email": user["email"], "password": user["password"], "remember": "y"})
    for name, attrs in _cookies(r).items():
        assert attrs.get("samesite") == "Lax" and "secure" not in attrs, (name, attrs)


INLINE = [
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _assert_no_inline(client, paths):
    for path in paths:
        r = client.get(path, base_url=HTTPS)
        assert r.status_code == 200, (path, r.status_code)
        html = r.get_data(as_text=True)
        for pattern, what in INLINE:
            match = pattern.search(html)
            assert match is None, f"{path}: {what}: {html[max(0, match.start() - 80):match.end() + 80]}"


def test_rendered_pages_have_no_inline_script_or_style(prod, make_user, make_article):
    author = make_user("inline", roles=("author", "admin"))
    article = make_article(author, title="Inline check")
    client = prod.test_client()
    _assert_no_inline(client, ["/", f"/articles/{article['slug']}", "/login", "/register", "/feedback"])
    form = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    r = client.post("/login", base_url=HTTPS, headers={"Referer": HTTPS + "/login"},
                    data={"email": author["email"], "password": author["password"], "csrf_token": token})
    assert r.status_code == 302
    _assert_no_inline(client, ["/", f"/articles/{article['slug']}", "/authors/inline", "/articles/new",
                               f"/articles/{article['slug']}/edit", "/admin/performance", "/admin/digest"])
