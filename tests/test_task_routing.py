"""Tasks go to the queue of the app that sends them, even when another app was created after it.

A process may hold several apps (the tests do; a like-recount watcher thread outlives the test that
made it). A @shared_task sends through the process's default Celery app, the last one created: a
flush re-sent by an earlier test's watcher once landed on a later test's queue and took the like
that test was waiting for (its own flush then counted nothing).
"""
import redis

from application.jobs import dispatch

from .conftest import _dispose, build_app
from .processes import _delete_queue_keys, stack_config


def test_a_flush_goes_to_the_queue_of_the_app_that_sends_it(tmp_path, cache_prefix):
    first = build_app(stack_config(tmp_path / "first", cache_prefix + "first:"))
    second = build_app(stack_config(tmp_path / "second", cache_prefix + "second:"))  # now the default
    queues = [app.config["CELERY_TASK_DEFAULT_QUEUE"] for app in (first, second)]
    broker = redis.Redis.from_url(first.config["CELERY_BROKER_URL"])
    try:
        with first.app_context():
            task_id = dispatch.send_flush()
        assert [broker.llen(queue) for queue in queues] == [1, 0]
        assert task_id.encode() in broker.lindex(queues[0], 0)
    finally:
        broker.close()
        for app, queue in zip((first, second), queues):
            _dispose(app)
            _delete_queue_keys(queue)
