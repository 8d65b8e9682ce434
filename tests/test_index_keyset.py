"""Index pages past the cached ones seek from a cursor (no OFFSET), and show exactly what OFFSET would."""
import re

import pytest

from .cache_helpers import each_statement

SEEK = re.compile(r"\(article\.publish_at, article\.id\) [<>]")
LINK = re.compile(r'rel="(prev|next)" href="([^"]+)"')


@pytest.fixture
def deep_site(app, make_user, make_article):
    app.config.update(ARTICLES_PER_PAGE=3, CACHE_MAX_INDEX_PAGES=1)
    author = make_user("keyset", roles=("author",))
    # Several articles share a publish time, so the cursor's id breaks ties.
    for i in range(11):
        make_article(author, title=f"Seek {i}", minutes_ago=10 * (i // 2) + 1)
    return author


def _titles(html: str) -> list[str]:
    return re.findall(r">(Seek \d+)</a>", html)


def _links(html: str) -> dict:
    return {rel: href.replace("&amp;", "&") for rel, href in LINK.findall(html)}


def _listing_sql(app, client, url):
    seen = []

    def record(statement, parameters, context):
        if "ORDER BY article.publish_at" in statement:  # the listing's own query
            seen.append(statement)

    with each_statement(app, record):
        response = client.get(url)
    return response, seen


def test_older_and_newer_links_seek_and_match_the_offset_pages(app, client, deep_site):
    by_offset = {p: _titles(client.get(f"/?page={p}").get_data(as_text=True)) for p in range(1, 5)}
    assert sum(len(t) for t in by_offset.values()) == 11
    html = client.get("/").get_data(as_text=True)
    assert _links(html)["next"].startswith("/?page=2&after=2.")
    url, page = _links(html)["next"], 2
    while True:  # down through every page by the "Older" links
        response, sql = _listing_sql(app, client, url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and f"Page {page} of 4" in html
        assert _titles(html) == by_offset[page]
        assert len(sql) == 1 and SEEK.search(sql[0]), sql  # a seek, not an offset walk
        if "next" not in _links(html):
            break
        url, page = _links(html)["next"], page + 1
    assert page == 4
    while page > 2:  # and back up by the "Newer" links
        url, page = _links(html)["prev"], page - 1
        assert "&before=" in url
        response, sql = _listing_sql(app, client, url)
        html = response.get_data(as_text=True)
        assert _titles(html) == by_offset[page] and f"Page {page} of 4" in html
        assert len(sql) == 1 and SEEK.search(sql[0]), sql
    assert _links(html)["prev"] == "/?page=1"  # a cached page: the plain URL the page cache knows


def test_a_cursor_made_before_a_change_falls_back_to_offset(app, client, deep_site, make_article):
    older = _links(client.get("/").get_data(as_text=True))["next"]
    make_article(deep_site, title="Seek new")  # page 1 now starts with it; every page shifts by one
    response, sql = _listing_sql(app, client, older)
    assert response.status_code == 200
    assert _titles(response.get_data(as_text=True)) == _titles(client.get("/?page=2").get_data(as_text=True))
    assert "Page 2 of 4" in response.get_data(as_text=True)
    assert len(sql) == 2 and SEEK.search(sql[0]) and not SEEK.search(sql[1]), sql  # seek, version differs: OFFSET


@pytest.mark.parametrize("cursor", [
    "after=junk", "after=2.1.2", "after=3.1.0.1", "after=2.1.99999999999999999999.1", "after=-2.1.0.1",
    "after=2.1.0.1&before=2.1.0.1", "before=1.1.0.1", "after=2.1.0.1%00", "after=２.1.0.1",
    "after=2.999.0.1", "after=2.1.253402214400000000.5",
])
def test_a_bad_cursor_is_the_plain_page(client, deep_site, cursor):
    expected = _titles(client.get("/?page=2").get_data(as_text=True))
    response = client.get(f"/?page=2&{cursor}")
    assert response.status_code == 200 or 400 <= response.status_code < 500, cursor  # (NUL: the edge guard, 422)
    if response.status_code == 200:
        assert _titles(response.get_data(as_text=True)) == expected, cursor
        assert "Page 2 of 4" in response.get_data(as_text=True)


def test_a_cursor_does_not_change_the_cached_pages_or_their_keys(client, deep_site):
    """Within CACHE_MAX_INDEX_PAGES the cursor is ignored (one key per page number, as before)."""
    assert _links(client.get("/?page=2").get_data(as_text=True))["prev"] == "/?page=1"
    assert _titles(client.get("/?page=1&before=1.1.0.1").get_data(as_text=True)) == \
        _titles(client.get("/").get_data(as_text=True))
