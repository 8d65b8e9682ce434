"""The app as bench/realworld_bench.sh serves it: the development config with its own
cache key prefix (so a dev server's keys are never touched) and, with
RW_BENCH_CACHE=off, no cache at all (the "uncached" measurements)."""
import os

from application import create_app
from application.config import DevelopmentConfig

_overrides = {"CACHE_KEY_PREFIX": os.environ.get("RW_BENCH_PREFIX", "bs:bench-rw:")}
if os.environ.get("RW_BENCH_CACHE") == "off":
    _overrides["CACHE_TYPE"] = "NullCache"

app = create_app(type("RealWorldBenchConfig", (DevelopmentConfig,), _overrides))
