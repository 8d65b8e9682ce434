"""Flask's Celery pattern: a Celery app configured from Flask config, tasks in app context."""
from celery import Celery, Task
from flask import Flask, current_app, has_app_context

from application.config import beat_timing


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            # Called from a request (or eagerly): reuse its context and session.
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))
    celery_app.set_default()
    _no_subscribe_on_send(celery_app)
    app.extensions["celery"] = celery_app
    from . import tasks  # noqa: F401  (registers every task, so the worker and beat know them all)
    return celery_app


def own_task(shared: Task) -> Task:
    """A @shared_task as registered in the current Flask app's Celery app: sent through that app's
    broker and queue. The shared task itself sends through the process's default Celery app, the
    last one created: another app's where a process holds several (the tests), which is where a
    like-recount watcher outliving its app once sent a flush that took a later test's likes."""
    return current_app.extensions["celery"].tasks[shared.name]


def celery_settings(config) -> dict:
    settings = {
        "broker_url": config["CELERY_BROKER_URL"],
        "result_backend": config["CELERY_RESULT_BACKEND"],
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": False,
        "result_expires": config.get("CELERY_RESULT_EXPIRES", 24 * 3600),
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"socket_timeout": 1, "socket_connect_timeout": 1},
        "task_default_queue": config.get("CELERY_TASK_DEFAULT_QUEUE") or "celery",
        "task_always_eager": config.get("CELERY_TASK_ALWAYS_EAGER", False),
        "task_eager_propagates": True,
        "beat_schedule": config.get("CELERY_BEAT_SCHEDULE", {}),
        "task_track_started": True,  # /api/tasks/<id> can say STARTED
        # One result backend (and one Redis pool) per process. Celery keeps it per thread otherwise,
        # and under gevent every request greenlet is a thread: each like built a new backend, opened
        # a new Redis connection and SUBSCRIBEd (the patch below only reached the first backend).
        "result_backend_thread_safe": True,
        # Bounded Redis pools for the broker and the result backend (application/redis_clients.py caps the rest).
        "broker_pool_limit": config.get("REDIS_MAX_CONNECTIONS", 20),
        "redis_max_connections": config.get("REDIS_MAX_CONNECTIONS", 20),
    }
    settings.update(beat_settings(config, settings["beat_schedule"], settings["task_default_queue"]))
    # Any other Celery setting, by its Celery name (e.g. tests turn off remote control).
    settings.update(config.get("CELERY_OPTIONS", {}))
    return settings


def beat_settings(config, schedule: dict, queue: str) -> dict:
    """celery-redbeat: the schedule and a lock in Redis, so of several beats exactly one sends."""
    loop, lock_timeout = beat_timing(schedule)
    return {
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "beat_max_loop_interval": loop,
        "redbeat_redis_url": config.get("BEAT_REDIS_URL") or config["CELERY_BROKER_URL"],
        "redbeat_key_prefix": config.get("BEAT_KEY_PREFIX") or f"bs:beat:{queue}:",
        "redbeat_lock_timeout": lock_timeout,
        # Short socket timeouts: a beat stuck on a dead Redis must not keep renewing nothing.
        "redbeat_redis_options": {"socket_timeout": 2, "socket_connect_timeout": 2},
    }


def _no_subscribe_on_send(celery_app: Celery) -> None:
    """Nothing here waits on a result as it sends (/api/tasks reads the stored state), so don't let
    the Redis result backend SUBSCRIBE to every task's channel at send time: that was two extra
    round trips per like on a shared pub/sub connection. AsyncResult.get() still subscribes itself."""
    backend = celery_app.backend
    if hasattr(backend, "result_consumer"):
        backend.on_task_call = lambda producer, task_id: None
