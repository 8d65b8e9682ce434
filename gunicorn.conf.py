"""gunicorn settings for local runs and production: gevent workers (SSE needs them)."""
import multiprocessing
import os
import sys

from application.config import config_for_env

# Refuse in the master, with one line, before any worker boots (a worker that exits is only respawned).
_missing = config_for_env().missing_secrets() if config_for_env().ENV_NAME in ("stage", "production") else []
if _missing:
    sys.exit(f"Refusing to start with ENV={config_for_env().ENV_NAME}: set {', '.join(_missing)} "
             "in the environment (unset or left at a development default).")

worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Bounded per-worker connections: a CPU-bound page must not starve the rest.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", 100))
# No keep-alive by default. A gevent greenlet whose client has already sent its next request
# never blocks in recv(), so it never yields: on CPU-bound pages a few keep-alive connections
# monopolise a worker and the rest starve (measured: 26 of 32 connections unanswered in 5 s).
# Closing after each response puts every request back through accept(), which is fair.
# Behind a reverse proxy (which keeps client connections alive itself) this costs little.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 0))
timeout = 30
graceful_timeout = 10
control_socket_disable = True  # several instances on one machine must not share ~/.gunicorn
accesslog = None
