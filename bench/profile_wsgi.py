"""Profile the hit path in-process: the production config on Redis and a seeded database, the whole
WSGI stack (instrumentation, security headers, fast paths, Flask) called in a loop, no HTTP server.

    python -m bench.profile_wsgi /api/tags /api/profiles/<u> [--requests 2000] [--mode cpu|pyinstrument|cprofile]
        [--cache-off] [--no-instr]

DATABASE_URL defaults to the bench's SQLite file (bench/results/work/bench.sqlite3: run the bench
once, or seed one); the cache uses Redis DB 9 (REDIS_URL) under its own key prefix. `cpu` prints
the CPU time per request (best of 5 batches: the machine is shared); the others print a call tree
or the functions by own time. Headers: `--header "Authorization: Token ..."`.
"""
import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _app(redis_url: str, cache_off: bool = False, no_instr: bool = False):
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench/results/work/bench.sqlite3'}")
    for name in ("SECRET_KEY", "SECURITY_PASSWORD_SALT", "WEBHOOK_SECRET"):
        os.environ.setdefault(name, "profile-only-" + "x" * 32)
    from application import create_app
    from application.config import ProductionConfig

    config = type("ProfileConfig", (ProductionConfig,), {
        "CACHE_REDIS_URL": redis_url.rstrip("/") + "/9", "CACHE_KEY_PREFIX": "bs:profile:",
        "RATELIMIT_KEY_PREFIX": "bs:profile:limits", "REQUEST_LOG_STREAM": io.StringIO(),
        **({"CACHE_TYPE": "NullCache"} if cache_off else {}),
        **({"INSTRUMENTATION_ENABLED": False} if no_instr else {})})
    return create_app(config)


def _caller(app, headers: dict):
    def call(path: str) -> str:
        raw_path, _, query = path.partition("?")
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": raw_path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "5000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
                   "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
                   "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
                   "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:5000", **headers}
        answered = []
        b"".join(app.wsgi_app(environ, lambda status, hdrs, exc=None: answered.append((status, hdrs))))
        status, hdrs = answered[0]
        return f"{status} {dict(hdrs).get('Server-Timing', '')}"
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--mode", choices=("cpu", "pyinstrument", "cprofile"), default="cpu")
    parser.add_argument("--header", action="append", default=[], help='"Name: value"')
    parser.add_argument("--cache-off", action="store_true", help="NullCache, as the bench's cache-off server")
    parser.add_argument("--no-instr", action="store_true", help="instrumentation off, as the bench's noinstr server")
    args = parser.parse_args()
    headers = {"HTTP_" + k.strip().upper().replace("-", "_"): v.strip()
               for k, _, v in (h.partition(":") for h in args.header)}
    call = _caller(_app(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"), args.cache_off, args.no_instr), headers)
    for path in args.paths:
        for _ in range(3):  # fill the caches
            answer = call(path)
        print(f"{path}: {answer}")
    if args.mode == "cpu":
        batch = max(1, args.requests // 5)
        for path in args.paths:
            best = min(_cpu_per_request(call, path, batch) for _ in range(5))
            print(f"{path}: {best * 1e6:.0f} us CPU a request (best of 5 x {batch})")
    elif args.mode == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        with profiler:
            _loop(call, args.paths, args.requests)
        print(profiler.output_text(unicode=True, color=False))
    else:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(_loop, call, args.paths, args.requests)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def _cpu_per_request(call, path: str, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        call(path)
    return (time.process_time() - started) / n


def _loop(call, paths, n: int) -> None:
    for path in paths:
        for _ in range(n):
            call(path)


if __name__ == "__main__":
    main()
