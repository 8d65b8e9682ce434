"""Login stall: /hello latency on ONE gevent worker while 8 argon2 logins run at once.

Run by the driver (bench/run.sh) or on its own against a running server:
    python -m bench.login_stall http://127.0.0.1:5000 [first-seeded-user-number]
The seeded users (user<N>@example.com / password123) must exist with argon2 hashes (production config).
"""
import json
import statistics
import sys
import threading
import time
import urllib.request

LOGINS = 8
ROUNDS = 3


def _login(base: str, email: str) -> float:
    # Login needs a CSRF token: a JSON client gets one (and its session cookie) from GET /login; only
    # the POST (the password hash) is timed.
    with urllib.request.urlopen(urllib.request.Request(base + "/login", headers={"Accept": "application/json"}),
                                timeout=60) as r:
        csrf = json.load(r)["response"]["csrf_token"]
        session = "; ".join(c.split(";", 1)[0] for c in r.headers.get_all("Set-Cookie") or [])
    body = json.dumps({"email": email, "password": "password123"}).encode()
    req = urllib.request.Request(base + "/login", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json",
                                          "X-CSRF-Token": csrf, "Cookie": session})
    started = time.monotonic()
    with urllib.request.urlopen(req, timeout=60) as r:
        if r.status != 200:
            raise RuntimeError(f"login answered {r.status}")
    return time.monotonic() - started


def _hello(base: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(base + "/hello", timeout=60) as r:
        r.read()
    return time.monotonic() - started


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def measure(base: str, first_user: int = 200, logins: int = LOGINS, rounds: int = ROUNDS) -> dict:
    """Idle /hello, then `rounds` x (`logins` logins at once + /hello back to back until they end)."""
    idle = [_hello(base) for _ in range(200)]
    during, login_times, user = [], [], first_user
    for _ in range(rounds):
        results: list[float] = []
        threads = []
        for _ in range(logins):
            email = f"user{user}@example.com"
            user += 1
            threads.append(threading.Thread(target=lambda e=email: results.append(_login(base, e))))
        for t in threads:
            t.start()
        time.sleep(0.02)  # let the logins reach the worker first: /hello then queues behind them
        while any(t.is_alive() for t in threads):
            during.append(_hello(base))
        for t in threads:
            t.join()
        if len(results) != logins:
            raise RuntimeError(f"only {len(results)} of {logins} logins succeeded")
        login_times += results
    ms = lambda s: round(s * 1000, 1)  # noqa: E731
    return {
        "logins_at_once": logins, "rounds": rounds, "hello_samples": len(during),
        "idle_hello_p99_ms": ms(_pct(idle, 0.99)),
        "hello_p50_ms": ms(statistics.median(during)), "hello_p99_ms": ms(_pct(during, 0.99)),
        "hello_max_ms": ms(max(during)),
        "login_p50_ms": ms(statistics.median(login_times)), "login_max_ms": ms(max(login_times)),
    }


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200), indent=1))
