"""RealWorld API scenarios for ./bench/run.sh (and bench/realworld_bench.sh).

Each scenario: name, method, path, headers ({token} is replaced by a token got from
POST /api/users/login as TOKEN_USER), and notes. SEED is the data shape they need:
the shape the public Flask reference implementation was measured with.
"""
SEED = {"users": 1000, "articles": 10_000, "likes": 200_000, "follows": 10_000, "tags": 50}
SEED_ARGS = ["--users", "1000", "--articles", "10000", "--likes", "200000", "--follows", "10000"]

# Cached reads measured against the same read on the cache-off server (target: >= 2x).
CACHE_OFF_PAIRS = ("api_list", "api_article", "api_tags", "api_profile")

# A seeded reader (not an author) who follows ~10 authors: a full 20-article feed.
TOKEN_USER = {"email": "user500@example.com", "password": "password123"}
LOGIN = {"method": "POST", "path": "/api/users/login",
         "body": {"user": TOKEN_USER}, "token_path": ("user", "token")}

# The reference's figures on these machines (req/s, queries per request), and the bars to beat.
REFERENCE_FLOOR_RPS = 9700  # bare Flask on the same machines when the reference was measured
REFERENCE = {
    "api_list": {"rps": 16, "queries": 81, "target_ratio": 30},
    "api_article": {"rps": 268},
    "api_tags": {"rps": 1994},
    "api_feed": {"rps": 5, "queries": 101, "target_ratio": 50},
}

SCENARIOS = [
    {"name": "api_list", "method": "GET", "path": "/api/articles?limit=20", "headers": {},
     "notes": "global list, anonymous, 20 items with author and tags; measure cached and uncached"},
    {"name": "api_article", "method": "GET", "path": "/api/articles/{slug}", "headers": {},
     "notes": "one article; {slug} = the first slug of the list"},
    {"name": "api_tags", "method": "GET", "path": "/api/tags", "headers": {},
     "notes": "every tag in use"},
    {"name": "api_profile", "method": "GET", "path": "/api/profiles/{username}", "headers": {},
     "notes": "one profile, anonymous; {username} = the author of the first article"},
    {"name": "api_feed", "method": "GET", "path": "/api/articles/feed?limit=20",
     "headers": {"Authorization": "Token {token}"},
     "notes": "authenticated feed (per user, never cached): token check + 6 queries"},
]


def _follow_authors(ctx, token: str, count: int = 10) -> None:
    """Give the feed's user some follows through the API itself (seeds without --follows have none):
    the authors of the newest articles (seeded usernames are readable names, not user0, user1, ...)."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    with urllib.request.urlopen(f"{ctx.url('product')}/api/articles?limit=100", timeout=10) as r:
        names = list(dict.fromkeys(a["author"]["username"] for a in json.load(r)["articles"]))[:count]
    assert names, "the seeded site lists no articles to follow authors from"
    for name in names:
        req = urllib.request.Request(f"{ctx.url('product')}/api/profiles/{urllib.parse.quote(name)}/follow",
                                     method="POST", headers={"Authorization": f"Token {token}"})
        urllib.request.urlopen(req, timeout=10).close()


def _author_of(ctx, slug: str) -> str:
    """The username the API shows an article under (URL-quoted for the path)."""
    import json
    import urllib.parse
    import urllib.request

    with urllib.request.urlopen(f"{ctx.url('product')}/api/articles/{urllib.parse.quote(slug)}", timeout=10) as r:
        return urllib.parse.quote(json.load(r)["article"]["author"]["username"])


def scenarios(ctx) -> list:
    """The hook ./bench/run.sh calls (see bench/scenarios.py): SCENARIOS as its Scenario objects."""
    from bench.scenarios import Scenario

    token = ctx.tokens[0]
    _follow_authors(ctx, token)
    slug = ctx.slugs[0]
    username = _author_of(ctx, slug)
    found = []
    for sc in SCENARIOS:
        headers = {k: v.format(token=token) for k, v in sc["headers"].items()}
        path = sc["path"].format(slug=slug, username=username)
        # The cached reads are compared with the /hello floor (>= 0.5x): measured in the same slices as
        # the floors (one interleave group), so the machine's drift over a round falls on both alike.
        found.append(Scenario(sc["name"], "product", [path], headers=headers, note=sc["notes"],
                              interleave="floors" if sc["name"] in CACHE_OFF_PAIRS else ""))
        if sc["name"] in CACHE_OFF_PAIRS:
            found.append(Scenario(f"{sc['name']} nocache", "nocache", [path],
                                  note="NullCache: what a cache hit is measured against"))
        if sc["name"] == "api_feed":
            found.append(Scenario("api_feed nocache", "nocache", [path], headers=headers,
                                  note="NullCache: the x50 bar (the feed is per user: never cached anyway)"))
    return found
