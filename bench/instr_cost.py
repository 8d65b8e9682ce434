"""What the instrumentation costs a request, measured in one process so the comparison has no noise of its own.

    python -m bench.instr_cost [--rounds 3] [--seconds 5] [PATH ...]    (prints one JSON line)

The bench's product app (bench.bench_app, BENCH_VARIANT=full: production settings, its Redis DBs,
request log lines to this process's stderr as gunicorn's workers write theirs) is called through
WSGI in batches of BATCH requests, alternately through the measuring middleware
(application.instrumentation.MeasuringMiddleware, with its log lines and metrics) and straight to
the app it wraps: the same objects, the same process, the same warm caches. Each pair of
neighbouring batches gives one ratio of thread CPU time; a round's overhead is the median ratio
minus one (a batch the scheduler interrupted counts once, not by its length).

Why not the throughput of two servers: two identical gunicorn instances of the uninstrumented app,
measured the same way (/hello, interleaved slices), differed by up to 8% on this VM, and the same
instance by up to 7% between its own slices, more than the 5% limit, while the middleware's cost in a
worker is ~2-3% of its CPU a request (per /proc, one instance; 4-7% of the app's own CPU for /hello in
this measurement). The two /hello scenarios stay in the table for the load view.
"""
import argparse
import io
import json
import statistics
import sys
import time

from werkzeug.test import EnvironBuilder

BATCH = 100
PATHS = ("/hello", "/api/tags")


def _caller(wsgi_app, path: str):
    template = EnvironBuilder(path=path, base_url="http://127.0.0.1:5000",
                              headers={"User-Agent": "bench.instr_cost"}).get_environ()
    body = template.pop("wsgi.input").read()

    def start_response(status, headers, exc_info=None):
        return None

    def call(times: int) -> float:
        started = time.thread_time()
        for _ in range(times):
            environ = dict(template, **{"wsgi.input": io.BytesIO(body)})
            response = wsgi_app(environ, start_response)
            for _chunk in response:
                pass
            close = getattr(response, "close", None)
            if close is not None:
                close()
        return time.thread_time() - started
    return call


def measuring_middleware(app):
    """The MeasuringMiddleware in app.wsgi_app's chain of wrappers (the bench's cold-cache hook is outside it)."""
    from application.instrumentation import MeasuringMiddleware

    layer = app.wsgi_app
    while not isinstance(layer, MeasuringMiddleware):
        layer = getattr(layer, "wsgi_app", None)
        if layer is None:
            raise SystemExit("the app is not instrumented (BENCH_VARIANT must be full)")
    return layer


def measure(app, path: str, seconds: float) -> dict:
    """One round on one path: per-request CPU with and without the middleware, and the overhead."""
    measured = measuring_middleware(app)
    bare = measured.wsgi_app  # what the middleware wraps
    with_it, without = _caller(measured, path), _caller(bare, path)
    for call in (with_it, without):
        call(BATCH)  # warm both
    ratios, cpu_with, cpu_without = [], 0.0, 0.0
    deadline = time.monotonic() + seconds
    flip = False
    while time.monotonic() < deadline:
        flip = not flip  # A B, B A, ...: neither always runs first
        if flip:
            a, b = with_it(BATCH), without(BATCH)
        else:
            b, a = without(BATCH), with_it(BATCH)
        ratios.append(a / b)
        cpu_with, cpu_without = cpu_with + a, cpu_without + b
    pairs = len(ratios)
    return {"path": path, "pairs": pairs, "batch": BATCH,
            "us_with": round(cpu_with / (pairs * BATCH) * 1e6, 1),
            "us_without": round(cpu_without / (pairs * BATCH) * 1e6, 1),
            "overhead": round(statistics.median(ratios) - 1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=list(PATHS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    from bench.bench_app import app

    rounds = [[measure(app, path, args.seconds) for path in args.paths] for _ in range(args.rounds)]
    print(json.dumps({"rounds": rounds}), file=sys.stdout, flush=True)


if __name__ == "__main__":
    main()
