"""Benchmark scenarios: what to load, on which server, how.

Another module may add its own: if bench/scenarios_api.py exists and defines
scenarios(ctx) -> list[Scenario], its scenarios run too (after these). ctx is
a bench.driver.Context: ctx.url(server) for "product", "nocache", "noinstr"
or "floor"; ctx.tokens (API tokens, one user per connection); ctx.cookie
(a logged-in session); ctx.article_ids and ctx.slugs (published articles).
"""
from dataclasses import dataclass, field


@dataclass
class Scenario:
    name: str
    server: str                       # product | nocache | noinstr | floor
    paths: list[str]                  # cycled through, each connection from its own offset
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str = ""
    tokens: bool = False              # send Authentication-Token (one user per connection)
    connections: int = 32
    delay_ms: int = 0                 # pause per connection between requests (paced load)
    think: str = "fixed"              # that pause: "fixed" (delay_ms every time) or "exponential" (random,
                                      # delay_ms on average: independent users, not a synchronised crowd)
    count_timing: bool = True         # read queries/cache hits from Server-Timing (costs wrk CPU)
    interleave: str = ""              # scenarios sharing this name (compared by a ratio target) run in
                                      # alternating slices of one round, not one after the other
    note: str = ""


def scenarios(ctx) -> list[Scenario]:
    ids = ctx.article_ids[:500]
    slugs = ctx.slugs[:200]
    br = {"Accept-Encoding": "br, gzip"}
    return [
        Scenario("hello floor", "floor", ["/hello"], interleave="floors", note="bare Flask, same gunicorn settings"),
        Scenario("redis floor", "floor", ["/floor/index"], interleave="floors",
                 note="cached index bytes straight from Redis"),
        Scenario("/hello product", "product", ["/hello"], count_timing=False, interleave="instrumentation",
                 note="the product's app with all its hooks"),
        Scenario("/hello no instr", "noinstr", ["/hello"], count_timing=False, interleave="instrumentation",
                 note="same, instrumentation off"),
        Scenario("/ cached", "product", ["/"], interleave="floors", note="anonymous, page cache hit, identity"),
        Scenario("/ cached br", "product", ["/"], headers=br, note="anonymous, page cache hit, brotli"),
        Scenario("/ cold", "product", [f"/?page={p}" for p in range(1, 51)], headers={"X-Bench-Cold": "1"},
                 note="page + data deleted before each request: full miss path"),
        Scenario("/ cache off", "nocache", ["/"], note="NullCache: built from the database every time"),
        Scenario("/ logged in", "product", ["/"], headers={"Cookie": ctx.cookie}, note="session cookie"),
        Scenario("article", "product", [f"/articles/{s}" for s in slugs], note="anonymous, 200 articles"),
        Scenario("GET api likes", "product", [f"/api/article_likes/{i}" for i in ids]),
        Scenario("POST like", "product", [f"/api/article_likes/{i}" for i in ids], method="POST", tokens=True,
                 headers={"Accept": "application/json"}, note="32 users, saturating"),
        Scenario("POST like paced", "product", [f"/api/article_likes/{i}" for i in reversed(ids)], method="POST",
                 tokens=True, headers={"Accept": "application/json"}, connections=4, delay_ms=100, think="exponential",
                 note="4 users, think time random around 100 ms (~40 likes/s offered: a busy site, not saturation)"),
        # The same 4 users with a fixed 100 ms think time, as "paced" was measured until run fc66df5a: wrk
        # starts them together and each reconnects as soon as it is answered, so they stay in step and
        # their likes arrive as bursts of 4, often on one gunicorn worker (see docs/performance.md).
        Scenario("POST like lockstep", "product", [f"/api/article_likes/{i}" for i in reversed(ids)], method="POST",
                 tokens=True, headers={"Accept": "application/json"}, connections=4, delay_ms=100,
                 note="4 users, fixed 100 ms think time, in step: bursts of 4 likes (no target)"),
        Scenario("/ naive", "product", ["/bench/naive"], note="lazy relationships + a COUNT per article, no index"),
        Scenario("/ naive + index", "product", ["/bench/naive?index=1"], note="the same naive code, index used"),
    ]
