"""gunicorn settings for local runs and production: gevent workers (SSE needs them)."""
import multiprocessing
import os

worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Bounded per-worker connections: a CPU-bound page must not starve the rest.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", 100))
keepalive = 5
timeout = 30
graceful_timeout = 10
control_socket_disable = True  # several instances on one machine must not share ~/.gunicorn
accesslog = None
