"""Entry module for processes the tests start (worker, beat, gunicorn): the per-test config.

The test passes its config overrides as JSON in BS_TEST_CONFIG, so the process uses the same
database, Redis DB numbers, key prefix, SSE channel and queue as the test itself.
"""
import json
import os

from application import create_app
from application.config import TestConfig

app = create_app(type("ProcessTestConfig", (TestConfig,), json.loads(os.environ["BS_TEST_CONFIG"])))
celery_app = app.extensions["celery"]


@app.get("/_test/tier")
def _tier_state():
    """This worker's in-process cache tier, for tests/test_cache_tier.py (test processes only)."""
    from application.data.data_access import local_tier
    from application.extensions import cache

    tier = local_tier.of(app.extensions["cache"][cache])
    return {"pid": os.getpid(), "live": tier.live, "keys": list(tier.entries), "size": tier.size, **tier.stats}
