"""bench/instr_cost.py: the instrumentation's CPU a request, measured in one process by alternating batches."""
import time

from bench import instr_cost
from application.instrumentation import MeasuringMiddleware


def test_it_finds_the_measuring_middleware_under_outer_wrappers(app):
    class Outer:
        def __init__(self, wsgi_app):
            self.wsgi_app = wsgi_app

    middleware = instr_cost.measuring_middleware(app)
    assert isinstance(middleware, MeasuringMiddleware)
    app.wsgi_app = Outer(app.wsgi_app)
    assert instr_cost.measuring_middleware(app) is middleware


def test_it_sees_what_the_middleware_costs(app, monkeypatch):
    """A middleware made ~200 us slower a request shows as a positive overhead; both variants answer."""
    real_call = MeasuringMiddleware.__call__

    def slower(self, environ, start_response):
        end = time.thread_time() + 0.0002
        while time.thread_time() < end:
            pass
        return real_call(self, environ, start_response)

    monkeypatch.setattr(MeasuringMiddleware, "__call__", slower)
    result = instr_cost.measure(app, "/hello", seconds=0.5)
    assert result["pairs"] >= 1 and result["batch"] == instr_cost.BATCH
    assert result["us_with"] > result["us_without"] > 0
    assert result["overhead"] > 0.1
