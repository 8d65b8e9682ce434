"""GET /stream: Server-Sent Events (registered with url_prefix=/stream); see application/sse.py."""
from application.sse import sse as bp  # noqa: F401  (the blueprint instance, named bp like the others)
