"""Forgiving, bounded URLs: unknown parameters are ignored for the key, odd page numbers are
normalised, past-the-end pages are 404s that are not stored, HEAD comes from the page cache,
and 1,000 random query variants add only a small, fixed number of keys."""
import random

from application.config import redis_db_url
from application.data.data_access import keys

from .cache_helpers import entry, keys_with_prefix
from .conftest import REDIS_BASE, TEST_CACHE_DB, query_count

# 2 x CACHE_MAX_INDEX_PAGES (index data + page or "absent" marker per page) + API blocks (offset+limit
# <= API_MAX_CACHED_OFFSET) for no tag and for each tag in use (unknown tags add none) + the tag list,
# the sidebar's data and fragment, the article's data and page.
MAX_INDEX_PAGES = 5
TAGS_IN_USE = 1
KEY_BOUND = 2 * MAX_INDEX_PAGES + (1 + TAGS_IN_USE) * keys.API_MAX_CACHED_OFFSET // keys.API_BLOCK + 5


def _site(redis_app, make_user, make_article, n=3):
    redis_app.config["CACHE_MAX_INDEX_PAGES"] = MAX_INDEX_PAGES
    author = make_user("url_author", roles=("author",))
    return [make_article(author, title=f"Story {i}", tags=["news"]) for i in range(n)]


def test_tracking_parameters_and_leading_zeros_serve_the_cached_page(redis_app, make_user, make_article):
    _site(redis_app, make_user, make_article)
    client = redis_app.test_client()
    home = client.get("/").get_data()
    for query in ("utm_source=x", "fbclid=abc", "page=01", "page=1&x=1", "x=1&page=0001", "page=1&page=2"):
        r = client.get(f"/?{query}")
        assert r.status_code == 200 and r.get_data() == home, query
        assert query_count(r) == 0, query  # answered from the stored page


def test_a_page_past_the_end_is_a_404_that_is_not_stored(redis_app, make_user, make_article):
    _site(redis_app, make_user, make_article)
    client = redis_app.test_client()
    for query in ("page=2", "page=999", "page=0", "page=abc", "page=-1", "page=99999999"):
        assert client.get(f"/?{query}").status_code == 404, query
    hit, value = entry(redis_app, keys.index_page_key(2), keys.INDEX_GROUPS)
    assert not hit or value is None  # at most the brief "absent" marker, never a page


def test_head_is_answered_from_the_page_cache(redis_app, make_user, make_article):
    articles = _site(redis_app, make_user, make_article)
    client = redis_app.test_client()
    for path in ("/", f"/articles/{articles[0]['slug']}"):
        body = client.get(path).get_data()
        r = client.head(path + "?utm_campaign=spring")
        assert r.status_code == 200 and r.get_data() == b"" and query_count(r) == 0, path
        assert int(r.headers["Content-Length"]) == len(body)


def _variant(rng: random.Random, slug: str) -> str:
    junk = [f"utm_source={rng.randrange(10**6)}", f"fbclid={rng.getrandbits(40):x}", f"x{rng.randrange(99)}=1", ""]
    path, params = rng.choice([
        ("/", [f"page={rng.choice(['0', '01', '1', '2', str(rng.randrange(1, 10**6)), 'abc'])}"]),
        (f"/articles/{slug}", []),
        ("/api/articles", [f"limit={rng.randrange(1, 101)}", f"offset={rng.randrange(0, 10**6)}",
                           f"tag={rng.choice(['news', 't' + str(rng.randrange(10**6))])}"]),
        ("/api/articles", [f"limit={rng.randrange(1, 101)}", f"offset={rng.randrange(0, 900)}"]),
        ("/api/articles", [f"favorited=f{rng.randrange(10**6)}"]),
        ("/api/tags", []),
        (f"/api/articles/{slug}", []),
    ])
    chosen = [p for p in params if rng.random() < 0.8] + rng.sample(junk, 2)
    rng.shuffle(chosen)
    return path + ("?" + "&".join(p for p in chosen if p) if any(chosen) else "")


def test_a_thousand_random_query_variants_add_a_bounded_number_of_keys(redis_app, make_user, make_article,
                                                                       cache_prefix):
    articles = _site(redis_app, make_user, make_article)
    url = redis_db_url(REDIS_BASE, TEST_CACHE_DB)
    client = redis_app.test_client()
    rng = random.Random(11)
    before = keys_with_prefix(url, cache_prefix)
    statuses = {}
    for _ in range(1000):
        r = client.get(_variant(rng, articles[0]["slug"]))
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    added = keys_with_prefix(url, cache_prefix) - before
    assert set(statuses) <= {200, 404}, statuses  # never a 422 or 500 for extra parameters
    assert len(added) <= KEY_BOUND, sorted(added)
    print(f"1,000 variants: {len(added)} new keys (bound {KEY_BOUND}); statuses {statuses}")
